package weaviate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clipvec/clipvec/internal/mirror"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// WriteConsistency is the consistency level of every write a Target
// sends: QUORUM, a majority of each object's replicas. A position is
// recorded in the database only once a batch is acknowledged, so a write
// acknowledged by a single replica (ONE) could be lost with that node
// while the database says it is in the cluster. With every node up and a
// replication factor of 2, QUORUM is both replicas, as ALL; with 3, two.
// Weaviate 1.35 counts only the replicas of nodes that are up, though
// (measured: with one of 3 nodes down, writes at QUORUM and at ALL were
// acknowledged by the one live replica), which is why Healthy is checked
// before a sync, and why collections get asynchronous replication.
const WriteConsistency = "QUORUM"

// Target mirrors a database into a Weaviate cluster: one collection per
// embedding space (CollectionName), each segment an object of id
// ObjectID(store, segment) holding the segment's unit vector and its
// properties (schema.go). It implements mirror.Target and
// mirror.Verifier. It is safe for concurrent use once set up.
type Target struct {
	c     *Client
	store int64
	// Prefix starts every collection's name (DefaultPrefix).
	Prefix string
	// Replication and Shards are the replication factor and the shard
	// count of the collections it creates (default 1 and 1; 0 is 1). A
	// collection that exists keeps its own, with a note when they differ
	// from these (unless these are 0).
	Replication, Shards int
	// Consistency is the write consistency level (WriteConsistency; ALL
	// is the other sensible choice).
	Consistency string
	// Attempts is how many times an object the cluster refused in a
	// batch is sent again before the batch fails (default 4): a replica
	// briefly unreachable fails single objects, not the request.
	Attempts int
	// Parallel is how many requests Get sends at once (default 8).
	Parallel int
}

// NewTarget returns the Target of store (the database's StoreID) in the
// cluster c talks to.
func NewTarget(c *Client, storeID int64, prefix string) *Target {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Target{c: c, store: storeID, Prefix: prefix, Replication: 1, Shards: 1, Consistency: WriteConsistency,
		Attempts: 4, Parallel: 8}
}

var (
	_ mirror.Target   = (*Target)(nil)
	_ mirror.Verifier = (*Target)(nil)
)

// Name is "weaviate URL PREFIX": the key of the positions recorded for
// this cluster's collections.
func (t *Target) Name() string { return "weaviate " + t.c.URL() + " " + t.Prefix }

// Collection is the name of sp's collection.
func (t *Target) Collection(sp clipvec.Space) string {
	return CollectionName(t.Prefix, sp.Model, sp.Dim)
}

// propDef is a collection property as the schema API reads and writes it.
type propDef struct {
	Name            string   `json:"name"`
	DataType        []string `json:"dataType"`
	Tokenization    string   `json:"tokenization,omitempty"`
	IndexFilterable *bool    `json:"indexFilterable,omitempty"`
	IndexSearchable *bool    `json:"indexSearchable,omitempty"`
}

// classDef is the part of a collection's definition a Target sets or checks.
type classDef struct {
	Class             string    `json:"class"`
	Vectorizer        string    `json:"vectorizer,omitempty"`
	Properties        []propDef `json:"properties"`
	VectorIndexConfig struct {
		Distance string `json:"distance,omitempty"`
	} `json:"vectorIndexConfig"`
	ShardingConfig struct {
		DesiredCount int `json:"desiredCount,omitempty"`
	} `json:"shardingConfig"`
	ReplicationConfig struct {
		Factor           int    `json:"factor,omitempty"`
		AsyncEnabled     bool   `json:"asyncEnabled,omitempty"`
		DeletionStrategy string `json:"deletionStrategy,omitempty"`
	} `json:"replicationConfig"`
}

// properties are the collection's properties: text matched whole
// ("field" tokenization) and no BM25 index (clipvec never searches their
// words), numbers as number, the row id as int; all filterable.
func propDefs() []propDef {
	yes, no := true, false
	text := func(name string) propDef {
		return propDef{Name: name, DataType: []string{"text"}, Tokenization: "field", IndexFilterable: &yes, IndexSearchable: &no}
	}
	num := func(name, typ string) propDef {
		return propDef{Name: name, DataType: []string{typ}, IndexFilterable: &yes}
	}
	return []propDef{
		num(PropSegmentID, "int"), text(PropVideoID), text(PropModality), text(PropScope),
		num(PropStart, "number"), num(PropEnd, "number"), text(PropModel), num(PropNorm, "number"),
		text(PropSourceKind), text(PropSourceID),
	}
}

