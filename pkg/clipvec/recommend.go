package clipvec

import (
	"context"
	"fmt"
	"slices"

	"github.com/clipvec/clipvec/internal/vecmath"
)

// RecommendQuery asks for what is like some videos and unlike others:
// "more like this user's watch history", for example.
type RecommendQuery struct {
	// Positive lists the videos to find more of (at least one);
	// Negative, optionally, videos whose likes should rank lower. Each
	// example video stands for its vector of Modality, chosen as for
	// Query.LikeVideo. The examples themselves are never recommended.
	Positive []string `json:"positive"`
	Negative []string `json:"negative,omitempty"`
	// Modality picks each example's vector (default: visual if the
	// video has it, else its only modality).
	Modality string `json:"modality,omitempty"`
	// Model picks the space when the examples have vectors in several.
	Model string `json:"model,omitempty"`
	// K is how many results to return (DefaultK when 0).
	K int `json:"k,omitempty"`
	// Filter restricts what may be recommended, as for Search; its
	// ExcludeVideos leaves out, say, what the user has already seen.
	Filter Filter `json:"filter"`
	// GroupBy is "" (clips) or GroupByVideo (videos, each scored by its
	// best clip).
	GroupBy string `json:"group_by,omitempty"`
	// MaxPerVideo, for clips, keeps at most this many clips of any one
	// video (0: no cap).
	MaxPerVideo int `json:"max_per_video,omitempty"`
	// Lambda turns on maximal marginal relevance (MMR) and weighs
	// relevance against novelty: results are picked one at a time,
	// each maximising
	//
	//	Lambda·sim(query, c) − (1−Lambda)·max sim(c, picked)
	//
	// so a candidate close to something already picked loses ground.
	// 1 is plain relevance; 0.5 to 0.7 spreads results across
	// different-looking videos while keeping them on topic; 0 (the
	// default) turns MMR off. Hits keep their plain similarity as Score.
	Lambda float64 `json:"mmr_lambda,omitempty"`
	// MinScore, when set, drops results less similar than this.
	MinScore *float32 `json:"min_score,omitempty"`
	// Exact and Ef are as for Query.
	Exact bool `json:"exact,omitempty"`
	Ef    int  `json:"ef,omitempty"`
}

// NegativeWeight is how much the mean of the negative examples is taken
// from the mean of the positives to make a recommendation's query
// vector: q = mean(positive) − NegativeWeight·mean(negative), both
// means of unit vectors, then normalised (Rocchio's relevance feedback;
// Qdrant's "average vector" strategy weighs the two the same way).
const NegativeWeight = 0.5

// QueryRecommend is QueryInfo.Kind for a recommendation.
const QueryRecommend = "recommend"

// mmrPool is how many candidates MMR, a per-video cap or a minimum
// score chooses from, as a multiple of K (at least mmrMinPool).
const (
	mmrPool    = 5
	mmrMinPool = 50
)

// Recommend answers q: the segments (or videos) most like q's positive
// examples and unlike its negative ones, after its filter, cap, minimum
// score and diversity. The Result is shaped as Search's, with
// Query.Kind QueryRecommend.
func (db *DB) Recommend(ctx context.Context, q RecommendQuery) (*Result, error) {
	if err := validateRecommend(&q); err != nil {
		return nil, err
	}
	gen, err := db.store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	names, err := db.filenamesAt(ctx, gen)
	if err != nil {
		return nil, err
	}
	if err := checkVideos(names, "recommend: positive example", q.Positive...); err != nil {
		return nil, err
	}
	if err := checkVideos(names, "recommend: negative example", q.Negative...); err != nil {
		return nil, err
	}
	if err := checkFilterVideos(names, "recommend", &q.Filter); err != nil {
		return nil, err
	}
	vec, sp, err := db.recommendVector(ctx, gen, &q)
	if err != nil {
		return nil, err
	}
	if err := db.checkFilterValues(ctx, sp, &q.Filter); err != nil {
		return nil, fmt.Errorf("recommend: filter %w", err)
	}
	flt := q.Filter
	flt.ExcludeVideos = append(slices.Clip(flt.ExcludeVideos), q.Positive...)
	flt.ExcludeVideos = append(flt.ExcludeVideos, q.Negative...)
	sq := Query{K: q.K, GroupBy: q.GroupBy, Exact: q.Exact, Ef: q.Ef}
	shaping := q.Lambda > 0 || q.MaxPerVideo > 0 || q.MinScore != nil
	if shaping {
		sq.K = max(q.K*mmrPool, mmrMinPool)
	}
	p := &prepared{req: engineRequest(vec, &sq, flt, nil), space: sp,
		desc: QueryInfo{Kind: QueryRecommend, Modality: q.Modality, Positive: q.Positive, Negative: q.Negative}}
	p.req.Vectors = q.Lambda > 0
	for {
		ans, err := db.eng.Search(ctx, sp.row(), gen, p.req)
		if err != nil {
			return nil, err
		}
		res, err := db.result(ctx, gen, p, ans)
		if err != nil {
			return nil, err
		}
		if !shaping {
			return res, nil
		}
		hits, short := shape(res.Hits, &q)
		// A cap can leave fewer than K from a pool that was full: widen
		// the pool while the space has more.
		if short && len(res.Hits) == p.req.K && p.req.K < ans.Live {
			p.req.K *= 4
			continue
		}
		for i := range hits {
			hits[i].Vector = nil
		}
		res.Hits = hits
		return res, nil
	}
}

