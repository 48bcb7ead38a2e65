package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/clipvec/clipvec/internal/vecmath"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// Consistency levels a query may read at.
const (
	ConsistencyOne    = "ONE"
	ConsistencyQuorum = "QUORUM"
	ConsistencyAll    = "ALL"
)

// SearchOptions say where and how a query is asked of the cluster.
type SearchOptions struct {
	// Prefix is the collections' prefix (DefaultPrefix when "").
	Prefix string
	// Consistency is the read consistency level (ConsistencyOne when
	// ""): ONE answers while any replica of each shard is up.
	Consistency string
	// Names maps video ids to file names, for Hit.Filename.
	Names map[string]string
}

// ErrUntranslatable is wrapped by the error of a query the cluster cannot
// answer as clipvec would (an exact scan, a mean by video, a graph ef of
// the query's own): such a query is refused, never answered otherwise.
var ErrUntranslatable = errors.New("not answerable by the cluster")

// maxFetch bounds how many segments one grouped query fetches, widening
// its pool while videos are missing.
const maxFetch = 10_000

// Search answers r with the collection of r's space: a nearVector query
// with r's filter translated into a where filter (all of it: nothing is
// dropped), hits as Search shapes them. Grouped by video, it fetches ten
// times K segments (more while that leaves fewer than K videos) and keeps
// each video's best, as the local graph search does.
func Search(ctx context.Context, c *Client, r *clipvec.Resolved, opts SearchOptions) (*clipvec.Result, error) {
	if r.GroupBy == clipvec.GroupByVideo && r.Aggregate == clipvec.AggMean {
		return nil, fmt.Errorf("search: %w: a mean by video needs every segment's similarity", ErrUntranslatable)
	}
	where, err := Where(r.Filter, r.ExcludeSegments)
	if err != nil {
		return nil, err
	}
	class := CollectionName(opts.Prefix, r.Space.Model, r.Space.Dim)
	searched := r.Space.Segments
	if searched == 0 {
		// The query came from the cluster's copy of a video the local
		// database lacks: count the collection (with every node up;
		// unknown, 0, otherwise).
		searched, _ = countObjects(ctx, c, class)
	}
	limit := r.K
	if r.GroupBy == clipvec.GroupByVideo {
		limit = r.K * 10
	}
	for {
		limit = min(limit, maxFetch)
		objs, err := nearVector(ctx, c, class, r.Vector, limit, where, opts.Consistency)
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", class, err)
		}
		res := &clipvec.Result{Space: r.Space, Query: r.Query, Searched: searched, Method: clipvec.MethodRemote,
			QuerySource: r.QuerySource, Hits: []clipvec.Hit{}}
		for _, o := range objs {
			res.Hits = append(res.Hits, o.hit(r.Space.Model, opts.Names))
		}
		if r.GroupBy != clipvec.GroupByVideo {
			return res, nil
		}
		res.Hits = bestPerVideo(res.Hits, r.K)
		if len(res.Hits) >= r.K || len(objs) < limit || limit >= maxFetch {
			return res, nil
		}
		limit *= 4 // the nearest segments crowd into few videos: look further
	}
}

// bestPerVideo keeps each video's first (best) hit, up to k videos, and
// counts each video's hits among those given.
func bestPerVideo(hits []clipvec.Hit, k int) []clipvec.Hit {
	var out []clipvec.Hit
	at := map[string]int{}
	for _, h := range hits {
		if i, ok := at[h.VideoID]; ok {
			out[i].Matches++
			continue
		}
		if len(out) == k {
			continue
		}
		at[h.VideoID] = len(out)
		h.Matches = 1
		out = append(out, h)
	}
	return out
}

// properties are a segment's properties as the cluster holds them.
type properties struct {
	SegmentID  int64   `json:"segment_id"`
	VideoID    string  `json:"video_id"`
	Modality   string  `json:"modality"`
	Scope      string  `json:"scope"`
	Start      float64 `json:"start"`
	End        float64 `json:"end"`
	Model      string  `json:"model"`
	Norm       float64 `json:"norm"`
	SourceKind string  `json:"source_kind"`
	SourceID   string  `json:"source_id"`
}

// object is a segment as a GraphQL Get returns it: its properties inline.
type object struct {
	properties
	Additional struct {
		ID       string    `json:"id"`
		Distance float64   `json:"distance"`
		Vector   []float32 `json:"vector"`
	} `json:"_additional"`
}

