package evalmetrics

import "math"

// Clip is a span of a video, in seconds.
type Clip struct {
	VideoID string `json:"video_id"`
	// Start and End bound the span; End >= Start. A clip with End == Start
	// is an instant.
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// Valid reports whether c is a span: Start and End finite and End >= Start.
// An invalid clip has IoU 0 with every clip, itself included, so it
// matches nothing.
func (c Clip) Valid() bool {
	return !math.IsNaN(c.Start) && !math.IsInf(c.Start, 0) &&
		!math.IsNaN(c.End) && !math.IsInf(c.End, 0) && c.End >= c.Start
}

// IoU is the temporal intersection over union of a and b: 0 for different
// videos or no overlap; two zero-length clips at the same instant of the
// same video have IoU 1. Clips that merely touch ([0,3] and [3,6]) and an
// instant inside a longer clip have IoU 0. An invalid clip (see
// [Clip.Valid]) has IoU 0.
func IoU(a, b Clip) float64 {
	if a.VideoID != b.VideoID || !a.Valid() || !b.Valid() {
		return 0
	}
	lo, hi := max(a.Start, b.Start), min(a.End, b.End)
	if hi > lo {
		// Overlapping spans: their union is one span, from the earlier
		// start to the later end (fewer roundings than lenA+lenB-inter).
		return (hi - lo) / (max(a.End, b.End) - min(a.Start, b.Start))
	}
	if a.Start == a.End && b.Start == b.End && a.Start == b.Start {
		return 1
	}
	return 0
}

// Match reports whether a and b are the same clip for evaluation: with
// minIoU > 0, IoU(a, b) >= minIoU; with minIoU <= 0, IoU(a, b) > 0 (any
// positive overlap in the same video, or equal zero-length instants).
// The comparison is exact on float64: [0,6] and [2,8] have IoU 0.5
// exactly and match at minIoU 0.5.
func Match(a, b Clip, minIoU float64) bool {
	iou := IoU(a, b)
	if minIoU <= 0 {
		return iou > 0
	}
	return iou >= minIoU
}

// Found reports, for each reference item (reference[i], in rank order),
// whether one of candidates[:k] matches it (same video, IoU >= minIoU;
// with minIoU == 0 any positive overlap, or equal zero-length instants,
// counts; see [Match]). k is capped at len(candidates); k <= 0 finds
// nothing. One candidate may find several reference items.
func Found(reference, candidates []Clip, k int, minIoU float64) []bool {
	cands := top(candidates, k)
	found := make([]bool, len(reference))
	for i, r := range reference {
		for _, c := range cands {
			if Match(r, c, minIoU) {
				found[i] = true
				break
			}
		}
	}
	return found
}

// Videos returns the distinct video ids of clips in order of first
// appearance: the video-level ranking of a clip ranking.
func Videos(clips []Clip) []string {
	seen := make(map[string]bool, len(clips))
	var ids []string
	for _, c := range clips {
		if !seen[c.VideoID] {
			seen[c.VideoID] = true
			ids = append(ids, c.VideoID)
		}
	}
	return ids
}

// top returns xs[:k] with k clamped to [0, len(xs)].
func top[T any](xs []T, k int) []T {
	return xs[:min(max(k, 0), len(xs))]
}
