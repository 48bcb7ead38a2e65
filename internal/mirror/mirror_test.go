package mirror_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/mirror"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// memTarget is a Target in memory. It fails (errInjected) the call after
// failAfter successful ones (never when failAfter < 0), having applied
// the first half of that call's writes, as a cluster that died midway
// through a batch may have.
type memTarget struct {
	// mu guards everything: Sync upserts from several goroutines.
	mu        sync.Mutex
	objects   map[clipvec.Space]map[int64]clipvec.Segment
	calls     int
	failAfter int
	upserts   int // segments upserted, all runs
}

var errInjected = errors.New("injected failure")

func newMemTarget() *memTarget {
	return &memTarget{objects: map[clipvec.Space]map[int64]clipvec.Segment{}, failAfter: -1}
}

func (m *memTarget) Name() string { return "mem" }

func (m *memTarget) EnsureSpace(_ context.Context, sp clipvec.Space) (mirror.Collection, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	col := mirror.Collection{Name: sp.String()}
	if m.objects[sp] == nil {
		m.objects[sp] = map[int64]clipvec.Segment{}
		col.Created = true
	}
	return col, nil
}

// fail says whether this call fails, and how many of n writes it
// applies first.
func (m *memTarget) fail(n int) (bool, int) {
	m.calls++
	if m.failAfter >= 0 && m.calls > m.failAfter {
		return true, n / 2
	}
	return false, n
}

func (m *memTarget) Upsert(_ context.Context, sp clipvec.Space, segs []clipvec.Segment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	failed, n := m.fail(len(segs))
	for _, s := range segs[:n] {
		s.Vector = slices.Clone(s.Vector)
		m.objects[sp][s.ID] = s
		m.upserts++
	}
	if failed {
		return errInjected
	}
	return nil
}

func (m *memTarget) Delete(_ context.Context, sp clipvec.Space, ids []int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	failed, n := m.fail(len(ids))
	for _, id := range ids[:n] {
		delete(m.objects[sp], id)
	}
	if failed {
		return errInjected
	}
	return nil
}

func (m *memTarget) Count(_ context.Context, sp clipvec.Space) (int, error) {
	return len(m.objects[sp]), nil
}

func (m *memTarget) Collection(sp clipvec.Space) string { return sp.String() }

func (m *memTarget) Get(_ context.Context, sp clipvec.Space, ids []int64) ([]clipvec.Segment, error) {
	var out []clipvec.Segment
	for _, id := range ids {
		if s, ok := m.objects[sp][id]; ok {
			out = append(out, s)
		}
	}
	return out, nil
}

func (m *memTarget) Scan(_ context.Context, sp clipvec.Space, fn func(*clipvec.Segment) error) error {
	for _, id := range slices.Sorted(maps.Keys(m.objects[sp])) {
		s := m.objects[sp][id]
		if err := fn(&s); err != nil {
			return err
		}
	}
	return nil
}

