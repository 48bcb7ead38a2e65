package twelvelabs_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

func f64(v float64) *float64 { return &v }

func TestEmbedTaskV1(t *testing.T) {
	ctx := context.Background()
	t.Run("OK/URL", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: "https://example.com/surfing-trip.mp4",
			ClipLength: f64(5), StartOffsetSec: f64(2), EndOffsetSec: f64(20), Scopes: []string{"clip", "video"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := srv.Count(twelvelabstest.EndpointCreateEmbedTask); got != 1 {
			t.Errorf("create requests = %d, want 1", got)
		}
		req := srv.Requests()[0]
		if got, want := req.Form["video_embedding_scope"], []string{"clip", "video"}; !slices.Equal(got, want) {
			t.Errorf("video_embedding_scope form fields = %q, want %q (repeated)", got, want)
		}
		if req.Form.Get("video_clip_length") != "5" || req.Form.Get("video_start_offset_sec") != "2" {
			t.Errorf("form = %v", req.Form)
		}
		if _, err := c.WaitForTask(ctx, id, twelvelabs.WithPollInterval(time.Second)); err != nil {
			t.Fatal(err)
		}
		task, err := c.RetrieveEmbedTask(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// 18 s in 5 s clips: 2–7, 7–12, 12–17, 17–20; per option, plus a
		// video-scope vector; three options.
		if got, want := len(task.Segments()), 3*(4+1); got != want {
			t.Fatalf("%d segments, want %d", got, want)
		}
		first, video := task.Segments()[0], task.Segments()[4]
		if first.StartOffsetSec != 2 || first.EndOffsetSec != 7 || first.EmbeddingScope != "clip" || first.EmbeddingOption != "visual" || len(first.Float) != 512 {
			t.Errorf("first segment %+v", first)
		}
		if video.EmbeddingScope != "video" || video.StartOffsetSec != 2 || video.EndOffsetSec != 20 {
			t.Errorf("video segment %+v", video)
		}
		if info, _ := srv.Task(id); info.Topic.Name != "surfing" {
			t.Errorf("task topic = %q, want surfing (named by the URL)", info.Topic.Name)
		}
		sub, err := c.RetrieveEmbedTask(ctx, id, "visual", "audio")
		if err != nil {
			t.Fatal(err)
		}
		if got := len(sub.Segments()); got != 2*(4+1) {
			t.Errorf("%d segments for two options, want 10", got)
		}
		reqs := srv.Requests()
		if got, want := reqs[len(reqs)-1].Query["embedding_option"], []string{"visual", "audio"}; !slices.Equal(got, want) {
			t.Errorf("embedding_option query = %q, want %q (repeated keys)", got, want)
		}
	})
	t.Run("OK/Upload", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		video := bytes.Repeat([]byte("frame"), 10000)
		id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoFile: &twelvelabs.File{Name: "holiday.mp4", Reader: bytes.NewReader(video)}})
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.WaitForTask(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.VideoEmbedding.Metadata; m.InputFilename != "holiday.mp4" || m.VideoClipLength != 6 || !slices.Equal(m.VideoEmbeddingScope, []string{"clip"}) {
			t.Errorf("metadata %+v", m)
		}
		if got := srv.Requests()[0].Files["video_file"]; !slices.Equal(got, []string{"holiday.mp4"}) {
			t.Errorf("uploaded files %v", got)
		}
		// A seekable upload goes with a Content-Length (framing included).
		if got := srv.Requests()[0].ContentLength; got <= int64(len(video)) || got > int64(len(video))+1024 {
			t.Errorf("Content-Length %d for a %d-byte upload", got, len(video))
		}
		// The same bytes give the same embeddings.
		id2, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoFile: &twelvelabs.File{Name: "holiday.mp4", Reader: bytes.NewReader(video)}})
		if err != nil {
			t.Fatal(err)
		}
		c.WaitForTask(ctx, id2)
		a, _ := c.RetrieveEmbedTask(ctx, id)
		b, _ := c.RetrieveEmbedTask(ctx, id2)
		if a == nil || b == nil || !slices.Equal(a.Segments()[0].Float, b.Segments()[0].Float) {
			t.Error("the same upload gave different embeddings")
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		srv := newServer(t)
		_, err := srv.Client().CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: "https://example.com/a.mp4", ClipLength: f64(12)})
		var e *twelvelabs.APIError
		if !errors.As(err, &e) || e.Code != "parameter_invalid" || !errors.Is(err, twelvelabs.ErrBadRequest) {
			t.Fatalf("err = %v, want 400 parameter_invalid", err)
		}
		if !strings.HasPrefix(err.Error(), "create embed task: twelvelabs API: 400 Bad Request: parameter_invalid: ") {
			t.Errorf("error text %q", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		srv := newServer(t)
		_, err := srv.Client().EmbedTaskStatus(ctx, "000000000000000000000000")
		var e *twelvelabs.APIError
		if !errors.As(err, &e) || !twelvelabs.IsNotFound(err) || e.Code != "resource_not_exist" {
			t.Fatalf("err = %v, want 404 resource_not_exist", err)
		}
	})
	t.Run("ErrEmptyID", func(t *testing.T) {
		srv := newServer(t)
		if _, err := srv.Client().RetrieveEmbedTask(ctx, ""); err == nil || srv.Count(twelvelabstest.EndpointListEmbedTasks) != 0 {
			t.Errorf("err = %v: an empty id must fail without a request", err)
		}
	})
	t.Run("OK/Marengo27", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: twelvelabs.ModelMarengo27, VideoURL: "https://example.com/x.mp4"})
		if err != nil {
			t.Fatal(err)
		}
		c.WaitForTask(ctx, id)
		task, err := c.RetrieveEmbedTask(ctx, id, "visual-text")
		if err != nil {
			t.Fatal(err)
		}
		if s := task.Segments()[0]; s.EmbeddingOption != "visual-text" || len(s.Float) != 1024 {
			t.Errorf("segment %s with %d values, want visual-text with 1024", s.EmbeddingOption, len(s.Float))
		}
	})
}

