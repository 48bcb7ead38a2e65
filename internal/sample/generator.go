package sample

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Shape is the upstream JSON response shape a video is exported in.
type Shape int

const (
	// ShapeEmbedTask is a v1 embed task retrieve body
	// (GET /embed/tasks/{id}): fixed-length clips, scopes "clip" and
	// "video", vectors under "float".
	ShapeEmbedTask Shape = iota
	// ShapeEmbedV2Task is an embed-v2 task body (GET /embed-v2/tasks/{id}):
	// fixed-length clips, scopes "clip" and "asset", vectors under
	// "embedding", no model_name.
	ShapeEmbedV2Task
	// ShapeIndexedAsset is an indexed asset retrieve body
	// (GET /indexes/{index}/indexed-assets/{id}?embedding_option=…):
	// variable-length clips cut at scene changes, with system and user
	// metadata.
	ShapeIndexedAsset
	numShapes
)

// String returns the shape's name as used in exported file names:
// "embed-task", "embed-v2-task" or "indexed-asset".
func (s Shape) String() string {
	switch s {
	case ShapeEmbedTask:
		return "embed-task"
	case ShapeEmbedV2Task:
		return "embed-v2-task"
	case ShapeIndexedAsset:
		return "indexed-asset"
	}
	return "Shape(" + strconv.Itoa(int(s)) + ")"
}

// Video is the metadata of one synthetic video. Its vectors come from
// [Generator.EachSegment].
type Video struct {
	// ID is the upstream "_id" of the task or indexed asset: 24 lowercase
	// hex characters, a MongoDB ObjectID whose first 4 bytes are
	// CreatedAt in Unix seconds, as upstream ids are.
	ID string
	// Topic is the name of the video's topic, e.g. "surfing".
	Topic string
	// Filename is the uploaded file's name, e.g. "surfing-03.mp4".
	Filename string
	// Duration is the length of the video in seconds.
	Duration float64
	// FPS, Width and Height are the video's frame rate and size.
	FPS           float64
	Width, Height int
	// UserMetadata is the user metadata of an indexed asset: string, int,
	// float64 and bool values. It is shared; do not modify it.
	UserMetadata map[string]any
	// CreatedAt is when the task or indexed asset was created.
	CreatedAt time.Time
	// Options are the embedding options the video has vectors for, in
	// [Params.Options] order.
	Options []string
	// Clips is the number of clip-scope segments per option.
	Clips int
	// Shape is the upstream response shape [WriteExport] uses for the
	// video; it also decides the clip layout (fixed or variable length).
	Shape Shape

	index int
}

// SegmentCount returns how many segments [Generator.EachSegment] yields for
// the video: Clips clip-scope segments and one video-scope segment per
// option.
func (v Video) SegmentCount() int { return (v.Clips + 1) * len(v.Options) }

// Segment is one embedding of a video: a clip or the whole video, in one
// modality.
type Segment struct {
	// Option is the embedding option (modality): "visual", "audio" or
	// "transcription" with the default params.
	Option string
	// Scope is "clip" or "video" (v1 naming; embed-v2 calls it "asset").
	Scope string
	// Start and End are the segment's time range in seconds; a video-scope
	// segment spans 0 to the video's duration.
	Start, End float64
	// Vector is the embedding. Its norm varies around 1 (0.5 to 1.5), as
	// real Marengo vectors do; normalise before comparing. The caller owns
	// it.
	Vector []float32
}

// Generator produces a deterministic synthetic dataset of video embedding
// segments (see the package documentation for the model). It holds the
// topic centres and the video metadata, never the segments: those are
// computed when [Generator.EachSegment] streams them, so datasets of
// millions of segments need no more memory than the sample.
//
// A Generator is immutable once made and safe for concurrent use; a
// video's segments do not depend on which other videos were generated,
// nor in what order.
type Generator struct {
	p        Params
	topics   []string
	centres  [][]float64 // per topic, unit length
	mean     []float64   // the shared anisotropy direction, unit length
	modality [][]float64 // per entry of p.Options, unit length
	gap      []float64   // the query-only direction, unit length
	videos   []Video
}

// NewGenerator returns a generator for p. It returns an error wrapping
// [ErrInvalidParams] when p cannot be generated from.
func NewGenerator(p Params) (*Generator, error) {
	p.Options = slices.Clone(p.Options)
	if err := p.validate(); err != nil {
		return nil, err
	}
	g := &Generator{p: p}
	g.topics = topicNames(p.Topics)
	g.centres = make([][]float64, p.Topics)
	for k := range g.centres {
		g.centres[k] = make([]float64, p.Dim)
		newSource(p.Seed, streamTopic, uint64(k), 0).unit(g.centres[k])
	}
	g.mean = make([]float64, p.Dim)
	newSource(p.Seed, streamMean, 0, 0).unit(g.mean)
	g.modality = make([][]float64, len(p.Options))
	for j := range g.modality {
		g.modality[j] = make([]float64, p.Dim)
		newSource(p.Seed, streamModality, uint64(j), 0).unit(g.modality[j])
	}
	g.gap = make([]float64, p.Dim)
	newSource(p.Seed, streamQueryGap, 0, 0).unit(g.gap)
	g.makeVideos()
	return g, nil
}

