package twelvelabstest

import (
	"math"
	"math/rand/v2"
	"slices"
)

// SearchRanking is how POST /search ranks, beside the exact cosine
// similarity a local copy of the index's embeddings gives. The zero value
// is the exact model: search clips are the embedding segments, scored by
// their cosine with the query, and only indexed assets are searched.
// Each field departs from it in one documented, seeded way; the package
// doc ("Search ranking") describes the whole model.
//
// It is plain data, safe to copy and share.
type SearchRanking struct {
	// Seed seeds the clip cuts, the score noise and the foreign slots;
	// 0 means the catalogue's seed ([WithSeed]).
	Seed uint64

	// BoundaryShift moves every inner cut between a video's search clips
	// by a uniform offset in [-BoundaryShift, +BoundaryShift] seconds
	// (default 0), per video, so reported start and end times miss the
	// segments' boundaries and matching them takes temporal overlap
	// (IoU), not equality. A cut never comes within 1 s of its
	// neighbours; the first clip still starts at 0 and the last ends at
	// the video's duration.
	BoundaryShift float64
	// MergeShare is the chance that an inner cut between two segments is
	// dropped (default 0), per video, so that search clip spans both
	// (and more, when neighbouring cuts drop too).
	MergeShare float64

	// RankNoise is the standard deviation of the noise added to the top
	// match's score before the matches are ranked again (default 0); the
	// match at exact rank r (0-based, in the search's own list of
	// matches) gets RankNoise·(1 + r/10), so the order departs from
	// exact cosine more the deeper it goes. The noise is seeded per
	// query, clip and rank, bell-shaped and bounded: the sum of four
	// uniform draws, scaled, so it never exceeds ±2√3 standard
	// deviations. Matches closer in score than the noise swap places.
	// The noisy score is what a Marengo 2.7 index reports as score
	// (capped at the score above, so that a foreign result dealt into
	// its slot does not make scores rise down the list).
	RankNoise float64

	// ForeignShare is the share of results that come from the index's
	// search-only videos ([Index.SearchOnly]), which no indexed-asset
	// list returns (default 0; at most 0.5). Result positions are dealt
	// at an even rate, at a phase set by the query: with 0.1, exactly
	// one of every ten consecutive positions is foreign, when a foreign
	// match is left for it (else a local match takes the position). The
	// list ends with the local matches, so foreign matches never fill
	// more than their share.
	ForeignShare float64
	// ForeignVideos is how many search-only videos each index gets when
	// ForeignShare is set; 0 means one per topic (10), so a query about
	// any topic has foreign matches.
	ForeignVideos int
}

// BenchmarkSearchRanking returns the ranking `clipvec bench upstream`
// measures against: inner cuts moved by up to ±1 s, 15% of them dropped,
// score noise of σ 0.002 at the top (0.004 at rank 10, 0.006 at rank 20),
// one result in ten from a video the local database lacks, seed 1.
//
// The noise is small because the catalogue's matches crowd: the clips of
// the topic a query describes score within about 0.03 of each other
// (0.75–0.79 for a full description), everything else under 0.1. Measured
// by TestSearchRankingMeasured (each topic's description as a query,
// options visual and audio, against an exact cosine search of the
// indexed assets' segments that reach [MatchThreshold]), with 12 and 40
// videos per index: the best result shows the described topic for 10 of
// 10 queries; Kendall's τ between the two orders of the local results
// is 0.64; a local result moves 1.0–2.6 places on average when it ranks
// in the exact top 5, 1.6–5.8 when it ranks 15th or deeper; recall@10
// with a temporal IoU of 0.5 is 0.80 (12 videos) and 0.59 (40 videos);
// 10–11% of results are foreign.
func BenchmarkSearchRanking() SearchRanking {
	return SearchRanking{Seed: 1, BoundaryShift: 1, MergeShare: 0.15, RankNoise: 0.002, ForeignShare: 0.1}
}

// WithSearchRanking sets how POST /search ranks (default: the zero
// SearchRanking, exact cosine over the embedding segments). Negative or
// NaN values count as 0; ForeignShare is capped at 0.5 and MergeShare at
// 1. A ForeignShare above 0 adds search-only videos to every index
// (ForeignVideos of them).
func WithSearchRanking(r SearchRanking) Option {
	return func(c *config) { c.ranking = r }
}

