package clipvec_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clipvec/clipvec/internal/sample"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// weakParams build a deliberately poor graph (few links, a short insert
// list), so that recall at small efs is low and the calibration has to
// climb.
var weakParams = clipvec.IndexParams{M: 8, EfConstruction: 32, TargetRecall: 0.95, Quantize: true}

// calibrationDB imports videos of the sample's kind at 64 dimensions,
// 16 topics, with weakParams, on one thread (so the graph is the same on
// every run), into a database at path.
func calibrationDB(t *testing.T, path string, videos int) (*clipvec.DB, *sample.Generator) {
	t.Helper()
	p := sample.DefaultParams()
	p.Dim, p.Topics, p.Videos = 64, 16, videos
	g, err := sample.NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "export")
	if err := sample.WriteExport(context.Background(), dir, g); err != nil {
		t.Fatal(err)
	}
	db := openAt(t, path)
	if err := db.SetIndexParams(context.Background(), weakParams); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(context.Background(), []string{dir}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return db, g
}

func openAt(t *testing.T, path string) *clipvec.DB {
	t.Helper()
	db, err := clipvec.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Threads = 1
	t.Cleanup(func() { db.Close() })
	return db
}

func status(t *testing.T, db *clipvec.DB) clipvec.IndexStatus {
	t.Helper()
	st, err := db.IndexStatus(context.Background())
	if err != nil || len(st) != 1 {
		t.Fatalf("index status: %v %+v", err, st)
	}
	return st[0]
}

// textRecall is the recall@10 of searches with ef (0: the database's)
// for the generator's text-like queries, against exact searches.
func textRecall(t *testing.T, db *clipvec.DB, g *sample.Generator, ef int) (recall float64, used int, estimated float64) {
	t.Helper()
	ctx := context.Background()
	hit, total := 0, 0
	for _, topic := range g.Topics() {
		for n := range 4 {
			q := g.QueryVariant(topic, n)
			graph, err := db.Search(ctx, clipvec.Query{Vector: q, K: 10, Ef: ef})
			if err != nil {
				t.Fatal(err)
			}
			exact, err := db.Search(ctx, clipvec.Query{Vector: q, K: 10, Exact: true})
			if err != nil {
				t.Fatal(err)
			}
			if graph.Method != clipvec.MethodGraph {
				t.Fatalf("search answered by %s, want the graph", graph.Method)
			}
			used, estimated = graph.Ef, graph.Recall
			want := ids(exact)
			for id := range ids(graph) {
				if want[id] {
					hit++
				}
			}
			total += 10
		}
	}
	return float64(hit) / float64(total), used, estimated
}