// Params returns the generator's parameters.
func (g *Generator) Params() Params {
	p := g.p
	p.Options = slices.Clone(p.Options)
	return p
}

// Topics returns the topic names, in topic order.
func (g *Generator) Topics() []string { return slices.Clone(g.topics) }

// Videos returns the metadata of every video, in generation order. The
// slice is a copy; the UserMetadata maps are shared.
func (g *Generator) Videos() []Video { return slices.Clone(g.videos) }

// The values video metadata is drawn from.
var (
	frameRates = []float64{24000.0 / 1001, 24, 25, 30000.0 / 1001, 30, 60000.0 / 1001}
	frameSizes = [][2]int{{1920, 1080}, {1280, 720}, {3840, 2160}, {1080, 1920}, {854, 480}, {640, 360}}
	// epoch is when the first synthetic video was uploaded.
	epoch = time.Date(2025, time.May, 12, 8, 0, 0, 0, time.UTC)
)

func (g *Generator) makeVideos() {
	p := g.p
	// The 5 bytes after an ObjectID's timestamp identify the process that
	// made it; one "process" makes every id of a dataset.
	proc := newSource(p.Seed, streamProcess, 0, 0).r.Uint64() & (1<<40 - 1)
	perTopic := make([]int, p.Topics)
	width := max(2, len(strconv.Itoa((p.Videos+p.Topics-1)/p.Topics)))
	g.videos = make([]Video, p.Videos)
	for i := range g.videos {
		s := newSource(p.Seed, streamVideo, uint64(i), 0)
		k := i % p.Topics
		perTopic[k]++
		v := Video{
			Topic:    g.topics[k],
			Filename: fmt.Sprintf("%s-%0*d.mp4", g.topics[k], width, perTopic[k]),
			Shape:    Shape(i % int(numShapes)),
			Clips:    p.MinClips + s.r.IntN(p.MaxClips-p.MinClips+1),
			index:    i,
		}
		v.FPS = frameRates[s.r.IntN(len(frameRates))]
		size := frameSizes[s.r.IntN(len(frameSizes))]
		v.Width, v.Height = size[0], size[1]
		speech := s.r.Float64() < p.TranscriptionRate
		for _, o := range p.Options {
			if o != "transcription" || speech {
				v.Options = append(v.Options, o)
			}
		}
		created := epoch.Add(time.Duration(i)*10*time.Minute +
			time.Duration(s.r.IntN(600_000))*time.Millisecond)
		v.CreatedAt = created
		v.UserMetadata = map[string]any{
			"topic":       v.Topic,
			"batchNumber": 1 + s.r.IntN(9),
			"rating":      float64(50+s.r.IntN(51)) / 10,
			"needsReview": s.r.IntN(4) == 0,
		}
		counter := (proc + uint64(i)*0x2f1) & (1<<24 - 1)
		v.ID = fmt.Sprintf("%08x%010x%06x", uint32(created.Unix()), proc, counter)
		_, v.Duration = g.clipLayout(v)
		g.videos[i] = v
	}
}

// clipLayout returns the end time of each clip of v (clip t starts where
// clip t−1 ends) and the video's duration. It draws from v's own stream, so
// [Generator.makeVideos] and [Generator.EachSegment] agree.
func (g *Generator) clipLayout(v Video) (ends []float64, duration float64) {
	s := newSource(g.p.Seed, streamVideo, uint64(v.index), 1)
	ends = make([]float64, v.Clips)
	if v.Shape == ShapeIndexedAsset {
		// Scene cuts fall on frame boundaries; upstream prints them with
		// 7 decimals (7.5666666) and the duration with 6 (3747.841667).
		frames := 0.0
		for t := range ends {
			frames += math.Round(s.uniform(g.p.VariableClipMin, g.p.VariableClipMax) * v.FPS)
			ends[t] = roundTo(frames/v.FPS, 1e7)
		}
		duration = roundTo(frames/v.FPS, 1e6)
		ends[len(ends)-1] = duration
		return ends, duration
	}
	// Fixed-length clips: the last one lasts 2.1 s to a full clip, and up
	// to 1.9 s past the last full clip is a remainder upstream drops.
	c := g.p.ClipSeconds
	raw := float64(float64(v.Clips-1)*c) + s.uniform(2.1, c+1.9)
	duration = roundTo(math.Round(raw*v.FPS)/v.FPS, 1e6)
	for t := range ends {
		ends[t] = float64(t+1) * c
	}
	ends[len(ends)-1] = min(ends[len(ends)-1], duration)
	return ends, duration
}

func roundTo(x, unit float64) float64 { return math.Round(x*unit) / unit }

// VideosFor returns how many videos of p's kind (p.Videos aside) make
// about segments segments, from the average of a thousand: what a
// benchmark asking for a size in segments sets p.Videos to. At least 1.
func VideosFor(p Params, segments int) int {
	p.Videos = 1000
	g, err := NewGenerator(p)
	if err != nil {
		return 1
	}
	n := 0
	for _, v := range g.Videos() {
		n += v.SegmentCount()
	}
	return max(1, int(math.Round(float64(segments)*1000/float64(n))))
}