func validateRecommend(q *RecommendQuery) error {
	if len(q.Positive) == 0 {
		return fmt.Errorf("recommend: %w: give at least one positive example video", ErrInvalidQuery)
	}
	for _, n := range q.Negative {
		if slices.Contains(q.Positive, n) {
			return fmt.Errorf("recommend: %w: video %s is both a positive and a negative example", ErrInvalidQuery, n)
		}
	}
	if q.Lambda < 0 || q.Lambda > 1 {
		return fmt.Errorf("recommend: %w: mmr lambda %g is outside [0, 1]", ErrInvalidQuery, q.Lambda)
	}
	if q.MaxPerVideo < 0 {
		return fmt.Errorf("recommend: %w: max per video is %d, want 0 (no cap) or more", ErrInvalidQuery, q.MaxPerVideo)
	}
	if q.MaxPerVideo > 0 && q.GroupBy == GroupByVideo {
		return fmt.Errorf("recommend: %w: max per video caps clips; results grouped by video have one per video already", ErrInvalidQuery)
	}
	if m := q.MinScore; m != nil && (*m < -1 || *m > 1) {
		return fmt.Errorf("recommend: %w: min score %g is outside [-1, 1]", ErrInvalidQuery, *m)
	}
	probe := Query{Vector: []float32{1}, K: q.K, Filter: q.Filter, GroupBy: q.GroupBy, Ef: q.Ef}
	if err := validateQuery(&probe); err != nil {
		return fmt.Errorf("recommend: %w", err)
	}
	q.K, q.Filter = probe.K, probe.Filter
	return nil
}

// recommendVector is q's query vector: the positives' mean less
// NegativeWeight times the negatives' mean, normalised, in the one space
// the examples share.
func (db *DB) recommendVector(ctx context.Context, gen int64, q *RecommendQuery) ([]float32, Space, error) {
	spaces, err := db.spacesAt(ctx, gen)
	if err != nil {
		return nil, Space{}, err
	}
	model := q.Model
	var sp Space
	mean := func(ids []string) ([]float32, error) {
		var vecs [][]float32
		for _, id := range ids {
			lq := Query{LikeVideo: id, Modality: q.Modality, Model: model}
			if model == "" {
				lq.Model = ""
			}
			vec, s, info, _, err := db.resolveLikeVideo(ctx, &lq, spaces)
			if err != nil {
				return nil, fmt.Errorf("recommend: example %w", err)
			}
			if sp.Model == "" {
				// The first example fixes the space (and the modality,
				// when none was asked for) for the others.
				sp, model = s, s.Model
				if q.Modality == "" {
					q.Modality = info.Modality
				}
			} else if s.Model != sp.Model || s.Dim != sp.Dim {
				return nil, fmt.Errorf("recommend: %w: example video %s is in space %s, the first in %s", ErrInvalidQuery, id, s, sp)
			}
			vecs = append(vecs, vec)
		}
		return vecmath.Mean(make([]float32, len(vecs[0])), vecs), nil
	}
	pos, err := mean(q.Positive)
	if err != nil {
		return nil, sp, err
	}
	if len(q.Negative) > 0 {
		neg, err := mean(q.Negative)
		if err != nil {
			return nil, sp, err
		}
		for i := range pos {
			pos[i] -= NegativeWeight * neg[i]
		}
	}
	if _, err := vecmath.Normalize(pos); err != nil {
		return nil, sp, fmt.Errorf("recommend: %w: the examples cancel out (%v)", ErrInvalidQuery, err)
	}
	return pos, sp, nil
}

// shape applies q's minimum score, per-video cap and MMR to candidates
// (best first), keeping at most q.K; short reports that the cap or MMR
// left fewer than K while candidates passed the minimum score.
func shape(cands []Hit, q *RecommendQuery) (hits []Hit, short bool) {
	if q.MinScore != nil {
		cut := len(cands)
		for i, h := range cands {
			if h.Score < *q.MinScore {
				cut = i
				break
			}
		}
		cands = cands[:cut]
	}
	if q.MaxPerVideo > 0 {
		per := map[string]int{}
		kept := cands[:0:0]
		for _, h := range cands {
			if per[h.VideoID] < q.MaxPerVideo {
				per[h.VideoID]++
				kept = append(kept, h)
			}
		}
		short = len(kept) < q.K && len(kept) < len(cands)
		cands = kept
	}
	if q.Lambda > 0 {
		cands = mmr(cands, q.K, q.Lambda)
	}
	return cands[:min(len(cands), q.K)], short
}

// mmr picks k of cands (which carry their vectors) by maximal marginal
// relevance with weight lambda.
func mmr(cands []Hit, k int, lambda float64) []Hit {
	k = min(k, len(cands))
	picked := make([]Hit, 0, k)
	used := make([]bool, len(cands))
	// closest[i] is candidate i's highest similarity to anything picked.
	closest := make([]float64, len(cands))
	for len(picked) < k {
		best, bestScore := -1, 0.0
		for i, c := range cands {
			if used[i] {
				continue
			}
			s := lambda * float64(c.Score)
			if len(picked) > 0 {
				s -= (1 - lambda) * closest[i]
			}
			if best < 0 || s > bestScore {
				best, bestScore = i, s
			}
		}
		used[best] = true
		picked = append(picked, cands[best])
		for i, c := range cands {
			if used[i] {
				continue
			}
			sim := float64(vecmath.Dot(c.Vector, cands[best].Vector))
			if len(picked) == 1 || sim > closest[i] {
				closest[i] = sim
			}
		}
	}
	return picked
}
