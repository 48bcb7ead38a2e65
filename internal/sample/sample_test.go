package sample_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/sample"
)

// sampleDir is the committed sample, relative to this package.
const sampleDir = "../../testdata/sample"

func newGenerator(tb testing.TB, p sample.Params) *sample.Generator {
	tb.Helper()
	g, err := sample.NewGenerator(p)
	if err != nil {
		tb.Fatalf("NewGenerator: %v", err)
	}
	return g
}

// readFile returns the contents of path, decompressed if it is gzipped.
func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return out
}

// listFiles returns the paths of the regular files under dir, relative to
// it, sorted.
func listFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// TestSampleUpToDate checks that the committed sample is what the
// generator writes. Gzip members are compared uncompressed: the
// compressor's exact output is not promised across Go releases.
func TestSampleUpToDate(t *testing.T) {
	dir := t.TempDir()
	g := newGenerator(t, sample.DefaultParams())
	if err := sample.WriteSample(context.Background(), dir, g, sample.DefaultCommand); err != nil {
		t.Fatalf("WriteSample: %v", err)
	}
	const fix = "regenerate it with: go generate ./internal/sample"
	got, want := listFiles(t, dir), listFiles(t, sampleDir)
	if !slices.Equal(got, want) {
		t.Fatalf("files in %s = %q, generator writes %q; %s", sampleDir, want, got, fix)
	}
	for _, name := range got {
		fresh, committed := filepath.Join(dir, name), filepath.Join(sampleDir, name)
		if !bytes.Equal(readFile(t, fresh), readFile(t, committed)) {
			t.Errorf("%s differs from the generator's output; %s", committed, fix)
			continue
		}
		if strings.HasSuffix(name, ".gz") {
			a, _ := os.ReadFile(fresh)
			b, _ := os.ReadFile(committed)
			if !bytes.Equal(a, b) {
				t.Logf("%s: same content, different gzip bytes (another Go release?)", committed)
			}
		}
	}
}

// segment is one decoded segment of the committed sample, shape-neutral.
type segment struct {
	option, scope string
	start, end    float64
	vec           []float64 // unit length
	norm          float64
}

// video is one decoded export file.
type video struct {
	file, shape, id string
	lines           int // newlines in the file: 1 when compact
	duration        float64
	thumbnail       string // hls.thumbnail_urls[0] of an indexed asset
	segments        []segment
}

type v1Segment struct {
	Start  float64   `json:"start_offset_sec"`
	End    float64   `json:"end_offset_sec"`
	Scope  string    `json:"embedding_scope"`
	Option string    `json:"embedding_option"`
	Float  []float64 `json:"float"`
}

type embedTask struct {
	ID             string `json:"_id"`
	ModelName      string `json:"model_name"`
	Status         string `json:"status"`
	CreatedAt      string `json:"created_at"`
	VideoEmbedding struct {
		Segments []v1Segment `json:"segments"`
		Metadata struct {
			InputFilename       string   `json:"input_filename"`
			VideoClipLength     float64  `json:"video_clip_length"`
			VideoEmbeddingScope []string `json:"video_embedding_scope"`
			Duration            float64  `json:"duration"`
		} `json:"metadata"`
	} `json:"video_embedding"`
}

