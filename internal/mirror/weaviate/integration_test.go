package weaviate_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/internal/mirror"
	"github.com/clipvec/clipvec/internal/mirror/weaviate"
	"github.com/clipvec/clipvec/internal/mirror/weaviate/weaviatetest"
	"github.com/clipvec/clipvec/internal/sample"
	"github.com/clipvec/clipvec/internal/sqlite"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// The integration tests below run against a real three-node cluster
// (weaviatetest), with collections of 3 shards and 2 replicas.

// syncResult is what clipvec sync weaviate --json prints.
type syncResult struct {
	mirror.Result
	Verify []mirror.SpaceReport `json:"verify"`
}

// runSync runs clipvec sync weaviate --json on db in this process and
// decodes what it printed; it fails t unless clipvec exits 0.
func runSync(t *testing.T, db, url, prefix string, args ...string) *syncResult {
	t.Helper()
	var out, errb bytes.Buffer
	argv := append([]string{"clipvec", "--db", db, "sync", "weaviate", "--url", url, "--collection", prefix,
		"--shards", "3", "--replication", "2", "--json"}, args...)
	if code := command.Run(context.Background(), argv, strings.NewReader(""), &out, &errb); code != command.ExitOK {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(argv[3:], " "), code, errb.String(), out.String())
	}
	var res syncResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("sync --json: %v\n%s", err, out.String())
	}
	return &res
}

// exact fails t unless the verification compared every object of every
// space and found no difference.
func exact(t *testing.T, res *syncResult) {
	t.Helper()
	if len(res.Verify) == 0 {
		t.Fatal("no verification")
	}
	for _, r := range res.Verify {
		if r.MismatchCount != 0 || r.Remote != r.Local || r.Compared != r.Local {
			t.Errorf("%s: %d objects, %d segments, %d compared, %d differences: %+v",
				r.Space, r.Remote, r.Local, r.Compared, r.MismatchCount, r.Mismatches)
		}
	}
}

