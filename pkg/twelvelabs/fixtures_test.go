package twelvelabs_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

// fixtureCase decodes one recorded body through the client call that
// receives it and checks what it decoded.
type fixtureCase struct {
	status int
	header http.Header
	check  func(t *testing.T, c *twelvelabs.Client, h *canned)
}

func fixtureCases() map[string]fixtureCase {
	ctx := context.Background()
	ok := func(check func(t *testing.T, c *twelvelabs.Client, h *canned)) fixtureCase {
		return fixtureCase{status: http.StatusOK, check: check}
	}
	apiErr := func(t *testing.T, err error) *twelvelabs.APIError {
		t.Helper()
		var e *twelvelabs.APIError
		if !errors.As(err, &e) {
			t.Fatalf("error %v is not an *APIError", err)
		}
		return e
	}
	return map[string]fixtureCase{
		"embed_task_create.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: "https://example.com/a.mp4"})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := id, "66419a20c70bb578439bd8f4"; got != want {
				t.Errorf("id = %q, want %q", got, want)
			}
		}),
		"embed_task_status.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			task, err := c.EmbedTaskStatus(ctx, "6641c0efc70bb578439bd909")
			if err != nil {
				t.Fatal(err)
			}
			m := task.VideoEmbedding.Metadata
			if task.Status != "processing" || task.Model() != "marengo3.0" || m.InputFilename != "01.mp4" ||
				m.VideoClipLength != 6 || !slices.Equal(m.VideoEmbeddingScope, []string{"clip", "video"}) || m.Duration != 18 {
				t.Errorf("decoded %+v, metadata %+v", task, m)
			}
		}),
		"embed_task_retrieve.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			task, err := c.RetrieveEmbedTask(ctx, "663e16ac4d11aff765088b3a")
			if err != nil {
				t.Fatal(err)
			}
			type seg struct {
				option, scope string
				start, end    float64
			}
			want := []seg{
				{"visual", "clip", 0, 6}, {"visual", "clip", 6, 12}, {"visual", "video", 0, 12},
				{"audio", "clip", 0, 6}, {"audio", "clip", 6, 12}, {"audio", "clip", 12, 18}, {"audio", "video", 0, 12},
			}
			var got []seg
			for _, s := range task.Segments() {
				got = append(got, seg{s.EmbeddingOption, s.EmbeddingScope, s.StartOffsetSec, s.EndOffsetSec})
				if len(s.Float) != 2 {
					t.Errorf("segment vector has %d values, want 2", len(s.Float))
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("segments = %v, want %v", got, want)
			}
			if got, want := task.Segments()[0].Float, []float32{-0.060086973, 0.016479108}; !slices.Equal(got, want) {
				t.Errorf("first vector = %v, want %v", got, want)
			}
			if !task.CreatedAt.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("created_at = %v", task.CreatedAt)
			}
			if m := task.VideoEmbedding.Metadata; m.Duration != 18 || m.InputFilename != "01.mp4" {
				t.Errorf("metadata = %+v", m)
			}
		}),
		"embed_tasks_list.json": ok(func(t *testing.T, c *twelvelabs.Client, h *canned) {
			checkTaskList(t, c.ListEmbedTasks(ctx, twelvelabs.ListTasksParams{}), h)
		}),
		"embed_v2_tasks_list.json": ok(func(t *testing.T, c *twelvelabs.Client, h *canned) {
			checkTaskList(t, c.ListEmbedV2Tasks(ctx, twelvelabs.ListTasksParams{}), h)
		}),
		"embed_v2_task.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			task, err := c.GetEmbedV2Task(ctx, "64f8d2c7e4a1b37f8a9c5d12")
			if err != nil {
				t.Fatal(err)
			}
			if task.Status != "ready" || len(task.Data) != 2 {
				t.Fatalf("decoded %+v", task)
			}
			d := task.Data[1]
			if d.EmbeddingOption != "audio" || d.EmbeddingScope != "clip" || *d.StartSec != 0 || *d.EndSec != 4.2 ||
				!slices.Equal(d.Embedding, []float32{0.234, 0.567, -0.89, 0.123}) {
				t.Errorf("data[1] = %+v", d)
			}
		}),
		"embed_v2_task_create.json": {status: http.StatusAccepted,
			header: http.Header{"Location": {"https://api.twelvelabs.io/v1.3/embed-v2/tasks/64f8d2c7e4a1b37f8a9c5d12"}},
			check: func(t *testing.T, c *twelvelabs.Client, _ *canned) {
				task, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0",
					Video: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: "https://example.com/a.mp4"}}})
				if err != nil {
					t.Fatal(err)
				}
				if task.ID != "64f8d2c7e4a1b37f8a9c5d12" || task.Status != "processing" || task.Data != nil ||
					task.Location != "https://api.twelvelabs.io/v1.3/embed-v2/tasks/64f8d2c7e4a1b37f8a9c5d12" {
					t.Errorf("decoded %+v", task)
				}
			}},
		"embed_v2_task_processing.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			task, err := c.GetEmbedV2Task(ctx, "64f8d2c7e4a1b37f8a9c5d12")
			if err != nil {
				t.Fatal(err)
			}
			if task.Status != "processing" || task.Data != nil {
				t.Errorf("decoded %+v", task)
			}
		}),
		"embed_v2_task_failed.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			_, err := c.WaitForTaskV2(ctx, "64f8d2c7e4a1b37f8a9c5d12")
			var tf *twelvelabs.TaskFailedError
			if !errors.As(err, &tf) || !errors.Is(err, twelvelabs.ErrTaskFailed) {
				t.Fatalf("err = %v, want a TaskFailedError", err)
			}
			if tf.TaskID != "64f8d2c7e4a1b37f8a9c5d12" || tf.Message != "" {
				t.Errorf("failure = %+v (the example has no error object)", tf)
			}
		}),
		"embed_v2_sync_text.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			res, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "text", ModelName: "marengo3.0", Text: &twelvelabs.TextInput{InputText: "x"}})
			if err != nil {
				t.Fatal(err)
			}
			d := res.Data[0]
			if len(res.Data) != 1 || len(d.Embedding) != 4 || d.StartSec != nil || d.EndSec != nil || d.EmbeddingOption != "" || d.EmbeddingScope != "" {
				t.Errorf("decoded %+v", res)
			}
		}),
		"embed_v2_sync_video_clip.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			res, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "video", ModelName: "marengo3.0"})
			if err != nil {
				t.Fatal(err)
			}
			var opts []string
			for _, d := range res.Data {
				opts = append(opts, d.EmbeddingOption)
				if d.EmbeddingScope != "clip" || *d.EndSec != 4.2 {
					t.Errorf("item %+v", d)
				}
			}
			if !slices.Equal(opts, []string{"visual", "audio", "transcription"}) {
				t.Errorf("options = %v", opts)
			}
		}),
		"embed_v2_sync_audio_asset.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			res, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "audio", ModelName: "marengo3.0"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Data) != 2 || res.Data[0].EmbeddingScope != "asset" || res.Data[1].EmbeddingOption != "transcription" || *res.Data[1].EndSec != 6 {
				t.Errorf("decoded %+v", res.Data)
			}
		}),
		"text_embed_response.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			res, err := c.Embed(ctx, twelvelabs.EmbedRequest{ModelName: "marengo3.0", Text: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.TextEmbedding.Segments[0].Float; !slices.Equal(got, []float32{-0.042632885, 0.014312328, 0.029209055}) {
				t.Errorf("text vector = %v", got)
			}
			a := res.AudioEmbedding
			if len(a.Segments) != 2 || a.Segments[1].EmbeddingOption != "transcription" || a.Segments[1].EndOffsetSec != 6 || a.Metadata.InputFilename != "01.mp3" {
				t.Errorf("audio = %+v", a)
			}
			if res.ImageEmbedding.Metadata.InputFilename != "01.jpg" || len(res.ImageEmbedding.Segments) != 1 {
				t.Errorf("image = %+v", res.ImageEmbedding)
			}
		}),
		"indexed_asset_retrieve.json": ok(func(t *testing.T, c *twelvelabs.Client, h *canned) {
			a, err := c.RetrieveIndexedAsset(ctx, "ix", "61e17be5777e6caec646fa07", twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual", "audio"}, Transcription: true})
			if err != nil {
				t.Fatal(err)
			}
			checkDetailedAsset(t, a, "ready")
			if got, want := h.calls[0].URL.RawQuery, "embedding_option=visual&embedding_option=audio&transcription=true"; got != want {
				t.Errorf("query = %q, want %q", got, want)
			}
		}),
		"video_retrieve.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			a, err := c.RetrieveVideo(ctx, "ix", "61e17be5777e6caec646fa07", twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual"}})
			if err != nil {
				t.Fatal(err)
			}
			checkDetailedAsset(t, a, "")
		}),
		"indexed_assets_list.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			it := c.ListIndexedAssets(ctx, "ix", twelvelabs.ListAssetsParams{})
			items := collect(t, it.Next, it.Item, it.Err)
			if len(items) != 2 || items[1].SystemMetadata.Filename != "02.mp4" || items[1].SystemMetadata.Duration != 741.875 || items[0].Status != "ready" {
				t.Errorf("decoded %+v", items)
			}
		}),
		"videos_list.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			it := c.ListVideos(ctx, "ix", twelvelabs.ListAssetsParams{})
			items := collect(t, it.Next, it.Item, it.Err)
			if len(items) != 2 {
				t.Fatalf("got %d items", len(items))
			}
			if sm := items[0].SystemMetadata; sm == nil || sm.Filename != "01.mp4" || sm.Width != 854 || items[0].IndexID != "62a0906d47f5678267ec10a6" {
				t.Errorf("legacy keys not decoded: %+v", items[0])
			}
		}),
		"indexed_asset_create.json": ok(func(t *testing.T, _ *twelvelabs.Client, _ *canned) {
			// No client call creates indexed assets; the body still decodes.
			var a twelvelabs.IndexedAsset
			if err := json.Unmarshal(readFixture(t, "indexed_asset_create.json"), &a); err != nil {
				t.Fatal(err)
			}
			if a.ID != "629b643b6f5f3c2cb871fd89" || a.AssetID != "6298d673f1090f1100476d4c" {
				t.Errorf("decoded %+v", a)
			}
		}),
		"search_response.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: "639961c9e219c90227c371a2", SearchOptions: []string{"visual"}, QueryText: "x"})
			if err != nil {
				t.Fatal(err)
			}
			d := res.Data[0]
			if d.Rank != 1 || d.Start != 238.75 || d.VideoID != "639963a1ce36463e0199c8c7" || !strings.HasPrefix(d.Transcription, "A woman vlogs") {
				t.Errorf("item = %+v", d)
			}
			if res.SearchPool.TotalCount != 10 || res.SearchPool.TotalDuration != 8731 || res.PageInfo.NextPageToken != "" {
				t.Errorf("pool %+v, page info %+v", res.SearchPool, res.PageInfo)
			}
		}),
		"search_page_response.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			res, err := c.SearchPage(ctx, "1234567890", false)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Data) != 1 || res.Data[0].Rank != 1 || res.Data[0].End != 259.62109375 {
				t.Errorf("decoded %+v", res)
			}
		}),
		"search_page_error_400.json": {status: http.StatusBadRequest, check: func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			_, err := c.SearchPage(ctx, "1234567890", false)
			e := apiErr(t, err)
			if e.Code != "104" || !strings.HasPrefix(e.Message, "The audio option of transcription") || !errors.Is(err, twelvelabs.ErrBadRequest) {
				t.Errorf("decoded %+v", e)
			}
		}},
		"error_400_generic.json": {status: http.StatusBadRequest, check: func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			_, err := c.RetrieveEmbedTask(ctx, "x")
			e := apiErr(t, err)
			if e.Code != "generic_error" || e.Message != "An error occurred." || e.DocsURL != "https://docs.twelvelabs.io/api-reference/error-codes" {
				t.Errorf("decoded %+v", e)
			}
		}},
		"error_404_not_found.json": {status: http.StatusNotFound, check: func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			_, err := c.RetrieveIndexedAsset(ctx, "ix", "x", twelvelabs.RetrieveOptions{})
			e := apiErr(t, err)
			if e.Code != "not_found" || !twelvelabs.IsNotFound(err) {
				t.Errorf("decoded %+v", e)
			}
		}},
		"error_429.json": {status: http.StatusTooManyRequests, check: func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			_, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "text", ModelName: "marengo3.0"})
			e := apiErr(t, err)
			if e.Code != "RATE_LIMIT_EXCEEDED" || e.Details["retryAfter"] != "60" || !twelvelabs.IsRateLimited(err) {
				t.Errorf("decoded %+v", e)
			}
		}},
		"embed_v2_error_400.json": {status: http.StatusBadRequest, check: func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			_, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "bogus", ModelName: "marengo3.0"})
			e := apiErr(t, err)
			if e.Code != "VALIDATION_ERROR" || e.Details["field"] != "input_type" || !strings.HasPrefix(e.Message, "Invalid input_type") {
				t.Errorf("decoded %+v", e)
			}
		}},
		"embed_v2_error_500.json": {status: http.StatusInternalServerError, check: func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			_, err := c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "text", ModelName: "marengo3.0"})
			e := apiErr(t, err)
			if e.Code != "INTERNAL_SERVER_ERROR" || e.RequestID != "req_abc123" || !errors.Is(err, twelvelabs.ErrServer) {
				t.Errorf("decoded %+v", e)
			}
			if !strings.Contains(err.Error(), "(request id req_abc123)") {
				t.Errorf("error text %q does not name the request id", err)
			}
		}},
		"legacy/v1.2_embed_task_retrieve.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			task, err := c.RetrieveEmbedTask(ctx, "6709a0d5e5eb7ee6ae4cc1a2")
			if err != nil {
				t.Fatal(err)
			}
			if task.Model() != "Marengo-retrieval-2.6" || len(task.Segments()) != 4 || task.Segments()[3].EmbeddingScope != "video" || task.Segments()[0].EmbeddingOption != "" {
				t.Errorf("decoded %+v", task)
			}
		}),
		// The client does not model the v1.2 mid-2024 shape (vectors in
		// video_embeddings[]; no API has served it since): it keeps the
		// task's identity and finds no segments. clipvec import reads
		// the vectors from saved files.
		"legacy/v1.2_mid2024_embed_task.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			task, err := c.RetrieveEmbedTask(ctx, "6659a1c2e5eb7ee6ae4c0f11")
			if err != nil {
				t.Fatal(err)
			}
			if task.ID != "6659a1c2e5eb7ee6ae4c0f11" || task.Model() != "Marengo-retrieval-2.6" || task.Status != "ready" || task.Segments() != nil {
				t.Errorf("decoded %+v", task)
			}
		}),
		"legacy/v1.3_2.7_embed_task_retrieve.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			task, err := c.RetrieveEmbedTask(ctx, "66c5d2f0a9e1f07d3c9a1a7e")
			if err != nil {
				t.Fatal(err)
			}
			if task.Model() != "Marengo-retrieval-2.7" || task.Segments()[0].EmbeddingOption != "visual-text" || task.VideoEmbedding.Metadata.InputURL != "https://example.com/street.mp4" {
				t.Errorf("decoded %+v", task)
			}
		}),
		"legacy/v1.3_2.7_video_retrieve.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			a, err := c.RetrieveVideo(ctx, "ix", "66c5d3b2a9e1f07d3c9a1b20", twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual-text", "audio"}})
			if err != nil {
				t.Fatal(err)
			}
			if a.Embedding.ModelName != "marengo2.7" || len(a.Segments()) != 3 || a.Status != "" {
				t.Errorf("decoded %+v", a)
			}
		}),
		"legacy/v3.5_embed_v2_task.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			task, err := c.GetEmbedV2Task(ctx, "68d0c4a7b2e94f1a3c5d7e90")
			if err != nil {
				t.Fatal(err)
			}
			if len(task.Data) != 3 || task.Data[0].ChunkIndex != nil || task.Metadata.EmbeddingDimension != 512 || task.Metadata.InputType != "video" {
				t.Errorf("decoded %+v (metadata %+v)", task, task.Metadata)
			}
		}),
		"legacy/v1.3_2024-12_search_response.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: "ix", SearchOptions: []string{"visual"}, QueryText: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if d := res.Data[0]; d.Score != 85.08 || d.Confidence != "high" || d.Rank != 0 {
				t.Errorf("item = %+v: want the string score \"85.08\" as 85.08", d)
			}
		}),
		"legacy/v1.3_2.7_search_response.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: "ix", SearchOptions: []string{"visual"}, QueryText: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Data[0].Score != 85.08 || res.Data[1].Score != 71.4 || res.PageInfo.NextPageToken != "1234567890" || res.PageInfo.TotalResults != 14 {
				t.Errorf("decoded %+v", res)
			}
		}),
		"legacy/v1.2_search_response.json": ok(func(t *testing.T, c *twelvelabs.Client, _ *canned) {
			res, err := c.Search(ctx, twelvelabs.SearchRequest{IndexID: "ix", SearchOptions: []string{"visual"}, QueryText: "x"})
			if err != nil {
				t.Fatal(err)
			}
			d := res.Data[0]
			if d.Score != 92.28 || d.Metadata[0].Type != "visual" || d.Modules[0].Confidence != "high" {
				t.Errorf("item = %+v", d)
			}
			if want := time.Date(2024, 11, 13, 10, 10, 10, 0, time.UTC); !res.PageInfo.PageExpiresAt.Equal(want) {
				t.Errorf("page_expired_at decoded as %v, want %v", res.PageInfo.PageExpiresAt, want)
			}
		}),
	}
}

