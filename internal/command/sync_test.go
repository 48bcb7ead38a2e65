package command_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/internal/mirror"
)

// Mistakes in how sync is called are usage errors, said before anything
// is opened or sent.
func TestSyncWeaviateUsage(t *testing.T) {
	db := tempDB(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--url is required"},
		{[]string{"--url", "ftp://x"}, "not an http(s) URL"},
		{[]string{"--url", "http://127.0.0.1:1", "--batch", "0"}, "--batch 0"},
		{[]string{"--url", "http://127.0.0.1:1", "--batch", "20000"}, "--batch 20000"},
		{[]string{"--url", "http://127.0.0.1:1", "--shards", "0"}, "--shards 0"},
		{[]string{"--url", "http://127.0.0.1:1", "--replication", "0"}, "--replication 0"},
		{[]string{"--url", "http://127.0.0.1:1", "--parallel", "0"}, "--parallel 0"},
		{[]string{"--url", "http://127.0.0.1:1", "--consistency", "ONE"}, "QUORUM or ALL"},
		{[]string{"--url", "http://127.0.0.1:1", "--verify-sample", "-1"}, "--verify-sample -1"},
		{[]string{"--url", "http://127.0.0.1:1", "extra"}, `unexpected argument "extra"`},
	} {
		_, errs, code := run(t, db, "", append([]string{"sync", "weaviate"}, tc.args...)...)
		if code != command.ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("sync weaviate %v: exit %d, %q; want %d and %q", tc.args, code, errs, command.ExitUsage, tc.want)
		}
	}
}

// fakeWeaviate is the least of a cluster a sync talks to: collections
// created on demand, batches of objects kept by id.
type fakeWeaviate struct {
	mu sync.Mutex
	// down names a node that is not HEALTHY ("" for none).
	down    string
	classes map[string]json.RawMessage
	objects map[string]bool
	batches int
}

func (f *fakeWeaviate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	raw, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/nodes":
		nodes := []map[string]any{{"name": "weaviate-0", "status": "HEALTHY"}}
		if f.down != "" {
			nodes = append(nodes, map[string]any{"name": f.down, "status": "UNAVAILABLE"})
		}
		json.NewEncoder(w).Encode(map[string]any{"nodes": nodes})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/schema/"):
		def, ok := f.classes[strings.TrimPrefix(r.URL.Path, "/v1/schema/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(def)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/schema":
		var c struct{ Class string }
		json.Unmarshal(raw, &c)
		f.classes[c.Class] = raw
		w.Write(raw)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/batch/objects":
		f.batches++
		var body struct{ Objects []struct{ ID string } }
		json.Unmarshal(raw, &body)
		var out []map[string]any
		for _, o := range body.Objects {
			f.objects[o.ID] = true
			out = append(out, map[string]any{"id": o.ID, "result": map[string]any{"status": "SUCCESS"}})
		}
		json.NewEncoder(w).Encode(out)
	default:
		http.Error(w, `{"error":[{"message":"not in the fake"}]}`, http.StatusNotImplemented)
	}
}

// A sync creates the space's collection, sends every segment once, says
// so, and a second sends nothing; --json tells the same.
func TestSyncWeaviateCommand(t *testing.T) {
	fake := &fakeWeaviate{classes: map[string]json.RawMessage{}, objects: map[string]bool{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	db := tempDB(t)
	if _, errs, code := run(t, db, "", "import", "../../testdata/sample/exports"); code != command.ExitOK {
		t.Fatalf("import: %s", errs)
	}

	out, errs, code := run(t, db, "", "sync", "weaviate", "--url", srv.URL, "--batch", "100", "--shards", "3", "--replication", "2")
	if code != command.ExitOK {
		t.Fatalf("sync: exit %d: %s", code, errs)
	}
	for _, want := range []string{"sync: weaviate " + srv.URL + " Clipvec", "Clipvec_marengo3_0_512 (created)", "0 → 36",
		"synced 1,284 segments (1,284 upserted, 0 deleted)"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if len(fake.objects) != 1284 || fake.batches != 13 {
		t.Errorf("the cluster got %d objects in %d batches, want 1,284 in 13", len(fake.objects), fake.batches)
	}
	var def struct {
		ShardingConfig    struct{ DesiredCount int }
		ReplicationConfig struct{ Factor int }
	}
	json.Unmarshal(fake.classes["Clipvec_marengo3_0_512"], &def)
	if def.ShardingConfig.DesiredCount != 3 || def.ReplicationConfig.Factor != 2 {
		t.Errorf("collection created with %+v, want 3 shards and 2 replicas", def)
	}

	out, errs, code = run(t, db, "", "sync", "weaviate", "--url", srv.URL, "--json")
	if code != command.ExitOK {
		t.Fatalf("second sync: exit %d: %s", code, errs)
	}
	var res mirror.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if res.Upserted != 0 || res.Deleted != 0 || len(res.Spaces) != 1 || res.Spaces[0].Generation != 36 || !res.Spaces[0].Done {
		t.Errorf("second sync: %+v, want nothing sent, generation 36 reached", res)
	}
	if errs != "" {
		t.Errorf("stderr %q: a collection clipvec made, its settings not asked for again, deserves no note", errs)
	}

	// A node down: Weaviate would acknowledge writes without its
	// replicas, so nothing is sent.
	fake.down = "weaviate-2"
	run(t, db, "", "delete", "6821ad59a9d4f4fb30f4fe21")
	_, errs, code = run(t, db, "", "sync", "weaviate", "--url", srv.URL)
	if code != command.ExitFailure || !strings.Contains(errs, "weaviate-2 UNAVAILABLE") || !strings.Contains(errs, "once every node is back") {
		t.Errorf("sync with a node down: exit %d, %q; want %d and the node named", code, errs, command.ExitFailure)
	}
}

// One sync per database: a second one, while the first holds the lock,
// is refused before it sends anything.
func TestSyncWeaviateLocked(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	// No database there yet: nothing to sync.
	if _, errs, code := run(t, db, "", "sync", "weaviate", "--url", "http://127.0.0.1:1"); code != command.ExitNotFound || !strings.Contains(errs, "no database at") {
		t.Fatalf("sync of a missing database: exit %d, %q; want %d", code, errs, command.ExitNotFound)
	}
	if _, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json")); code != command.ExitOK { // creates it
		t.Fatal(errs)
	}
	unlock, err := mirror.Lock(db)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	_, errs, code := run(t, db, "", "sync", "weaviate", "--url", "http://127.0.0.1:1")
	if code != command.ExitFailure || !strings.Contains(errs, "another clipvec sync is running") {
		t.Errorf("exit %d, %q; want %d and the lock named", code, errs, command.ExitFailure)
	}
}