type embedV2Task struct {
	ID        string `json:"_id"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Data      []struct {
		Embedding []float64 `json:"embedding"`
		Option    string    `json:"embedding_option"`
		Scope     string    `json:"embedding_scope"`
		Start     float64   `json:"start_sec"`
		End       float64   `json:"end_sec"`
	} `json:"data"`
	Metadata struct {
		InputType        string   `json:"input_type"`
		InputFilename    string   `json:"input_filename"`
		ClipLength       float64  `json:"clip_length"`
		EmbeddingOptions []string `json:"embedding_options"`
		EmbeddingScopes  []string `json:"embedding_scopes"`
		Duration         float64  `json:"duration"`
	} `json:"metadata"`
}

type indexedAsset struct {
	ID             string `json:"_id"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
	IndexedAt      string `json:"indexed_at"`
	Status         string `json:"status"`
	SystemMetadata struct {
		Duration float64 `json:"duration"`
		Filename string  `json:"filename"`
		FPS      float64 `json:"fps"`
		Height   int     `json:"height"`
		Width    int     `json:"width"`
	} `json:"system_metadata"`
	UserMetadata map[string]any `json:"user_metadata"`
	HLS          struct {
		ThumbnailURLs []string `json:"thumbnail_urls"`
		Status        string   `json:"status"`
		UpdatedAt     string   `json:"updated_at"`
	} `json:"hls"`
	Embedding struct {
		ModelName      string `json:"model_name"`
		VideoEmbedding struct {
			Segments []v1Segment `json:"segments"`
		} `json:"video_embedding"`
	} `json:"embedding"`
}

// decodeStrict decodes b into v, rejecting unknown fields and trailing
// data, so that a misspelt key fails the test.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

func unit(tb testing.TB, where string, f []float64) ([]float64, float64) {
	tb.Helper()
	var s float64
	for _, x := range f {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			tb.Fatalf("%s: non-finite value", where)
		}
		s += x * x
	}
	n := math.Sqrt(s)
	if n == 0 {
		tb.Fatalf("%s: zero vector", where)
	}
	u := make([]float64, len(f))
	for i, x := range f {
		u[i] = x / n
	}
	return u, n
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

var shapeInName = regexp.MustCompile(`\.(embed-task|embed-v2-task|indexed-asset)\.json(\.gz)?$`)

// loadSample decodes every export file of the committed sample, checking
// each against its shape's schema.
func loadSample(tb testing.TB) []video {
	tb.Helper()
	dir := filepath.Join(sampleDir, sample.ExportsDir)
	names := listFiles(tb, dir)
	if len(names) == 0 {
		tb.Fatalf("no files in %s", dir)
	}
	var videos []video
	for _, name := range names {
		m := shapeInName.FindStringSubmatch(name)
		if m == nil {
			tb.Fatalf("%s: name does not say its shape", name)
		}
		b := readFile(tb, filepath.Join(dir, name))
		v := video{file: name, shape: m[1], lines: bytes.Count(b, []byte("\n"))}
		fromV1 := func(segs []v1Segment) {
			for i, s := range segs {
				u, n := unit(tb, name+": segment "+strconv.Itoa(i), s.Float)
				v.segments = append(v.segments, segment{s.Option, s.Scope, s.Start, s.End, u, n})
			}
		}
		switch v.shape {
		case "embed-task":
			var d embedTask
			if err := decodeStrict(b, &d); err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			if d.ModelName != "marengo3.0" || d.Status != "ready" || d.VideoEmbedding.Metadata.VideoClipLength != 6 ||
				!slices.Equal(d.VideoEmbedding.Metadata.VideoEmbeddingScope, []string{"clip", "video"}) {
				tb.Errorf("%s: model %q, status %q, metadata %+v", name, d.ModelName, d.Status, d.VideoEmbedding.Metadata)
			}
			v.id, v.duration = d.ID, d.VideoEmbedding.Metadata.Duration
			fromV1(d.VideoEmbedding.Segments)
		case "embed-v2-task":
			var d embedV2Task
			if err := decodeStrict(b, &d); err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			if bytes.Contains(b, []byte(`"model_name"`)) {
				tb.Errorf("%s: embed-v2 bodies carry no model_name", name)
			}
			md := d.Metadata
			if d.Status != "ready" || md.InputType != "video" || md.ClipLength != 6 ||
				!slices.Equal(md.EmbeddingScopes, []string{"clip", "asset"}) || len(md.EmbeddingOptions) == 0 {
				tb.Errorf("%s: status %q, metadata %+v", name, d.Status, md)
			}
			v.id, v.duration = d.ID, md.Duration
			for i, s := range d.Data {
				u, n := unit(tb, name+": data "+strconv.Itoa(i), s.Embedding)
				scope := s.Scope
				switch scope {
				case "asset":
					scope = "video"
				case "video":
					tb.Errorf("%s: data %d: scope \"video\" in a v2 body, want \"asset\"", name, i)
				}
				if !slices.Contains(md.EmbeddingOptions, s.Option) {
					tb.Errorf("%s: data %d: option %q not in metadata.embedding_options", name, i, s.Option)
				}
				v.segments = append(v.segments, segment{s.Option, scope, s.Start, s.End, u, n})
			}
		case "indexed-asset":
			var d indexedAsset
			if err := decodeStrict(b, &d); err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			sm := d.SystemMetadata
			if d.Status != "ready" || d.Embedding.ModelName != "marengo3.0" || sm.FPS <= 0 || sm.Width <= 0 || sm.Height <= 0 ||
				!strings.HasSuffix(sm.Filename, ".mp4") || len(d.UserMetadata) == 0 {
				tb.Errorf("%s: status %q, model %q, system_metadata %+v, user_metadata %v", name, d.Status, d.Embedding.ModelName, sm, d.UserMetadata)
			}
			v.id, v.duration = d.ID, sm.Duration
			if len(d.HLS.ThumbnailURLs) != 1 || d.HLS.Status != "COMPLETE" || d.HLS.UpdatedAt != d.IndexedAt {
				tb.Errorf("%s: hls %+v, want one thumbnail, COMPLETE at indexed_at", name, d.HLS)
			} else {
				v.thumbnail = d.HLS.ThumbnailURLs[0]
			}
			fromV1(d.Embedding.VideoEmbedding.Segments)
		}
		videos = append(videos, v)
	}
	return videos
}

