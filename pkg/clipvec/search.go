package clipvec

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/clipvec/clipvec/internal/engine"
	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// Grouping and aggregation of search results.
const (
	// GroupByVideo returns videos instead of clips: each video once, as
	// its best-matching segment, scored by the aggregate.
	GroupByVideo = "video"
	// AggMax scores a video by its best-matching segment (the default).
	AggMax = "max"
	// AggMean scores a video by the mean similarity of its matching
	// segments: videos that match throughout rank above one lucky clip.
	AggMean = "mean"
)

// DefaultK is the number of results when Query.K is 0.
const DefaultK = 10

// Filter restricts which segments a search may return. Zero fields
// restrict nothing.
//
// A filter that names what is not there is a mistake, not an empty
// answer: a modality or scope the space searched holds no segment of is
// a *FilterValueError (ErrInvalidQuery), a video id the database does
// not hold a *VideoRefError (ErrNotFound).
type Filter struct {
	// Modalities keeps segments of these modalities (visual, audio, ...).
	Modalities []string `json:"modalities,omitempty"`
	// Scopes keeps segments of these scopes: ScopeClip, ScopeVideo
	// (ScopeAsset means ScopeVideo).
	Scopes []string `json:"scopes,omitempty"`
	// Videos keeps only these videos; ExcludeVideos drops these. Both
	// take whole video ids (see DB.ResolveVideo for prefixes and file
	// names).
	Videos        []string `json:"videos,omitempty"`
	ExcludeVideos []string `json:"exclude_videos,omitempty"`
	// TimeRange keeps segments that overlap [From, To) seconds.
	TimeRange *TimeRange `json:"time_range,omitempty"`
}

// TimeRange is a span of a video in seconds.
type TimeRange struct {
	From float64 `json:"from"`
	To   float64 `json:"to"`
}

// SegmentRef names a segment by position: the clip of VideoID (a whole
// id) whose time range [start, end) contains At seconds, of Modality
// (optional when the video has only one there, or a visual one). A time
// from the last clip's end to the video's duration is the last clip's.
type SegmentRef struct {
	VideoID  string  `json:"video_id"`
	At       float64 `json:"at"`
	Modality string  `json:"modality,omitempty"`
}

// Query is a nearest-neighbour question. Exactly one of Vector, Like,
// LikeVideo, Text and Image says what to search for.
type Query struct {
	// Vector searches for segments similar to this vector (any length;
	// it is normalised). Its dimension picks the space; Model is needed
	// only when several spaces share that dimension.
	Vector []float32 `json:"vector,omitempty"`
	// Like searches for segments similar to an existing clip.
	Like *SegmentRef `json:"like,omitempty"`
	// LikeVideo searches for segments similar to a whole video: its
	// video-scope vector of the chosen option if it has one, otherwise
	// the mean of its clip vectors of that option.
	LikeVideo string `json:"like_video,omitempty"`
	// Text searches for segments that match a text, and Image for
	// segments like an image (an http(s) URL or a local file's path):
	// each is turned into a vector of the space with its model, from the
	// database's query cache or by DB.Embedder (see EmbedQuery). Model
	// ("model" or "model/dim") picks the space when there are several.
	Text  string `json:"text,omitempty"`
	Image string `json:"image,omitempty"`
	// Option picks the modality of a LikeVideo query (default: visual if
	// the video has it, else its only option).
	Modality string `json:"modality,omitempty"`
	// Model picks the space when the query alone does not.
	Model string `json:"model,omitempty"`
	// K is how many results to return (DefaultK when 0).
	K      int    `json:"k,omitempty"`
	Filter Filter `json:"filter"`
	// GroupBy is "" (segments) or GroupByVideo.
	GroupBy string `json:"group_by,omitempty"`
	// Aggregate is AggMax (default) or AggMean, with GroupByVideo.
	Aggregate string `json:"aggregate,omitempty"`
	// IncludeSelf keeps the query's own segment (Like) or own video
	// (LikeVideo) in the results; by default they are left out, since
	// they trivially match best.
	IncludeSelf bool `json:"include_self,omitempty"`
	// ExcludeQueryVideo leaves out every segment of the Like segment's
	// video, to find other videos only.
	ExcludeQueryVideo bool `json:"exclude_query_video,omitempty"`
	// Exact compares the query with every vector of the space instead of
	// searching the graph: slower, and the true top K.
	Exact bool `json:"exact,omitempty"`
	// Ef is the graph search's candidate list (0: the database's
	// default: the ef the graph calibrated for IndexParams.TargetRecall,
	// or a fixed IndexParams.EfSearch; at least K). Higher finds more of
	// the true top K, more slowly.
	Ef int `json:"ef,omitempty"`
}