// checkTaskList checks the three processing tasks of the list examples
// and that the walk stopped at total_page without asking for page 2.
func checkTaskList(t *testing.T, it *twelvelabs.PageIter[twelvelabs.EmbedTask], h *canned) {
	t.Helper()
	items := collect(t, it.Next, it.Item, it.Err)
	var ids []string
	for _, task := range items {
		ids = append(ids, task.ID)
		if m := task.VideoEmbedding.Metadata; task.Status != "processing" || m.Duration != 13.4400001 || m.VideoClipLength != 6 {
			t.Errorf("item %+v", task)
		}
	}
	if want := []string{"66f537778d9641fe5a0d101f", "66f535874bd2802fc13293f4", "66f534fd4bd2802fc13293ee"}; !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
	if got := h.Calls(); got != 1 {
		t.Errorf("%d requests, want 1 (total_page is 1)", got)
	}
	if it.PageInfo().TotalResults != 3 {
		t.Errorf("page info %+v", it.PageInfo())
	}
}

// checkDetailedAsset checks the indexed asset / video retrieve examples.
func checkDetailedAsset(t *testing.T, a *twelvelabs.IndexedAsset, status string) {
	t.Helper()
	sm := a.SystemMetadata
	if a.ID != "61e17be5777e6caec646fa07" || a.Status != status || sm.Filename != "IOKgzkakhlk.mp4" || sm.Width != 482 || sm.FPS != 29.97002997002997 {
		t.Errorf("decoded %+v, system metadata %+v", a, sm)
	}
	if a.UserMetadata["category"] != "recentlyAdded" || a.UserMetadata["batchNumber"] != 5.0 || a.UserMetadata["needsReview"] != true {
		t.Errorf("user metadata %v", a.UserMetadata)
	}
	if a.HLS.Status != "COMPLETE" || len(a.HLS.ThumbnailURLs) != 1 {
		t.Errorf("hls %+v", a.HLS)
	}
	segs := a.Segments()
	if a.Embedding.ModelName != "marengo3.0" || len(segs) != 1 || segs[0].EndOffsetSec != 7.5666666 || segs[0].EmbeddingOption != "visual" || len(segs[0].Float) != 3 {
		t.Errorf("embedding %+v", a.Embedding)
	}
	if len(a.Transcription) != 2 || a.Transcription[1].Value != "I'm fine, thank you." || a.Transcription[1].End != 15.2 {
		t.Errorf("transcription %+v", a.Transcription)
	}
	if !a.IndexedAt.Equal(time.Date(2022, 1, 14, 14, 5, 55, 0, time.UTC)) {
		t.Errorf("indexed_at = %v", a.IndexedAt)
	}
}