func (o *object) hit(model string, names map[string]string) clipvec.Hit {
	return clipvec.Hit{
		Segment: clipvec.Segment{ID: o.SegmentID, VideoID: o.VideoID, Source: clipvec.Source{Kind: clipvec.SourceKind(o.SourceKind), ID: o.SourceID},
			Model: model, Modality: o.Modality, Scope: o.Scope, Start: o.Start, End: o.End, Norm: o.Norm},
		// Cosine distance is 1 − cosine similarity.
		Score:    float32(1 - o.Additional.Distance),
		Filename: names[o.VideoID],
	}
}

// fields are the properties a query asks for.
var fields = strings.Join([]string{PropSegmentID, PropVideoID, PropModality, PropScope, PropStart, PropEnd,
	PropModel, PropNorm, PropSourceKind, PropSourceID}, " ")

// nearVector runs one GraphQL Get with a nearVector, nearest first.
func nearVector(ctx context.Context, c *Client, class string, vec []float32, limit int, where, consistency string) ([]object, error) {
	var q strings.Builder
	fmt.Fprintf(&q, "{ Get { %s(nearVector: {vector: %s} limit: %d", class, floats(vec), limit)
	if where != "" {
		fmt.Fprintf(&q, " where: %s", where)
	}
	fmt.Fprintf(&q, " consistencyLevel: %s) { %s _additional { id distance } } } }", level(consistency), fields)
	return get(ctx, c, class, q.String())
}

// get runs a Get query on class and returns its objects.
func get(ctx context.Context, c *Client, class, query string) ([]object, error) {
	var data struct {
		Get map[string][]object `json:"Get"`
	}
	if err := c.GraphQL(ctx, query, &data); err != nil {
		return nil, err
	}
	objs, ok := data.Get[class]
	if !ok {
		return nil, fmt.Errorf("%w: collection %s is not in the cluster (run clipvec sync weaviate first)", clipvec.ErrNotFound, class)
	}
	return objs, nil
}

func level(consistency string) string {
	switch consistency {
	case ConsistencyQuorum, ConsistencyAll:
		return consistency
	}
	return ConsistencyOne
}

// floats writes a vector as a GraphQL list, each float32 in the fewest
// digits that read back to it.
func floats(v []float32) string {
	b := make([]byte, 0, len(v)*12)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return string(append(b, ']'))
}

// Where translates a search filter (and the segment ids to leave out)
// into a GraphQL where filter, "" when it restricts nothing. Every field
// of clipvec.Filter translates; an unknown one would be refused rather
// than dropped.
func Where(f clipvec.Filter, exclude []int64) (string, error) {
	var and []string
	anyOf := func(prop string, values []string) {
		if len(values) == 0 {
			return
		}
		var or []string
		for _, v := range values {
			or = append(or, cond(prop, "Equal", "valueText", quote(v)))
		}
		and = append(and, join("Or", or))
	}
	anyOf(PropModality, f.Modalities)
	scopes := slices.Clone(f.Scopes)
	for i, s := range scopes {
		if s == clipvec.ScopeAsset {
			scopes[i] = clipvec.ScopeVideo // stored as video, as locally
		}
	}
	anyOf(PropScope, scopes)
	anyOf(PropVideoID, f.Videos)
	for _, v := range f.ExcludeVideos {
		and = append(and, cond(PropVideoID, "NotEqual", "valueText", quote(v)))
	}
	if tr := f.TimeRange; tr != nil {
		if !(tr.From < tr.To) || math.IsNaN(tr.From) || math.IsInf(tr.From, 0) {
			return "", fmt.Errorf("search: %w: time range %g–%g is empty", clipvec.ErrInvalidQuery, tr.From, tr.To)
		}
		// Overlap, as the local filter reads it: end > from and start <
		// to; or a zero-length segment at from itself (start ≥ from,
		// end ≤ from and start < to hold only for start = end = from).
		to := tr.To
		if math.IsInf(to, 1) || to > math.MaxFloat64/2 {
			to = math.MaxFloat64 / 2
		}
		overlap := join("And", []string{cond(PropEnd, "GreaterThan", "valueNumber", num(tr.From)), cond(PropStart, "LessThan", "valueNumber", num(to))})
		point := join("And", []string{cond(PropStart, "GreaterThanEqual", "valueNumber", num(tr.From)),
			cond(PropEnd, "LessThanEqual", "valueNumber", num(tr.From)), cond(PropStart, "LessThan", "valueNumber", num(to))})
		and = append(and, join("Or", []string{overlap, point}))
	}
	for _, id := range exclude {
		and = append(and, cond(PropSegmentID, "NotEqual", "valueInt", strconv.FormatInt(id, 10)))
	}
	if len(and) == 0 {
		return "", nil
	}
	return join("And", and), nil
}

