package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
)

// benchSegments is n 512-d unit vectors of 20 videos, as an export holds
// them.
func benchSegments(n int) []ingest.Segment {
	r := rand.New(rand.NewPCG(9, 9))
	segs := make([]ingest.Segment, n)
	for i := range segs {
		segs[i] = ingest.Segment{VideoID: fmt.Sprintf("video-%02d", i*20/n), Model: "marengo3.0", Option: "visual", Scope: "clip",
			Start: float64(6 * i), End: float64(6*i + 6), SourceKind: ingest.SourceEmbedTaskV1, SourceID: "task", Norm: 1.1, Vector: unitVector(r, 512)}
	}
	return segs
}

// The export formats written from the same segments, for the decode
// benchmarks: clipvec JSONL and clipvec Parquet.
func benchExports(b *testing.B, segs []ingest.Segment) (jsonl, pq []byte) {
	var jb, pb bytes.Buffer
	jw, pw := ingest.NewWriter(&jb), ingest.NewParquetWriter(&pb, ingest.Space{Model: "marengo3.0", Dim: 512})
	if err := jw.WriteHeader(ingest.Space{Model: "marengo3.0", Dim: 512}); err != nil {
		b.Fatal(err)
	}
	for i := range segs {
		if err := jw.WriteSegment(&segs[i]); err != nil {
			b.Fatal(err)
		}
		if err := pw.WriteSegment(int64(i), &segs[i], nil); err != nil {
			b.Fatal(err)
		}
	}
	if err := jw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		b.Fatal(err)
	}
	return jb.Bytes(), pb.Bytes()
}

// Decoding clipvec's JSONL export against its Parquet export, 512-d.
func BenchmarkDecodeExport512(b *testing.B) {
	const n = 5000
	jsonl, pq := benchExports(b, benchSegments(n))
	b.Run("jsonl", func(b *testing.B) {
		b.SetBytes(int64(len(jsonl)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ingest.Decode(context.Background(), bytes.NewReader(jsonl), ingest.Options{Name: "bench"}, discard{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "segments/s")
	})
	b.Run("parquet", func(b *testing.B) {
		b.SetBytes(int64(len(pq)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ingest.DecodeParquet(context.Background(), bytes.NewReader(pq), int64(len(pq)), ingest.Options{Name: "bench"}, discard{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "segments/s")
	})
}

// Writing the two formats, 512-d.
func BenchmarkWriteExport512(b *testing.B) {
	const n = 5000
	segs := benchSegments(n)
	b.Run("jsonl", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := ingest.NewWriter(io.Discard)
			for i := range segs {
				if err := w.WriteSegment(&segs[i]); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "segments/s")
	})
	b.Run("parquet", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := ingest.NewParquetWriter(io.Discard)
			for i := range segs {
				if err := w.WriteSegment(int64(i), &segs[i], nil); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "segments/s")
	})
}