var objectID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// Every video's thumbnail is a small, well-formed SVG image in a data:
// URL, its own, showing its topic's initial and its number.
func TestSampleThumbnails(t *testing.T) {
	seen := map[string]string{}
	g := newGenerator(t, sample.DefaultParams())
	for _, v := range g.Videos() {
		const prefix = "data:image/svg+xml,"
		thumb := g.Thumbnail(v)
		if !strings.HasPrefix(thumb, prefix) || len(thumb) > 500 {
			t.Fatalf("%s: thumbnail %q (%d bytes), want a data:image/svg+xml URL of at most 500 bytes", v.Filename, thumb, len(thumb))
		}
		if other, dup := seen[thumb]; dup {
			t.Errorf("%s and %s have the same thumbnail", other, v.Filename)
		}
		seen[thumb] = v.Filename
		svg, err := url.PathUnescape(strings.TrimPrefix(thumb, prefix))
		if err != nil {
			t.Fatalf("%s: %v", v.Filename, err)
		}
		var texts []string
		dec := xml.NewDecoder(strings.NewReader(svg))
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: thumbnail is not well-formed XML: %v\n%s", v.Filename, err, svg)
			}
			if cd, ok := tok.(xml.CharData); ok {
				texts = append(texts, string(cd))
			}
		}
		number := strings.TrimSuffix(v.Filename[len(v.Topic)+1:], ".mp4")
		if want := []string{strings.ToUpper(v.Topic[:1]), number}; !slices.Equal(texts, want) {
			t.Errorf("%s: thumbnail text %q, want %q", v.Filename, texts, want)
		}
	}
}