func TestListEmbedTasks(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := srv.Client()
	var ids []string
	for i := range 23 {
		id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: fmt.Sprintf("https://example.com/%d.mp4", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		srv.Clock().(*twelvelabstest.ManualClock).Advance(time.Minute)
	}
	// One v2 task, which must not appear in the v1 list.
	if _, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
		Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/v2.mp4"}}}); err != nil {
		t.Fatal(err)
	}
	it := c.ListEmbedTasks(ctx, twelvelabs.ListTasksParams{PageLimit: 10})
	items := collect(t, it.Next, it.Item, it.Err)
	var got []string
	for _, task := range items {
		got = append(got, task.ID)
	}
	slices.Reverse(ids) // newest first
	if !slices.Equal(got, ids) {
		t.Errorf("listed %d tasks %v, want %v", len(got), got, ids)
	}
	if n := srv.Count(twelvelabstest.EndpointListEmbedTasks); n != 3 {
		t.Errorf("%d list requests, want 3 (pages of 10, 10, 3)", n)
	}
	t.Run("OK/StatusFilter", func(t *testing.T) {
		c.WaitForTask(ctx, ids[0])
		it := c.ListEmbedTasks(ctx, twelvelabs.ListTasksParams{Status: "ready"})
		items := collect(t, it.Next, it.Item, it.Err)
		if len(items) != 1 || items[0].ID != ids[0] {
			t.Errorf("ready tasks %v, want just %s", items, ids[0])
		}
	})
	t.Run("OK/V2List", func(t *testing.T) {
		it := c.ListEmbedV2Tasks(ctx, twelvelabs.ListTasksParams{})
		items := collect(t, it.Next, it.Item, it.Err)
		if len(items) != 1 || items[0].VideoEmbedding == nil || items[0].VideoEmbedding.Metadata.InputURL != "https://example.com/v2.mp4" {
			t.Errorf("v2 list items %+v: want one v1-shaped item", items)
		}
	})
}

