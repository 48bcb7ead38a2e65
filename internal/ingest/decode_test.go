package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// collector is a Handler that keeps copies of everything decoded.
type collector struct {
	segs   []ingest.Segment
	videos []ingest.Video
	fail   func(n int) error // optional: error on the n-th segment
}

func (c *collector) Segment(s *ingest.Segment) error {
	if c.fail != nil {
		if err := c.fail(len(c.segs)); err != nil {
			return err
		}
	}
	cp := *s
	cp.Vector = append([]float32(nil), s.Vector...)
	c.segs = append(c.segs, cp)
	return nil
}

func (c *collector) Video(v *ingest.Video) error {
	c.videos = append(c.videos, *v)
	return nil
}

// brief renders a segment as "option/scope start-end".
func brief(s ingest.Segment) string {
	return fmt.Sprintf("%s/%s %g-%g", s.Option, s.Scope, s.Start, s.End)
}

func decodeFile(t testing.TB, path string, opts ingest.Options) (*collector, ingest.Stats, error) {
	t.Helper()
	r, err := ingest.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if opts.Name == "" {
		opts.Name = path
	}
	c := &collector{}
	st, err := ingest.Decode(context.Background(), r, opts, c)
	return c, st, err
}

func decodeString(t testing.TB, name, body string, opts ingest.Options) (*collector, ingest.Stats, error) {
	t.Helper()
	opts.Name = name
	c := &collector{}
	st, err := ingest.Decode(context.Background(), strings.NewReader(body), opts, c)
	return c, st, err
}

const fixtures = "../../testdata/twelvelabs"

// fixtureThumbnail is the first hls.thumbnail_urls entry of the indexed
// asset and video retrieve fixtures.
const fixtureThumbnail = "https://d2cp8xx7n5vxnu.cloudfront.net/6298aa0b535db125bf6e1d10/64902a28fb01304dd47be3cb/thumbnails/c924f34a-144e-41df-bf2a-c693703fa134.0000001.jpg"

