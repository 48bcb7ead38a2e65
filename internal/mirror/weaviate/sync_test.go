package weaviate_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clipvec/clipvec/internal/mirror/weaviate"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// fakeCluster answers the few REST calls a Target makes, recording
// every request.
type fakeCluster struct {
	mu       sync.Mutex
	requests []fakeRequest
	// handle answers a request; nil answers 404.
	handle func(r fakeRequest, w http.ResponseWriter)
}

type fakeRequest struct {
	Method, Path, Query string
	Body                map[string]any
}

func newFakeCluster(t *testing.T, handle func(r fakeRequest, w http.ResponseWriter)) (*fakeCluster, *weaviate.Client) {
	t.Helper()
	f := &fakeCluster{handle: handle}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		req := fakeRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &req.Body); err != nil {
				t.Errorf("%s %s: body %q: %v", r.Method, r.URL.Path, raw, err)
			}
		}
		f.mu.Lock()
		f.requests = append(f.requests, req)
		f.mu.Unlock()
		if f.handle == nil {
			http.NotFound(w, r)
			return
		}
		f.handle(req, w)
	}))
	t.Cleanup(srv.Close)
	c, err := weaviate.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c.Retries = 0
	return f, c
}

var testSpace = clipvec.Space{Model: "marengo3.0", Dim: 2}

func testSegments() []clipvec.Segment {
	return []clipvec.Segment{
		{ID: 1, VideoID: "v", Model: "marengo3.0", Modality: "visual", Scope: "clip", Start: 0, End: 6, Norm: 1.5,
			Source: clipvec.Source{Kind: clipvec.SourceFile, ID: "a.json"}, Vector: []float32{0.6, 0.8}},
		{ID: 2, VideoID: "v", Model: "marengo3.0", Modality: "audio", Scope: "clip", Start: 0, End: 6, Norm: 0.9,
			Source: clipvec.Source{Kind: clipvec.SourceFile, ID: "a.json"}, Vector: []float32{1, 0}},
	}
}

// batchAnswer answers a batch of objects, refusing those of refuse.
func batchAnswer(w http.ResponseWriter, body map[string]any, refuse map[string]bool) {
	var out []map[string]any
	for _, o := range body["objects"].([]any) {
		id := o.(map[string]any)["id"].(string)
		res := map[string]any{"status": "SUCCESS"}
		if refuse[id] {
			res = map[string]any{"status": "FAILED", "errors": map[string]any{"error": []any{map[string]any{"message": "replica unreachable"}}}}
		}
		out = append(out, map[string]any{"id": id, "result": res})
	}
	json.NewEncoder(w).Encode(out)
}