// TestSampleMatchesModel checks the committed files against the
// generator's metadata: one file per video, the right ids, durations,
// options, segment counts and time layout.
func TestSampleMatchesModel(t *testing.T) {
	p := sample.DefaultParams()
	g := newGenerator(t, p)
	want := g.Videos()
	got := loadSample(t)
	if len(got) != len(want) {
		t.Fatalf("sample has %d files, model has %d videos", len(got), len(want))
	}
	shapes := map[string]int{}
	gz := 0
	for i, d := range got {
		v := want[i]
		shapes[d.shape]++
		if strings.HasSuffix(d.file, ".gz") {
			gz++
		}
		if d.file != sample.ExportName(v) || d.shape != v.Shape.String() {
			t.Errorf("file %d is %s (%s), want %s (%s)", i, d.file, d.shape, sample.ExportName(v), v.Shape)
		}
		if indented := i < 3; indented != (d.lines > 1) {
			t.Errorf("%s: %d lines; want the first file of each shape indented, the rest compact on one line", d.file, d.lines)
		}
		if d.id != v.ID || !objectID.MatchString(d.id) {
			t.Errorf("%s: _id %q, want %q (24 lowercase hex)", d.file, d.id, v.ID)
		}
		if d.duration != v.Duration {
			t.Errorf("%s: duration %v, want %v", d.file, d.duration, v.Duration)
		}
		// Embed task files have no hls object (decodeStrict rejects one).
		if want := g.Thumbnail(v); v.Shape == sample.ShapeIndexedAsset && d.thumbnail != want {
			t.Errorf("%s: thumbnail %q, want the generator's %q", d.file, d.thumbnail, want)
		}
		if got, want := len(d.segments), v.SegmentCount(); got != want {
			t.Errorf("%s: %d segments, want %d", d.file, got, want)
		}
		var options []string
		perOption := map[string][]segment{}
		for j, s := range d.segments {
			if len(s.vec) != p.Dim {
				t.Errorf("%s: segment %d has %d values, want %d", d.file, j, len(s.vec), p.Dim)
			}
			if s.norm < 0.45 || s.norm > 1.55 {
				t.Errorf("%s: segment %d has norm %.3f, want 0.5 to 1.5", d.file, j, s.norm)
			}
			if !slices.Contains(options, s.option) {
				options = append(options, s.option)
			}
			perOption[s.option] = append(perOption[s.option], s)
		}
		if !slices.Equal(options, v.Options) {
			t.Errorf("%s: options %q, want %q", d.file, options, v.Options)
		}
		for o, segs := range perOption {
			checkLayout(t, d.file+" "+o, v, p, segs)
		}
	}
	for _, s := range []sample.Shape{sample.ShapeEmbedTask, sample.ShapeEmbedV2Task, sample.ShapeIndexedAsset} {
		if shapes[s.String()] < 2 {
			t.Errorf("%d files of shape %s, want at least 2", shapes[s.String()], s)
		}
	}
	if gz < len(got)/3 || gz > 2*len(got)/3 {
		t.Errorf("%d of %d files gzipped, want about half", gz, len(got))
	}
}

// checkLayout checks the time ranges of one option of one video: clips
// back to back from 0 in time order, one video-scope segment over the
// whole duration.
func checkLayout(t *testing.T, where string, v sample.Video, p sample.Params, segs []segment) {
	t.Helper()
	var clips []segment
	wholes := 0
	for _, s := range segs {
		switch s.scope {
		case "clip":
			clips = append(clips, s)
		case "video":
			wholes++
			if s.start != 0 || s.end != v.Duration {
				t.Errorf("%s: video scope spans %v–%v, want 0–%v", where, s.start, s.end, v.Duration)
			}
		default:
			t.Errorf("%s: scope %q", where, s.scope)
		}
	}
	if len(clips) != v.Clips || wholes != 1 {
		t.Errorf("%s: %d clips and %d video scopes, want %d and 1", where, len(clips), wholes, v.Clips)
		return
	}
	end := 0.0
	for i, c := range clips {
		length := c.end - c.start
		if c.start != end {
			t.Errorf("%s: clip %d starts at %v, want %v", where, i, c.start, end)
		}
		end = c.end
		last := i == len(clips)-1
		switch {
		case v.Shape == sample.ShapeIndexedAsset:
			if length < p.VariableClipMin-0.05 || length > p.VariableClipMax+0.05 {
				t.Errorf("%s: indexed clip %d lasts %v s, want %v to %v", where, i, length, p.VariableClipMin, p.VariableClipMax)
			}
		case !last && length != p.ClipSeconds, last && (length < 2 || length > p.ClipSeconds):
			t.Errorf("%s: clip %d of %d lasts %v s", where, i, len(clips), length)
		}
	}
	if rest := v.Duration - end; rest < 0 || rest >= 2 {
		t.Errorf("%s: clips end at %v, duration %v: want a dropped remainder under 2 s", where, end, v.Duration)
	}
}