// Hit is one search result.
type Hit struct {
	Segment
	// Score is the cosine similarity to the query (for grouped results,
	// the video's aggregate).
	Score float32 `json:"score"`
	// Filename is the video's file name, when known.
	Filename string `json:"filename,omitempty"`
	// Matches counts the video's matching segments (grouped results).
	Matches int `json:"matches,omitempty"`
}

// Result is a search's answer.
type Result struct {
	Space Space `json:"space"`
	// Query is what was searched for, resolved (which clip, which of a
	// video's vectors): words for it are the caller's to choose.
	Query QueryInfo `json:"query"`
	// Searched counts the segments compared with the query: the nodes a
	// graph walk scored (a few hundred to a few thousand, however large
	// the space), the segments a filter left (exact-filtered), or every
	// live segment of the space (exact). Space.Segments is the space's
	// size.
	Searched int `json:"searched"`
	// Method says how the answer was found: "graph" (HNSW, with Ef),
	// "exact" (every vector compared), or "exact-filtered" (a filter left
	// few enough segments to compare them all).
	Method Method `json:"method"`
	Ef     int    `json:"ef,omitempty"`
	// Recall is the estimated recall@10 of a graph search at Ef, from
	// the graph's calibration (see IndexStatus.Calibration); 0 when the
	// graph has none (a database with a fixed ef that was never
	// calibrated).
	Recall float64 `json:"recall,omitempty"`
	// QuerySource says where a text or image query's vector came from:
	// QueryFromCache or QueryFromEmbedder ("" for other queries).
	QuerySource string `json:"query_source,omitempty"`
	Hits        []Hit  `json:"hits"`
}

// Method says how a search was answered.
type Method string

// Search methods (Result.Method).
const (
	MethodGraph         = Method(engine.MethodGraph)         // the HNSW graph, with Ef
	MethodExact         = Method(engine.MethodExact)         // every vector compared
	MethodExactFiltered = Method(engine.MethodExactFiltered) // a filter left few enough segments to compare them all
	// MethodRemote: a mirror of the database in a cluster answered
	// (clipvec search --remote), not this database.
	MethodRemote = Method("remote")
)

// QueryInfo says what a search searched for, once resolved.
type QueryInfo struct {
	// Kind is QueryVector, QueryClip, QueryVideo, QueryText or QueryImage.
	Kind string `json:"kind"`
	// Dim is a vector query's dimension.
	Dim int `json:"dim,omitempty"`
	// Clip is the query clip (QueryClip), without its vector.
	Clip *Segment `json:"clip,omitempty"`
	// VideoID is the query video (QueryVideo); Modality the modality of
	// its vector; Scope the scope of its whole-video vector, or "" when
	// it has none and Clips of its clip vectors were averaged.
	VideoID  string `json:"video_id,omitempty"`
	Modality string `json:"modality,omitempty"`
	Scope    string `json:"scope,omitempty"`
	Clips    int    `json:"clips,omitempty"`
	// Text and Image are a text or image query's input.
	Text  string `json:"text,omitempty"`
	Image string `json:"image,omitempty"`
	// Positive and Negative are a recommendation's example videos.
	Positive []string `json:"positive,omitempty"`
	Negative []string `json:"negative,omitempty"`
}

