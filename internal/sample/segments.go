package sample

import (
	"fmt"
	"math"
	"slices"
)

// EachSegment calls fn with every segment of v, computing each as it goes:
// for each option, the clips in time order then the video-scope segment
// (the order of the v1 fixtures), except for [ShapeEmbedV2Task] videos,
// whose clips come time-major with every option of a clip together and the
// asset-scope segments last (the order of the v2 fixtures). The vectors
// are the same whatever the order. It stops at, and returns, the first
// error fn returns, and returns an error wrapping [ErrUnknownVideo] for a
// video that is not from g.
func (g *Generator) EachSegment(v Video, fn func(Segment) error) error {
	if v.index < 0 || v.index >= len(g.videos) || g.videos[v.index].ID != v.ID {
		return fmt.Errorf("generate segments of video %q: %w", v.ID, ErrUnknownVideo)
	}
	v = g.videos[v.index]
	p := &g.p
	ends, duration := g.clipLayout(v)
	latents := g.clipLatents(v)

	opts := make([]*optionWalk, len(v.Options))
	for j, o := range v.Options {
		k := slices.Index(p.Options, o)
		opts[j] = &optionWalk{
			g:      g,
			option: o,
			src:    newSource(p.Seed, streamOption, uint64(v.index), uint64(k)),
			offset: g.modality[k],
			base:   max(0.6, 1.1-float64(0.15*float64(k))),
			z:      make([]float64, p.Dim),
			y:      make([]float64, p.Dim),
			sum:    make([]float64, p.Dim),
		}
	}
	clip := func(w *optionWalk, t int) error {
		start := 0.0
		if t > 0 {
			start = ends[t-1]
		}
		return fn(Segment{Option: w.option, Scope: "clip", Start: start, End: ends[t], Vector: w.next(t, latents[t])})
	}
	whole := func(w *optionWalk) error {
		return fn(Segment{Option: w.option, Scope: "video", Start: 0, End: duration, Vector: w.videoScope(len(ends))})
	}
	if v.Shape == ShapeEmbedV2Task {
		for t := range ends {
			for _, w := range opts {
				if err := clip(w, t); err != nil {
					return err
				}
			}
		}
		for _, w := range opts {
			if err := whole(w); err != nil {
				return err
			}
		}
		return nil
	}
	for _, w := range opts {
		for t := range ends {
			if err := clip(w, t); err != nil {
				return err
			}
		}
		if err := whole(w); err != nil {
			return err
		}
	}
	return nil
}

// clipLatents returns, per clip of v, the part of its vectors that every
// modality shares: topic centre + video direction + an AR(1) drift walk.
func (g *Generator) clipLatents(v Video) [][]float64 {
	p := g.p
	s := newSource(p.Seed, streamLatent, uint64(v.index), 0)
	base := make([]float64, p.Dim)
	addScaled(base, p.TopicWeight, g.centres[v.index%p.Topics])
	dir := make([]float64, p.Dim)
	s.unit(dir)
	addScaled(base, p.VideoWeight, dir)

	walk := make([]float64, p.Dim)
	latents := make([][]float64, v.Clips)
	for t := range latents {
		step(s, walk, t, p.Persistence)
		x := slices.Clone(base)
		addScaled(x, p.DriftWeight, walk)
		latents[t] = x
	}
	return latents
}

// step advances an AR(1) walk of stationary norm about 1: w ← ρ·w +
// √(1−ρ²)·ε, starting from ε at t = 0.
func step(s *source, w []float64, t int, rho float64) {
	if t == 0 {
		clear(w)
		s.addNoise(w, 1)
		return
	}
	scale(w, rho)
	s.addNoise(w, math.Sqrt(1-float64(rho*rho)))
}

// optionWalk makes the vectors of one option of one video.
type optionWalk struct {
	g      *Generator
	option string
	src    *source
	offset []float64 // the option's direction, shared by every video
	base   float64   // the option's typical vector norm
	z      []float64 // the option's own drift walk
	y      []float64 // scratch
	sum    []float64 // of the emitted clip vectors, for the video scope
}