// An object the cluster refuses in a batch is sent again, alone, at the
// same consistency level; one refused every time fails the batch, named.
func TestUpsertChecksEveryObject(t *testing.T) {
	ctx := context.Background()
	second := weaviate.ObjectID(7, 2)

	t.Run("OKRetried", func(t *testing.T) {
		n := 0
		f, c := newFakeCluster(t, func(r fakeRequest, w http.ResponseWriter) {
			n++
			batchAnswer(w, r.Body, map[string]bool{second: n == 1})
		})
		tg := weaviate.NewTarget(c, 7, "")
		if err := tg.Upsert(ctx, testSpace, testSegments()); err != nil {
			t.Fatal(err)
		}
		if len(f.requests) != 2 {
			t.Fatalf("%d requests, want 2", len(f.requests))
		}
		for _, r := range f.requests {
			if r.Method != http.MethodPost || r.Path != "/v1/batch/objects" || r.Query != "consistency_level=QUORUM" {
				t.Errorf("request %s %s?%s, want POST /v1/batch/objects?consistency_level=QUORUM", r.Method, r.Path, r.Query)
			}
		}
		first := f.requests[0].Body["objects"].([]any)
		o := first[0].(map[string]any)
		props := o["properties"].(map[string]any)
		if o["class"] != "Clipvec_marengo3_0_2" || o["id"] != weaviate.ObjectID(7, 1) || props["segment_id"] != 1.0 ||
			props["video_id"] != "v" || props["modality"] != "visual" || props["norm"] != 1.5 || props["source_kind"] != "file" ||
			props["source_id"] != "a.json" || props["end"] != 6.0 || props["model"] != "marengo3.0" || props["scope"] != "clip" {
			t.Errorf("first object %v", o)
		}
		if v := o["vector"].([]any); len(v) != 2 || v[0] != 0.6 || v[1] != 0.8 {
			t.Errorf("vector %v, want [0.6 0.8] (float32 written in the fewest digits)", v)
		}
		retried := f.requests[1].Body["objects"].([]any)
		if len(retried) != 1 || retried[0].(map[string]any)["id"] != second {
			t.Errorf("second request sent %v, want only the refused object", retried)
		}
	})

	t.Run("ErrRefused", func(t *testing.T) {
		f, c := newFakeCluster(t, func(r fakeRequest, w http.ResponseWriter) {
			batchAnswer(w, r.Body, map[string]bool{second: true})
		})
		tg := weaviate.NewTarget(c, 7, "")
		tg.Attempts = 3
		err := tg.Upsert(ctx, testSpace, testSegments())
		if err == nil || !strings.Contains(err.Error(), "segment 2") || !strings.Contains(err.Error(), "replica unreachable") {
			t.Errorf("error %v, want one naming segment 2 and why", err)
		}
		if len(f.requests) != 3 {
			t.Errorf("%d requests, want 3 attempts", len(f.requests))
		}
	})

	t.Run("ErrDimension", func(t *testing.T) {
		_, c := newFakeCluster(t, nil)
		segs := testSegments()
		segs[1].Vector = []float32{1, 0, 0}
		if err := weaviate.NewTarget(c, 7, "").Upsert(ctx, testSpace, segs); err == nil || !strings.Contains(err.Error(), "segment 2") {
			t.Errorf("error %v, want one naming segment 2", err)
		}
	})
}

// Deletions name the objects by id (never by segment id, which another
// database's objects in a shared collection may carry too).
func TestDeleteByObjectID(t *testing.T) {
	f, c := newFakeCluster(t, func(r fakeRequest, w http.ResponseWriter) {
		io.WriteString(w, `{"results":{"matches":1,"successful":1,"failed":0}}`)
	})
	if err := weaviate.NewTarget(c, 7, "P").Delete(context.Background(), testSpace, []int64{4, 9}); err != nil {
		t.Fatal(err)
	}
	if len(f.requests) != 1 {
		t.Fatalf("%d requests, want 1", len(f.requests))
	}
	r := f.requests[0]
	match := r.Body["match"].(map[string]any)
	where := match["where"].(map[string]any)
	var ids []string
	for _, id := range where["valueTextArray"].([]any) {
		ids = append(ids, id.(string))
	}
	if r.Method != http.MethodDelete || r.Path != "/v1/batch/objects" || match["class"] != "P_marengo3_0_2" ||
		where["operator"] != "ContainsAny" || where["path"].([]any)[0] != "id" ||
		!slices.Equal(ids, []string{weaviate.ObjectID(7, 4), weaviate.ObjectID(7, 9)}) {
		t.Errorf("delete request %+v", r)
	}
}

