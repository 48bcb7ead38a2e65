package ingest_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
)

// syntheticTask renders an embed task retrieve body with n 512-d segments.
func syntheticTask(n int) []byte {
	r := rand.New(rand.NewPCG(7, 7))
	var b bytes.Buffer
	b.WriteString(`{"_id":"bench","model_name":"marengo3.0","status":"ready","video_embedding":{"segments":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"start_offset_sec":`)
		b.WriteString(strconv.Itoa(i * 6))
		b.WriteString(`,"end_offset_sec":`)
		b.WriteString(strconv.Itoa(i*6 + 6))
		b.WriteString(`,"embedding_scope":"clip","embedding_option":"visual","float":[`)
		for j := 0; j < 512; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			b.Write(strconv.AppendFloat(nil, float64(float32(r.NormFloat64()*0.05)), 'g', -1, 32))
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

type discard struct{}

func (discard) Segment(*ingest.Segment) error { return nil }
func (discard) Video(*ingest.Video) error     { return nil }

func BenchmarkDecode512(b *testing.B) {
	const n = 2000
	body := syntheticTask(n)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ingest.Decode(context.Background(), bytes.NewReader(body), ingest.Options{Name: "bench"}, discard{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "segments/s")
}
