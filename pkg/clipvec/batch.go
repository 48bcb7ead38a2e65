package clipvec

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/clipvec/clipvec/internal/engine"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// BatchResult is one query's answer in a batch: its result, or the error
// that query alone met.
type BatchResult struct {
	Result *Result
	Err    error
}

// SearchBatch answers many queries; results[i] answers qs[i]. A query
// that cannot be answered (a bad filter, an unknown video) gets its own
// Err and does not fail the others; the returned error is the batch's
// (the database unreadable, ctx ended).
//
// Exact queries of one space share passes over its vectors, up to
// MaxExactBatch at a time: each block of vectors is compared with all
// of them while it is in cache, which measured at 100k × 512 is several
// times faster than the same queries one by one (see
// benchmarks/cmd/exactbench -batch). Graph queries run in parallel on
// DB.Threads goroutines. Every result is the one Search gives.
func (db *DB) SearchBatch(ctx context.Context, qs []Query) ([]BatchResult, error) {
	gen, err := db.store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]BatchResult, len(qs))
	preps := make([]*prepared, len(qs))
	for i := range qs {
		if preps[i], out[i].Err = db.prepare(ctx, gen, qs[i]); out[i].Err == nil {
			if err := db.checkFilter(ctx, gen, preps[i]); err != nil {
				preps[i], out[i].Err = nil, err
			}
		}
		if out[i].Err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if err := db.answer(ctx, gen, preps, out); err != nil {
		return nil, err
	}
	return out, nil
}

// MaxExactBatch is how many exact queries share one pass over a space's
// vectors.
const MaxExactBatch = engine.MaxExactBatch