// A missing collection is created as a mirror needs it; an existing one
// is used as it is, with notes for the settings that differ, or refused
// when its properties cannot hold segments.
func TestEnsureSpace(t *testing.T) {
	ctx := context.Background()

	t.Run("OKCreated", func(t *testing.T) {
		created := false
		f, c := newFakeCluster(t, func(r fakeRequest, w http.ResponseWriter) {
			if r.Method == http.MethodPost {
				created = true
				w.Write([]byte("{}"))
				return
			}
			w.WriteHeader(http.StatusNotFound)
		})
		tg := weaviate.NewTarget(c, 7, "")
		tg.Shards, tg.Replication = 3, 2
		col, err := tg.EnsureSpace(ctx, testSpace)
		if err != nil || !col.Created || col.Name != "Clipvec_marengo3_0_2" || !created {
			t.Fatalf("EnsureSpace = %+v, %v", col, err)
		}
		body := f.requests[1].Body
		if body["vectorizer"] != "none" || body["vectorIndexConfig"].(map[string]any)["distance"] != "cosine" ||
			body["shardingConfig"].(map[string]any)["desiredCount"] != 3.0 {
			t.Errorf("created %v", body)
		}
		if rc := body["replicationConfig"].(map[string]any); rc["factor"] != 2.0 || rc["asyncEnabled"] != true || rc["deletionStrategy"] != "DeleteOnConflict" {
			t.Errorf("replication %v, want 2 replicas repaired asynchronously, deletions winning", rc)
		}
		props := map[string]map[string]any{}
		for _, p := range body["properties"].([]any) {
			props[p.(map[string]any)["name"].(string)] = p.(map[string]any)
		}
		for _, name := range []string{weaviate.PropSegmentID, weaviate.PropVideoID, weaviate.PropModality, weaviate.PropScope,
			weaviate.PropStart, weaviate.PropEnd, weaviate.PropModel, weaviate.PropNorm, weaviate.PropSourceKind, weaviate.PropSourceID} {
			if p := props[name]; p == nil || p["indexFilterable"] != true {
				t.Errorf("property %s: %v, want filterable", name, p)
			}
		}
		if p := props[weaviate.PropVideoID]; p["tokenization"] != "field" || p["dataType"].([]any)[0] != "text" {
			t.Errorf("video_id %v, want text with field tokenization", p)
		}
		if p := props[weaviate.PropSegmentID]; p["dataType"].([]any)[0] != "int" {
			t.Errorf("segment_id %v, want int", p)
		}
		if p := props[weaviate.PropStart]; p["dataType"].([]any)[0] != "number" {
			t.Errorf("start %v, want number", p)
		}
	})

	existing := func(t *testing.T, change func(cl map[string]any)) (*weaviate.Target, *fakeCluster) {
		var def map[string]any
		{
			// What OKCreated sends is what a collection made by clipvec holds.
			f, c := newFakeCluster(t, func(r fakeRequest, w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) })
			tg := weaviate.NewTarget(c, 7, "")
			tg.EnsureSpace(ctx, testSpace)
			def = f.requests[1].Body
		}
		change(def)
		f, c := newFakeCluster(t, func(r fakeRequest, w http.ResponseWriter) { json.NewEncoder(w).Encode(def) })
		return weaviate.NewTarget(c, 7, ""), f
	}

	t.Run("OKExistingNotes", func(t *testing.T) {
		tg, f := existing(t, func(cl map[string]any) { cl["replicationConfig"] = map[string]any{"factor": 3} })
		tg.Replication = 2
		col, err := tg.EnsureSpace(ctx, testSpace)
		if err != nil || col.Created || len(col.Notes) != 2 || !strings.Contains(col.Notes[0], "replication factor 3") ||
			!strings.Contains(col.Notes[1], "no asynchronous replication") {
			t.Errorf("EnsureSpace = %+v, %v; want notes on the replication factor and the missing repair", col, err)
		}
		for _, r := range f.requests {
			if r.Method != http.MethodGet {
				t.Errorf("%s %s on an existing collection", r.Method, r.Path)
			}
		}
		tg.Replication = 0 // not asked for: no note on the factor
		if col, err := tg.EnsureSpace(ctx, testSpace); err != nil || len(col.Notes) != 1 {
			t.Errorf("EnsureSpace = %+v, %v; want only the note on the missing repair", col, err)
		}
	})

	t.Run("ErrIncompatible", func(t *testing.T) {
		tg, _ := existing(t, func(cl map[string]any) {
			props := cl["properties"].([]any)
			props[0].(map[string]any)["dataType"] = []any{"text"} // segment_id
			cl["properties"] = props[:len(props)-1]               // no source_id
		})
		_, err := tg.EnsureSpace(ctx, testSpace)
		if err == nil || !strings.Contains(err.Error(), "property segment_id is [text], want [int]") || !strings.Contains(err.Error(), "no property source_id") {
			t.Errorf("error %v, want both problems named", err)
		}
	})
}
