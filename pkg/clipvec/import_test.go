package clipvec_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func TestImportFixtures(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	sum, err := db.Import(ctx, []string{fixtures}, clipvec.ImportOptions{})
	if !errors.Is(err, clipvec.ErrInvalidInput) {
		t.Fatalf("err = %v, want the rejected fixtures reported as ErrInvalidInput", err)
	}
	byName := map[string]clipvec.FileResult{}
	for _, f := range sum.Files {
		byName[strings.TrimPrefix(f.Name, fixtures+"/")] = f
	}
	for name, want := range map[string]int{
		"embed_task_retrieve.json": 7, "indexed_asset_retrieve.json": 1, "embed_v2_task.json": 2,
		"embed_v2_sync_video_clip.json": 3, "embed_v2_sync_audio_asset.json": 2, "text_embed_response.json": 2,
		"legacy/v1.2_embed_task_retrieve.json": 4, "legacy/v1.2_mid2024_embed_task.json": 3,
		"legacy/v1.3_2.7_video_retrieve.json": 3, "legacy/v1.3_2.7_embed_task_retrieve.json": 4,
		"legacy/v3.5_embed_v2_task.json": 3,
	} {
		f, ok := byName[name]
		if !ok || f.Err != nil || f.Imported != want {
			t.Errorf("%s: %+v, want %d imported", name, f, want)
		}
	}
	// video_retrieve.json is the same segment as indexed_asset_retrieve.json
	// (the spec reuses the example id): it replaces it.
	if f := byName["video_retrieve.json"]; f.Err != nil || f.Imported != 0 || f.Replaced != 1 {
		t.Errorf("video_retrieve.json: %+v, want 1 replaced", f)
	}
	if sum.Rejected != 21 || sum.Imported != 34 || sum.Replaced != 1 {
		t.Errorf("summary: %d imported, %d replaced, %d rejected; want 34, 1, 21", sum.Imported, sum.Replaced, sum.Rejected)
	}
	spaces, err := db.Spaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range spaces {
		names = append(names, fmt.Sprintf("%s:%d", s, s.Segments))
	}
	// marengo2.7 from "Marengo-retrieval-2.7" and "marengo2.7" share a space.
	if got, want := strings.Join(names, " "), "marengo2.6/4:7 marengo2.7/4:7 marengo3.0/2:7 marengo3.0/3:3 marengo3.0/4:7 marengo3.5/4:3"; got != want {
		t.Errorf("spaces = %s, want %s", got, want)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestReimportIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	path := filepath.Join(t.TempDir(), "s.jsonl")
	synth{seed: 1, model: "m", dim: 8, videos: 3, clips: 4, options: []string{"visual", "audio"}}.write(t, path)
	first, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{})
	if err != nil || first.Imported != 24 {
		t.Fatalf("first import: %+v, %v", first, err)
	}
	before := export(t, db)
	gen := generationOf(t, db)
	again, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{})
	if err != nil || again.Imported != 0 || again.Replaced != 0 || again.Unchanged != 24 || again.Files[0].Unchanged != 24 {
		t.Fatalf("second import: %+v, %v; want 24 unchanged", again, err)
	}
	if got := generationOf(t, db); got != gen {
		t.Errorf("generation %d after re-importing an unchanged file, want %d", got, gen)
	}
	if after := export(t, db); after != before {
		t.Error("re-importing the same file changed the database")
	}
	st, _ := db.Stats(ctx)
	if st.Segments != 24 || st.Videos != 3 {
		t.Errorf("stats %+v, want 24 segments of 3 videos", st)
	}
}

func generationOf(t testing.TB, db *clipvec.DB) int64 {
	t.Helper()
	st, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Generation
}