func TestFixturesWithVectors(t *testing.T) {
	for _, tc := range []struct {
		file      string
		video     string
		model     string
		kind      string
		segments  []string
		dim       int
		filename  string
		thumbnail string // hls.thumbnail_urls[0]
		queries   int
	}{
		{
			file: "embed_task_retrieve.json", video: "663e16ac4d11aff765088b3a", model: "marengo3.0",
			kind: ingest.SourceEmbedTaskV1, dim: 2, filename: "01.mp4",
			segments: []string{"visual/clip 0-6", "visual/clip 6-12", "visual/video 0-12",
				"audio/clip 0-6", "audio/clip 6-12", "audio/clip 12-18", "audio/video 0-12"},
		},
		{
			file: "indexed_asset_retrieve.json", video: "61e17be5777e6caec646fa07", model: "marengo3.0",
			kind: ingest.SourceIndexedAsset, dim: 3, filename: "IOKgzkakhlk.mp4", thumbnail: fixtureThumbnail,
			segments: []string{"visual/clip 0-7.5666666"},
		},
		{
			file: "video_retrieve.json", video: "61e17be5777e6caec646fa07", model: "marengo3.0",
			kind: ingest.SourceVideo, dim: 3, filename: "IOKgzkakhlk.mp4", thumbnail: fixtureThumbnail,
			segments: []string{"visual/clip 0-7.5666666"},
		},
		{
			file: "embed_v2_task.json", video: "64f8d2c7e4a1b37f8a9c5d12", model: "marengo3.0",
			kind: ingest.SourceEmbedTaskV2, dim: 4,
			segments: []string{"visual/clip 0-4.2", "audio/clip 0-4.2"},
		},
		{
			file: "embed_v2_sync_video_clip.json", video: "embed_v2_sync_video_clip", model: "marengo3.0",
			kind: ingest.SourceFile, dim: 4,
			segments: []string{"visual/clip 0-4.2", "audio/clip 0-4.2", "transcription/clip 0-4.2"},
		},
		{
			file: "embed_v2_sync_audio_asset.json", video: "embed_v2_sync_audio_asset", model: "marengo3.0",
			kind: ingest.SourceFile, dim: 4,
			segments: []string{"audio/video 0-6", "transcription/video 0-6"},
		},
		{
			file: "text_embed_response.json", video: "text_embed_response", model: "marengo3.0",
			kind: ingest.SourceFile, dim: 3, filename: "01.mp3", queries: 2,
			segments: []string{"audio/clip 0-6", "transcription/clip 0-6"},
		},
		{
			file: "legacy/v1.2_embed_task_retrieve.json", video: "6709a0d5e5eb7ee6ae4cc1a2", model: "marengo2.6",
			kind: ingest.SourceEmbedTaskV1, dim: 4, filename: "lecture.mp4",
			segments: []string{"/clip 0-6", "/clip 6-12", "/clip 12-14.5", "/video 0-14.5"},
		},
		{
			file: "legacy/v1.2_mid2024_embed_task.json", video: "6659a1c2e5eb7ee6ae4c0f11", model: "marengo2.6",
			kind: ingest.SourceEmbedTaskV1, dim: 4,
			segments: []string{"/clip 0-6", "/clip 6-10.25", "/video 0-10.25"},
		},
		{
			file: "legacy/v1.3_2.7_video_retrieve.json", video: "66c5d3b2a9e1f07d3c9a1b20", model: "marengo2.7",
			kind: ingest.SourceVideo, dim: 4, filename: "street.mp4",
			segments: []string{"visual-text/clip 0-5.4", "visual-text/clip 5.4-11.2", "audio/clip 0-5.4"},
		},
		{
			file: "legacy/v1.3_2.7_embed_task_retrieve.json", video: "66c5d2f0a9e1f07d3c9a1a7e", model: "marengo2.7",
			kind: ingest.SourceEmbedTaskV1, dim: 4, filename: "https://example.com/street.mp4",
			segments: []string{"visual-text/clip 0-6", "visual-text/clip 6-12", "audio/clip 0-6", "audio/clip 6-12"},
		},
		{
			file: "legacy/v3.5_embed_v2_task.json", video: "68d0c4a7b2e94f1a3c5d7e90", model: "marengo3.5",
			kind: ingest.SourceEmbedTaskV2, dim: 4, filename: "runway.mp4",
			segments: []string{"visual/clip 0-3.2", "visual/clip 3.2-7", "audio/clip 0-3.2"},
		},
	} {
		t.Run(strings.TrimSuffix(filepath.Base(tc.file), ".json"), func(t *testing.T) {
			c, st, err := decodeFile(t, filepath.Join(fixtures, tc.file), ingest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range c.segs {
				got = append(got, brief(s))
				if s.VideoID != tc.video || s.Model != tc.model || s.SourceKind != tc.kind {
					t.Errorf("%s: video %q model %q kind %q, want %q %q %q", s.Record(), s.VideoID, s.Model, s.SourceKind, tc.video, tc.model, tc.kind)
				}
				if len(s.Vector) != tc.dim || !vecmath.IsUnit(s.Vector, 1e-5) || s.Norm <= 0 {
					t.Errorf("%s: vector %v (norm %v), want a unit %d-d vector", s.Record(), s.Vector, s.Norm, tc.dim)
				}
			}
			if g, w := strings.Join(got, ", "), strings.Join(tc.segments, ", "); g != w {
				t.Errorf("segments:\n got %s\nwant %s", g, w)
			}
			if st.Segments != len(tc.segments) || st.QueryEmbeddings != tc.queries {
				t.Errorf("stats = %+v, want %d segments, %d query embeddings", st, len(tc.segments), tc.queries)
			}
			if len(c.videos) != 1 || c.videos[0].ID != tc.video || c.videos[0].Filename != tc.filename {
				t.Errorf("videos = %+v, want one %q with filename %q", c.videos, tc.video, tc.filename)
			} else if got := c.videos[0].ThumbnailURL; got != tc.thumbnail {
				t.Errorf("thumbnail %q, want %q", got, tc.thumbnail)
			}
		})
	}
}

func TestFixtureMetadata(t *testing.T) {
	c, _, err := decodeFile(t, filepath.Join(fixtures, "indexed_asset_retrieve.json"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := c.videos[0]
	if v.Duration != 3747.841667 || v.FPS != 29.97002997002997 || v.Width != 482 || v.Height != 360 {
		t.Errorf("video = %+v", v)
	}
	if got, want := string(v.UserMetadata), `{"category":"recentlyAdded","batchNumber":5,"rating":9.3,"needsReview":true}`; got != want {
		t.Errorf("user metadata = %s, want %s", got, want)
	}
	// The first value of the fixture, normalised: -0.04747168 / |v|.
	s := c.segs[0]
	if got, want := float64(s.Vector[0])*s.Norm, -0.04747168; got-want > 1e-7 || want-got > 1e-7 {
		t.Errorf("vector[0]·norm = %v, want %v", got, want)
	}
}

func TestFixturesWithoutVectors(t *testing.T) {
	for _, tc := range []struct {
		file string
		want error
		msg  string
	}{
		{"embed_task_create.json", ingest.ErrNoVectors, "create response"},
		{"embed_task_status.json", ingest.ErrNotReady, `not ready: task 6641c0efc70bb578439bd909 is "processing"`},
		{"embed_tasks_list.json", ingest.ErrNoVectors, "list response (3 items)"},
		{"embed_v2_error_400.json", ingest.ErrNoVectors, "API error response (VALIDATION_ERROR): Invalid input_type"},
		{"embed_v2_error_500.json", ingest.ErrNoVectors, "INTERNAL_SERVER_ERROR"},
		{"embed_v2_sync_text.json", ingest.ErrNoVectors, "query embedding"},
		{"embed_v2_task_create.json", ingest.ErrNotReady, "task 64f8d2c7e4a1b37f8a9c5d12"},
		{"embed_v2_task_failed.json", ingest.ErrNotReady, "failed upstream"},
		{"embed_v2_task_processing.json", ingest.ErrNotReady, "not ready"},
		{"embed_v2_tasks_list.json", ingest.ErrNoVectors, "list response"},
		{"error_400_generic.json", ingest.ErrNoVectors, "generic_error"},
		{"error_404_not_found.json", ingest.ErrNoVectors, "not_found"},
		{"error_429.json", ingest.ErrNoVectors, "RATE_LIMIT_EXCEEDED"},
		{"indexed_asset_create.json", ingest.ErrNoVectors, "create response"},
		{"indexed_assets_list.json", ingest.ErrNoVectors, "list response (2 items)"},
		{"rate_limit_headers_example.json", ingest.ErrUnknownShape, "X-Ratelimit-Limit"},
		{"request_examples.json", ingest.ErrUnknownShape, "embed_v2_sync_requests"},
		{"search_page_error_400.json", ingest.ErrNoVectors, "104"},
		{"search_page_response.json", ingest.ErrNoVectors, "search response"},
		{"search_response.json", ingest.ErrNoVectors, "search response"},
		{"videos_list.json", ingest.ErrNoVectors, "list response (2 items)"},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".json"), func(t *testing.T) {
			path := filepath.Join(fixtures, tc.file)
			c, _, err := decodeFile(t, path, ingest.Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), path) {
				t.Errorf("err = %q, want it to name %s and say %q", err, path, tc.msg)
			}
			if len(c.segs) != 0 {
				t.Errorf("decoded %d segments from a file without vectors", len(c.segs))
			}
		})
	}
}

