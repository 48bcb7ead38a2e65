package clipvec_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

const fixtures = "../../testdata/twelvelabs"

// testParams build graphs quickly: tests check behaviour, not the
// recall a production efConstruction buys.
var testParams = clipvec.IndexParams{M: 12, EfConstruction: 40, EfSearch: 64, Quantize: true}

func openDB(t testing.TB) *clipvec.DB {
	t.Helper()
	db, err := clipvec.Open(context.Background(), filepath.Join(t.TempDir(), "clipvec.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetIndexParams(context.Background(), testParams); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func export(t testing.TB, db *clipvec.DB) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := db.Export(context.Background(), &buf, clipvec.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// synth writes a clipvec JSONL file of random segments: videos × clips,
// each clip with the given options, vectors of dimension dim (not unit
// length, so import normalises them).
type synth struct {
	seed    uint64
	model   string
	dim     int
	videos  int
	clips   int
	options []string
	prefix  string // of the video ids: "video" unless set
}

func (s synth) write(t testing.TB, path string) {
	t.Helper()
	var buf bytes.Buffer
	w := ingest.NewWriter(&buf)
	r := rand.New(rand.NewPCG(s.seed, 99))
	vec := make([]float32, s.dim)
	for v := 0; v < s.videos; v++ {
		id := fmt.Sprintf("%s-%03d", cmp.Or(s.prefix, "video"), v)
		if err := w.WriteVideo(&ingest.Video{ID: id, Filename: id + ".mp4", Duration: float64(6 * s.clips)}); err != nil {
			t.Fatal(err)
		}
		for c := 0; c < s.clips; c++ {
			for _, opt := range s.options {
				for i := range vec {
					vec[i] = float32(r.NormFloat64())
				}
				seg := ingest.Segment{VideoID: id, Model: s.model, Option: opt, Scope: "clip",
					Start: float64(6 * c), End: float64(6*c + 6), SourceKind: "file", SourceID: "synth", Vector: vec}
				if err := w.WriteSegment(&seg); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