// answer runs the prepared queries (nil ones are skipped), one engine
// batch per space, and fills out.
func (db *DB) answer(ctx context.Context, gen int64, preps []*prepared, out []BatchResult) error {
	type group struct {
		space Space
		which []int
	}
	var groups []*group
	for i, p := range preps {
		if p == nil {
			continue
		}
		j := slices.IndexFunc(groups, func(g *group) bool { return g.space.Model == p.space.Model && g.space.Dim == p.space.Dim })
		if j < 0 {
			groups = append(groups, &group{space: p.space})
			j = len(groups) - 1
		}
		groups[j].which = append(groups[j].which, i)
	}
	for _, g := range groups {
		reqs := make([]engine.Request, len(g.which))
		for k, i := range g.which {
			reqs[k] = preps[i].req
		}
		answers, err := db.eng.SearchBatch(ctx, g.space.row(), gen, reqs)
		if err != nil {
			return err
		}
		for k, i := range g.which {
			if out[i].Result, err = db.result(ctx, gen, preps[i], answers[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// What NeighboursQuery.Of lists the neighbours of.
const (
	NeighboursOfVideos = "videos"
	NeighboursOfClips  = "clips"
)

// NeighboursQuery asks for the nearest neighbours of every video, or
// every clip, of one embedding space: a nightly job's "top N similar"
// table.
type NeighboursQuery struct {
	// Of is NeighboursOfVideos (each video's most similar other videos)
	// or NeighboursOfClips (each clip's most similar other clips).
	Of string
	// K is how many neighbours each gets (DefaultK when 0).
	K int
	// Model picks the space ("model" or "model/dim") when there are
	// several.
	Model string
	// Modality is the modality of the query vectors: a video's vector
	// as Query.LikeVideo picks it (default: visual if the video has it,
	// else its only one), or the clips listed (default: every clip).
	Modality string
	// Filter restricts the neighbours (not the queries).
	Filter Filter
	// OtherVideos leaves a clip's own video out of its neighbours.
	OtherVideos bool
	// Exact compares every vector (true neighbours; queries share passes
	// over the vectors); otherwise the graph answers, in parallel.
	Exact bool
	Ef    int
	// AfterVideo and AfterSegment resume an interrupted run: videos come
	// in id order and clips in segment id order, and only those after
	// these are listed.
	AfterVideo   string
	AfterSegment int64
	// Progress, when set, is called after each video or clip handed to
	// fn: listed by this run, of total (the database's videos, or the
	// space's clips of the modality, those before the resume point
	// included).
	Progress func(listed, total int)
}

// Neighbours is one video's or one clip's nearest neighbours.
type Neighbours struct {
	// VideoID is the query video, or the query clip's video.
	VideoID string `json:"video_id"`
	// Clip is the query clip (NeighboursOfClips), without its vector.
	Clip *Segment `json:"clip,omitempty"`
	// Modality is the query vector's modality.
	Modality string `json:"modality"`
	Hits     []Hit  `json:"neighbours"`
}

// neighboursBlock is how many queries go to the engine at once: memory
// stays bounded by this many queries' vectors and hits.
const neighboursBlock = 256

// Neighbours computes the neighbours of every video or clip of one space
// and hands them to fn in order (videos by id, clips by segment id).
// Memory is bounded: queries go in blocks, read from the database page by
// page. An error from fn stops the run and is returned.
//
// A video's neighbours are other videos (GroupByVideo, scored by their
// best clip); a clip's are other segments. A video or clip whose query
// cannot be made (no segment of the modality) is skipped.
func (db *DB) Neighbours(ctx context.Context, q NeighboursQuery, fn func(*Neighbours) error) error {
	if q.K == 0 {
		q.K = DefaultK
	}
	probe := Query{Vector: []float32{1}, K: q.K, Filter: q.Filter, Ef: q.Ef}
	if err := validateQuery(&probe); err != nil {
		return fmt.Errorf("neighbours: %w", err)
	}
	q.Filter = probe.Filter
	sp, err := db.QuerySpace(ctx, q.Model)
	if err != nil {
		return fmt.Errorf("neighbours: %w", err)
	}
	if err := db.checkNeighbours(ctx, sp, &q); err != nil {
		return err
	}
	switch q.Of {
	case NeighboursOfVideos:
		return db.videoNeighbours(ctx, q, sp, fn)
	case NeighboursOfClips:
		return db.clipNeighbours(ctx, q, sp, fn)
	default:
		return fmt.Errorf("neighbours: %w: of %q, want %q or %q", ErrInvalidQuery, q.Of, NeighboursOfVideos, NeighboursOfClips)
	}
}

func (db *DB) videoNeighbours(ctx context.Context, q NeighboursQuery, sp Space, fn func(*Neighbours) error) error {
	videos, err := db.Videos(ctx)
	if err != nil {
		return err
	}
	var ids []string
	total := 0
	for _, v := range videos {
		if v.Segments == 0 {
			continue
		}
		total++
		if v.ID > q.AfterVideo || q.AfterVideo == "" {
			ids = append(ids, v.ID)
		}
	}
	listed := 0
	for len(ids) > 0 {
		n := min(len(ids), neighboursBlock)
		block := ids[:n]
		ids = ids[n:]
		gen, err := db.store.Generation(ctx)
		if err != nil {
			return err
		}
		preps := make([]*prepared, len(block))
		for i, id := range block {
			p, err := db.prepare(ctx, gen, Query{LikeVideo: id, Modality: q.Modality, Model: sp.Model, K: q.K,
				Filter: q.Filter, GroupBy: GroupByVideo, Exact: q.Exact, Ef: q.Ef})
			switch {
			case err == nil:
				preps[i] = p
			case !errors.Is(err, ErrNotFound):
				return fmt.Errorf("neighbours: video %s: %w", id, err)
			}
		}
		out := make([]BatchResult, len(block))
		if err := db.answer(ctx, gen, preps, out); err != nil {
			return err
		}
		for i, r := range out {
			if r.Result == nil {
				continue
			}
			if err := fn(&Neighbours{VideoID: block[i], Modality: r.Result.Query.Modality, Hits: r.Result.Hits}); err != nil {
				return err
			}
			if listed++; q.Progress != nil {
				q.Progress(listed, total)
			}
		}
	}
	return nil
}

func (db *DB) clipNeighbours(ctx context.Context, q NeighboursQuery, sp Space, fn func(*Neighbours) error) error {
	after := q.AfterSegment
	var mods []string
	if q.Modality != "" {
		mods = []string{q.Modality}
	}
	total, err := db.eng.Count(ctx, sp.row(), engine.Filter{Modalities: mods, Scopes: []string{ScopeClip}})
	if err != nil {
		return err
	}
	listed := 0
	for {
		gen, err := db.store.Generation(ctx)
		if err != nil {
			return err
		}
		var clips []Segment
		sq := sqlite.SegmentQuery{Model: sp.Model, Dim: sp.Dim, Option: q.Modality, Scope: ScopeClip, AfterID: after, Limit: neighboursBlock}
		err = db.store.Segments(ctx, sq, func(s *sqlite.Segment) error {
			seg := segmentOf(s)
			seg.Vector = slices.Clone(s.Vector)
			clips = append(clips, seg)
			return nil
		})
		if err != nil || len(clips) == 0 {
			return err
		}
		after = clips[len(clips)-1].ID
		preps := make([]*prepared, len(clips))
		for i := range clips {
			c := &clips[i]
			flt := q.Filter
			if q.OtherVideos {
				flt.ExcludeVideos = append(slices.Clip(flt.ExcludeVideos), c.VideoID)
			}
			qq := Query{K: q.K, Exact: q.Exact, Ef: q.Ef}
			preps[i] = &prepared{req: engineRequest(c.Vector, &qq, flt, []int64{c.ID}), space: sp, desc: QueryInfo{Kind: QueryClip}}
		}
		out := make([]BatchResult, len(clips))
		if err := db.answer(ctx, gen, preps, out); err != nil {
			return err
		}
		for i := range clips {
			c := clips[i]
			c.Vector = nil
			if err := fn(&Neighbours{VideoID: c.VideoID, Clip: &c, Modality: c.Modality, Hits: out[i].Result.Hits}); err != nil {
				return err
			}
			if listed++; q.Progress != nil {
				q.Progress(listed, total)
			}
		}
	}
}