func TestEmbedV2Task(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithTaskReadyAfterPolls(3))
		c := srv.Client()
		task, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
			Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/cooking-show.mp4"},
				Segmentation:    &twelvelabs.Segmentation{Strategy: "fixed", Fixed: &twelvelabs.FixedSegmentation{DurationSec: 5}},
				EmbeddingOption: []string{"visual", "audio"}, EmbeddingScope: []string{"clip", "asset"}}})
		if err != nil {
			t.Fatal(err)
		}
		if task.Status != "processing" || task.Location != srv.URL+"/embed-v2/tasks/"+task.ID {
			t.Errorf("created %+v", task)
		}
		if got := srv.Requests()[0].Status; got != http.StatusAccepted {
			t.Errorf("create answered %d, want 202", got)
		}
		var seen []string
		done, err := c.WaitForTaskV2(ctx, task.ID, twelvelabs.WithStatusCallback(func(s string) { seen = append(seen, s) }))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"processing", "processing", "ready"}; !slices.Equal(seen, want) {
			t.Errorf("statuses %v, want %v", seen, want)
		}
		info, _ := srv.Task(task.ID)
		clips := int(math.Ceil(info.Duration / 5))
		if info.Duration-float64(clips-1)*5 < 2 {
			clips-- // a remainder under 2 s is dropped
		}
		if got, want := len(done.Data), 2*clips+2; got != want {
			t.Fatalf("%d vectors, want %d (2 options × %d clips + 2 asset)", got, want, clips)
		}
		last := done.Data[len(done.Data)-1]
		if last.EmbeddingScope != "asset" || *last.StartSec != 0 || done.Data[0].EmbeddingScope != "clip" || *done.Data[0].EndSec != 5 {
			t.Errorf("data %+v … %+v", done.Data[0], last)
		}
		if done.Metadata.ClipLength != 5 || done.Metadata.InputType != "video" || info.Topic.Name != "cooking" {
			t.Errorf("metadata %+v, topic %s", done.Metadata, info.Topic.Name)
		}
	})
	t.Run("OK/AssetID", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithTaskReadyAfterPolls(0))
		c := srv.Client()
		v := srv.Catalogue.Indexes[0].Videos[2]
		task, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
			Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{AssetID: v.AssetID}}})
		if err != nil {
			t.Fatal(err)
		}
		if info, _ := srv.Task(task.ID); info.Topic.Name != v.Topic.Name || info.Duration != v.Duration {
			t.Errorf("task %+v does not embed asset %s (%s)", info, v.AssetID, v.Topic.Name)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		srv := newServer(t)
		_, err := srv.Client().GetEmbedV2Task(ctx, "nope")
		var e *twelvelabs.APIError
		if !errors.As(err, &e) || !twelvelabs.IsNotFound(err) || !bytes.Contains(e.Body, []byte(`{"error":{`)) {
			t.Fatalf("err = %v, want a 404 in the embed-v2 format", err)
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		srv := newServer(t)
		_, err := srv.Client().CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
			Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://a/x.mp4", AssetID: "y"}}})
		var e *twelvelabs.APIError
		if !errors.As(err, &e) || e.Code != "VALIDATION_ERROR" || e.Details["field"] != "video.media_source" {
			t.Fatalf("err = %v, want VALIDATION_ERROR on video.media_source", err)
		}
		if n := len(srv.Tasks()); n != 0 {
			t.Errorf("%d tasks created by a rejected request", n)
		}
	})
}