func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := openDB(t)
	dir := t.TempDir()
	synth{seed: 2, model: "marengo3.0", dim: 512, videos: 4, clips: 5, options: []string{"visual", "audio", "transcription"}}.write(t, filepath.Join(dir, "a.jsonl"))
	if _, err := src.Import(ctx, []string{filepath.Join(dir, "a.jsonl"), filepath.Join(fixtures, "indexed_asset_retrieve.json"),
		filepath.Join(fixtures, "embed_task_retrieve.json"), filepath.Join(fixtures, "legacy")}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	exported := export(t, src)
	path := filepath.Join(dir, "export.jsonl")
	if err := os.WriteFile(path, []byte(exported), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := openDB(t)
	sum, err := dst.Import(ctx, []string{path}, clipvec.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := src.Stats(ctx); sum.Imported != st.Segments {
		t.Fatalf("re-imported %d segments, exported %d", sum.Imported, st.Segments)
	}
	if again := export(t, dst); again != exported {
		t.Fatal("export → import → export differs")
	}
	// Bit for bit, vector by vector, through the library's own types.
	a, b := segments(t, src), segments(t, dst)
	for key, va := range a {
		vb, ok := b[key]
		if !ok {
			t.Fatalf("segment %s missing after round trip", key)
		}
		if len(va.Vector) != len(vb.Vector) || va.Norm != vb.Norm || va.SourceKind != vb.SourceKind || va.SourceID != vb.SourceID {
			t.Fatalf("segment %s: %+v vs %+v", key, va, vb)
		}
		for i := range va.Vector {
			if va.Vector[i] != vb.Vector[i] {
				t.Fatalf("segment %s value %d: %x vs %x", key, i, va.Vector[i], vb.Vector[i])
			}
		}
	}
	v1, _ := src.Video(ctx, "61e17be5777e6caec646fa07")
	v2, _ := dst.Video(ctx, "61e17be5777e6caec646fa07")
	if fmt.Sprint(v1) != fmt.Sprint(v2) || string(v2.UserMetadata) != `{"category":"recentlyAdded","batchNumber":5,"rating":9.3,"needsReview":true}` {
		t.Errorf("video metadata: %+v vs %+v", v1, v2)
	}
	if v2.ThumbnailURL == "" || v2.ThumbnailURL != v1.ThumbnailURL {
		t.Errorf("thumbnail %q after the round trip, want %q", v2.ThumbnailURL, v1.ThumbnailURL)
	}
}

// segments reads every segment through the JSONL export's decoder, keyed
// by identity.
func segments(t testing.TB, db *clipvec.DB) map[string]ingest.Segment {
	t.Helper()
	out := map[string]ingest.Segment{}
	h := &collectHandler{fn: func(s *ingest.Segment) {
		c := *s
		c.Vector = append([]float32(nil), s.Vector...)
		out[fmt.Sprintf("%s/%s/%s/%s/%g/%g/%d", s.VideoID, s.Model, s.Option, s.Scope, s.Start, s.End, len(s.Vector))] = c
	}}
	if _, err := ingest.Decode(context.Background(), strings.NewReader(export(t, db)), ingest.Options{Name: "export"}, h); err != nil {
		t.Fatal(err)
	}
	return out
}

type collectHandler struct{ fn func(*ingest.Segment) }

func (h *collectHandler) Segment(s *ingest.Segment) error { h.fn(s); return nil }
func (h *collectHandler) Video(*ingest.Video) error       { return nil }

// A file with a bad record at its very end is rejected whole: the
// database, its generation included, is exactly as before.
func TestRejectedFileChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	synth{seed: 3, model: "m", dim: 16, videos: 2, clips: 3, options: []string{"visual"}}.write(t, good)
	if _, err := db.Import(ctx, []string{good}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	before := export(t, db)
	st0, _ := db.Stats(ctx)

	bad := filepath.Join(dir, "bad.jsonl")
	synth{seed: 4, model: "m", dim: 16, videos: 50, clips: 10, options: []string{"visual"}}.write(t, bad)
	f, _ := os.OpenFile(bad, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintln(f, `{"video_id":"video-999","model_name":"m","start_sec":0,"end_sec":6,"embedding":[1,2,3]}`)
	f.Close()
	for _, tc := range []struct {
		name string
		path string
		want error
		msg  string
	}{
		{"ErrDimensionMismatch", bad, clipvec.ErrDimensionMismatch, "bad.jsonl: line 551: vector has 3 values, want 16"},
		{"ErrSyntaxTruncated", truncated(t, good, dir), ingest.ErrSyntax, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := db.Import(ctx, []string{tc.path}, clipvec.ImportOptions{})
			if !errors.Is(err, tc.want) || !errors.Is(err, clipvec.ErrInvalidInput) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.want, tc.msg)
			}
			if sum.Rejected != 1 || sum.Imported != 0 {
				t.Errorf("summary %+v, want 1 rejected file, 0 imported", sum)
			}
			if after := export(t, db); after != before {
				t.Error("a rejected file changed the database")
			}
			if st, _ := db.Stats(ctx); st.Generation != st0.Generation {
				t.Errorf("generation %d, want %d", st.Generation, st0.Generation)
			}
		})
	}
	t.Run("SkipInvalid", func(t *testing.T) {
		sum, err := db.Import(ctx, []string{bad}, clipvec.ImportOptions{SkipInvalid: true})
		// 6 of the 500 good segments are video-000's and video-001's first
		// clips, which good.jsonl imported already.
		if err != nil || sum.Imported != 494 || sum.Replaced != 6 || sum.Skipped != 1 || len(sum.Files[0].Invalid) != 1 {
			t.Fatalf("summary %+v, %v; want 500 imported and the bad line skipped", sum, err)
		}
	})
}