// next returns the vector of clip t, whose shared latent is x.
func (w *optionWalk) next(t int, x []float64) []float32 {
	p := &w.g.p
	step(w.src, w.z, t, p.Persistence)
	copy(w.y, x)
	addScaled(w.y, p.Anisotropy, w.g.mean)
	addScaled(w.y, p.ModalityWeight, w.offset)
	addScaled(w.y, p.ModalityDrift, w.z)
	w.src.addNoise(w.y, p.Noise)
	spread := float64(p.NormSpread * w.src.norm())
	vec := toFloat32(w.y, min(1.5, max(0.5, w.base*(1+spread))))
	for i, f := range vec {
		w.sum[i] += float64(f)
	}
	return vec
}

// videoScope returns the video-scope vector: the mean of the option's n
// clip vectors plus a little noise. Call it after the last clip.
func (w *optionWalk) videoScope(n int) []float32 {
	copy(w.y, w.sum)
	scale(w.y, 1/float64(n))
	l := norm(w.y)
	w.src.addNoise(w.y, float64(w.g.p.VideoScopeNoise*l))
	return toFloat32(w.y, l)
}

// Query returns a text-query-like vector for topic: nearest the clips of
// that topic, but apart from every clip, as Marengo text embeddings are
// (the modality gap). It returns nil for a topic g does not have. It is
// QueryVariant(topic, 0).
func (g *Generator) Query(topic string) []float32 { return g.QueryVariant(topic, 0) }

// QueryVariant returns the n-th query vector for topic (n ≥ 0): variants
// share the topic and the query direction and differ in their noise, like
// several phrasings of one request. It returns nil for a topic g does not
// have or a negative n.
func (g *Generator) QueryVariant(topic string, n int) []float32 {
	k := slices.Index(g.topics, topic)
	if k < 0 || n < 0 {
		return nil
	}
	p := &g.p
	s := newSource(p.Seed, streamQuery, uint64(k), uint64(n))
	q := make([]float64, p.Dim)
	addScaled(q, p.QueryTopicWeight, g.centres[k])
	addScaled(q, p.QueryAnisotropy, g.mean)
	addScaled(q, p.QueryGap, g.gap)
	s.addNoise(q, p.QueryNoise)
	spread := float64(p.NormSpread * s.norm())
	return toFloat32(q, min(1.5, max(0.5, 1+spread)))
}

// QueryText returns a sentence describing topic, the kind of text a user
// would have embedded to get [Generator.Query]'s vector, or "" for a topic
// g does not have.
func (g *Generator) QueryText(topic string) string {
	k := slices.Index(g.topics, topic)
	if k < 0 {
		return ""
	}
	if k < len(namedTopics) {
		return namedTopics[k].text
	}
	return "videos about " + topic
}

// namedTopics are the first topics' names and query texts.
var namedTopics = []struct{ name, text string }{
	{"surfing", "a surfer riding a big wave"},
	{"cooking", "a chef chopping vegetables in a kitchen"},
	{"basketball", "a basketball player dunking in a packed arena"},
	{"city-timelapse", "a time-lapse of city traffic at night"},
	{"wildlife", "elephants walking across the savanna"},
	{"mountain-biking", "a cyclist riding down a rocky mountain trail"},
	{"concert", "a band playing on stage in front of a crowd"},
	{"news-studio", "a news anchor speaking in a studio"},
	{"skiing", "a skier carving down a snowy slope"},
	{"gaming", "gameplay footage of a racing video game"},
	{"gardening", "someone planting flowers in a garden"},
	{"yoga", "a yoga class stretching on mats"},
}

func topicNames(n int) []string {
	names := make([]string, n)
	for k := range names {
		if k < len(namedTopics) {
			names[k] = namedTopics[k].name
		} else {
			names[k] = fmt.Sprintf("topic-%04d", k)
		}
	}
	return names
}