func cond(prop, op, kind, value string) string {
	return fmt.Sprintf("{path: [%q], operator: %s, %s: %s}", prop, op, kind, value)
}

// join combines conditions with op ("And", "Or"); one stands alone.
func join(op string, conds []string) string {
	if len(conds) == 1 {
		return conds[0]
	}
	return fmt.Sprintf("{operator: %s, operands: [%s]}", op, strings.Join(conds, ", "))
}

// quote writes a GraphQL string: JSON's quoting is a subset of it.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Resolve resolves a --like or --like-video query from the cluster's
// copy of the video, for a local database that does not hold it: the
// clip at the time asked (Like), or the video's whole-video vector of the
// modality, else the mean of its clips (LikeVideo), as clipvec.DB.Resolve
// reads them locally. Other query forms need no vector from the cluster:
// resolve them locally.
func Resolve(ctx context.Context, c *Client, q clipvec.Query, opts SearchOptions) (*clipvec.Resolved, error) {
	video := q.LikeVideo
	if q.Like != nil {
		video = q.Like.VideoID
	}
	if video == "" || (q.Like != nil) == (q.LikeVideo != "") {
		return nil, fmt.Errorf("resolve: %w: only a like or like-video query is read from the cluster", clipvec.ErrInvalidQuery)
	}
	classes, err := collections(ctx, c, opts.Prefix)
	if err != nil {
		return nil, err
	}
	modality := q.Modality
	if q.Like != nil && q.Like.Modality != "" {
		modality = q.Like.Modality
	}
	conds := []string{cond(PropVideoID, "Equal", "valueText", quote(video))}
	if modality != "" {
		conds = append(conds, cond(PropModality, "Equal", "valueText", quote(modality)))
	}
	if q.Like != nil {
		conds = append(conds, cond(PropStart, "LessThanEqual", "valueNumber", num(q.Like.At)),
			join("Or", []string{cond(PropEnd, "GreaterThan", "valueNumber", num(q.Like.At)), cond(PropStart, "Equal", "valueNumber", num(q.Like.At))}))
	}
	var found []object
	var class string
	for _, cl := range classes {
		query := fmt.Sprintf("{ Get { %s(where: %s limit: %d consistencyLevel: %s) { %s _additional { id vector } } } }",
			cl, join("And", conds), maxFetch, level(opts.Consistency), fields)
		objs, err := get(ctx, c, cl, query)
		if err != nil {
			return nil, fmt.Errorf("resolve video %s from %s: %w", video, cl, err)
		}
		if q.Model != "" && len(objs) > 0 && objs[0].Model != q.Model {
			continue
		}
		if len(objs) > 0 && found != nil {
			return nil, fmt.Errorf("resolve: %w: video %s has vectors in several collections (%s, %s); choose one with a model", clipvec.ErrInvalidQuery, video, class, cl)
		}
		if len(objs) > 0 {
			found, class = objs, cl
		}
	}
	if found == nil {
		return nil, fmt.Errorf("resolve: %w: video %s is neither in the local database nor in the cluster", clipvec.ErrNotFound, video)
	}
	if modality == "" {
		if modality, err = pickModality(found, video); err != nil {
			return nil, err
		}
	}
	dim := len(found[0].Additional.Vector)
	sp := clipvec.Space{Model: found[0].Model, Dim: dim}
	r := &clipvec.Resolved{Space: sp, K: q.K, GroupBy: q.GroupBy, Aggregate: q.Aggregate, Filter: q.Filter}
	if r.K == 0 {
		r.K = clipvec.DefaultK
	}
	var vecs [][]float32
	for i := range found {
		o := &found[i]
		if o.Modality != modality || len(o.Additional.Vector) != dim {
			continue
		}
		if q.Like != nil && o.Scope == clipvec.ScopeClip {
			seg := o.hit(sp.Model, opts.Names).Segment
			r.Vector, r.Query = o.Additional.Vector, clipvec.QueryInfo{Kind: clipvec.QueryClip, Clip: &seg}
			if !q.IncludeSelf {
				r.ExcludeSegments = []int64{o.SegmentID}
			}
			if q.ExcludeQueryVideo {
				r.Filter.ExcludeVideos = append(slices.Clip(r.Filter.ExcludeVideos), video)
			}
			return r, nil
		}
		if q.LikeVideo != "" && o.Scope == clipvec.ScopeVideo {
			r.Vector = o.Additional.Vector
			r.Query = clipvec.QueryInfo{Kind: clipvec.QueryVideo, VideoID: video, Modality: modality, Scope: o.Scope}
			break
		}
		if o.Scope == clipvec.ScopeClip {
			vecs = append(vecs, o.Additional.Vector)
		}
	}
	if q.Like != nil {
		return nil, fmt.Errorf("resolve: %w: video %s has no %s clip at %gs in the cluster", clipvec.ErrNotFound, video, modality, q.Like.At)
	}
	if r.Vector == nil {
		if len(vecs) == 0 {
			return nil, fmt.Errorf("resolve: %w: video %s has no %s segment in the cluster", clipvec.ErrNotFound, video, modality)
		}
		// The mean of the clips, normalised, as clipvec.DB.Resolve makes it.
		r.Vector = vecmath.Mean(make([]float32, dim), vecs)
		if _, err := vecmath.Normalize(r.Vector); err != nil {
			return nil, fmt.Errorf("resolve: mean of video %s's clips: %w", video, err)
		}
		r.Query = clipvec.QueryInfo{Kind: clipvec.QueryVideo, VideoID: video, Modality: modality, Clips: len(vecs)}
	}
	if !q.IncludeSelf {
		r.Filter.ExcludeVideos = append(slices.Clip(r.Filter.ExcludeVideos), video)
	}
	return r, nil
}