func TestTargetRecall(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "clipvec.db")
	db, g := calibrationDB(t, path, 240)

	// The import built the graph and calibrated it.
	st := status(t, db)
	c := st.Calibration
	if c == nil {
		t.Fatalf("no calibration after the import built the graph: %+v", st)
	}
	if c.Target != 0.95 || c.Source != "synthetic queries" || c.Queries != 512 ||
		c.Nodes != st.Nodes || st.Ef != c.Ef || st.Recall != c.Recall {
		t.Fatalf("calibration %+v of status %+v", c, st)
	}
	// The ef found is the smallest tried that reaches the target with
	// confidence: the mean less twice its standard error reaches the
	// target plus a quarter of the misses it allows.
	const aim = 0.95 + 0.05/4
	if c.Recall-2*c.StdErr < aim || c.StdErr <= 0 {
		t.Errorf("calibrated ef %d estimates recall %.3f ± %.3f, short of the target", c.Ef, c.Recall, c.StdErr)
	}
	if !slices.IsSortedFunc(c.Curve, func(a, b clipvec.CalibrationPoint) int { return a.Ef - b.Ef }) {
		t.Errorf("curve not sorted by ef: %+v", c.Curve)
	}
	for _, p := range c.Curve {
		if p.Ef < c.Ef && p.Recall-2*p.StdErr >= aim {
			t.Errorf("ef %d already reached %.3f ± %.3f, but %d was chosen: %+v", p.Ef, p.Recall, p.StdErr, c.Ef, c.Curve)
		}
	}
	if c.Ef <= 10 || c.Curve[0].Recall-2*c.Curve[0].StdErr >= aim {
		t.Fatalf("the weak graph reached the target at the smallest ef: the test needs a harder case: %+v", c)
	}

	// A search without ef uses it, and says what recall to expect; the
	// generator's text-like queries get about that.
	measured, used, est := textRecall(t, db, g, 0)
	if used != c.Ef || est != c.Recall {
		t.Errorf("search without ef used ef %d (estimate %.3f), want the calibrated %d (%.3f)", used, est, c.Ef, c.Recall)
	}
	if measured < 0.93 {
		t.Errorf("text-like queries at the calibrated ef %d: recall %.3f, want about the target 0.95", c.Ef, measured)
	}
	t.Logf("calibrated ef %d, estimated %.3f; text-like queries measured %.3f; curve %+v", c.Ef, c.Recall, measured, c.Curve)

	// A given ef is estimated from the curve.
	if _, used, est := textRecall(t, db, g, c.Curve[0].Ef); used != c.Curve[0].Ef || est != c.Curve[0].Recall {
		t.Errorf("search with ef %d: ef %d, estimate %.3f, want %.3f", c.Curve[0].Ef, used, est, c.Curve[0].Recall)
	}

	// The calibration is kept with the snapshot: reopened, nothing is
	// measured again.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path)
	if _, used, _ := textRecall(t, db, g, 0); used != c.Ef {
		t.Errorf("reopened: ef %d, want %d", used, c.Ef)
	}
	if again := status(t, db).Calibration; again == nil || again.Seconds != c.Seconds || again.Ef != c.Ef {
		t.Errorf("reopened: calibration %+v, want the saved %+v", again, c)
	}

	// A higher target: the next search calibrates again, for a larger ef.
	p := weakParams
	p.TargetRecall = 0.99
	if err := db.SetIndexParams(ctx, p); err != nil {
		t.Fatal(err)
	}
	// Searches that arrive together wait for one calibration, and all
	// use its ef.
	efs := make(chan int, 4)
	for range 4 {
		go func() {
			res, err := db.Search(ctx, clipvec.Query{Vector: g.Query(g.Topics()[0]), K: 10})
			if err != nil {
				t.Error(err)
				efs <- 0
				return
			}
			efs <- res.Ef
		}()
	}
	first := <-efs
	for range 3 {
		if ef := <-efs; ef != first {
			t.Errorf("concurrent searches after a new target used ef %d and %d", first, ef)
		}
	}
	measured99, used99, est99 := textRecall(t, db, g, 0)
	c99 := status(t, db).Calibration
	if c99 == nil || c99.Target != 0.99 || used99 != c99.Ef || c99.Ef <= c.Ef || est99-2*c99.StdErr < 0.99 {
		t.Errorf("target 0.99: calibration %+v, search ef %d estimate %.3f; the 0.95 ef was %d", c99, used99, est99, c.Ef)
	}
	if measured99 < measured {
		t.Errorf("target 0.99 measured %.3f, below target 0.95's %.3f", measured99, measured)
	}

	// A fixed ef calibrates nothing and is used as it is, with an
	// estimate from the calibration the graph has.
	p.TargetRecall, p.EfSearch = 0, 20
	if err := db.SetIndexParams(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, used, _ := textRecall(t, db, g, 0); used != 20 {
		t.Errorf("fixed ef 20: search used %d", used)
	}
	if st := status(t, db); st.Ef != 20 || st.Params.EfSearch != 20 || st.Params.TargetRecall != 0 {
		t.Errorf("fixed ef 20: status %+v", st)
	}
}

func TestCalibrationFollowsGrowth(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "clipvec.db")
	db, _ := calibrationDB(t, path, 40)
	before := status(t, db).Calibration
	if before == nil {
		t.Fatal("no calibration after import")
	}
	// Import three times as many videos (a different seed, so new ids):
	// the graph has more than doubled, and is calibrated again by the
	// import, not by the next search.
	p := sample.DefaultParams()
	p.Dim, p.Topics, p.Videos, p.Seed = 64, 16, 120, 77
	g, err := sample.NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "more")
	if err := sample.WriteExport(ctx, dir, g); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(ctx, []string{dir}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	st := status(t, db)
	after := st.Calibration
	if after == nil || after.Nodes != st.Nodes || after.Nodes < 2*before.Nodes {
		t.Fatalf("after growing from %d to %d nodes: calibration %+v", before.Nodes, st.Nodes, after)
	}
	if st.State != clipvec.IndexCurrent {
		t.Errorf("state %s after the import", st.State)
	}
}

func TestTargetRecallValidated(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	for _, p := range []clipvec.IndexParams{
		{M: 16, EfConstruction: 200, TargetRecall: 1, Quantize: true},
		{M: 16, EfConstruction: 200, TargetRecall: 0.3},
		{M: 16, EfConstruction: 200, TargetRecall: 0.9, EfSearch: 100},
		{M: 16, EfConstruction: 200},
	} {
		if err := db.SetIndexParams(ctx, p); err == nil {
			t.Errorf("SetIndexParams(%+v) succeeded", p)
		}
	}
	got, err := db.IndexParams(ctx)
	if err != nil || got != testParams {
		t.Errorf("params after refused changes: %+v %v, want %+v", got, err, testParams)
	}
	fresh, err := clipvec.Open(ctx, filepath.Join(t.TempDir(), "fresh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if p, err := fresh.IndexParams(ctx); err != nil || p.TargetRecall != clipvec.DefaultTargetRecall || p.EfSearch != 0 {
		t.Errorf("a new database's params: %+v %v, want target %g and no fixed ef", p, err, clipvec.DefaultTargetRecall)
	}
}