// Every fixture shipped in ../shared must be covered by one of the tables.
func TestEveryFixtureClassified(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*.json"))
	if err != nil || len(files) < 28 {
		t.Fatalf("found %d fixtures (%v)", len(files), err)
	}
	for _, f := range files {
		_, _, err := decodeFile(t, f, ingest.Options{})
		var e *ingest.Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("%s: error %v is not an *ingest.Error", f, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	v1 := func(segments string) string {
		return `{"_id":"t1","model_name":"marengo3.0","status":"ready","video_embedding":{"segments":[` + segments + `]}}`
	}
	seg := func(start, end string, vec string) string {
		return `{"start_offset_sec":` + start + `,"end_offset_sec":` + end + `,"embedding_scope":"clip","embedding_option":"visual","float":` + vec + `}`
	}
	for _, tc := range []struct {
		name, body string
		want       error
		msg        string
	}{
		{"ErrDimensionMismatch", v1(seg("0", "6", "[1,2,3]") + "," + seg("6", "12", "[1,2]")),
			ingest.ErrDimensionMismatch, "video_embedding.segments[1] (line 1): vector has 2 values, want 3"},
		{"ErrNotFiniteNaN", v1(seg("0", "6", "[1,NaN,3]")), vecmath.ErrNotFinite, "segments[0] (line 1): vector value 1 is NaN"},
		{"ErrNotFiniteInfinity", v1(seg("0", "6", "[1,-Infinity,3]")), vecmath.ErrNotFinite, "vector value 1 is -Inf"},
		{"ErrNotFiniteOverflow", v1(seg("0", "6", "[1,1e39,3]")), vecmath.ErrNotFinite, "vector value 1 is +Inf"},
		{"ErrZeroVector", v1(seg("0", "6", "[0,0,0]")), vecmath.ErrZeroVector, "segments[0]"},
		{"ErrEmptyVector", v1(seg("0", "6", "[]")), vecmath.ErrEmptyVector, "segments[0]"},
		{"ErrBadValueNull", v1(seg("0", "6", "[1,null,2]")), ingest.ErrBadValue, "vector value 1 is null"},
		{"ErrBadValueString", v1(seg("0", "6", `[1,"2"]`)), ingest.ErrBadValue, "vector value 1 is a string"},
		{"ErrBadTimeReversed", v1(seg("6", "0", "[1,2]")), ingest.ErrBadTime, "end 0 is before start 6"},
		{"ErrBadTimeNegative", v1(seg("-1", "0", "[1,2]")), ingest.ErrBadTime, "negative"},
		{"ErrMissingVector", v1(`{"start_offset_sec":0,"end_offset_sec":6}`), ingest.ErrMissingField, "no vector (float)"},
		{"ErrSyntaxTruncated", v1(seg("0", "6", "[1,2]"))[:60], ingest.ErrSyntax, "truncated"},
		{"ErrSyntaxNotJSON", "video,start,end\nabc,0,6\n", ingest.ErrSyntax, "want a JSON object or array"},
		{"ErrSyntaxTrailingComma", `{"a":1,}`, ingest.ErrSyntax, "want an object key"},
		{"ErrNoVectorsEmpty", "  \n", ingest.ErrNoVectors, "empty"},
		{"ErrNoVectorsBareVector", "[0.1, 0.2]", ingest.ErrNoVectors, "bare vector"},
		{"ErrUnknownShape", `{"hello":"world"}`, ingest.ErrUnknownShape, "top-level keys: hello"},
		{"ErrNotReady", `{"_id":"t1","model_name":"marengo3.0","status":"processing","video_embedding":{"segments":[` +
			seg("0", "6", "[1,2]") + `]}}`, ingest.ErrNotReady, `not ready: task t1 is "processing"`},
		{"ErrNotReadyAfterSegments", `{"_id":"t1","model_name":"marengo3.0","video_embedding":{"segments":[` +
			seg("0", "6", "[1,2]") + `]},"status":"failed"}`, ingest.ErrNotReady, "failed upstream"},
		{"ErrMissingFieldModel", `{"_id":"t1","status":"ready","video_embedding":{"segments":[` +
			seg("0", "6", "[1,2]") + `]}}`, ingest.ErrMissingField, "names no model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decodeString(t, "bad.json", tc.body, ingest.Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "bad.json: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to start with the file and say %q", err, tc.msg)
			}
		})
	}
}