// Query kinds (QueryInfo.Kind); QueryText and QueryImage are also the
// query cache's kinds.
const (
	QueryVector = "vector"
	QueryClip   = "clip"
	QueryVideo  = "video"
)

// Where a text or image query's vector came from (Result.QuerySource).
const (
	QueryFromCache    = "cache"
	QueryFromEmbedder = "embedder"
)

// Search answers q in the query's embedding space: by default through
// the space's HNSW graph (approximate: Ef trades speed for recall), or by
// comparing every vector (Exact, and always for Aggregate = AggMean).
// Filters apply inside the graph walk; when a filter leaves few segments
// the search compares those exactly, and a graph search that finds fewer
// than K matches falls back to an exact scan, so K results come back
// whenever K segments match.
func (db *DB) Search(ctx context.Context, q Query) (*Result, error) {
	// One read of the generation serves the spaces, the parameters and
	// the file names (each cached per generation).
	gen, err := db.store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	p, err := db.prepare(ctx, gen, q)
	if err != nil {
		return nil, err
	}
	if err := db.checkFilter(ctx, gen, p); err != nil {
		return nil, err
	}
	ans, err := db.eng.Search(ctx, p.space.row(), gen, p.req)
	if err != nil {
		return nil, err
	}
	return db.result(ctx, gen, p, ans)
}

// prepared is a query resolved into an engine request in one space.
type prepared struct {
	req    engine.Request
	space  Space
	desc   QueryInfo
	source string
	// query is the query with its defaults; filter and exclude what it
	// runs with (its own clip or video left out).
	query   Query
	filter  Filter
	exclude []int64
}

// prepare checks q and resolves it into a request.
func (db *DB) prepare(ctx context.Context, gen int64, q Query) (*prepared, error) {
	if err := validateQuery(&q); err != nil {
		return nil, err
	}
	if err := db.checkQueryVideos(ctx, gen, &q); err != nil {
		return nil, err
	}
	var vec []float32
	var sp Space
	var source string
	var desc QueryInfo
	var exclude []int64
	var err error
	if q.Text != "" || q.Image != "" {
		vec, sp, desc, source, err = db.resolveInput(ctx, &q)
	} else {
		vec, sp, desc, exclude, err = db.resolve(ctx, gen, &q)
	}
	if err != nil {
		return nil, err
	}
	flt := q.Filter
	switch {
	case q.LikeVideo != "" && !q.IncludeSelf:
		flt.ExcludeVideos = append(slices.Clip(flt.ExcludeVideos), q.LikeVideo)
	case q.Like != nil && q.ExcludeQueryVideo:
		flt.ExcludeVideos = append(slices.Clip(flt.ExcludeVideos), q.Like.VideoID)
	}
	if q.Like != nil && q.IncludeSelf {
		exclude = nil
	}
	return &prepared{req: engineRequest(vec, &q, flt, exclude), space: sp, desc: desc, source: source,
		query: q, filter: flt, exclude: exclude}, nil
}

// Resolved is a query resolved as Search resolves it, for an engine other
// than the database's own (a mirror of it in a cluster): its unit vector
// in one space, what it is, and the filter to apply, the query's own clip
// (ExcludeSegments) or video (Filter.ExcludeVideos) already left out.
type Resolved struct {
	Space       Space
	Vector      []float32
	Query       QueryInfo
	QuerySource string
	// K, GroupBy and Aggregate are the query's, defaults applied.
	K                  int
	GroupBy, Aggregate string
	Filter             Filter
	ExcludeSegments    []int64
}