// TestFixtures decodes every recorded body in fixtureDirs through the
// client call that would receive it.
func TestFixtures(t *testing.T) {
	for name, fc := range fixtureCases() {
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			c, h := cannedClient(t, fc.status, fc.header, readFixture(t, name))
			fc.check(t, c, h)
		})
	}
}

// TestFixturesAllCovered fails when a fixture file has no decode case, so
// a new recording cannot go untested.
func TestFixturesAllCovered(t *testing.T) {
	cases := fixtureCases()
	special := map[string]bool{"rate_limit_headers_example.json": true, "request_examples.json": true}
	files := fixtureFiles(t)
	if len(files) < 30 {
		t.Fatalf("found %d fixtures, want at least 30", len(files))
	}
	for name := range files {
		if _, ok := cases[name]; !ok && !special[name] {
			t.Errorf("fixture %s has no decode case", name)
		}
	}
}

// TestFixturesOneCopy fails when a fixture is in both fixture
// directories: copies drift apart (issue 9 found four that had).
func TestFixturesOneCopy(t *testing.T) {
	for name, paths := range fixtureFiles(t) {
		if len(paths) > 1 {
			t.Errorf("fixture %s has %d copies %q: keep the one under %s", name, len(paths), paths, fixtureDirs[0])
		}
	}
}

