package twelvelabstest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Topic is a scene a synthetic video shows. Its words (the description's
// content words) drive the vectors: a text query made of some of them
// lands nearest the clips of videos with this topic.
// It is plain data, safe for concurrent reads.
type Topic struct {
	// Name is a short slug, e.g. "dog-frisbee"; it starts every filename
	// of the topic's videos. An embed task whose URL or filename contains
	// it gets this topic.
	Name string
	// Description is the scene in words, e.g. "a dog catching a frisbee
	// in a sunny park".
	Description string
	// Words are the description's content words (lowercase, stop words
	// and plural "s" removed).
	Words []string
}

// topicList is the fixed scene vocabulary: no content word is shared
// between two topics.
var topicList = []struct{ name, description string }{
	{"dog-frisbee", "a dog catching a frisbee in a sunny park"},
	{"surfing", "a surfer riding a big ocean wave"},
	{"cooking", "a chef chopping vegetables in a restaurant kitchen"},
	{"city-night", "city street traffic at night with neon lights"},
	{"soccer", "children playing soccer on a grass field"},
	{"snowboard", "a snowboarder jumping off a snowy mountain ridge"},
	{"birds-lake", "a flock of birds flying over a calm lake"},
	{"concert", "a pianist performing on a concert stage"},
	{"space-station", "an astronaut floating inside a space station"},
	{"cycling", "a cyclist racing down a muddy forest trail"},
}

// Topics returns the topics the fake server's catalogues and embed tasks
// draw from, in a fixed order.
func Topics() []Topic {
	out := make([]Topic, len(topicList))
	for i, t := range topicList {
		out[i] = Topic{Name: t.name, Description: t.description, Words: contentWords(t.description)}
	}
	return out
}

// CatalogueConfig sizes a synthetic catalogue. The same config gives the
// same catalogue, bit for bit, on every platform (integer PCG streams,
// correctly rounded float64 arithmetic, no fused multiply-add).
// It is plain data, safe to share between goroutines once built.
type CatalogueConfig struct {
	// Seed seeds ids, topics, metadata and vectors.
	Seed uint64
	// Indexes is the number of Marengo 3.0 indexes (512-d).
	Indexes int
	// VideosPerIndex is the number of videos in each index.
	VideosPerIndex int
	// IndexingPerIndex is how many of each index's videos (the last ones)
	// are still "indexing": listed, but without embeddings and out of
	// search.
	IndexingPerIndex int
	// Marengo27 adds one Marengo 2.7 index (1024-d, options visual-text
	// and audio) of VideosPerIndex videos.
	Marengo27 bool
	// SearchOnlyPerIndex is the number of search-only videos each index
	// gets besides its VideosPerIndex (default 0): ready videos that
	// POST /search can return but that are not indexed assets (see
	// [Index.SearchOnly]). They draw their ids, topics and vectors from
	// streams of their own, so adding them changes nothing else.
	SearchOnlyPerIndex int
	// FixedTexts are texts whose embedding is given rather than made
	// from their words: the text queries of a dataset generated
	// elsewhere, such as clipvec's sample (testdata/sample/queries.json),
	// whose own model placed them among its clips. Text embedding (every
	// endpoint) returns the vector of a text listed for the model's
	// space, as listed (see [FixedText]).
	FixedTexts []FixedText
}

// FixedText is a text and the vector a model's text embedding gives it.
type FixedText struct {
	// Model is the space's model, as [Catalogue.TextVector] takes it.
	Model  string
	Text   string
	Vector []float32
}

// Catalogue is a deterministic set of indexes and videos with structured
// embeddings. It is immutable once built and safe for concurrent reads;
// callers must not modify what it exposes (the server serves it).
type Catalogue struct {
	// Config is what built it.
	Config CatalogueConfig
	// Indexes lists the indexes: the Marengo 3.0 ones first, then the 2.7
	// one if any.
	Indexes []*Index

	spaces map[string]*space
	topics []Topic
	scenes map[string][][]float64 // per space model, per topic
}

// Index is an index of the catalogue.
// It is plain data, safe for concurrent reads.
type Index struct {
	// ID is the index id.
	ID string
	// Name is the index name.
	Name string
	// ModelName is the model as indexes name it: "marengo3.0" or
	// "marengo2.7" (embedding.model_name of its videos).
	ModelName string
	// EmbedModelName is the name the v1 embed endpoints use for the same
	// space: "marengo3.0" or "Marengo-retrieval-2.7".
	EmbedModelName string
	// Dim is the vector length.
	Dim int
	// Options are the embedding options its videos have.
	Options []string
	// Videos are the index's videos (its indexed assets), in creation
	// order.
	Videos []*Video
	// SearchOnly are videos in the index's search pool that are not
	// among its indexed assets (CatalogueConfig.SearchOnlyPerIndex):
	// POST /search can return them, the indexed-asset and video lists
	// leave them out and retrieving one answers 404, so a local copy
	// fetched through the lists never has them. They are all ready.
	SearchOnly []*Video
}

// Video is a video of the catalogue (an indexed asset).
// It is plain data, safe for concurrent reads.
type Video struct {
	// ID is the video (indexed asset) id; AssetID the asset it came from.
	ID, AssetID string
	// IndexID is the index it belongs to.
	IndexID string
	// Topic is the scene it shows.
	Topic Topic
	// Filename, Duration (s), FPS, Width, Height and Size (bytes) are its
	// system metadata.
	Filename      string
	Duration, FPS float64
	Width, Height int
	Size          int64
	// Status is "ready" or "indexing".
	Status string
	// SearchOnly marks a video of [Index.SearchOnly]: in search results,
	// never in lists or retrievable.
	SearchOnly bool
	// CreatedAt, UpdatedAt and IndexedAt are its timestamps (IndexedAt is
	// zero while indexing).
	CreatedAt, UpdatedAt, IndexedAt time.Time
	// UserMetadata is its user metadata: topic (string), batchNumber
	// (int), rating (float64), needsReview (bool).
	UserMetadata map[string]any
	// Segments are its clip-scope segments: every option of the index
	// over the same clip boundaries, grouped by option in Index.Options
	// order, each group in time order.
	Segments []Segment
	// Transcription is its speech, one line per clip or two.
	Transcription []TranscriptLine

	media media
}

// Segment is a clip's vector in one embedding option.
// It is plain data, safe for concurrent reads.
type Segment struct {
	Option     string
	Scope      string
	Start, End float64
	Vector     []float32
}

// TranscriptLine is a line of a video's transcription.
// It is plain data, safe for concurrent reads.
type TranscriptLine struct {
	Start, End float64
	Value      string
}

// SegmentCount returns the number of segments with the option, or of all
// segments when option is "".
func (v *Video) SegmentCount(option string) int {
	n := 0
	for _, s := range v.Segments {
		if option == "" || s.Option == option {
			n++
		}
	}
	return n
}

// Clips returns the segments of one option, in time order.
func (v *Video) Clips(option string) []Segment {
	var out []Segment
	for _, s := range v.Segments {
		if s.Option == option {
			out = append(out, s)
		}
	}
	return out
}

// Ready reports whether the video is indexed.
func (v *Video) Ready() bool { return v.Status == "ready" }

// epoch is when the first catalogue video was created (fixed, not the
// server clock, so catalogues never depend on time).
var epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// NewCatalogue builds the catalogue cfg describes.
func NewCatalogue(cfg CatalogueConfig) *Catalogue {
	c := &Catalogue{
		Config: cfg,
		spaces: map[string]*space{
			"marengo3.0": newSpace("marengo3.0", 512),
			"marengo2.7": newSpace("marengo2.7", 1024),
			"marengo3.5": newSpace("marengo3.5", 512),
		},
		topics: Topics(),
		scenes: map[string][][]float64{},
	}
	for model, sp := range c.spaces {
		scenes := make([][]float64, len(c.topics))
		for i, t := range c.topics {
			scenes[i] = sp.scene(t.Words)
		}
		c.scenes[model] = scenes
	}
	for _, f := range cfg.FixedTexts {
		if sp := c.space(f.Model); sp != nil {
			sp.fixed[f.Text] = slices.Clone(f.Vector)
		}
	}
	for i := range cfg.Indexes {
		c.Indexes = append(c.Indexes, c.newIndex(i, "marengo3.0", "marengo3.0", 512, []string{"visual", "audio", "transcription"}))
	}
	if cfg.Marengo27 {
		c.Indexes = append(c.Indexes, c.newIndex(len(c.Indexes), "marengo2.7", "Marengo-retrieval-2.7", 1024, []string{"visual-text", "audio"}))
	}
	return c
}

func (c *Catalogue) newIndex(n int, model, embedModel string, dim int, options []string) *Index {
	seed := c.Config.Seed
	ix := &Index{
		ID:             hexID(seed, "index", uint64(n)),
		Name:           fmt.Sprintf("synthetic-%s-%d", model, n+1),
		ModelName:      model,
		EmbedModelName: embedModel,
		Dim:            dim,
		Options:        options,
	}
	for i := range c.Config.VideosPerIndex {
		v := c.newVideo(ix, n, i, false)
		if i >= c.Config.VideosPerIndex-c.Config.IndexingPerIndex {
			v.Status = "indexing"
			v.IndexedAt = time.Time{}
		}
		ix.Videos = append(ix.Videos, v)
	}
	for i := range c.Config.SearchOnlyPerIndex {
		ix.SearchOnly = append(ix.SearchOnly, c.newVideo(ix, n, i, true))
	}
	return ix
}

// newVideo builds the i-th video of index n (the n-th index built), or
// its i-th search-only video. The two kinds draw from separate streams:
// search-only videos leave the others' ids and bits alone.
func (c *Catalogue) newVideo(ix *Index, n, i int, searchOnly bool) *Video {
	seed := c.Config.Seed
	kind := ""
	if searchOnly {
		kind = "search-only "
	}
	// Topics cycle through a per-index permutation, so the first
	// len(topics) videos show every topic once.
	perm := rand.New(rand.NewPCG(seed, mix(hashOf(kind+"topics"), uint64(n)))).Perm(len(c.topics))
	topic := c.topics[perm[i%len(perm)]]
	nth := 0 // this video's number among its topic's videos of the kind
	for j := 0; j <= i; j++ {
		if perm[j%len(perm)] == perm[i%len(perm)] {
			nth++
		}
	}
	fpsChoices := []float64{24, 25, 29.97002997002997, 30, 60}
	sizes := [][2]int{{1280, 720}, {1920, 1080}, {854, 480}, {3840, 2160}, {482, 360}}
	vr := rand.New(rand.NewPCG(seed, mix(hashOf(kind+"video"), uint64(n), uint64(i))))
	duration := round3(18 + vr.Float64()*60)
	wh := sizes[vr.IntN(len(sizes))]
	created := epoch.Add(time.Duration(n*1000+i) * 97 * time.Minute)
	filename := fmt.Sprintf("%s-%02d.mp4", topic.Name, nth)
	if searchOnly {
		created = created.Add(-24 * time.Hour)
		filename = fmt.Sprintf("%s-search-only-%02d.mp4", topic.Name, nth)
	}
	v := &Video{
		ID:         hexID(seed, kind+"video", uint64(n), uint64(i)),
		AssetID:    hexID(seed, kind+"asset", uint64(n), uint64(i)),
		IndexID:    ix.ID,
		Topic:      topic,
		Filename:   filename,
		Duration:   duration,
		FPS:        fpsChoices[vr.IntN(len(fpsChoices))],
		Width:      wh[0],
		Height:     wh[1],
		Status:     "ready",
		SearchOnly: searchOnly,
		CreatedAt:  created,
		UpdatedAt:  created.Add(5 * time.Minute),
		IndexedAt:  created.Add(11 * time.Minute),
		UserMetadata: map[string]any{
			"topic":       topic.Name,
			"batchNumber": 1 + i%3,
			"rating":      float64(50+vr.IntN(50)) / 10,
			"needsReview": i%4 == 0,
		},
		media: media{key: mix(hashOf(kind+"media", ix.ID), uint64(i)), topic: indexOfTopic(c.topics, topic.Name)},
	}
	v.Size = int64(v.Duration * float64(v.Width*v.Height) / 4)
	bounds := dynamicBounds(v.media.key, 0, v.Duration, 4, 5)
	sp := c.spaces[ix.ModelName]
	for _, opt := range ix.Options {
		vecs := sp.clipVectors(v.media, c.scenes[ix.ModelName][v.media.topic], opt, len(bounds))
		for k, b := range bounds {
			v.Segments = append(v.Segments, Segment{Option: opt, Scope: "clip", Start: b[0], End: b[1], Vector: vecs[k]})
		}
	}
	v.Transcription = transcript(topic, bounds)
	return v
}

// Index returns the index with the id, or nil.
func (c *Catalogue) Index(id string) *Index {
	for _, ix := range c.Indexes {
		if ix.ID == id {
			return ix
		}
	}
	return nil
}

// Video returns the video with the id (or asset id) in any index, or nil.
// It finds search-only videos too (their SearchOnly field is set).
func (c *Catalogue) Video(id string) *Video {
	for _, ix := range c.Indexes {
		for _, vs := range [][]*Video{ix.Videos, ix.SearchOnly} {
			for _, v := range vs {
				if v.ID == id || v.AssetID == id {
					return v
				}
			}
		}
	}
	return nil
}

// VideosWithTopic returns the videos (all indexes, catalogue order) whose
// topic has the name; search-only videos are not among them.
func (c *Catalogue) VideosWithTopic(name string) []*Video {
	var out []*Video
	for _, ix := range c.Indexes {
		for _, v := range ix.Videos {
			if v.Topic.Name == name {
				out = append(out, v)
			}
		}
	}
	return out
}

// TextVector returns the vector the server's text embedding gives text
// in the model's space: "marengo3.0", "marengo3.5", or 2.7 under either
// of its names. It returns nil for an unknown model.
func (c *Catalogue) TextVector(model, text string) []float32 {
	sp := c.space(model)
	if sp == nil {
		return nil
	}
	return sp.text(text)
}

// InputTopic returns the topic an embed task or media query with this
// input (a URL, a filename, or the bytes of an upload) gets: the topic
// whose Name the input contains, else one picked by the input's hash.
func (c *Catalogue) InputTopic(input string) Topic {
	return c.topics[c.inputMedia(input).topic]
}

// inputMedia derives a synthetic medium from an input's identity.
func (c *Catalogue) inputMedia(input string) media {
	key := hashOf("input", input)
	lower := strings.ToLower(input)
	for i, t := range c.topics {
		if strings.Contains(lower, t.Name) {
			return media{key: key, topic: i}
		}
	}
	return media{key: key, topic: int(key % uint64(len(c.topics)))}
}

// inputDuration derives a medium's duration (12–61 s) from its key.
func inputDuration(m media) float64 {
	return round3(12 + float64(m.key%49000)/1000)
}

// space returns the space a model name belongs to, or nil.
func (c *Catalogue) space(model string) *space {
	switch model {
	case "marengo3.0":
		return c.spaces["marengo3.0"]
	case "marengo3.5":
		return c.spaces["marengo3.5"]
	case "marengo2.7", "Marengo-retrieval-2.7":
		return c.spaces["marengo2.7"]
	}
	return nil
}

// sceneOf returns a medium's scene direction in a space.
func (c *Catalogue) sceneOf(sp *space, m media) []float64 {
	return c.scenes[sp.model][m.topic]
}

// dynamicBounds cuts [start, end) into clips of pseudo-random length in
// [minLen, minLen+spread), seeded by key; a remainder under 2 s joins the
// previous clip.
func dynamicBounds(key uint64, start, end, minLen, spread float64) [][2]float64 {
	r := rand.New(rand.NewPCG(key, 7))
	var out [][2]float64
	t := start
	for t < end {
		n := round3(t + minLen + r.Float64()*spread)
		if n >= end || end-n < 2 {
			n = end
		}
		out = append(out, [2]float64{t, n})
		t = n
	}
	return out
}

// fixedBounds cuts [start, end) into clips of length step; a final
// remainder under 2 s is dropped unless it is the only clip.
func fixedBounds(start, end, step float64) [][2]float64 {
	var out [][2]float64
	for t := start; t < end-1e-9; t += step {
		e := math.Min(t+step, end)
		if e-t < 2 && len(out) > 0 {
			break
		}
		out = append(out, [2]float64{round3(t), round3(e)})
	}
	return out
}

// transcript writes a line of speech about the topic for every other clip.
func transcript(t Topic, bounds [][2]float64) []TranscriptLine {
	lines := []string{
		"Here we see " + t.Description + ".",
		"Look at that, " + t.Description + "!",
		"What a day for it.",
	}
	var out []TranscriptLine
	for i := 0; i < len(bounds); i += 2 {
		end := bounds[i][1]
		if i+1 < len(bounds) {
			end = bounds[i+1][1]
		}
		out = append(out, TranscriptLine{Start: bounds[i][0], End: end, Value: lines[(i/2)%len(lines)]})
	}
	return out
}

func indexOfTopic(ts []Topic, name string) int {
	for i, t := range ts {
		if t.Name == name {
			return i
		}
	}
	return 0
}

// hexID returns a 24-hex-digit Mongo-style id derived from its parts.
func hexID(seed uint64, kind string, ns ...uint64) string {
	h := mix(hashOf("id", kind), append([]uint64{seed}, ns...)...)
	h2 := mix(h, 99)
	return fmt.Sprintf("%016x%08x", h, uint32(h2))
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
