package clipvec_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// TestExportDuringImports exports again and again while files are
// imported, each file adding a video, adding a new space to a video
// already exported, or replacing a video's segments. Every export must be
// one state of the database: it re-imports into an empty database
// without error, holds per space the segments its header declares, and
// exports again byte for byte.
func TestExportDuringImports(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openDB(t)
	dir := t.TempDir()
	done := startImports(ctx, t, db, 240)
	defer func() {
		cancel()
		<-done
	}()
	for n, importing := 0, true; importing; n++ {
		select {
		case <-done:
			importing = false // one more export, of the final state
		default:
		}
		var out bytes.Buffer
		st, err := db.Export(ctx, &out, clipvec.ExportOptions{})
		if err != nil {
			t.Fatalf("export %d: %v", n, err)
		}
		checkReimport(t, filepath.Join(dir, fmt.Sprintf("export-%d.db", n)), out.String(), st)
	}
}

// TestStatsDuringImports reads Stats again and again while files are
// imported: its spaces must add up to its segment count.
func TestStatsDuringImports(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openDB(t)
	done := startImports(ctx, t, db, 240)
	defer func() {
		cancel()
		<-done
	}()
	for importing := true; importing; {
		select {
		case <-done:
			importing = false
		default:
		}
		st, err := db.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, sp := range st.Spaces {
			sum += sp.Segments
		}
		if sum != st.Segments {
			t.Fatalf("Stats at generation %d: %d segments, its spaces hold %d (%v)", st.Generation, st.Segments, sum, st.Spaces)
		}
	}
}

// startImports imports small files into db, one after another on a
// goroutine, until it has imported rounds of them or ctx ends; it closes
// the channel it returns then. Each file adds a video, or adds a new
// space (a new dimension or a new model) to a video already stored, or
// replaces a video's segments.
func startImports(ctx context.Context, t *testing.T, db *clipvec.DB, rounds int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := rand.New(rand.NewPCG(9, 2))
		videos := 0
		for i := 0; i < rounds && ctx.Err() == nil; i++ {
			var f importFile
			switch {
			case i%3 == 0 || videos == 0:
				// A new video, in the first space.
				f.add(r, fmt.Sprintf("video-%04d", videos), "m", 8, 3)
				videos++
			case i%6 == 1:
				// A video already stored gets a space of a new dimension.
				f.add(r, fmt.Sprintf("video-%04d", r.IntN(videos)), "m", 9+i/6, 2)
			case i%6 == 4:
				// ... or of a new model.
				f.add(r, fmt.Sprintf("video-%04d", r.IntN(videos)), fmt.Sprintf("model-%03d", i), 8, 2)
			default:
				// Replacements: the first space's segments of a video,
				// with new vectors.
				f.add(r, fmt.Sprintf("video-%04d", r.IntN(videos)), "m", 8, 3)
			}
			body, err := f.jsonl()
			if err != nil {
				t.Errorf("round %d: %v", i, err)
				return
			}
			if _, err := db.ImportReader(ctx, fmt.Sprintf("round-%d", i), bytes.NewReader(body), clipvec.ImportOptions{NoIndex: true}); err != nil {
				if ctx.Err() == nil {
					t.Errorf("import round %d: %v", i, err)
				}
				return
			}
		}
	}()
	return done
}

// importFile is a small clipvec JSONL file.
type importFile struct{ segs []ingest.Segment }

// add adds n clips of one video in space (model, dim), with random vectors.
func (f *importFile) add(r *rand.Rand, video, model string, dim, n int) {
	for c := 0; c < n; c++ {
		vec := make([]float32, dim)
		for i := range vec {
			vec[i] = float32(r.NormFloat64())
		}
		f.segs = append(f.segs, ingest.Segment{VideoID: video, Model: model, Option: "visual", Scope: "clip",
			Start: float64(6 * c), End: float64(6*c + 6), SourceKind: "file", SourceID: "race", Vector: vec})
	}
}

// jsonl returns the file's bytes: a video line (the video of its first
// segment), then its segments.
func (f *importFile) jsonl() ([]byte, error) {
	var buf bytes.Buffer
	w := ingest.NewWriter(&buf)
	if err := w.WriteVideo(&ingest.Video{ID: f.segs[0].VideoID, Filename: f.segs[0].VideoID + ".mp4"}); err != nil {
		return nil, err
	}
	for i := range f.segs {
		if err := w.WriteSegment(&f.segs[i]); err != nil {
			return nil, err
		}
	}
	err := w.Flush()
	return buf.Bytes(), err
}

// checkReimport imports an export into a new database at path and checks
// that it holds what the export said: st's counts, the segments of each
// space the export holds, and the same export again.
func checkReimport(t testing.TB, path, exported string, st clipvec.ExportStats) {
	t.Helper()
	ctx := context.Background()
	perSpace := map[string]int{}
	h := &collectHandler{fn: func(s *ingest.Segment) { perSpace[fmt.Sprintf("%s/%d", s.Model, len(s.Vector))]++ }}
	if _, err := ingest.Decode(ctx, strings.NewReader(exported), ingest.Options{Name: "export"}, h); err != nil {
		t.Fatalf("decode the export: %v", err)
	}
	dst, err := clipvec.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := dst.ImportReader(ctx, "export", strings.NewReader(exported), clipvec.ImportOptions{NoIndex: true}); err != nil {
		t.Fatalf("re-import the export: %v", err)
	}
	got, err := dst.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Videos != st.Videos || got.Segments != st.Segments {
		t.Fatalf("re-imported %d videos and %d segments, the export wrote %d and %d", got.Videos, got.Segments, st.Videos, st.Segments)
	}
	if len(got.Spaces) != len(perSpace) {
		t.Fatalf("re-imported spaces %v, the export holds %v", got.Spaces, perSpace)
	}
	for _, sp := range got.Spaces {
		if n := perSpace[sp.String()]; sp.Segments != n {
			t.Fatalf("space %s: re-imported %d segments, the export holds %d", sp, sp.Segments, n)
		}
	}
	var again bytes.Buffer
	if _, err := dst.Export(ctx, &again, clipvec.ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if again.String() != exported {
		t.Fatal("export → import → export differs")
	}
}