// Resolve checks q and resolves it as Search does (reading the query
// clip's or video's vectors, embedding a text through the query cache),
// without searching. Its filter is left for the engine that searches:
// the videos, modalities and scopes it names are not checked.
func (db *DB) Resolve(ctx context.Context, q Query) (*Resolved, error) {
	gen, err := db.store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	p, err := db.prepare(ctx, gen, q)
	if err != nil {
		return nil, err
	}
	return &Resolved{Space: p.space, Vector: p.req.Vector, Query: p.desc, QuerySource: p.source,
		K: p.query.K, GroupBy: p.query.GroupBy, Aggregate: p.query.Aggregate,
		Filter: p.filter, ExcludeSegments: p.exclude}, nil
}

// engineRequest is the engine's form of a search for vec.
func engineRequest(vec []float32, q *Query, flt Filter, exclude []int64) engine.Request {
	req := engine.Request{Vector: vec, K: q.K, Ef: q.Ef, Exact: q.Exact,
		ByVideo: q.GroupBy == GroupByVideo, Mean: q.GroupBy == GroupByVideo && q.Aggregate == AggMean,
		Filter: engine.Filter{Modalities: flt.Modalities, Scopes: flt.Scopes, Videos: flt.Videos, ExcludeVideos: flt.ExcludeVideos,
			ExcludeSegments: exclude}}
	if tr := flt.TimeRange; tr != nil {
		req.Filter.Timed, req.Filter.From, req.Filter.To = true, tr.From, tr.To
	}
	return req
}

// result turns the engine's answer to p into the library's.
func (db *DB) result(ctx context.Context, gen int64, p *prepared, ans *engine.Answer) (*Result, error) {
	names, err := db.filenamesAt(ctx, gen)
	if err != nil {
		return nil, err
	}
	res := &Result{Space: p.space, Query: p.desc, Searched: ans.Searched, Method: Method(ans.Method), Ef: ans.Ef,
		Recall: ans.Recall, QuerySource: p.source, Hits: make([]Hit, len(ans.Hits))}
	for i, h := range ans.Hits {
		res.Hits[i] = Hit{Segment: segmentOf(&h.Segment), Score: h.Score, Filename: names[h.Segment.VideoID], Matches: h.Matches}
		res.Hits[i].Vector = h.Vector
	}
	return res, nil
}

func validateQuery(q *Query) error {
	n := 0
	if q.Vector != nil {
		n++
	}
	if q.Like != nil {
		n++
	}
	if q.LikeVideo != "" {
		n++
	}
	if q.Text != "" {
		n++
	}
	if q.Image != "" {
		n++
	}
	if n != 1 {
		return fmt.Errorf("search: %w: give exactly one of a vector, a segment (like), a video (like-video), a text or an image", ErrInvalidQuery)
	}
	if q.K == 0 {
		q.K = DefaultK
	}
	if q.K < 0 {
		return fmt.Errorf("search: %w: k is %d, want a positive number", ErrInvalidQuery, q.K)
	}
	switch q.GroupBy {
	case "", GroupByVideo:
	default:
		return fmt.Errorf("search: %w: group by %q, want %q or nothing", ErrInvalidQuery, q.GroupBy, GroupByVideo)
	}
	switch q.Aggregate {
	case "":
		q.Aggregate = AggMax
	case AggMax, AggMean:
	default:
		return fmt.Errorf("search: %w: aggregate %q, want %q or %q", ErrInvalidQuery, q.Aggregate, AggMax, AggMean)
	}
	if slices.Contains(q.Filter.Scopes, ScopeAsset) {
		// Import stores embed API v2's "asset" as ScopeVideo; the
		// caller's slice is left alone.
		q.Filter.Scopes = slices.Clone(q.Filter.Scopes)
		for i := range q.Filter.Scopes {
			if q.Filter.Scopes[i] == ScopeAsset {
				q.Filter.Scopes[i] = ScopeVideo
			}
		}
	}
	if tr := q.Filter.TimeRange; tr != nil && !(tr.From < tr.To) {
		return fmt.Errorf("search: %w: time range %g–%g is empty", ErrInvalidQuery, tr.From, tr.To)
	}
	if q.Model != "" && !strings.Contains(q.Model, "/") { // "model/dim" is a text or image query's
		q.Model = ingest.CanonicalModel(q.Model)
	}
	if q.Ef < 0 {
		return fmt.Errorf("search: %w: ef is %d, want a positive number", ErrInvalidQuery, q.Ef)
	}
	return nil
}