// TestFixtureRateLimitHeaders serves the spec's X-Ratelimit-* example on a
// 429 with an empty body (as POST /search sends it) and checks that the
// client waits until X-Ratelimit-Reset.
func TestFixtureRateLimitHeaders(t *testing.T) {
	var headers map[string]string
	if err := json.Unmarshal(readFixture(t, "rate_limit_headers_example.json"), &headers); err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	reset := time.Unix(1718777276, 0)
	var waits []time.Duration
	c, srv := cannedClient(t, http.StatusTooManyRequests, h, nil,
		twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 1}),
		twelvelabs.WithClock(func() time.Time { return reset.Add(-6 * time.Second) }),
		twelvelabs.WithSleep(func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }))
	_, err := c.Search(context.Background(), twelvelabs.SearchRequest{IndexID: "ix", SearchOptions: []string{"visual"}, QueryText: "x"})
	if !twelvelabs.IsRateLimited(err) || !errors.Is(err, twelvelabs.ErrRetriesExhausted) {
		t.Fatalf("err = %v, want a rate limit that exhausted its retries", err)
	}
	if !slices.Equal(waits, []time.Duration{6 * time.Second}) {
		t.Errorf("waits = %v, want [6s]", waits)
	}
	if got := srv.Calls(); got != 2 {
		t.Errorf("%d requests, want 2", got)
	}
	var e *twelvelabs.APIError
	if errors.As(err, &e); e == nil || len(e.Body) != 0 || !strings.Contains(e.Error(), "(empty body)") {
		t.Errorf("APIError %v: want the empty body noted", e)
	}
}