func truncated(t testing.TB, src, dir string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "truncated.jsonl")
	if err := os.WriteFile(path, b[:len(b)-40], 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportMissingPath(t *testing.T) {
	db := openDB(t)
	_, err := db.Import(context.Background(), []string{filepath.Join(t.TempDir(), "nope.json")}, clipvec.ImportOptions{})
	if !errors.Is(err, clipvec.ErrNotFound) || !strings.Contains(err.Error(), "nope.json") {
		t.Fatalf("err = %v, want ErrNotFound naming the path", err)
	}
}

// Cancelling mid-file (here from the progress callback, after 1,024
// segments) rolls the file back.
func TestCancelledImportChangesNothing(t *testing.T) {
	db := openDB(t)
	path := filepath.Join(t.TempDir(), "big.jsonl")
	synth{seed: 5, model: "m", dim: 64, videos: 20, clips: 100, options: []string{"visual"}}.write(t, path)
	st0, _ := db.Stats(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := 0
	_, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{Progress: func(p clipvec.ImportProgress) {
		seen = p.Segments
		if p.Segments >= 1024 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || seen < 1024 {
		t.Fatalf("err = %v after %d segments, want context.Canceled after 1024", err, seen)
	}
	st, err := db.Stats(context.Background())
	if err != nil || st.Segments != 0 || st.Generation != st0.Generation {
		t.Fatalf("after a cancelled import: %+v, %v; want an empty database", st, err)
	}
}

// TestKilledImport kills a real import process with SIGKILL in the middle
// of a file (after 5,000 segments of 512-d: enough that SQLite has spilled
// pages of the open transaction to the WAL) and checks the database is
// exactly as the last committed transaction left it, and valid.
func TestKilledImport(t *testing.T) {
	if os.Getenv("CLIPVEC_KILL_CHILD") != "" {
		killedImportChild()
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "clipvec.db")
	first := filepath.Join(dir, "first.jsonl")
	second := filepath.Join(dir, "second.jsonl")
	synth{seed: 6, model: "marengo3.0", dim: 512, videos: 3, clips: 10, options: []string{"visual"}}.write(t, first)
	synth{seed: 7, model: "marengo3.0", dim: 512, videos: 40, clips: 250, options: []string{"visual"}}.write(t, second)

	db, err := clipvec.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(ctx, []string{first}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	before := export(t, db)
	db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledImport$")
	cmd.Env = append(os.Environ(), "CLIPVEC_KILL_CHILD=1", "CLIPVEC_KILL_DB="+dbPath, "CLIPVEC_KILL_FILE="+second)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL; output:\n%s", err, out)
	}
	if !strings.Contains(string(out), "killing at") {
		t.Fatalf("child died before reaching the kill point:\n%s", out)
	}

	db, err = clipvec.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if after := export(t, db); after != before {
		t.Fatal("the killed import left changes behind")
	}
	// And the database still takes writes.
	// (second.jsonl's first 30 segments are first.jsonl's again.)
	if sum, err := db.Import(ctx, []string{second}, clipvec.ImportOptions{}); err != nil || sum.Imported+sum.Replaced != 10000 || sum.Replaced != 30 {
		t.Fatalf("import after the kill: %+v, %v", sum, err)
	}
}

func killedImportChild() {
	ctx := context.Background()
	db, err := clipvec.Open(ctx, os.Getenv("CLIPVEC_KILL_DB"))
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	db.Import(ctx, []string{os.Getenv("CLIPVEC_KILL_FILE")}, clipvec.ImportOptions{Progress: func(p clipvec.ImportProgress) {
		if p.Segments >= 5000 {
			fmt.Printf("killing at %d segments\n", p.Segments)
			os.Stdout.Sync()
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}})
	fmt.Println("import finished without being killed")
	os.Exit(3)
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	path := filepath.Join(t.TempDir(), "s.jsonl")
	synth{seed: 8, model: "m", dim: 8, videos: 3, clips: 2, options: []string{"visual"}}.write(t, path)
	if _, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(ctx, "video-001", "nope"); !errors.Is(err, clipvec.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	n, err := db.Delete(ctx, "video-001")
	if err != nil || n != 2 {
		t.Fatalf("Delete = %d, %v", n, err)
	}
	videos, _ := db.Videos(ctx)
	if len(videos) != 2 || videos[0].ID != "video-000" || videos[1].ID != "video-002" || videos[0].Segments != 2 {
		t.Errorf("videos after delete: %+v", videos)
	}
	// A search never returns the deleted video.
	res, err := db.Search(ctx, clipvec.Query{LikeVideo: "video-000", IncludeSelf: true, K: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.VideoID == "video-001" {
			t.Errorf("deleted video in results: %+v", h)
		}
	}
}

func TestImportReportsSplitSpaces(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	dir := t.TempDir()
	synth{seed: 30, model: "marengo3.0", dim: 16, videos: 1, clips: 2, options: []string{"visual"}}.write(t, filepath.Join(dir, "a.jsonl"))
	synth{seed: 31, model: "marengo3.0", dim: 15, videos: 1, clips: 2, options: []string{"visual"}}.write(t, filepath.Join(dir, "b.jsonl"))
	if sum, err := db.Import(ctx, []string{filepath.Join(dir, "a.jsonl")}, clipvec.ImportOptions{}); err != nil || len(sum.NewSpaces) != 0 {
		t.Fatalf("%+v %v", sum, err)
	}
	sum, err := db.Import(ctx, []string{filepath.Join(dir, "b.jsonl")}, clipvec.ImportOptions{})
	if err != nil || len(sum.NewSpaces) != 1 || sum.NewSpaces[0].String() != "marengo3.0/15" {
		t.Fatalf("NewSpaces = %+v (%v), want marengo3.0/15", sum.NewSpaces, err)
	}
	t.Run("ErrNotFoundEmptyDir", func(t *testing.T) {
		_, err := db.Import(ctx, []string{t.TempDir()}, clipvec.ImportOptions{})
		if !errors.Is(err, clipvec.ErrNotFound) || !strings.Contains(err.Error(), "no .json") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("HugeK", func(t *testing.T) {
		res, err := db.Search(ctx, clipvec.Query{Vector: randQuery(1, 16), K: 1 << 40})
		if err != nil || len(res.Hits) != 2 {
			t.Fatalf("%v %v", res, err)
		}
	})
}

// A slow stream (curl … | clipvec import -) is read to its end before
// its transaction begins: while it stalls, another import into the same
// database goes through instead of failing with "database is locked"
// once the busy timeout runs out.
func TestSlowStdinDoesNotHoldTheWriteLock(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "clipvec.db")
	open := func() *clipvec.DB {
		db, err := clipvec.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	slowDB, otherDB := open(), open() // two handles, as two processes would have
	slow, other := filepath.Join(dir, "slow.jsonl"), filepath.Join(dir, "other.jsonl")
	synth{seed: 40, model: "m", dim: 4, videos: 3, clips: 1000, options: []string{"visual"}}.write(t, slow)
	synth{seed: 41, model: "n", dim: 4, videos: 1, clips: 5, options: []string{"visual"}}.write(t, other)
	body, err := os.ReadFile(slow)
	if err != nil {
		t.Fatal(err)
	}

	pr, pw := io.Pipe()
	defer pw.CloseWithError(errors.New("test ended"))
	decoded := make(chan struct{})
	var once sync.Once
	type result struct {
		sum *clipvec.ImportSummary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := slowDB.Import(ctx, []string{"-"}, clipvec.ImportOptions{Stdin: pr, NoIndex: true,
			Progress: func(p clipvec.ImportProgress) {
				if p.Segments >= 2048 {
					once.Do(func() { close(decoded) })
				}
			}})
		done <- result{sum, err}
	}()
	// All but the last line, then the stream stalls.
	stall := bytes.LastIndexByte(body[:len(body)-1], '\n') + 1
	go pw.Write(body[:stall])
	// 2,048 segments decoded is eight batches, more than the pipeline
	// holds: an import that wrote as it read has begun its transaction.
	<-decoded

	sum, err := otherDB.Import(ctx, []string{other}, clipvec.ImportOptions{NoIndex: true})
	if err != nil || sum.Imported != 5 {
		t.Fatalf("import while a stream stalls: %+v, %v; want 5 imported", sum, err)
	}
	if _, err := pw.Write(body[stall:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	r := <-done
	if r.err != nil || r.sum.Imported != 3000 {
		t.Fatalf("the stream's import: %+v, %v; want 3000 imported", r.sum, r.err)
	}
	if st, err := otherDB.Stats(ctx); err != nil || st.Segments != 3005 {
		t.Fatalf("stats %+v, %v; want both imports' 3005 segments", st, err)
	}
}