func TestEmbedV2Sync(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := srv.Client()
	t.Run("OK/Text", func(t *testing.T) {
		res, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "text", ModelName: "marengo3.0", Text: &twelvelabs.TextInput{InputText: "man walking a dog"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Data) != 1 || len(res.Data[0].Embedding) != 512 || res.Data[0].StartSec != nil {
			t.Errorf("decoded %+v", res.Data)
		}
		if got := srv.Requests()[len(srv.Requests())-1].JSON; !json.Valid(got) || !bytes.Contains(got, []byte(`"input_text":"man walking a dog"`)) {
			t.Errorf("request body %s", got)
		}
	})
	t.Run("OK/Image", func(t *testing.T) {
		res, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "image", ModelName: "marengo3.0", Image: &twelvelabs.ImageInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/dog.jpg"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Data[0].Embedding) != 512 || res.Metadata.InputType != "image" || res.Metadata.InputURL != "https://example.com/dog.jpg" {
			t.Errorf("decoded %+v %+v", res.Data, res.Metadata)
		}
	})
	t.Run("OK/Audio", func(t *testing.T) {
		res, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "audio", ModelName: "marengo3.0",
			Audio: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/a.wav"}, StartSec: f64(0), EndSec: f64(6),
				EmbeddingOption: []string{"audio", "transcription"}, EmbeddingScope: []string{"asset"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Data) != 2 || res.Data[0].EmbeddingScope != "asset" || *res.Data[1].EndSec != 6 || res.Data[1].EmbeddingOption != "transcription" {
			t.Errorf("decoded %+v", res.Data)
		}
	})
	t.Run("OK/VideoFused", func(t *testing.T) {
		res, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
			Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/v.mp4"}, EndSec: f64(12),
				Segmentation:  &twelvelabs.Segmentation{Strategy: "fixed", Fixed: &twelvelabs.FixedSegmentation{DurationSec: 6}},
				EmbeddingType: []string{"fused_embedding"}, EmbeddingScope: []string{"clip"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Data) != 2 || res.Data[0].EmbeddingOption != "fused" || *res.Data[1].StartSec != 6 {
			t.Errorf("decoded %+v", res.Data)
		}
	})
	t.Run("OK/MultiInput35", func(t *testing.T) {
		res, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "multi_input", ModelName: "marengo3.5", EmbeddingDimension: 256,
			MultiInput: &twelvelabs.MultiInput{InputText: "a person wearing <@outfit>",
				MediaSources: []twelvelabs.MultiInputSource{{Name: "outfit", MediaType: "image", URL: "https://example.com/o.jpg"}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Data[0].Embedding) != 256 || res.Metadata.EmbeddingDimension != 256 || res.Usage == nil || res.Usage.InputTokens["image"] == 0 {
			t.Errorf("decoded %d values, metadata %+v, usage %+v", len(res.Data[0].Embedding), res.Metadata, res.Usage)
		}
		vec, err := c.EmbedText(ctx, twelvelabs.ModelMarengo35, "a dog catching a frisbee", 128)
		if err != nil || len(vec) != 128 {
			t.Errorf("EmbedText 3.5: %d values, %v", len(vec), err)
		}
	})
	t.Run("ErrBadRequest/DimensionOn30", func(t *testing.T) {
		_, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "text", ModelName: "marengo3.0", EmbeddingDimension: 256, Text: &twelvelabs.TextInput{InputText: "x"}})
		var e *twelvelabs.APIError
		if !errors.As(err, &e) || e.Code != "VALIDATION_ERROR" || e.Details["field"] != "embedding_dimension" {
			t.Fatalf("err = %v, want VALIDATION_ERROR on embedding_dimension", err)
		}
	})
	t.Run("ErrBadRequest/InputType", func(t *testing.T) {
		_, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "invalid_type", ModelName: "marengo3.0"})
		var e *twelvelabs.APIError
		if !errors.As(err, &e) || e.Message != "Invalid input_type. Must be one of: text, image, audio, video" {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestEmbedV1Sync(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t)
	c := srv.Client()
	res, err := c.Embed(ctx, twelvelabs.EmbedRequest{ModelName: "marengo3.0", Text: "a dog catching a frisbee",
		ImageFile: &twelvelabs.File{Name: "dog.jpg", Reader: strings.NewReader("\xff\xd8\xff")}, AudioURL: "https://example.com/a.mp3"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.TextEmbedding.Segments[0].Float); got != 512 {
		t.Errorf("text vector has %d values", got)
	}
	if res.ImageEmbedding.Metadata.InputFilename != "dog.jpg" || res.AudioEmbedding.Metadata.InputURL != "https://example.com/a.mp3" {
		t.Errorf("metadata %+v %+v", res.ImageEmbedding.Metadata, res.AudioEmbedding.Metadata)
	}
	if a := res.AudioEmbedding.Segments; len(a) < 2 || a[0].EmbeddingOption != "audio" || a[1].EmbeddingOption != "transcription" || a[0].EndOffsetSec != 6 {
		t.Errorf("audio segments %+v", a)
	}
	// The v1 text embedding is the v2 one: one model, one space.
	v2, err := c.EmbedText(ctx, "marengo3.0", "a dog catching a frisbee", 512)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v2, res.TextEmbedding.Segments[0].Float) {
		t.Error("v1 and v2 text embeddings of one text differ")
	}
	t.Run("OK/Marengo27", func(t *testing.T) {
		vec, err := c.EmbedText(ctx, twelvelabs.ModelMarengo27, "a dog catching a frisbee", 1024)
		if err != nil {
			t.Fatal(err)
		}
		if n := srv.Count(twelvelabstest.EndpointEmbed); n != 2 {
			t.Errorf("%d POST /embed, want 2 (2.7 text goes through v1)", n)
		}
		if len(vec) != 1024 {
			t.Errorf("%d values", len(vec))
		}
	})
	t.Run("ErrDimension", func(t *testing.T) {
		if _, err := c.EmbedText(ctx, "marengo3.0", "x", 1024); err == nil || !strings.Contains(err.Error(), "512 values, want 1024") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestTextSearchRanksDescribedVideoFirst fetches every indexed asset's
// clips through the client, embeds each topic's description as a text
// query, and checks that an exact local search ranks a video of that
// topic first: the property clipvec's end-to-end tests rely on.
func TestTextSearchRanksDescribedVideoFirst(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, twelvelabstest.WithVideos(20), twelvelabstest.WithSeed(7))
	c := srv.Client()
	ix := srv.Catalogue.Indexes[0]
	type clip struct {
		video string
		vec   []float32
	}
	var clips []clip
	it := c.ListIndexedAssets(ctx, ix.ID, twelvelabs.ListAssetsParams{Status: []string{"ready"}, PageLimit: 50})
	for it.Next() {
		a, err := c.RetrieveIndexedAsset(ctx, ix.ID, it.Item().ID, twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual", "audio", "transcription"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range a.Segments() {
			clips = append(clips, clip{a.ID, s.Float})
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	for _, topic := range twelvelabstest.Topics() {
		if len(srv.Catalogue.VideosWithTopic(topic.Name)) == 0 {
			continue
		}
		query := strings.Join(topic.Words[:min(3, len(topic.Words))], " ")
		vec, err := c.EmbedText(ctx, "marengo3.0", query, 512)
		if err != nil {
			t.Fatal(err)
		}
		best := slices.MaxFunc(clips, func(a, b clip) int {
			return cmp.Compare(twelvelabstest.Cosine(vec, a.vec), twelvelabstest.Cosine(vec, b.vec))
		})
		if got := srv.Catalogue.Video(best.video).Topic.Name; got != topic.Name {
			t.Errorf("query %q: nearest clip is of %s (%s), want %s", query, best.video, got, topic.Name)
		}
	}
}

func TestIndexedAssets(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, twelvelabstest.WithVideos(15), twelvelabstest.WithIndexingVideos(3))
	c := srv.Client()
	ix := srv.Catalogue.Indexes[0]
	t.Run("OK/List", func(t *testing.T) {
		it := c.ListIndexedAssets(ctx, ix.ID, twelvelabs.ListAssetsParams{PageLimit: 4})
		items := collect(t, it.Next, it.Item, it.Err)
		if len(items) != 15 {
			t.Fatalf("%d assets, want 15", len(items))
		}
		// Newest first by default.
		if items[0].ID != ix.Videos[14].ID || items[14].ID != ix.Videos[0].ID {
			t.Errorf("order: first %s last %s", items[0].ID, items[14].ID)
		}
		if sm := items[0].SystemMetadata; sm.Filename != ix.Videos[14].Filename || sm.Size == 0 || items[0].Embedding != nil {
			t.Errorf("item %+v", items[0])
		}
	})
	t.Run("OK/Filters", func(t *testing.T) {
		srv.ResetRequests()
		it := c.ListIndexedAssets(ctx, ix.ID, twelvelabs.ListAssetsParams{Status: []string{"indexing", "failed"}, Duration: &twelvelabs.Range{GTE: f64(0), LTE: f64(1000)}})
		items := collect(t, it.Next, it.Item, it.Err)
		if len(items) != 3 {
			t.Errorf("%d indexing assets, want 3", len(items))
		}
		q := srv.Requests()[0].Query
		if !slices.Equal(q["status"], []string{"indexing", "failed"}) || q.Get("duration[gte]") != "0" || q.Get("duration[lte]") != "1000" {
			t.Errorf("query %v", q)
		}
		v := ix.Videos[4]
		it = c.ListIndexedAssets(ctx, ix.ID, twelvelabs.ListAssetsParams{Filename: v.Filename, UserMetadata: map[string]string{"topic": v.Topic.Name}})
		items = collect(t, it.Next, it.Item, it.Err)
		if len(items) != 1 || items[0].ID != v.ID {
			t.Errorf("filename+metadata filter gave %v", items)
		}
	})
	t.Run("OK/Retrieve", func(t *testing.T) {
		v := ix.Videos[1]
		a, err := c.RetrieveIndexedAsset(ctx, ix.ID, v.ID, twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"audio"}, Transcription: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(a.Segments()), v.SegmentCount("audio"); got != want {
			t.Errorf("%d segments, want %d", got, want)
		}
		if a.Status != "ready" || a.Embedding.ModelName != "marengo3.0" || len(a.Transcription) != len(v.Transcription) || a.UserMetadata["topic"] != v.Topic.Name {
			t.Errorf("asset %+v", a)
		}
		plain, err := c.RetrieveIndexedAsset(ctx, ix.ID, v.ID, twelvelabs.RetrieveOptions{})
		if err != nil || plain.Embedding != nil || plain.Transcription != nil {
			t.Errorf("without options: embedding %v, transcription %v, err %v", plain.Embedding, plain.Transcription, err)
		}
	})
	t.Run("OK/Indexing", func(t *testing.T) {
		a, err := c.RetrieveIndexedAsset(ctx, ix.ID, ix.Videos[14].ID, twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual"}})
		if err != nil || a.Status != "indexing" || a.Embedding != nil {
			t.Errorf("indexing asset %+v, %v: want no embedding", a, err)
		}
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		_, err := c.RetrieveIndexedAsset(ctx, ix.ID, ix.Videos[0].ID, twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual-text"}})
		if !errors.Is(err, twelvelabs.ErrBadRequest) {
			t.Errorf("err = %v, want 400 for a 2.7 option on a 3.0 index", err)
		}
	})
	t.Run("ErrEmptyIndexID", func(t *testing.T) {
		srv.ResetRequests()
		it := c.ListIndexedAssets(ctx, "", twelvelabs.ListAssetsParams{})
		if it.Next() || it.Err() == nil || len(srv.Requests()) != 0 {
			t.Errorf("err = %v after %d requests: an empty index id must fail without a request", it.Err(), len(srv.Requests()))
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := c.RetrieveIndexedAsset(ctx, ix.ID, "missing", twelvelabs.RetrieveOptions{})
		var e *twelvelabs.APIError
		if !errors.As(err, &e) || e.StatusCode != 404 || e.Code != "resource_not_exist" {
			t.Errorf("err = %v", err)
		}
		it := c.ListIndexedAssets(ctx, "missing", twelvelabs.ListAssetsParams{})
		if it.Next() || !twelvelabs.IsNotFound(it.Err()) {
			t.Errorf("list of a missing index: %v", it.Err())
		}
	})
}

func TestVideos(t *testing.T) {
	ctx := context.Background()
	for _, legacy := range []bool{false, true} {
		name := "OK/Schema"
		opts := []twelvelabstest.Option{twelvelabstest.WithVideos(3)}
		if legacy {
			name = "OK/LegacyList"
			opts = append(opts, twelvelabstest.WithLegacyVideoList())
		}
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, opts...)
			c := srv.Client()
			ix := srv.Catalogue.Indexes[0]
			it := c.ListVideos(ctx, ix.ID, twelvelabs.ListAssetsParams{})
			items := collect(t, it.Next, it.Item, it.Err)
			if len(items) != 3 || items[0].SystemMetadata == nil || items[0].SystemMetadata.Filename != ix.Videos[2].Filename {
				t.Fatalf("videos %+v", items)
			}
			if legacy != (items[0].IndexID == ix.ID) {
				t.Errorf("index_id %q (legacy %v)", items[0].IndexID, legacy)
			}
			v, err := c.RetrieveVideo(ctx, ix.ID, ix.Videos[0].ID, twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual"}})
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != "" || len(v.Segments()) != ix.Videos[0].SegmentCount("visual") || v.SystemMetadata.Size != 0 {
				t.Errorf("video %+v", v)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	ctx := context.Background()
	srv := newServer(t, twelvelabstest.WithVideos(24), twelvelabstest.WithMarengo27Index())
	c := srv.Client()
	ix := srv.Catalogue.Indexes[0]
	var dogs []*twelvelabstest.Video
	for _, v := range srv.Catalogue.VideosWithTopic("dog-frisbee") {
		if v.IndexID == ix.ID && v.Ready() {
			dogs = append(dogs, v)
		}
	}
	t.Run("OK", func(t *testing.T) {
		res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual", "audio"}, QueryText: "a dog catching a frisbee", PageLimit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Data) != 5 || res.Data[0].Rank != 1 || res.PageInfo.NextPageToken == "" || res.SearchPool.IndexID != ix.ID {
			t.Fatalf("results %+v", res)
		}
		if v := srv.Catalogue.Video(res.Data[0].VideoID); v.Topic.Name != "dog-frisbee" {
			t.Errorf("best match is a %s video", v.Topic.Name)
		}
		form := srv.Requests()[0].Form
		if !slices.Equal(form["search_options"], []string{"visual", "audio"}) || form.Get("query_text") != "a dog catching a frisbee" {
			t.Errorf("form %v", form)
		}
	})
	t.Run("OK/FilterAsJSONString", func(t *testing.T) {
		srv.ResetRequests()
		res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual"}, QueryText: "dog frisbee",
			Filter: map[string]any{"id": []string{dogs[0].ID}}, IncludeUserMetadata: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := srv.Requests()[0].Form.Get("filter"), `{"id":["`+dogs[0].ID+`"]}`; got != want {
			t.Errorf("filter field %q, want %q", got, want)
		}
		for _, d := range res.Data {
			if d.VideoID != dogs[0].ID || d.UserMetadata["topic"] != "dog-frisbee" {
				t.Errorf("item %+v outside the filter", d)
			}
		}
	})
	t.Run("OK/GroupByVideo", func(t *testing.T) {
		res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual"}, QueryText: "dog frisbee", GroupBy: "video"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Data) != len(dogs) || res.Data[0].ID == "" || len(res.Data[0].Clips) == 0 || res.PageInfo.TotalInnerMatches == 0 {
			t.Errorf("%d groups (first %q with %d clips, %d inner matches), want %d", len(res.Data), res.Data[0].ID, len(res.Data[0].Clips), res.PageInfo.TotalInnerMatches, len(dogs))
		}
	})
	t.Run("OK/All", func(t *testing.T) {
		srv.ResetRequests()
		it := c.SearchAll(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual"}, QueryText: "dog frisbee", PageLimit: 3})
		items := collect(t, it.Next, it.Item, it.Err)
		first, _ := c.Search(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual"}, QueryText: "dog frisbee", PageLimit: 50})
		if len(items) != first.PageInfo.TotalResults || len(items) < 4 {
			t.Errorf("walked %d items, total_results %d", len(items), first.PageInfo.TotalResults)
		}
		for i, item := range items {
			if item.Rank != i+1 {
				t.Errorf("item %d has rank %d", i, item.Rank)
				break
			}
		}
		if got, want := srv.Count(twelvelabstest.EndpointSearchPage), it.Pages()-1; got != want {
			t.Errorf("%d page requests, want %d", got, want)
		}
	})
	t.Run("ErrPageTokenExpired", func(t *testing.T) {
		res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual"}, QueryText: "dog frisbee", PageLimit: 2})
		if err != nil {
			t.Fatal(err)
		}
		srv.Clock().(*twelvelabstest.ManualClock).Advance(2 * time.Hour)
		_, err = c.SearchPage(ctx, res.PageInfo.NextPageToken, false)
		if !errors.Is(err, twelvelabs.ErrPageTokenExpired) || !errors.Is(err, twelvelabs.ErrBadRequest) {
			t.Errorf("err = %v, want search_page_token_expired", err)
		}
	})
	t.Run("OK/Marengo27Score", func(t *testing.T) {
		ix27 := srv.Catalogue.Indexes[1]
		res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: ix27.ID, SearchOptions: []string{"visual"}, QueryText: "surfer riding a wave"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Data) == 0 || res.Data[0].Score <= 25 || res.Data[0].Confidence == "" || res.Data[0].Rank != 0 {
			t.Errorf("2.7 results %+v: want score and confidence", res.Data)
		}
	})
	t.Run("ErrBadRequest/Filter", func(t *testing.T) {
		_, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: ix.ID, SearchOptions: []string{"visual"}, QueryText: "x", Filter: "{not json"})
		var e *twelvelabs.APIError
		if !errors.As(err, &e) || e.Code != "search_filter_invalid" {
			t.Errorf("err = %v", err)
		}
	})
}