// mean returns the mean of xs, 0 for none.
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// TestSampleGeometry checks that the committed vectors have the structure
// the model promises: adjacent clips closer than distant clips of one
// video, those closer than another video of the topic, those closer than
// another topic; modalities related but not equal; video scopes near the
// mean of their clips.
func TestSampleGeometry(t *testing.T) {
	g := newGenerator(t, sample.DefaultParams())
	meta := g.Videos()
	videos := loadSample(t)
	if len(videos) != len(meta) {
		t.Fatalf("sample has %d files, model has %d videos", len(videos), len(meta))
	}
	visual := make([][]segment, len(videos)) // clip scope
	var adjacent, distant, crossModal, sameTopic, otherTopic, videoSame, videoOther, scopeToMean []float64
	for i, v := range videos {
		byTime := map[float64][]segment{}
		for _, s := range v.segments {
			if s.scope == "clip" {
				byTime[s.start] = append(byTime[s.start], s)
				if s.option == "visual" {
					visual[i] = append(visual[i], s)
				}
			}
		}
		for _, segs := range byTime {
			for a := range segs {
				for b := a + 1; b < len(segs); b++ {
					crossModal = append(crossModal, dot(segs[a].vec, segs[b].vec))
				}
			}
		}
		clips := visual[i]
		for a := range clips {
			for b := a + 1; b < len(clips); b++ {
				c := dot(clips[a].vec, clips[b].vec)
				switch {
				case b == a+1:
					adjacent = append(adjacent, c)
				case b >= a+4:
					distant = append(distant, c)
				}
			}
		}
		// The video-scope vector against the mean of its clips.
		for _, o := range meta[i].Options {
			sum := make([]float64, len(clips[0].vec))
			var whole []float64
			for _, s := range v.segments {
				if s.option != o {
					continue
				}
				if s.scope == "video" {
					whole = s.vec
					continue
				}
				for k, x := range s.vec {
					sum[k] += x * s.norm
				}
			}
			u, _ := unit(t, v.file, sum)
			scopeToMean = append(scopeToMean, dot(u, whole))
		}
	}
	wholeVisual := func(i int) []float64 {
		for _, s := range videos[i].segments {
			if s.scope == "video" && s.option == "visual" {
				return s.vec
			}
		}
		t.Fatalf("%s: no visual video scope", videos[i].file)
		return nil
	}
	for i := range videos {
		for j := i + 1; j < len(videos); j++ {
			var cs []float64
			for _, a := range visual[i] {
				for _, b := range visual[j] {
					cs = append(cs, dot(a.vec, b.vec))
				}
			}
			w := dot(wholeVisual(i), wholeVisual(j))
			if meta[i].Topic == meta[j].Topic {
				sameTopic = append(sameTopic, cs...)
				videoSame = append(videoSame, w)
			} else {
				otherTopic = append(otherTopic, cs...)
				videoOther = append(videoOther, w)
			}
		}
	}
	t.Logf("mean cosine, visual clips: adjacent %.3f, same video ≥4 apart %.3f, same topic %.3f, other topic %.3f",
		mean(adjacent), mean(distant), mean(sameTopic), mean(otherTopic))
	t.Logf("mean cosine: two modalities of a clip %.3f; visual video scopes same topic %.3f, other topic %.3f; video scope to its clips' mean %.4f (min %.4f)",
		mean(crossModal), mean(videoSame), mean(videoOther), mean(scopeToMean), slices.Min(scopeToMean))
	ordered := []struct {
		name string
		v    float64
	}{
		{"adjacent clips", mean(adjacent)},
		{"distant clips of one video", mean(distant)},
		{"clips of one topic", mean(sameTopic)},
		{"clips of different topics", mean(otherTopic)},
	}
	for k := 1; k < len(ordered); k++ {
		if ordered[k-1].v <= ordered[k].v+0.05 {
			t.Errorf("mean cosine of %s %.3f, want clearly above %s %.3f", ordered[k-1].name, ordered[k-1].v, ordered[k].name, ordered[k].v)
		}
	}
	if mean(adjacent) < 0.85 {
		t.Errorf("mean cosine of adjacent clips %.3f, want at least 0.85", mean(adjacent))
	}
	if o := mean(otherTopic); o < 0.1 || o > 0.45 {
		t.Errorf("mean cosine across topics %.3f, want 0.1 to 0.45 (an anisotropic space)", o)
	}
	if mean(videoSame) <= mean(videoOther)+0.1 {
		t.Errorf("video scopes: same topic %.3f, other topic %.3f, want same topic clearly closer", mean(videoSame), mean(videoOther))
	}
	if c := mean(crossModal); c > 0.9 || c < mean(otherTopic)+0.1 {
		t.Errorf("modalities of one clip: cosine %.3f, want related (well above %.3f) but not equal (below 0.9)", c, mean(otherTopic))
	}
	if m := slices.Min(scopeToMean); m < 0.98 {
		t.Errorf("video scope vs mean of its clips: min cosine %.4f, want at least 0.98", m)
	}
}

