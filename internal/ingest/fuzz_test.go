package ingest_test

import (
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// FuzzDecode: whatever the bytes, Decode returns (never panics), reports
// bad input as an *ingest.Error, and hands out only finite unit vectors
// with sane times.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtures, "*.json"))
	legacy, _ := filepath.Glob(filepath.Join(fixtures, "legacy", "*.json"))
	for _, p := range append(files, legacy...) {
		b, err := os.ReadFile(p)
		if err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"video_id":"v","model_name":"m","start_sec":0,"end_sec":1,"embedding":[1,2]}` + "\n" + `{"type":"video","video_id":"v"}`))
	f.Add([]byte(`[{"_id":"a","model_name":"m","status":"ready","video_embedding":{"segments":[{"start_offset_sec":0,"end_offset_sec":1,"float":[1e-40,NaN,-Infinity]}]}}]`))
	f.Add([]byte(`{"data":[{"embedding":[1,"x",null,true,{}],"start_sec":null}],"_id":"\u00e9\ud83d\ude00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &collector{}
		_, err := ingest.Decode(context.Background(), strings.NewReader(string(data)), ingest.Options{Name: "fuzz.json", SkipInvalid: len(data)%2 == 0}, c)
		if err != nil {
			var e *ingest.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *ingest.Error", err, err)
			}
			return
		}
		for _, s := range c.segs {
			if err := vecmath.Validate(s.Vector); err != nil || !vecmath.IsUnit(s.Vector, 1e-3) {
				t.Fatalf("segment %+v: vector not a finite unit vector (%v)", s, err)
			}
			if !(s.Start >= 0 && s.End >= s.Start) || math.IsInf(s.End, 0) || s.Model == "" || s.VideoID == "" {
				t.Fatalf("segment %+v: bad times or context", s)
			}
		}
	})
}

// hugeTask streams an embed task retrieve body of n 512-d segments
// without ever holding it: the test's input is as large as a real
// multi-hour export, its memory is not.
type hugeTask struct {
	n, i  int
	stage int
	buf   []byte
}

func (h *hugeTask) Read(p []byte) (int, error) {
	for len(h.buf) == 0 {
		switch {
		case h.stage == 0:
			h.buf = []byte(`{"_id":"huge","model_name":"marengo3.0","status":"ready","video_embedding":{"segments":[`)
			h.stage = 1
		case h.i < h.n:
			b := h.buf[:0]
			if h.i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"start_offset_sec":`...)
			b = strconv.AppendInt(b, int64(6*h.i), 10)
			b = append(b, `,"end_offset_sec":`...)
			b = strconv.AppendInt(b, int64(6*h.i+6), 10)
			b = append(b, `,"embedding_scope":"clip","embedding_option":"visual","float":[`...)
			for j := 0; j < 512; j++ {
				if j > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendFloat(b, float64(float32(math.Sin(float64(h.i*512+j)))*0.05), 'g', -1, 32)
			}
			b = append(b, "]}"...)
			h.buf = b
			h.i++
		case h.stage == 1:
			h.buf = []byte(`]}}`)
			h.stage = 2
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, h.buf)
	h.buf = h.buf[n:]
	return n, nil
}

type countSegments struct{ n int }

func (c *countSegments) Segment(*ingest.Segment) error { c.n++; return nil }
func (c *countSegments) Video(*ingest.Video) error     { return nil }

// TestDecodeStreams decodes a ~140 MB response and checks the heap never
// holds more than a small fraction of it.
func TestDecodeStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 140 MB")
	}
	const n = 25000
	runtime.GC()
	var peak uint64
	var ms runtime.MemStats
	c := &countSegments{}
	src := &hugeTask{n: n}
	_, err := ingest.Decode(context.Background(), src, ingest.Options{Name: "huge.json", Progress: func(int) {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}}, c)
	if err != nil {
		t.Fatal(err)
	}
	if c.n != n {
		t.Fatalf("decoded %d segments, want %d", c.n, n)
	}
	if peak == 0 || peak > 32<<20 {
		t.Errorf("peak heap %d MB while decoding a 140 MB stream: it should stream", peak>>20)
	}
	t.Logf("peak heap %.1f MB", float64(peak)/(1<<20))
}
