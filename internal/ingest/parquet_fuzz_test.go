package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
)

// FuzzDecodeParquet: whatever the bytes, DecodeParquet returns (an
// *ingest.Error for a bad file) and never panics.
func FuzzDecodeParquet(f *testing.F) {
	good := sampleParquetInput().write(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(append([]byte(ingest.ParquetMagic), good[len(good)-300:]...))
	f.Add(writeRows(f, []handRow{{VideoID: "v", ModelName: "m", Embedding: []float64{1, 2}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := ingest.DecodeParquet(context.Background(), bytes.NewReader(b), int64(len(b)), ingest.Options{Name: "fuzz.parquet", SkipInvalid: true}, &collector{})
		var e *ingest.Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("err = %v, want an *ingest.Error", err)
		}
	})
}