type query struct {
	Topic  string    `json:"topic"`
	Text   string    `json:"text"`
	Vector []float32 `json:"vector"`
}

// TestSampleQueries checks queries.json: one query per topic, equal to
// Generator.Query, whose nearest clip (exact cosine over the whole
// sample) is of its topic for most topics, while sitting apart from the
// clips (the modality gap).
func TestSampleQueries(t *testing.T) {
	g := newGenerator(t, sample.DefaultParams())
	meta := g.Videos()
	var queries []query
	if err := decodeStrict(readFile(t, filepath.Join(sampleDir, sample.QueriesFile)), &queries); err != nil {
		t.Fatalf("%s: %v", sample.QueriesFile, err)
	}
	var topics []string
	for _, q := range queries {
		topics = append(topics, q.Topic)
		if want := g.Query(q.Topic); !slices.Equal(q.Vector, want) {
			t.Errorf("query %q: vector differs from Generator.Query", q.Topic)
		}
		if q.Text == "" || q.Text != g.QueryText(q.Topic) {
			t.Errorf("query %q: text %q, want %q", q.Topic, q.Text, g.QueryText(q.Topic))
		}
	}
	if !slices.Equal(topics, g.Topics()) {
		t.Fatalf("query topics %q, want %q", topics, g.Topics())
	}

	videos := loadSample(t)
	right := 0
	var best []float64
	for _, q := range queries {
		f := make([]float64, len(q.Vector))
		for i, x := range q.Vector {
			f[i] = float64(x)
		}
		u, _ := unit(t, "query "+q.Topic, f)
		top, topic := -2.0, ""
		for i, v := range videos {
			for _, s := range v.segments {
				if c := dot(u, s.vec); s.scope == "clip" && c > top {
					top, topic = c, meta[i].Topic
				}
			}
		}
		best = append(best, top)
		if topic == q.Topic {
			right++
		} else {
			t.Logf("query %q: nearest clip is of %q (cosine %.3f)", q.Topic, topic, top)
		}
	}
	t.Logf("%d of %d queries find their topic first; best cosines %.3f", right, len(queries), best)
	if right < len(queries)*3/4 {
		t.Errorf("%d of %d queries have a nearest clip of their topic, want at least 3/4", right, len(queries))
	}
	if m := slices.Max(best); m > 0.7 {
		t.Errorf("best query-to-clip cosine %.3f, want below 0.7: queries should sit apart from clips", m)
	}
}