func TestSkipInvalid(t *testing.T) {
	body := `{"_id":"t1","model_name":"marengo3.0","status":"ready","video_embedding":{"segments":[
		{"start_offset_sec":0,"end_offset_sec":6,"embedding_option":"visual","float":[1,2,3]},
		{"start_offset_sec":6,"end_offset_sec":12,"embedding_option":"visual","float":[1,NaN,3]},
		{"start_offset_sec":12,"end_offset_sec":18,"embedding_option":"visual","float":[1,2]},
		{"start_offset_sec":18,"end_offset_sec":24,"embedding_option":"visual","float":[3,2,1]}]}}`
	var skipped []string
	c, st, err := decodeString(t, "mixed.json", body, ingest.Options{SkipInvalid: true, Invalid: func(e *ingest.Error) {
		skipped = append(skipped, e.Record)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.segs) != 2 || st.Skipped != 2 || st.Segments != 2 {
		t.Fatalf("got %d segments, stats %+v; want 2 imported, 2 skipped", len(c.segs), st)
	}
	if got, want := strings.Join(skipped, ","), "video_embedding.segments[1],video_embedding.segments[2]"; got != want {
		t.Errorf("skipped %s, want %s", got, want)
	}
}

// Keys may come in any order: segments before the model and id are held
// until the document ends, then delivered with the right context.
func TestKeyOrder(t *testing.T) {
	body := `{"video_embedding":{"segments":[{"start_offset_sec":0,"end_offset_sec":6,"embedding_option":"visual","float":[1,0]}],
		"metadata":{"input_filename":"late.mp4","duration":6}},"status":"ready","model_name":"Marengo-retrieval-2.7","_id":"late-id"}`
	c, _, err := decodeString(t, "late.json", body, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.segs) != 1 || c.segs[0].VideoID != "late-id" || c.segs[0].Model != "marengo2.7" {
		t.Fatalf("segments = %+v", c.segs)
	}
	if c.videos[0].Filename != "late.mp4" {
		t.Errorf("video = %+v", c.videos[0])
	}
}

// Embed API v2 calls a whole-video vector's scope "asset", v1 and indexed
// assets "video": every shape imports it as "video", so one scope filter
// finds both; the source kind still says which API it came from.
func TestAssetScopeIsVideo(t *testing.T) {
	for _, tc := range []struct{ name, body, kind string }{
		{"EmbedTaskV2", `{"_id":"t2","status":"ready","data":[{"embedding":[1,0],"embedding_option":"visual","embedding_scope":"asset","start_sec":0,"end_sec":9}]}`,
			ingest.SourceEmbedTaskV2},
		{"EmbedTaskV1", `{"_id":"t1","status":"ready","model_name":"marengo3.0","video_embedding":{"segments":[{"float":[1,0],"embedding_option":"visual","embedding_scope":"asset","start_offset_sec":0,"end_offset_sec":9}]}}`,
			ingest.SourceEmbedTaskV1},
		{"JSONL", `{"video_id":"v","model_name":"marengo3.0","embedding_option":"visual","embedding_scope":"asset","start_sec":0,"end_sec":9,"source_kind":"embed-task-v2","source_id":"t2","embedding":[1,0]}`,
			ingest.SourceEmbedTaskV2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := decodeString(t, "x.json", tc.body, ingest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.segs) != 1 || brief(c.segs[0]) != "visual/video 0-9" || c.segs[0].SourceKind != tc.kind {
				t.Fatalf("segments = %+v, want one visual/video 0-9 from %s", c.segs, tc.kind)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	c, _, err := decodeFile(t, filepath.Join(fixtures, "embed_v2_task.json"), ingest.Options{VideoID: "my-video", Model: "marengo3.5"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range c.segs {
		if s.VideoID != "my-video" || s.SourceID != "64f8d2c7e4a1b37f8a9c5d12" || s.Model != "marengo3.5" {
			t.Errorf("segment %+v: want video my-video from task 64f8d2c7e4a1b37f8a9c5d12, model marengo3.5", s)
		}
	}
	t.Run("ErrDimensionMismatchWithDim", func(t *testing.T) {
		_, _, err := decodeFile(t, filepath.Join(fixtures, "embed_v2_task.json"), ingest.Options{Dim: 512})
		if !errors.Is(err, ingest.ErrDimensionMismatch) || !strings.Contains(err.Error(), "want 512") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestJSONLRoundTrip(t *testing.T) {
	c, _, err := decodeFile(t, filepath.Join(fixtures, "embed_task_retrieve.json"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := ingest.NewWriter(&buf)
	if err := w.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	v := ingest.Video{ID: c.videos[0].ID, Filename: "we\"ird\n.mp4", Duration: 18, UserMetadata: []byte(`{"a":[1,2]}`),
		ThumbnailURL: `data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg"/%3E`}
	if err := w.WriteVideo(&v); err != nil {
		t.Fatal(err)
	}
	for i := range c.segs {
		if err := w.WriteSegment(&c.segs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	back, _, err := decodeString(t, "export.jsonl", buf.String(), ingest.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(back.segs) != len(c.segs) {
		t.Fatalf("round trip: %d segments, want %d", len(back.segs), len(c.segs))
	}
	for i, s := range back.segs {
		o := c.segs[i]
		if o.VideoID != s.VideoID || o.Model != s.Model || o.Option != s.Option || o.Scope != s.Scope || o.Start != s.Start ||
			o.End != s.End || o.Norm != s.Norm || o.SourceKind != s.SourceKind || o.SourceID != s.SourceID {
			t.Errorf("segment %d:\n got %+v\nwant %+v", i, s, o)
		}
		for j := range s.Vector {
			if s.Vector[j] != o.Vector[j] {
				t.Errorf("segment %d value %d: %v != %v", i, j, s.Vector[j], o.Vector[j])
			}
		}
	}
	if len(back.videos) != 1 || fmt.Sprint(back.videos[0]) != fmt.Sprint(v) {
		t.Errorf("videos = %+v, want %+v", back.videos, v)
	}
}

// An indexed asset's thumbnail is the first string of hls.thumbnail_urls;
// a stream object of another shape gives none, and never fails the
// vectors beside it.
func TestHLSThumbnail(t *testing.T) {
	doc := func(hls string) string {
		return `{"_id":"a1","status":"ready","hls":` + hls + `,"embedding":{"model_name":"marengo3.0","video_embedding":{"segments":[` +
			`{"start_offset_sec":0,"end_offset_sec":6,"embedding_option":"visual","embedding_scope":"clip","float":[1,2]}]}}}`
	}
	for _, tc := range []struct {
		name, hls, want string
	}{
		{"OKFirst", `{"video_url":"https://s/v.m3u8","thumbnail_urls":["https://s/1.jpg","https://s/2.jpg"],"status":"COMPLETE"}`, "https://s/1.jpg"},
		{"OKFirstString", `{"thumbnail_urls":[null,7,{"u":"x"},"https://s/1.jpg"]}`, "https://s/1.jpg"},
		{"OKEmptyList", `{"thumbnail_urls":[],"status":"PROCESSING"}`, ""},
		{"OKNullList", `{"thumbnail_urls":null}`, ""},
		{"OKListIsAString", `{"thumbnail_urls":"https://s/1.jpg"}`, ""},
		{"OKNull", `null`, ""},
		{"OKNotAnObject", `["https://s/1.jpg"]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := decodeString(t, "asset.json", doc(tc.hls), ingest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.segs) != 1 || len(c.videos) != 1 {
				t.Fatalf("%d segments, %d videos; want 1 and 1", len(c.segs), len(c.videos))
			}
			if got := c.videos[0].ThumbnailURL; got != tc.want {
				t.Errorf("thumbnail %q, want %q", got, tc.want)
			}
		})
	}
	// A clipvec video record and a segment record name theirs in
	// thumbnail_url; a record without one names none.
	body := `{"type":"video","video_id":"v1","thumbnail_url":"https://s/v1.jpg"}
{"type":"video","video_id":"v2","filename":"v2.mp4"}
{"video_id":"v3","model_name":"m","start_sec":0,"end_sec":6,"embedding":[1,2],"thumbnail_url":"https://s/v3.jpg"}
`
	c, _, err := decodeString(t, "records.jsonl", body, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range c.videos {
		got = append(got, v.ID+"="+v.ThumbnailURL)
	}
	if g, w := strings.Join(got, " "), "v1=https://s/v1.jpg v2= v3=https://s/v3.jpg"; g != w {
		t.Errorf("record thumbnails %s, want %s", g, w)
	}
}

func TestJSONLErrorsNameTheLine(t *testing.T) {
	body := `{"video_id":"v","model_name":"m","start_sec":0,"end_sec":1,"embedding":[1,2]}
{"video_id":"v","model_name":"m","start_sec":1,"end_sec":2,"embedding":[1,2]}
{"video_id":"v","model_name":"m","start_sec":2,"end_sec":3,"embedding":[1,2,3]}
`
	_, _, err := decodeString(t, "x.jsonl", body, ingest.Options{})
	if !errors.Is(err, ingest.ErrDimensionMismatch) || !strings.HasPrefix(err.Error(), "x.jsonl: line 3: ") {
		t.Fatalf("err = %v, want a dimension mismatch on line 3", err)
	}
}

func TestGzipAndStreaming(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(fixtures, "embed_task_retrieve.json"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "task.json.gz")
	writeGzip(t, path, src)
	c, _, err := decodeFile(t, path, ingest.Options{})
	if err != nil || len(c.segs) != 7 {
		t.Fatalf("gzip: %d segments, %v", len(c.segs), err)
	}
	t.Run("ErrSyntaxTruncatedGzip", func(t *testing.T) {
		full, _ := os.ReadFile(path)
		os.WriteFile(path, full[:len(full)/2], 0o644)
		_, _, err := decodeFile(t, path, ingest.Options{})
		if err == nil || !strings.Contains(err.Error(), "unexpected EOF") {
			t.Fatalf("err = %v, want unexpected EOF", err)
		}
	})
}

func writeGzip(t testing.TB, path string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSegmentRecordNames(t *testing.T) {
	c, _, err := decodeFile(t, filepath.Join(fixtures, "embed_task_retrieve.json"), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.segs[3].Record(); got != "video_embedding.segments[3]" {
		t.Errorf("Record() = %q", got)
	}
}