// EnsureSpace creates sp's collection when it is missing: vectorizer
// none, cosine distance, Shards shards, Replication replicas, the
// properties above. With more than one replica it turns on asynchronous
// replication, deletions winning conflicts (DeleteOnConflict): Weaviate
// 1.35 acknowledges writes, at QUORUM and even ALL, while a replica's
// node is down, and that replica stays stale once the node is back
// unless replicas are compared in the background (measured here: with
// it, a node down during 250 updates and 50 deletions held them all 40 s
// after it came back; without it, none, and deleted objects never went).
// A deleted segment's id is never written again, so a deletion is always
// the last word. An existing collection is used as it is, with a note
// for each setting that differs; one whose properties cannot hold the
// segments (a missing property, another data type) is an error.
func (t *Target) EnsureSpace(ctx context.Context, sp clipvec.Space) (mirror.Collection, error) {
	col := mirror.Collection{Name: t.Collection(sp)}
	have, err := t.schema(ctx, col.Name)
	if err != nil && !IsNotFound(err) {
		return col, fmt.Errorf("read collection %s: %w", col.Name, err)
	}
	if err != nil {
		want := classDef{Class: col.Name, Vectorizer: "none", Properties: propDefs()}
		want.VectorIndexConfig.Distance = "cosine"
		want.ShardingConfig.DesiredCount = max(t.Shards, 1)
		want.ReplicationConfig.Factor = max(t.Replication, 1)
		if want.ReplicationConfig.Factor > 1 {
			want.ReplicationConfig.AsyncEnabled = true
			want.ReplicationConfig.DeletionStrategy = "DeleteOnConflict"
		}
		err := t.c.Do(ctx, http.MethodPost, "/v1/schema", want, nil)
		if err == nil {
			col.Created = true
			return col, nil
		}
		// Another process may have created it meanwhile: use theirs.
		var again error
		if have, again = t.schema(ctx, col.Name); again != nil {
			return col, fmt.Errorf("create collection %s: %w", col.Name, err)
		}
	}
	col.Notes, err = compatible(have, t)
	return col, err
}

// schema reads a collection's definition.
func (t *Target) schema(ctx context.Context, name string) (*classDef, error) {
	var have classDef
	if err := t.c.Do(ctx, http.MethodGet, "/v1/schema/"+url.PathEscape(name), nil, &have); err != nil {
		return nil, err
	}
	return &have, nil
}

// compatible checks an existing collection: notes for settings that
// differ from what t would create, an error for properties that cannot
// hold the segments.
func compatible(have *classDef, t *Target) ([]string, error) {
	var notes []string
	if have.Vectorizer != "" && have.Vectorizer != "none" {
		notes = append(notes, fmt.Sprintf("collection %s has vectorizer %q (clipvec sends its own vectors and would use none)", have.Class, have.Vectorizer))
	}
	if d := have.VectorIndexConfig.Distance; d != "" && d != "cosine" {
		notes = append(notes, fmt.Sprintf("collection %s uses distance %q, not cosine: its scores are not clipvec's", have.Class, d))
	}
	if f := have.ReplicationConfig.Factor; t.Replication > 0 && f != t.Replication {
		notes = append(notes, fmt.Sprintf("collection %s exists with replication factor %d (not %d): kept as it is", have.Class, f, t.Replication))
	}
	if rc := have.ReplicationConfig; rc.Factor > 1 && !rc.AsyncEnabled {
		notes = append(notes, fmt.Sprintf("collection %s has no asynchronous replication: a replica whose node is down during a sync stays stale "+
			"once it is back (sync --full rewrites every replica)", have.Class))
	}
	if n := have.ShardingConfig.DesiredCount; t.Shards > 0 && n != t.Shards {
		notes = append(notes, fmt.Sprintf("collection %s exists with %d shards (not %d): kept as it is", have.Class, n, t.Shards))
	}
	byName := map[string]propDef{}
	for _, p := range have.Properties {
		byName[p.Name] = p
	}
	var bad []string
	for _, want := range propDefs() {
		got, ok := byName[want.Name]
		switch {
		case !ok:
			// Weaviate would add it on the first write (auto-schema), as
			// a type it guesses: refuse rather than guess.
			bad = append(bad, fmt.Sprintf("no property %s", want.Name))
		case !slices.Equal(got.DataType, want.DataType):
			bad = append(bad, fmt.Sprintf("property %s is %v, want %v", want.Name, got.DataType, want.DataType))
		case want.Tokenization != "" && got.Tokenization != want.Tokenization:
			notes = append(notes, fmt.Sprintf("collection %s: property %s has tokenization %q, not field: filters on it may match parts of values",
				have.Class, want.Name, got.Tokenization))
		}
		if ok && got.IndexFilterable != nil && !*got.IndexFilterable {
			notes = append(notes, fmt.Sprintf("collection %s: property %s is not filterable", have.Class, want.Name))
		}
	}
	if len(bad) > 0 {
		return notes, fmt.Errorf("collection %s cannot hold clipvec's segments: %s (drop it, or sync with another --collection prefix)",
			have.Class, strings.Join(bad, "; "))
	}
	return notes, nil
}