func openStore(t *testing.T, path string) *clipvec.DB {
	t.Helper()
	db, err := clipvec.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func importPaths(t *testing.T, db *clipvec.DB, paths ...string) {
	t.Helper()
	if _, err := db.Import(context.Background(), paths, clipvec.ImportOptions{NoIndex: true}); err != nil {
		t.Fatal(err)
	}
}

// changedVideo writes video's segments, exported from db, with every
// vector turned (its values shifted), to path: a re-export of the video
// upstream after it was embedded again.
func changedVideo(t *testing.T, db *clipvec.DB, video, path string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := db.Export(context.Background(), &buf, clipvec.ExportOptions{Videos: []string{video}}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if vec, ok := line["embedding"].([]any); ok {
			for i := range vec {
				vec[i] = vec[i].(float64) + 0.01*float64(i%7)
			}
		}
		b, err := json.Marshal(line)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(append(b, '\n'))
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSyncSample syncs the sample into the cluster and checks every
// object against its segment (vectors bit for bit, every property); then
// deletes two videos, re-imports a third with new vectors, syncs again
// and checks the same: the deleted videos' objects gone, the changed
// one's vectors replaced, nothing duplicated.
func TestSyncSample(t *testing.T) {
	url, _ := weaviatetest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "sample.db")
	db := openStore(t, path)
	importPaths(t, db, sampleExports)
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "SyncSample"

	res := runSync(t, path, url, prefix, "--verify", "--verify-sample", "0")
	if len(res.Spaces) != 1 || res.Upserted != st.Segments || res.Deleted != 0 || !res.Spaces[0].Collection.Created {
		t.Fatalf("first sync: %+v, want %d segments upserted into a new collection", res, st.Segments)
	}
	exact(t, res)

	// The collection as the flags asked: 3 shards, 2 replicas, cosine.
	c, err := weaviate.New(url)
	if err != nil {
		t.Fatal(err)
	}
	var def struct {
		Vectorizer        string `json:"vectorizer"`
		VectorIndexConfig struct {
			Distance string `json:"distance"`
		} `json:"vectorIndexConfig"`
		ShardingConfig struct {
			DesiredCount, ActualCount int
		} `json:"shardingConfig"`
		ReplicationConfig struct {
			Factor int `json:"factor"`
		} `json:"replicationConfig"`
	}
	sp := res.Spaces[0].Space
	name := weaviate.CollectionName(prefix, sp.Model, sp.Dim)
	if err := c.Do(ctx, "GET", "/v1/schema/"+name, nil, &def); err != nil {
		t.Fatal(err)
	}
	if def.Vectorizer != "none" || def.VectorIndexConfig.Distance != "cosine" || def.ShardingConfig.ActualCount != 3 || def.ReplicationConfig.Factor != 2 {
		t.Errorf("collection %s: %+v, want no vectorizer, cosine, 3 shards, 2 replicas", name, def)
	}

	// Nothing changed: nothing sent.
	if again := runSync(t, path, url, prefix); again.Upserted != 0 || again.Deleted != 0 {
		t.Errorf("sync with nothing changed: %d upserted, %d deleted", again.Upserted, again.Deleted)
	}

	videos, err := db.Videos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gone := []string{videos[3].ID, videos[17].ID}
	changed := videos[8]
	deleted := videos[3].Segments + videos[17].Segments
	if _, err := db.Delete(ctx, gone...); err != nil {
		t.Fatal(err)
	}
	before, err := db.VideoSegments(ctx, changed.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	changedVideo(t, db, changed.ID, filepath.Join(dir, "changed.jsonl"))
	importPaths(t, db, filepath.Join(dir, "changed.jsonl"))
	after, err := db.VideoSegments(ctx, changed.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) || after[0].ID != before[0].ID || slices.Equal(after[0].Vector, before[0].Vector) {
		t.Fatalf("the re-import did not replace video %s's segments in place", changed.ID)
	}

	res = runSync(t, path, url, prefix, "--verify", "--verify-sample", "0")
	if res.Upserted != changed.Segments || res.Deleted != deleted {
		t.Errorf("second sync: %d upserted, %d deleted; want %d (video %s) and %d (videos %v)",
			res.Upserted, res.Deleted, changed.Segments, changed.ID, deleted, gone)
	}
	exact(t, res)
	if got := res.Verify[0].Local; got != st.Segments-deleted {
		t.Errorf("%d segments after the changes, want %d", got, st.Segments-deleted)
	}

	// The changed video's objects hold the new vectors.
	store, err := db.StoreID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tg := weaviate.NewTarget(c, store, prefix)
	ids := make([]int64, len(after))
	for i := range after {
		ids[i] = after[i].ID
	}
	got, err := tg.Get(ctx, sp, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(after) {
		t.Fatalf("read back %d objects of video %s, want %d", len(got), changed.ID, len(after))
	}
	for i := range got {
		if p := mirror.Diff(&got[i], &after[i]); p != "" {
			t.Errorf("segment %d: %s", after[i].ID, p)
		}
	}
}

// killedDataset makes a database of a synthetic export of about 3,000
// segments: 60 videos imported as one file (one generation, which a
// sync sends in id order), then 20 imported one file each.
func killedDataset(t *testing.T, dir string) string {
	t.Helper()
	p := sample.DefaultParams()
	p.Seed, p.Videos = 77, 80
	g, err := sample.NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	exports := filepath.Join(dir, "exports")
	if err := sample.WriteExport(context.Background(), exports, g); err != nil {
		t.Fatal(err)
	}
	staging := openStore(t, filepath.Join(dir, "staging.db"))
	importPaths(t, staging, exports)
	var ids []string
	for _, v := range g.Videos()[:60] {
		ids = append(ids, v.ID)
	}
	big := filepath.Join(dir, "big.jsonl")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staging.Export(context.Background(), f, clipvec.ExportOptions{Videos: ids}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "killed.db")
	db := openStore(t, path)
	importPaths(t, db, big)
	for _, v := range g.Videos()[60:] {
		importPaths(t, db, filepath.Join(exports, sample.ExportName(v)))
	}
	return path
}

// TestSyncKilled kills (SIGKILL) a clipvec sync midway, inside its first
// generation, once some batches are recorded, and runs it again: the
// rerun sends exactly what was not recorded, and the cluster then holds
// exactly the database.
func TestSyncKilled(t *testing.T) {
	url, _ := weaviatetest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	path := killedDataset(t, dir)
	const prefix = "SyncKilled"

	store, err := sqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	spaces, err := store.Spaces(ctx)
	if err != nil || len(spaces) != 1 {
		t.Fatalf("spaces %+v, %v", spaces, err)
	}
	sp, total := spaces[0], spaces[0].Segments

	// The real binary, killed as a user's would be.
	bin := filepath.Join(dir, "clipvec")
	build := []string{"build", "-o", bin}
	if raceBuild {
		build = append(build, "-race")
	}
	if out, err := exec.Command("go", append(build, "github.com/clipvec/clipvec/cmd/clipvec")...).CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/clipvec: %v\n%s", err, out)
	}
	var childOut bytes.Buffer
	child := exec.Command(bin, "--db", path, "sync", "weaviate", "--url", url, "--collection", prefix,
		"--shards", "3", "--replication", "2", "--batch", "40", "--quiet")
	child.Stdout, child.Stderr = &childOut, &childOut
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()

	// Kill it once it has recorded segment 800 or later of the first
	// generation as sent (twenty batches in).
	target := "weaviate " + url + " " + prefix
	var at sqlite.Mirror
	deadline := time.After(2 * time.Minute)
wait:
	for {
		select {
		case err := <-exited:
			t.Fatalf("the sync ended (%v) before it could be killed:\n%s", err, childOut.String())
		case <-deadline:
			child.Process.Kill()
			t.Fatalf("the sync recorded no progress in 2 minutes:\n%s", childOut.String())
		case <-time.After(10 * time.Millisecond):
		}
		m, ok, err := store.MirrorGeneration(ctx, target, sp.Model, sp.Dim)
		if err != nil {
			t.Fatal(err)
		}
		if ok && (m.AfterID >= 800 || m.Generation > 0) {
			if err := child.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-exited
			break wait
		}
	}
	at, _, err = store.MirrorGeneration(ctx, target, sp.Model, sp.Dim)
	if err != nil {
		t.Fatal(err)
	}
	if at.Generation != 0 || at.AfterID == 0 {
		t.Fatalf("killed at position %+v: want one inside the first generation", at)
	}
	// What the rerun must send: every segment after the position.
	db := openStore(t, path)
	var left int
	err = db.ReadChanges(ctx, clipvec.Space{Model: sp.Model, Dim: sp.Dim}, clipvec.MirrorPosition{Generation: at.Generation, AfterID: at.AfterID},
		func(c *clipvec.Changes) error { left = c.Written; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if left <= 0 || left >= total {
		t.Fatalf("%d of %d segments left after the kill, want some", left, total)
	}
	t.Logf("killed after segment %d: %d of %d segments left to send", at.AfterID, left, total)

	res := runSync(t, path, url, prefix, "--batch", "40", "--verify", "--verify-sample", "0")
	if res.Upserted != left {
		t.Errorf("the rerun upserted %d segments, want the %d after the recorded position", res.Upserted, left)
	}
	exact(t, res)
}

// TestSyncRefusedWithNodeDown: with a node stopped, Weaviate would
// acknowledge writes without its replicas (and /v1/nodes no longer lists
// it), so a sync refuses to start, naming the node, and sends and
// records nothing.
func TestSyncRefusedWithNodeDown(t *testing.T) {
	url, stopNode := weaviatetest.Start(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "down.db")
	db := openStore(t, path)
	importPaths(t, db, sampleExports)
	const prefix = "SyncDown"
	stopNode(2)

	var out, errb bytes.Buffer
	argv := []string{"clipvec", "--db", path, "sync", "weaviate", "--url", url, "--collection", prefix, "--shards", "3", "--replication", "2"}
	code := command.Run(ctx, argv, strings.NewReader(""), &out, &errb)
	if code != command.ExitFailure || !strings.Contains(errb.String(), "weaviate-2") || !strings.Contains(errb.String(), "once every node is back") {
		t.Errorf("sync with node 2 down: exit %d, %q; want %d, naming weaviate-2", code, errb.String(), command.ExitFailure)
	}
	ms, err := db.Mirrors(ctx, "")
	if err != nil || len(ms) != 0 {
		t.Errorf("recorded %+v (%v), want nothing", ms, err)
	}
	c, err := weaviate.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "GET", "/v1/schema/"+weaviate.CollectionName(prefix, "marengo3.0", 512), nil, nil); !weaviate.IsNotFound(err) {
		t.Errorf("collection read back: %v, want none created", err)
	}
}
