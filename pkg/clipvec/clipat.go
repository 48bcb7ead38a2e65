package clipvec

import (
	"context"
	"fmt"
	"math"
)

// The clip of a video at a time (Query.Like). A clip covers [Start, End):
// the clip 66–72 s is not at 72 s. But the last clip of a video ends
// where its embedding stopped, often a fraction of a second before the
// video does (72 s of a 72.6 s video), so a time from the last clip's end
// up to the video's duration is that last clip's, modality by modality.

// clipsAt returns the clips of video (in model, if set) at time at, with
// their vectors, or an error wrapping ErrNotFound that says where the
// video's clips are. modality, if set, is the one the query needs.
func (db *DB) clipsAt(ctx context.Context, video, model, modality string, at float64) ([]Segment, error) {
	segs, err := db.videoSegments(ctx, video, model, &at)
	if err != nil {
		return nil, err
	}
	clips := onlyClips(segs)
	if len(clips) > 0 && (modality == "" || hasModality(clips, modality)) {
		return clips, nil
	}
	// Rarely: past the last clip's end, or in a gap. Read them all.
	all, err := db.videoSegments(ctx, video, model, nil)
	if err != nil {
		return nil, err
	}
	all = onlyClips(all)
	v, err := db.store.Video(ctx, video)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	clips = append(clips, lastClipsAt(all, at, v.Duration)...)
	if len(clips) == 0 {
		return nil, fmt.Errorf("search: %w: video %s has no clip at %gs%s", ErrNotFound, video, at, whereClips(all, at, v.Duration))
	}
	return clips, nil
}

func onlyClips(segs []Segment) []Segment {
	var out []Segment
	for _, s := range segs {
		if s.Scope == ScopeClip {
			out = append(out, s)
		}
	}
	return out
}

func hasModality(segs []Segment, modality string) bool {
	for _, s := range segs {
		if s.Modality == modality {
			return true
		}
	}
	return false
}

// lastClipsAt returns, for each space and modality of clips with no clip
// at at, its last clip when at lies between that clip's end and the
// video's duration (or is that end exactly).
func lastClipsAt(clips []Segment, at, duration float64) []Segment {
	type key struct {
		model    string
		dim      int
		modality string
	}
	last := map[key]int{}
	covered := map[key]bool{}
	var order []key
	for i, s := range clips {
		k := key{s.Model, len(s.Vector), s.Modality}
		if contains(s, at) {
			covered[k] = true
		}
		j, ok := last[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || s.End > clips[j].End {
			last[k] = i
		}
	}
	var out []Segment
	for _, k := range order {
		s := clips[last[k]]
		if !covered[k] && at >= s.End && at <= max(s.End, duration) {
			out = append(out, s)
		}
	}
	return out
}

func contains(s Segment, at float64) bool {
	return s.Start <= at && at < s.End || s.Start == at && s.End == at
}

// whereClips says where a video's clips are, for a "no clip at" message,
// without contradicting it: the span they cover when at is outside it,
// the clips either side when at falls in a gap between them.
func whereClips(clips []Segment, at, duration float64) string {
	if len(clips) == 0 {
		return " (it has no clips, only whole-video vectors)"
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range clips {
		lo, hi = min(lo, s.Start), max(hi, s.End)
	}
	switch {
	case at < lo:
		return fmt.Sprintf(" (its clips cover %s)", span(lo, hi))
	case at >= hi:
		if duration > hi {
			return fmt.Sprintf(" (its clips cover %s of its %s s)", span(lo, hi), trimFloat(duration))
		}
		return fmt.Sprintf(" (its clips cover %s)", span(lo, hi))
	}
	// In a gap: the clip that ends last before at, the one that starts
	// first after it.
	var before, after *Segment
	for i := range clips {
		s := &clips[i]
		if s.End <= at && (before == nil || s.End > before.End) {
			before = s
		}
		if s.Start > at && (after == nil || s.Start < after.Start) {
			after = s
		}
	}
	if before == nil || after == nil { // not reached: lo <= at < hi
		return fmt.Sprintf(" (its clips cover %s, with gaps)", span(lo, hi))
	}
	return fmt.Sprintf(" (the clips either side are %s and %s)", span(before.Start, before.End), span(after.Start, after.End))
}