// batchObject is an object as the batch API takes it.
type batchObject struct {
	Class      string         `json:"class"`
	ID         string         `json:"id"`
	Vector     []float32      `json:"vector"`
	Properties map[string]any `json:"properties"`
}

// batchResult is what the batch API says of one object (it echoes the
// object too, which is not decoded).
type batchResult struct {
	ID     string `json:"id"`
	Result struct {
		Status string `json:"status"`
		Errors *struct {
			Error []struct {
				Message string `json:"message"`
			} `json:"error"`
		} `json:"errors"`
	} `json:"result"`
}

// segmentProps are the properties of s's object.
func segmentProps(s *clipvec.Segment) map[string]any {
	return map[string]any{
		PropSegmentID: s.ID, PropVideoID: s.VideoID, PropModality: s.Modality, PropScope: s.Scope,
		PropStart: s.Start, PropEnd: s.End, PropModel: s.Model, PropNorm: s.Norm,
		PropSourceKind: string(s.Source.Kind), PropSourceID: s.Source.ID,
	}
}

// Upsert writes segs with the batch API at t.Consistency, under their
// object ids, and checks every object's result: those the cluster
// refused are sent again (Attempts in all, with backoff); one still
// refused then fails the call, naming the segment and why.
func (t *Target) Upsert(ctx context.Context, sp clipvec.Space, segs []clipvec.Segment) error {
	name := t.Collection(sp)
	pending := make([]batchObject, len(segs))
	segOf := make(map[string]int64, len(segs))
	for i := range segs {
		s := &segs[i]
		if len(s.Vector) != sp.Dim {
			return fmt.Errorf("upsert segment %d: vector has %d values, want %d", s.ID, len(s.Vector), sp.Dim)
		}
		id := ObjectID(t.store, s.ID)
		pending[i] = batchObject{Class: name, ID: id, Vector: s.Vector, Properties: segmentProps(s)}
		segOf[id] = s.ID
	}
	path := "/v1/batch/objects?consistency_level=" + t.consistency()
	for attempt := 1; ; attempt++ {
		var results []batchResult
		if err := t.c.Do(ctx, http.MethodPost, path, map[string]any{"objects": pending}, &results); err != nil {
			return fmt.Errorf("upsert %d objects into %s: %w", len(pending), name, err)
		}
		failed := map[string]string{}
		for _, r := range results {
			if r.Result.Errors != nil && len(r.Result.Errors.Error) > 0 || r.Result.Status == "FAILED" {
				var msgs []string
				if r.Result.Errors != nil {
					for _, e := range r.Result.Errors.Error {
						msgs = append(msgs, e.Message)
					}
				}
				failed[r.ID] = strings.Join(msgs, "; ")
			}
		}
		if len(results) != len(pending) {
			return fmt.Errorf("upsert %d objects into %s: the cluster answered for %d", len(pending), name, len(results))
		}
		if len(failed) == 0 {
			return nil
		}
		if attempt >= max(t.Attempts, 1) {
			ids := make([]string, 0, len(failed))
			for id := range failed {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			return fmt.Errorf("upsert into %s: segment %d (object %s) refused %d times: %s (%d of %d objects refused)",
				name, segOf[ids[0]], ids[0], attempt, failed[ids[0]], len(failed), len(pending))
		}
		pending = slices.DeleteFunc(pending, func(o batchObject) bool { _, bad := failed[o.ID]; return !bad })
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// sleep waits before attempt+1: jittered, doubling from 250 ms.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(250<<min(attempt-1, 5)) * time.Millisecond
	d = d/2 + rand.N(d/2+1)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func (t *Target) consistency() string {
	if t.Consistency == "" {
		return WriteConsistency
	}
	return t.Consistency
}

// Delete deletes the objects of ids with one batch delete (a where on the
// object ids: segment ids alone could name another database's objects in
// a shared collection) at t.Consistency. Objects already gone match
// nothing, which is no error; a batch the cluster partly failed is sent
// again (Attempts in all).
func (t *Target) Delete(ctx context.Context, sp clipvec.Space, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	name := t.Collection(sp)
	uuids := make([]string, len(ids))
	for i, id := range ids {
		uuids[i] = ObjectID(t.store, id)
	}
	body := map[string]any{
		"match": map[string]any{
			"class": name,
			"where": map[string]any{"path": []string{"id"}, "operator": "ContainsAny", "valueTextArray": uuids},
		},
		"output": "minimal",
	}
	path := "/v1/batch/objects?consistency_level=" + t.consistency()
	for attempt := 1; ; attempt++ {
		var resp struct {
			Results struct {
				Matches, Successful, Failed int
			} `json:"results"`
		}
		err := t.c.Do(ctx, http.MethodDelete, path, body, &resp)
		if IsNotFound(err) {
			return nil // no such collection: nothing to delete
		}
		if err != nil {
			return fmt.Errorf("delete %d objects from %s: %w", len(ids), name, err)
		}
		if resp.Results.Failed == 0 {
			return nil
		}
		if attempt >= max(t.Attempts, 1) {
			return fmt.Errorf("delete %d objects from %s: %d failed %d times (first segment %d)", len(ids), name, resp.Results.Failed, attempt, ids[0])
		}
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// Count counts the collection's objects with an Aggregate query, which
// needs every node up (with one down Weaviate 1.35 reports
// "inconsistent consistency levels"). A collection that does not exist
// counts 0.
func (t *Target) Count(ctx context.Context, sp clipvec.Space) (int, error) {
	name := t.Collection(sp)
	if _, err := t.schema(ctx, name); IsNotFound(err) {
		return 0, nil
	}
	return countObjects(ctx, t.c, name)
}

// restObject is an object as the REST API returns it.
type restObject struct {
	ID         string     `json:"id"`
	Vector     []float32  `json:"vector"`
	Properties properties `json:"properties"`
}

func (o *restObject) segment() clipvec.Segment {
	p := &o.Properties
	return clipvec.Segment{ID: p.SegmentID, VideoID: p.VideoID, Source: clipvec.Source{Kind: clipvec.SourceKind(p.SourceKind), ID: p.SourceID},
		Model: p.Model, Modality: p.Modality, Scope: p.Scope, Start: p.Start, End: p.End, Norm: p.Norm, Vector: o.Vector}
}

// Get fetches the objects of ids one by one (GET
// /v1/objects/{class}/{id}?include=vector, Parallel at a time, at
// QUORUM), each as the segment it holds. An object the cluster does not
// hold is left out; one whose id is not its segment's object id is an
// error.
func (t *Target) Get(ctx context.Context, sp clipvec.Space, ids []int64) ([]clipvec.Segment, error) {
	name := t.Collection(sp)
	out := make([]*clipvec.Segment, len(ids))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	for range max(t.Parallel, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				uid := ObjectID(t.store, ids[i])
				var o restObject
				err := t.c.Do(ctx, http.MethodGet, "/v1/objects/"+url.PathEscape(name)+"/"+uid+"?include=vector&consistency_level=QUORUM", nil, &o)
				if IsNotFound(err) {
					continue
				}
				if err == nil && o.ID != uid {
					err = fmt.Errorf("object %s came back as %s", uid, o.ID)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("read segment %d from %s: %w", ids[i], name, err)
					}
					mu.Unlock()
					continue
				}
				s := o.segment()
				out[i] = &s
			}
		}()
	}
	for i := range ids {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var segs []clipvec.Segment
	for _, s := range out {
		if s != nil {
			segs = append(segs, *s)
		}
	}
	return segs, nil
}

// scanPage is how many objects one page of a Scan holds.
const scanPage = 500

// Scan lists every object of sp's collection with the cursor API (GET
// /v1/objects?class=…&after=…&include=vector, in id order) and hands fn
// each as the segment it holds. An object whose id is not its segment's
// object id is handed over with ID -1, so a comparison reports it.
func (t *Target) Scan(ctx context.Context, sp clipvec.Space, fn func(*clipvec.Segment) error) error {
	name := t.Collection(sp)
	after := ""
	for {
		q := url.Values{"class": {name}, "limit": {fmt.Sprint(scanPage)}, "include": {"vector"}}
		if after != "" {
			q.Set("after", after)
		}
		var page struct {
			Objects []restObject `json:"objects"`
		}
		err := t.c.Do(ctx, http.MethodGet, "/v1/objects?"+q.Encode(), nil, &page)
		if IsNotFound(err) && after == "" {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list the objects of %s: %w", name, err)
		}
		for i := range page.Objects {
			o := &page.Objects[i]
			s := o.segment()
			if o.ID != ObjectID(t.store, s.ID) {
				s.ID = -1
			}
			if err := fn(&s); err != nil {
				return err
			}
		}
		if len(page.Objects) < scanPage {
			return nil
		}
		after = page.Objects[len(page.Objects)-1].ID
	}
}

// DropCollection deletes sp's collection and every object in it (a 404
// is no error). The database's recorded positions for it must then be
// forgotten (clipvec.DB.ForgetMirror), which the next sync does by
// itself when it finds the collection missing.
func (t *Target) DropCollection(ctx context.Context, sp clipvec.Space) error {
	name := t.Collection(sp)
	err := t.c.Do(ctx, http.MethodDelete, "/v1/schema/"+url.PathEscape(name), nil, nil)
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("drop collection %s: %w", name, err)
	}
	return nil
}

// errNodesDown is returned by Healthy.
var errNodesDown = errors.New("not every node of the cluster is healthy")

// Healthy checks that every node of the cluster is up and HEALTHY, and
// returns how many there are. A node stopped cleanly leaves /v1/nodes
// altogether (measured with 1.35), so the nodes expected are also read
// from the Raft configuration (/v1/cluster/statistics), which keeps it:
// a voter missing from /v1/nodes is down. Were that endpoint refused,
// /v1/nodes alone decides.
func (t *Target) Healthy(ctx context.Context) (int, error) {
	var resp struct {
		Nodes []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"nodes"`
	}
	if err := t.c.Do(ctx, http.MethodGet, "/v1/nodes", nil, &resp); err != nil {
		return 0, fmt.Errorf("list the cluster's nodes: %w", err)
	}
	status := map[string]string{}
	for _, n := range resp.Nodes {
		status[n.Name] = n.Status
	}
	var stats struct {
		Statistics []struct {
			Raft struct {
				LatestConfiguration []struct {
					ID string `json:"id"`
				} `json:"latestConfiguration"`
			} `json:"raft"`
		} `json:"statistics"`
	}
	if err := t.c.Do(ctx, http.MethodGet, "/v1/cluster/statistics", nil, &stats); err == nil {
		for _, s := range stats.Statistics {
			for _, v := range s.Raft.LatestConfiguration {
				if _, ok := status[v.ID]; !ok {
					status[v.ID] = "DOWN (a Raft voter /v1/nodes does not list)"
				}
			}
		}
	}
	var down []string
	for name, st := range status {
		if st != "HEALTHY" {
			down = append(down, name+" "+st)
		}
	}
	slices.Sort(down)
	if len(down) > 0 {
		return len(status), fmt.Errorf("%w: %s", errNodesDown, strings.Join(down, ", "))
	}
	return len(status), nil
}