// writeVideos writes a clipvec JSONL file of videos (ids prefix-000,
// ...), each with clips of two modalities, vectors from seed.
func writeVideos(t testing.TB, path, prefix string, videos, clips, dim int, seed uint64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := ingest.NewWriter(f)
	r := rand.New(rand.NewPCG(seed, 7))
	vec := make([]float32, dim)
	for v := range videos {
		id := fmt.Sprintf("%s-%03d", prefix, v)
		if err := w.WriteVideo(&ingest.Video{ID: id}); err != nil {
			t.Fatal(err)
		}
		for c := range clips {
			for _, opt := range []string{"visual", "audio"} {
				for i := range vec {
					vec[i] = float32(r.NormFloat64())
				}
				s := ingest.Segment{VideoID: id, Model: "marengo3.0", Option: opt, Scope: "clip", Start: float64(6 * c),
					End: float64(6*c + 6), SourceKind: "file", SourceID: prefix, Vector: vec}
				if err := w.WriteSegment(&s); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

func importFile(t testing.TB, db *clipvec.DB, path string) {
	t.Helper()
	if _, err := db.Import(context.Background(), []string{path}, clipvec.ImportOptions{NoIndex: true}); err != nil {
		t.Fatal(err)
	}
}

// same fails t unless target holds exactly db's segments, in every space.
func same(t testing.TB, db *clipvec.DB, m *memTarget) {
	t.Helper()
	reports, err := mirror.Verify(context.Background(), db, m, mirror.VerifyOptions{})
	if err != nil {
		for _, r := range reports {
			t.Errorf("%s: %d differences: %+v", r.Space, r.MismatchCount, r.Mismatches)
		}
		t.Fatal(err)
	}
	for _, r := range reports {
		if r.Compared != r.Local {
			t.Fatalf("%s: compared %d objects of %d", r.Space, r.Compared, r.Local)
		}
	}
}

// history makes db's history: one big generation (a file of 8 videos),
// several small ones (a file per video), deletions, a video re-imported
// with new vectors, and a second space. Each step runs after sync(step).
func history(t *testing.T, db *clipvec.DB, dir string, sync func(step string)) {
	t.Helper()
	ctx := context.Background()
	writeVideos(t, filepath.Join(dir, "big.jsonl"), "big", 8, 5, 4, 1) // 80 segments, one generation
	importFile(t, db, filepath.Join(dir, "big.jsonl"))
	for i := range 4 {
		p := filepath.Join(dir, fmt.Sprintf("small%d.jsonl", i))
		writeVideos(t, p, fmt.Sprintf("small%d", i), 1, 3, 4, uint64(10+i))
		importFile(t, db, p)
	}
	sync("first")
	if _, err := db.Delete(ctx, "big-002", "small1-000"); err != nil {
		t.Fatal(err)
	}
	writeVideos(t, filepath.Join(dir, "changed.jsonl"), "big", 2, 5, 4, 99) // big-000 and big-001, new vectors
	importFile(t, db, filepath.Join(dir, "changed.jsonl"))
	writeVideos(t, filepath.Join(dir, "wide.jsonl"), "wide", 2, 4, 6, 5) // another space
	importFile(t, db, filepath.Join(dir, "wide.jsonl"))
	sync("second")
	// A space emptied after it was mirrored: its deletions still go.
	if _, err := db.Delete(ctx, "wide-000", "wide-001"); err != nil {
		t.Fatal(err)
	}
	sync("third")
}

// TestSyncExact mirrors a database's history into a target that fails
// at every possible call in turn (having applied part of that call), and
// checks that a rerun then leaves the target holding exactly the
// database, sending again exactly what was not recorded as sent; with
// one batch in flight at a time, and with three.
func TestSyncExact(t *testing.T) {
	for _, parallel := range []int{1, 3} {
		t.Run(fmt.Sprintf("Parallel%d", parallel), func(t *testing.T) { testSyncExact(t, parallel) })
	}
}

func testSyncExact(t *testing.T, parallel int) {
	ctx := context.Background()
	const batch = 7
	opts := mirror.Options{Batch: batch, Parallel: parallel}
	for failAt := 0; ; failAt++ {
		db, err := clipvec.Open(ctx, filepath.Join(t.TempDir(), "clipvec.db"))
		if err != nil {
			t.Fatal(err)
		}
		m := newMemTarget()
		injected := false
		history(t, db, t.TempDir(), func(step string) {
			needed := toUpsert(t, db, m.Name())
			m.calls, m.failAfter = 0, failAt
			res, err := mirror.Sync(ctx, db, m, opts)
			if err != nil {
				if !errors.Is(err, errInjected) {
					t.Fatalf("fail at %d, %s sync: %v", failAt, step, err)
				}
				injected = true
				m.failAfter = -1
				again, err := mirror.Sync(ctx, db, m, opts)
				if err != nil {
					t.Fatalf("fail at %d, %s sync, rerun: %v", failAt, step, err)
				}
				// The rerun sends exactly what the failed run had not
				// recorded as sent: the failed batch and what followed.
				if got, want := again.Upserted, needed-res.Upserted; got != want {
					t.Errorf("fail at %d, %s sync: the rerun upserted %d segments, want %d (%d to send, %d recorded as sent)",
						failAt, step, got, want, needed, res.Upserted)
				}
			} else if res.Upserted != needed {
				t.Errorf("%s sync: upserted %d segments, want %d", step, res.Upserted, needed)
			}
			same(t, db, m)
		})
		db.Close()
		if !injected {
			if failAt < 10 {
				t.Fatalf("no failure injected at call %d: the history is too short to test anything", failAt)
			}
			t.Logf("a sync failed, and was run again, at each of its first %d calls", failAt)
			break // every call of every sync has failed once
		}
	}
}

// toUpsert counts the segments a sync to target has to upsert: those
// written after each space's recorded position.
func toUpsert(t testing.TB, db *clipvec.DB, target string) int {
	t.Helper()
	ctx := context.Background()
	spaces, err := mirror.SpacesToSync(ctx, db, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sp := range spaces {
		pos, _, err := db.MirrorPosition(ctx, target, sp)
		if err != nil {
			t.Fatal(err)
		}
		err = db.ReadChanges(ctx, sp, pos, func(c *clipvec.Changes) error { n += c.Written; return nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// TestSyncRecordsProgress: a sync records, per space, the snapshot's
// generation, and a second sync with nothing changed sends nothing; a
// collection found missing is filled again from the start.
func TestSyncRecordsProgress(t *testing.T) {
	ctx := context.Background()
	db, err := clipvec.Open(ctx, filepath.Join(t.TempDir(), "clipvec.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	writeVideos(t, filepath.Join(dir, "a.jsonl"), "a", 3, 4, 4, 1)
	importFile(t, db, filepath.Join(dir, "a.jsonl"))
	m := newMemTarget()
	res, err := mirror.Sync(ctx, db, m, mirror.Options{Batch: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Upserted != 24 || len(res.Spaces) != 1 || !res.Spaces[0].Done || !res.Spaces[0].Collection.Created {
		t.Fatalf("first sync: %+v", res)
	}
	sp := res.Spaces[0].Space
	pos, ok, err := db.MirrorPosition(ctx, "mem", sp)
	if err != nil || !ok || pos != (clipvec.MirrorPosition{Generation: res.Spaces[0].Generation}) {
		t.Fatalf("recorded %+v (%v, %v), want generation %d", pos, ok, err, res.Spaces[0].Generation)
	}
	res, err = mirror.Sync(ctx, db, m, mirror.Options{})
	if err != nil || res.Upserted != 0 || res.Deleted != 0 {
		t.Fatalf("second sync: %+v, %v; want nothing sent", res, err)
	}
	delete(m.objects, clipvec.Space{Model: sp.Model, Dim: sp.Dim})
	res, err = mirror.Sync(ctx, db, m, mirror.Options{})
	if err != nil || res.Upserted != 24 || len(res.Spaces[0].Collection.Notes) != 1 ||
		!strings.Contains(res.Spaces[0].Collection.Notes[0], "missing") {
		t.Fatalf("sync to a dropped collection: %+v, %v; want everything sent again, with a note", res, err)
	}
	same(t, db, m)
}

// TestVerifyFindsDifferences: Verify reports every kind of difference,
// in full and sampled comparisons.
func TestVerifyFindsDifferences(t *testing.T) {
	ctx := context.Background()
	db, err := clipvec.Open(ctx, filepath.Join(t.TempDir(), "clipvec.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	writeVideos(t, filepath.Join(dir, "a.jsonl"), "a", 2, 3, 4, 1)
	importFile(t, db, filepath.Join(dir, "a.jsonl"))
	m := newMemTarget()
	if _, err := mirror.Sync(ctx, db, m, mirror.Options{}); err != nil {
		t.Fatal(err)
	}
	var sp clipvec.Space
	for k := range m.objects {
		sp = k
	}
	objs := m.objects[sp]
	ids := slices.Sorted(maps.Keys(objs))
	s := objs[ids[0]]
	s.Vector = slices.Clone(s.Vector)
	s.Vector[2] = s.Vector[2] + 1e-7 // one ulp or so
	objs[ids[0]] = s
	s = objs[ids[1]]
	s.VideoID = "other"
	objs[ids[1]] = s
	delete(objs, ids[2])
	objs[9999] = clipvec.Segment{ID: 9999}

	for _, sample := range []int{0, 100} {
		reports, err := mirror.Verify(ctx, db, m, mirror.VerifyOptions{Sample: sample})
		if !errors.Is(err, mirror.ErrMismatch) || len(reports) != 1 {
			t.Fatalf("sample %d: %v, %d reports; want ErrMismatch", sample, err, len(reports))
		}
		var got []string
		for _, mm := range reports[0].Mismatches {
			got = append(got, fmt.Sprintf("%d %s", mm.SegmentID, mm.Problem))
		}
		text := strings.Join(got, "\n")
		for _, want := range []string{
			fmt.Sprintf("%d vector[2] is", ids[0]),
			fmt.Sprintf(`%d video_id is "other", want "a-000"`, ids[1]),
			fmt.Sprintf("%d missing from the target", ids[2]),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("sample %d: no %q in\n%s", sample, want, text)
			}
		}
		if sample == 0 && !strings.Contains(text, "9999 not in the database") {
			t.Errorf("full comparison: the extra object is not reported:\n%s", text)
		}
	}
}