// resolve turns the query into a unit vector in one space, what it is,
// and the segment ids to leave out (the query segment itself).
func (db *DB) resolve(ctx context.Context, gen int64, q *Query) (vec []float32, sp Space, desc QueryInfo, exclude []int64, err error) {
	spaces, err := db.spacesAt(ctx, gen)
	if err != nil {
		return nil, sp, desc, nil, err
	}
	switch {
	case q.Vector != nil:
		vec = slices.Clone(q.Vector)
		if _, err := vecmath.Normalize(vec); err != nil {
			// A zero or non-finite query is a question that cannot be
			// answered: ErrInvalidQuery, as well as the vector's error.
			return nil, sp, desc, nil, &alsoError{fmt.Errorf("search: query vector: %w", err), ErrInvalidQuery}
		}
		sp, err = pickSpace(spaces, q.Model, len(vec), "a "+fmt.Sprint(len(vec))+"-d query vector", "search")
		return vec, sp, QueryInfo{Kind: QueryVector, Dim: len(vec)}, nil, err
	case q.Like != nil:
		return db.resolveLike(ctx, q, spaces)
	default:
		return db.resolveLikeVideo(ctx, q, spaces)
	}
}

// resolveInput turns a text or image query into a unit vector of the
// space it names, what it is, and where the vector came from.
func (db *DB) resolveInput(ctx context.Context, q *Query) (vec []float32, sp Space, desc QueryInfo, source string, err error) {
	if sp, err = db.QuerySpace(ctx, q.Model); err != nil {
		return nil, sp, desc, "", err
	}
	in := QueryInput{Text: q.Text, Image: q.Image}
	vec, cached, err := db.EmbedQuery(ctx, sp, in)
	if err != nil {
		return nil, sp, desc, "", fmt.Errorf("search: %w", err)
	}
	vec = slices.Clone(vec)
	if _, err := vecmath.Normalize(vec); err != nil {
		return nil, sp, desc, "", fmt.Errorf("search: query vector: %w", err)
	}
	desc = QueryInfo{Kind: QueryImage, Image: in.Image}
	if in.Text != "" {
		desc = QueryInfo{Kind: QueryText, Text: in.Text}
	}
	source = QueryFromEmbedder
	if cached {
		source = QueryFromCache
	}
	return vec, sp, desc, source, nil
}

// pickSpace chooses the space for a query of dimension dim (0: any).
func pickSpace(spaces []Space, model string, dim int, what, op string) (Space, error) {
	var match []Space
	for _, s := range spaces {
		if (model == "" || s.Model == model) && (dim == 0 || s.Dim == dim) {
			match = append(match, s)
		}
	}
	switch {
	case len(spaces) == 0:
		return Space{}, fmt.Errorf("%s: %w: the database is empty; import some embeddings first", op, ErrNotFound)
	case len(match) == 1:
		return match[0], nil
	case len(match) == 0:
		want := what
		if model != "" {
			want += " in model " + model
		}
		return Space{}, fmt.Errorf("%s: %w: no embedding space fits %s; the database has %s", op, ErrInvalidQuery, want, listSpaces(spaces))
	default:
		return Space{}, fmt.Errorf("%s: %w: %s fits several embedding spaces (%s); choose one with a model", op, ErrInvalidQuery, what, listSpaces(match))
	}
}

func listSpaces(spaces []Space) string {
	var parts []string
	for _, s := range spaces {
		parts = append(parts, fmt.Sprintf("%s (%d segments)", s, s.Segments))
	}
	return strings.Join(parts, ", ")
}