// pickModality chooses as the library does: visual, else visual-text,
// else the only one.
func pickModality(objs []object, video string) (string, error) {
	have := map[string]bool{}
	for _, o := range objs {
		have[o.Modality] = true
	}
	for _, m := range []string{"visual", "visual-text"} {
		if have[m] {
			return m, nil
		}
	}
	if len(have) == 1 {
		return objs[0].Modality, nil
	}
	var names []string
	for m := range have {
		names = append(names, m)
	}
	slices.Sort(names)
	return "", fmt.Errorf("resolve: %w: video %s has segments of several modalities in the cluster (%s); choose one", clipvec.ErrInvalidQuery, video, strings.Join(names, ", "))
}

// collections lists the cluster's collections that carry prefix.
func collections(ctx context.Context, c *Client, prefix string) ([]string, error) {
	var schema struct {
		Classes []struct {
			Class string `json:"class"`
		} `json:"classes"`
	}
	if err := c.Do(ctx, "GET", "/v1/schema", nil, &schema); err != nil {
		return nil, fmt.Errorf("list the cluster's collections: %w", err)
	}
	// The part of a collection's name before its model: "Clipvec_".
	start := strings.TrimSuffix(CollectionName(prefix, "", 0), "_0")
	var out []string
	for _, cl := range schema.Classes {
		if strings.HasPrefix(cl.Class, start) {
			out = append(out, cl.Class)
		}
	}
	return out, nil
}

// countObjects is how many objects collection class holds, from an
// Aggregate query: Weaviate counts across shards only with every node up
// (one down makes it an error).
func countObjects(ctx context.Context, c *Client, class string) (int, error) {
	var data struct {
		Aggregate map[string][]struct {
			Meta struct {
				Count int `json:"count"`
			} `json:"meta"`
		} `json:"Aggregate"`
	}
	if err := c.GraphQL(ctx, fmt.Sprintf("{ Aggregate { %s { meta { count } } } }", class), &data); err != nil {
		return 0, fmt.Errorf("count the objects of %s: %w", class, err)
	}
	rows := data.Aggregate[class]
	if len(rows) != 1 {
		return 0, fmt.Errorf("count the objects of %s: %d answers", class, len(rows))
	}
	return rows[0].Meta.Count, nil
}