// TestFixtureRequestExamples checks that the request types marshal to the
// spec's embed-v2 request examples, and that the multipart calls send the
// fields of the v1 examples.
func TestFixtureRequestExamples(t *testing.T) {
	var examples map[string]map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(readFixture(t, "request_examples.json"), &examples); err != nil {
		t.Fatal(err)
	}
	url := func(u string) twelvelabs.MediaSource { return twelvelabs.MediaSource{URL: u} }
	f := func(v float64) *float64 { return &v }
	sync := map[string]twelvelabs.EmbedV2Request{
		"text":       {InputType: "text", ModelName: "marengo3.0", Text: &twelvelabs.TextInput{InputText: "man walking a dog"}},
		"image":      {InputType: "image", ModelName: "marengo3.0", Image: &twelvelabs.ImageInput{MediaSource: url("https://user-bucket.com/folder/dog.jpg")}},
		"text_image": {InputType: "text_image", ModelName: "marengo3.0", TextImage: &twelvelabs.TextImageInput{MediaSource: url("https://user-bucket.com/folder/dog.jpg"), InputText: "man walking a dog"}},
		"image_with_asset_id": {InputType: "image", ModelName: "marengo3.0",
			Image: &twelvelabs.ImageInput{MediaSource: twelvelabs.MediaSource{AssetID: "1234567890"}}},
		"audio": {InputType: "audio", ModelName: "marengo3.0", Audio: &twelvelabs.MediaInput{MediaSource: url("https://user-bucket.com/audio/a.wav"),
			StartSec: f(0), EndSec: f(6), Segmentation: &twelvelabs.Segmentation{Strategy: "fixed", Fixed: &twelvelabs.FixedSegmentation{DurationSec: 6}},
			EmbeddingOption: []string{"audio", "transcription"}, EmbeddingScope: []string{"clip", "asset"}}},
		"video": {InputType: "video", ModelName: "marengo3.0", Video: &twelvelabs.MediaInput{MediaSource: url("https://user-bucket.com/video/clip.mp4"),
			StartSec: f(0), EndSec: f(12), Segmentation: &twelvelabs.Segmentation{Strategy: "dynamic", Dynamic: &twelvelabs.DynamicSegmentation{MinDurationSec: 4}},
			EmbeddingOption: []string{"visual", "audio", "transcription"}, EmbeddingScope: []string{"clip", "asset"}}},
		"video_minimal": {InputType: "video", ModelName: "marengo3.0", Video: &twelvelabs.MediaInput{MediaSource: url("https://user-bucket.com/video/simple.mp4")}},
		"audio_transcription_only": {InputType: "audio", ModelName: "marengo3.0", Audio: &twelvelabs.MediaInput{MediaSource: url("https://user-bucket.com/audio/speech.wav"),
			EmbeddingOption: []string{"transcription"}, EmbeddingScope: []string{"asset"}}},
	}
	tasks := map[string]twelvelabs.EmbedV2Request{
		"audio": {InputType: "audio", ModelName: "marengo3.0", Audio: &twelvelabs.MediaInput{MediaSource: url("https://user-bucket.com/audio/long-audio.wav"),
			StartSec: f(0), EndSec: f(3600), Segmentation: &twelvelabs.Segmentation{Strategy: "fixed", Fixed: &twelvelabs.FixedSegmentation{DurationSec: 6}},
			EmbeddingOption: []string{"audio", "transcription"}, EmbeddingScope: []string{"clip", "asset"}}},
		"video": {InputType: "video", ModelName: "marengo3.0", Video: &twelvelabs.MediaInput{MediaSource: url("https://user-bucket.com/video/long-video.mp4"),
			StartSec: f(0), EndSec: f(7200), Segmentation: &twelvelabs.Segmentation{Strategy: "dynamic", Dynamic: &twelvelabs.DynamicSegmentation{MinDurationSec: 4}},
			EmbeddingOption: []string{"visual", "audio", "transcription"}, EmbeddingScope: []string{"clip", "asset"}}},
	}
	for group, reqs := range map[string]map[string]twelvelabs.EmbedV2Request{"embed_v2_sync_requests": sync, "embed_v2_task_requests": tasks} {
		if len(examples[group]) != len(reqs) {
			t.Errorf("%s: %d examples, %d cases", group, len(examples[group]), len(reqs))
		}
		for name, req := range reqs {
			t.Run(group+"/"+name, func(t *testing.T) {
				got, err := json.Marshal(req)
				if err != nil {
					t.Fatal(err)
				}
				var a, b any
				json.Unmarshal(got, &a)
				if err := json.Unmarshal(examples[group][name].Value, &b); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(a, b) {
					t.Errorf("marshalled %s\nwant        %s", got, examples[group][name].Value)
				}
			})
		}
	}

	t.Run("multipart", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		ctx := context.Background()
		check := func(t *testing.T, example json.RawMessage, skipFiles ...string) {
			t.Helper()
			var want map[string]any
			if err := json.Unmarshal(example, &want); err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			got := reqs[len(reqs)-1]
			for k, v := range want {
				if slices.Contains(skipFiles, k) {
					if len(got.Files[k]) != 1 {
						t.Errorf("file field %s not sent: %v", k, got.Files)
					}
					continue
				}
				var wantVals []string
				switch v := v.(type) {
				case []any:
					for _, x := range v {
						wantVals = append(wantVals, x.(string))
					}
				default:
					wantVals = []string{v.(string)}
				}
				if !slices.Equal(got.Form[k], wantVals) {
					t.Errorf("form %s = %q, want %q", k, got.Form[k], wantVals)
				}
			}
		}
		ex := examples["embed_v1_sync_requests_multipart"]
		if _, err := c.Embed(ctx, twelvelabs.EmbedRequest{ModelName: "marengo3.0", Text: "Man with a dog crossing the street"}); err != nil {
			t.Fatal(err)
		}
		check(t, ex["text-embedding"].Value)
		if _, err := c.Embed(ctx, twelvelabs.EmbedRequest{ModelName: "marengo3.0", ImageURL: "https://example.com/image.jpg"}); err != nil {
			t.Fatal(err)
		}
		check(t, ex["image-embedding-url"].Value)
		if _, err := c.Embed(ctx, twelvelabs.EmbedRequest{ModelName: "marengo3.0", AudioFile: &twelvelabs.File{Name: "audio.mp3", Reader: strings.NewReader("ID3")}}); err != nil {
			t.Fatal(err)
		}
		check(t, ex["audio-embedding-file"].Value, "audio_file")
		if _, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", Scopes: []string{"clip"},
			VideoFile: &twelvelabs.File{Name: "video.mp4", Reader: io.LimitReader(zeros{}, 4096)}}); err != nil {
			t.Fatal(err)
		}
		check(t, examples["embed_v1_task_requests_multipart"]["video-embedding-clip"].Value, "video_file")
	})
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