// videoSegments loads the segments of one video (in model, if set).
func (db *DB) videoSegments(ctx context.Context, video, model string, at *float64) ([]Segment, error) {
	q := sqlite.SegmentQuery{VideoID: video, Model: model}
	if at != nil {
		q.At, q.HasAt = *at, true
	}
	var out []Segment
	err := db.store.Segments(ctx, q, func(s *sqlite.Segment) error {
		seg := segmentOf(s)
		seg.Vector = slices.Clone(s.Vector)
		out = append(out, seg)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 && at != nil {
		// Say why: no such video, or nothing at that time.
		if _, err := db.store.Video(ctx, video); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	return out, nil
}

func (db *DB) resolveLike(ctx context.Context, q *Query, spaces []Space) ([]float32, Space, QueryInfo, []int64, error) {
	ref := q.Like
	at := ref.At
	clips, err := db.clipsAt(ctx, ref.VideoID, q.Model, ref.Modality, at)
	if err != nil {
		return nil, Space{}, QueryInfo{}, nil, err
	}
	sp, err := oneSpace(clips, spaces, q.Model, "video "+ref.VideoID)
	if err != nil {
		return nil, Space{}, QueryInfo{}, nil, err
	}
	clips = inSpace(clips, sp)
	s, err := pickOption(clips, ref.Modality, fmt.Sprintf("video %s at %gs", ref.VideoID, at))
	if err != nil {
		return nil, Space{}, QueryInfo{}, nil, err
	}
	clip := s
	clip.Vector = nil
	return s.Vector, sp, QueryInfo{Kind: QueryClip, Clip: &clip}, []int64{s.ID}, nil
}

func (db *DB) resolveLikeVideo(ctx context.Context, q *Query, spaces []Space) ([]float32, Space, QueryInfo, []int64, error) {
	segs, err := db.videoSegments(ctx, q.LikeVideo, q.Model, nil)
	if err != nil {
		return nil, Space{}, QueryInfo{}, nil, err
	}
	if len(segs) == 0 {
		if _, err := db.store.Video(ctx, q.LikeVideo); err != nil {
			return nil, Space{}, QueryInfo{}, nil, fmt.Errorf("search: %w", err)
		}
		return nil, Space{}, QueryInfo{}, nil, fmt.Errorf("search: %w: video %s has no segments%s", ErrNotFound, q.LikeVideo, inModel(q.Model))
	}
	sp, err := oneSpace(segs, spaces, q.Model, "video "+q.LikeVideo)
	if err != nil {
		return nil, Space{}, QueryInfo{}, nil, err
	}
	segs = inSpace(segs, sp)
	first, err := pickOption(segs, q.Modality, "video "+q.LikeVideo)
	if err != nil {
		return nil, Space{}, QueryInfo{}, nil, err
	}
	opt := first.Modality
	var clips [][]float32
	for _, s := range segs {
		if s.Modality != opt {
			continue
		}
		if s.IsWhole() {
			return s.Vector, sp, QueryInfo{Kind: QueryVideo, VideoID: q.LikeVideo, Modality: opt, Scope: s.Scope}, nil, nil
		}
		clips = append(clips, s.Vector)
	}
	mean := vecmath.Mean(make([]float32, sp.Dim), clips)
	if _, err := vecmath.Normalize(mean); err != nil {
		return nil, Space{}, QueryInfo{}, nil, fmt.Errorf("search: mean of video %s's clips: %w", q.LikeVideo, err)
	}
	return mean, sp, QueryInfo{Kind: QueryVideo, VideoID: q.LikeVideo, Modality: opt, Clips: len(clips)}, nil, nil
}

func inModel(model string) string {
	if model == "" {
		return ""
	}
	return " in model " + model
}

// oneSpace returns the single space segs are in, or explains the choice.
func oneSpace(segs []Segment, spaces []Space, model, what string) (Space, error) {
	var found []Space
	for _, s := range segs {
		sp := Space{Model: s.Model, Dim: len(s.Vector)}
		dup := false
		for _, f := range found {
			dup = dup || (f.Model == sp.Model && f.Dim == sp.Dim)
		}
		if !dup {
			found = append(found, sp)
		}
	}
	if len(found) > 1 {
		for i := range found {
			for _, s := range spaces {
				if s.Model == found[i].Model && s.Dim == found[i].Dim {
					found[i] = s
				}
			}
		}
		return Space{}, fmt.Errorf("search: %w: %s has vectors in several embedding spaces (%s); choose one with a model", ErrInvalidQuery, what, listSpaces(found))
	}
	for _, s := range spaces {
		if s.Model == found[0].Model && s.Dim == found[0].Dim {
			return s, nil
		}
	}
	return Space{}, fmt.Errorf("search: %w: space %s vanished", ErrNotFound, found[0])
}

func inSpace(segs []Segment, sp Space) []Segment {
	var out []Segment
	for _, s := range segs {
		if s.Model == sp.Model && len(s.Vector) == sp.Dim {
			out = append(out, s)
		}
	}
	return out
}

// pickOption chooses among segments of different modalities: the one
// asked for, else visual (or 2.7's visual-text), else the only one.
func pickOption(segs []Segment, option, what string) (Segment, error) {
	have := map[string]bool{}
	for _, s := range segs {
		have[s.Modality] = true
	}
	if option != "" {
		for _, s := range segs {
			if s.Modality == option {
				return s, nil
			}
		}
		return Segment{}, fmt.Errorf("search: %w: %s has no %s segment (it has %s)", ErrNotFound, what, option, optionList(have))
	}
	for _, pref := range []string{"visual", "visual-text"} {
		if have[pref] {
			for _, s := range segs {
				if s.Modality == pref {
					return s, nil
				}
			}
		}
	}
	if len(have) == 1 {
		return segs[0], nil
	}
	return Segment{}, fmt.Errorf("search: %w: %s has segments of several options (%s); choose one", ErrInvalidQuery, what, optionList(have))
}

func optionList(have map[string]bool) string {
	var names []string
	for o := range have {
		names = append(names, optionName(o))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// optionName shows the empty option (v1.2 responses name none) readably.
func optionName(o string) string {
	if o == "" {
		return "(unnamed)"
	}
	return o
}

func span(start, end float64) string {
	return fmt.Sprintf("%s–%s s", trimFloat(start), trimFloat(end))
}

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

// ReadQueryVector reads one query vector from r: a JSON array of numbers,
// an object with a "vector" or "embedding" array, or a saved embed
// response with one embedding (embed-v2 data[0].embedding, v1
// text_embedding or image_embedding). A file of several query objects
// needs pick, an index or a name. model is the response's model_name,
// canonicalised, when it names one.
func ReadQueryVector(r io.Reader, pick string) (vec []float32, model string, err error) {
	return ingest.QueryVector(r, pick)
}

// filenamesAt maps video ids to file names, read once per generation.
func (db *DB) filenamesAt(ctx context.Context, gen int64) (map[string]string, error) {
	return db.names.Get(gen, func() (map[string]string, error) { return db.store.Filenames(ctx) })
}

// VideoSegments lists a video's segments by model, dimension, modality,
// scope and time, with their vectors when vectors is true. An unknown
// video is an error wrapping ErrNotFound.
func (db *DB) VideoSegments(ctx context.Context, videoID string, vectors bool) ([]Segment, error) {
	if _, err := db.store.Video(ctx, videoID); err != nil {
		return nil, err
	}
	var out []Segment
	err := db.store.Segments(ctx, sqlite.SegmentQuery{VideoID: videoID, Order: sqlite.OrderVideo}, func(s *sqlite.Segment) error {
		seg := segmentOf(s)
		if vectors {
			seg.Vector = slices.Clone(s.Vector)
		}
		out = append(out, seg)
		return nil
	})
	return out, err
}