// normalized returns r with its values in range.
func (r SearchRanking) normalized(catalogueSeed uint64) SearchRanking {
	clamp := func(x, hi float64) float64 {
		if math.IsNaN(x) || x < 0 {
			return 0
		}
		return math.Min(x, hi)
	}
	r.BoundaryShift = clamp(r.BoundaryShift, math.MaxFloat64)
	r.MergeShare = clamp(r.MergeShare, 1)
	r.RankNoise = clamp(r.RankNoise, math.MaxFloat64)
	r.ForeignShare = clamp(r.ForeignShare, 0.5)
	r.ForeignVideos = max(r.ForeignVideos, 0)
	if r.ForeignShare > 0 && r.ForeignVideos == 0 {
		r.ForeignVideos = len(topicList)
	}
	if r.ForeignShare == 0 {
		r.ForeignVideos = 0
	}
	if r.Seed == 0 {
		r.Seed = catalogueSeed
	}
	return r
}

// minSearchClip is the shortest a search clip gets from a moved cut.
const minSearchClip = 1.0

// searchClips returns the clips the search engine cuts a video into: the
// segments' boundaries, with cuts dropped and moved as r says. They tile
// [0, duration) in order.
func (r SearchRanking) searchClips(v *Video) [][2]float64 {
	var bounds [][2]float64
	for _, s := range v.Segments {
		if s.Option != v.Segments[0].Option {
			break
		}
		bounds = append(bounds, [2]float64{s.Start, s.End})
	}
	if (r.BoundaryShift == 0 && r.MergeShare == 0) || len(bounds) < 2 {
		return bounds
	}
	rng := rand.New(rand.NewPCG(r.Seed, mix(hashOf("search clips", v.ID))))
	start, end := bounds[0][0], bounds[len(bounds)-1][1]
	cuts := []float64{start}
	for k := 1; k < len(bounds); k++ {
		// Draw both numbers for every cut, so one knob does not reshuffle
		// what the other does.
		drop, shift := rng.Float64(), (rng.Float64()*2-1)*r.BoundaryShift
		if drop < r.MergeShare {
			continue
		}
		at := round3(bounds[k][0] + shift)
		lo, hi := cuts[len(cuts)-1]+minSearchClip, end-minSearchClip
		if k+1 < len(bounds) {
			hi = bounds[k+1][0] - minSearchClip
		}
		switch {
		case lo > hi:
			at = bounds[k][0]
		case at < lo:
			at = lo
		case at > hi:
			at = hi
		}
		if at <= cuts[len(cuts)-1] {
			continue
		}
		cuts = append(cuts, at)
	}
	cuts = append(cuts, end)
	out := make([][2]float64, 0, len(cuts)-1)
	for k := 1; k < len(cuts); k++ {
		out = append(out, [2]float64{cuts[k-1], cuts[k]})
	}
	return out
}

// noise returns the score noise of one clip at exact rank r for one
// query: a sum of four uniform draws scaled to standard deviation
// r.RankNoise·(1 + r/10) (the variance of U(0,1) is 1/12, so the sum's
// is 1/3).
func (r SearchRanking) noise(query uint64, videoID string, start float64, rank int) float64 {
	if r.RankNoise == 0 {
		return 0
	}
	rng := rand.New(rand.NewPCG(r.Seed, mix(query, hashOf("noise", videoID), math.Float64bits(start), uint64(rank))))
	sum := rng.Float64() + rng.Float64() + rng.Float64() + rng.Float64()
	sd := float64(r.RankNoise * float64(1+float64(rank)/10))
	return float64(float64((sum-2)*math.Sqrt(3)) * sd)
}

// foreignSlots returns a function telling whether result position i
// (0-based) is dealt to a foreign match: positions where the running
// count φ + i·share crosses an integer, φ set by the query.
func (r SearchRanking) foreignSlots(query uint64) func(i int) bool {
	if r.ForeignShare == 0 {
		return func(int) bool { return false }
	}
	phase := rand.New(rand.NewPCG(r.Seed, mix(query, hashOf("foreign phase")))).Float64()
	return func(i int) bool {
		return math.Floor(phase+float64(i+1)*r.ForeignShare) > math.Floor(phase+float64(i)*r.ForeignShare)
	}
}

// queryKey identifies a search for the ranking's seeded draws: the index,
// the options, the operator and the query itself (text, image URLs,
// uploaded images), not the page size or the metadata flag, so the same
// search ranks alike however it is paged.
func queryKey(indexID string, options []string, operator string, fd *formData) uint64 {
	parts := []string{"query", indexID, operator, fd.get("query_text"), fd.get("query_media_type")}
	parts = append(parts, slices.Compact(slices.Sorted(slices.Values(options)))...)
	parts = append(parts, "\x00urls")
	parts = append(parts, fd.values["query_media_url"]...)
	parts = append(parts, "\x00files")
	for _, f := range fd.files["query_media_file"] {
		parts = append(parts, f.key())
	}
	return hashOf(parts...)
}
