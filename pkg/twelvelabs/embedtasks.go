package twelvelabs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// EmbedTaskRequest creates a v1 video embedding task (POST /embed/tasks,
// multipart). Set VideoURL or VideoFile; the API prefers the URL when both
// are set. Optional numbers are pointers: nil leaves the API's default.
// It is plain data, safe to share between goroutines once built.
type EmbedTaskRequest struct {
	// ModelName is required, e.g. ModelMarengo30.
	ModelName string
	// VideoURL is a public URL of the raw video file.
	VideoURL string
	// VideoFile is a local upload (up to 2 GB).
	VideoFile *File
	// StartOffsetSec and EndOffsetSec cut the video (both, end > start).
	StartOffsetSec *float64
	EndOffsetSec   *float64
	// ClipLength is video_clip_length in seconds (API default 6, 2–10).
	ClipLength *float64
	// Scopes lists video_embedding_scope values: clip (default), video.
	Scopes []string
}

// ListTasksParams filters and pages the embed task lists (v1 and v2).
// Zero values are not sent.
// It is plain data, safe to share between goroutines once built.
type ListTasksParams struct {
	// StartedAt and EndedAt bound creation times (the API's default
	// window is the last 7 days).
	StartedAt time.Time
	EndedAt   time.Time
	// Status is processing, ready or failed.
	Status string
	// Page is the first page to fetch (default 1).
	Page int
	// PageLimit is the page size (API default 10, max 50).
	PageLimit int
}

func (p ListTasksParams) query(page int) url.Values {
	q := url.Values{}
	if !p.StartedAt.IsZero() {
		q.Set("started_at", p.StartedAt.UTC().Format(time.RFC3339))
	}
	if !p.EndedAt.IsZero() {
		q.Set("ended_at", p.EndedAt.UTC().Format(time.RFC3339))
	}
	if p.Status != "" {
		q.Set("status", p.Status)
	}
	q.Set("page", strconv.Itoa(page))
	if p.PageLimit > 0 {
		q.Set("page_limit", strconv.Itoa(p.PageLimit))
	}
	return q
}

// CreateEmbedTask starts a v1 video embedding task and returns its id.
// It is retried only on 429 (the API then did not create the task).
func (c *Client) CreateEmbedTask(ctx context.Context, req EmbedTaskRequest) (string, error) {
	const op = "create embed task"
	if req.ModelName == "" {
		return "", errors.New(op + ": no model name")
	}
	if req.VideoURL == "" && (req.VideoFile == nil || req.VideoFile.Reader == nil) {
		return "", errors.New(op + ": no video: set VideoURL or VideoFile")
	}
	f := &form{}
	f.add("model_name", req.ModelName)
	f.addNonEmpty("video_url", req.VideoURL)
	f.addFloat("video_start_offset_sec", req.StartOffsetSec)
	f.addFloat("video_end_offset_sec", req.EndOffsetSec)
	f.addFloat("video_clip_length", req.ClipLength)
	f.addAll("video_embedding_scope", req.Scopes)
	if req.VideoFile != nil && req.VideoFile.Reader != nil {
		f.addFile("video_file", *req.VideoFile)
	}
	var out struct {
		ID string `json:"_id"`
	}
	if _, err := c.do(ctx, &call{op: op, method: http.MethodPost, path: "/embed/tasks", body: f.body(), create: true}, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", errors.New(op + ": response has no _id")
	}
	return out.ID, nil
}

// EmbedTaskStatus returns a v1 task's status and input metadata
// (GET /embed/tasks/{id}/status); it has no segments.
func (c *Client) EmbedTaskStatus(ctx context.Context, taskID string) (*EmbedTask, error) {
	op := "get embed task status " + taskID
	id, err := escape("task id", taskID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return doJSON[EmbedTask](ctx, c, &call{op: op, method: http.MethodGet, path: "/embed/tasks/" + id + "/status"})
}

// RetrieveEmbedTask returns a v1 task with its segments
// (GET /embed/tasks/{id}). Options (visual, audio, transcription for 3.0;
// visual-text, audio for 2.7) are sent as repeated embedding_option keys;
// none means all. Call it once the task is ready.
func (c *Client) RetrieveEmbedTask(ctx context.Context, taskID string, options ...string) (*EmbedTask, error) {
	op := "retrieve embed task " + taskID
	id, err := escape("task id", taskID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	q := url.Values{}
	for _, o := range options {
		q.Add("embedding_option", o)
	}
	return doJSON[EmbedTask](ctx, c, &call{op: op, method: http.MethodGet, path: "/embed/tasks/" + id, query: q})
}

// ListEmbedTasks walks the v1 video embedding tasks (GET /embed/tasks),
// newest first, from page p.Page.
func (c *Client) ListEmbedTasks(ctx context.Context, p ListTasksParams) *PageIter[EmbedTask] {
	return c.listTasks(ctx, "list embed tasks", "/embed/tasks", p)
}

// ListEmbedV2Tasks walks the embed-v2 tasks (GET /embed-v2/tasks). The
// items have the v1 [EmbedTask] shape (video_embedding.metadata ...), not
// [EmbedV2Task]'s: that is what the API returns.
func (c *Client) ListEmbedV2Tasks(ctx context.Context, p ListTasksParams) *PageIter[EmbedTask] {
	return c.listTasks(ctx, "list embed-v2 tasks", "/embed-v2/tasks", p)
}

func (c *Client) listTasks(ctx context.Context, op, path string, p ListTasksParams) *PageIter[EmbedTask] {
	return listPages[EmbedTask](ctx, c, op, path, p.Page, p.query)
}

// WaitOption configures [Client.WaitForTask] and [Client.WaitForTaskV2].
// Wait options hold no state and are safe for concurrent use.
type WaitOption func(*waitConfig)

type waitConfig struct {
	interval time.Duration
	onStatus func(status string)
}

// DefaultPollInterval is the wait between status polls.
const DefaultPollInterval = 5 * time.Second

// WithPollInterval sets the wait between status polls (default
// [DefaultPollInterval]). The wait goes through the Client's sleep
// function (see [WithSleep]).
func WithPollInterval(d time.Duration) WaitOption {
	return func(w *waitConfig) {
		if d > 0 {
			w.interval = d
		}
	}
}

// WithStatusCallback calls fn with the status after every poll,
// including the last; fn runs on the waiting goroutine.
func WithStatusCallback(fn func(status string)) WaitOption {
	return func(w *waitConfig) { w.onStatus = fn }
}

func newWaitConfig(opts []WaitOption) waitConfig {
	w := waitConfig{interval: DefaultPollInterval}
	for _, o := range opts {
		o(&w)
	}
	return w
}

// WaitForTask polls a v1 task's status until it is ready (returning the
// status response; fetch the segments with RetrieveEmbedTask) or failed
// (returning a *TaskFailedError), or ctx is done.
func (c *Client) WaitForTask(ctx context.Context, taskID string, opts ...WaitOption) (*EmbedTask, error) {
	return waitFor(ctx, c, "embed task", taskID, newWaitConfig(opts),
		func(ctx context.Context) (*EmbedTask, string, string, error) {
			t, err := c.EmbedTaskStatus(ctx, taskID)
			if err != nil {
				return nil, "", "", err
			}
			return t, t.Status, "", nil
		})
}

// WaitForTaskV2 polls an embed-v2 task (GET /embed-v2/tasks/{id}) until
// it is ready (returning it with its data) or failed (returning a
// *TaskFailedError carrying error.message), or ctx is done.
func (c *Client) WaitForTaskV2(ctx context.Context, taskID string, opts ...WaitOption) (*EmbedV2Task, error) {
	return waitFor(ctx, c, "embed-v2 task", taskID, newWaitConfig(opts),
		func(ctx context.Context) (*EmbedV2Task, string, string, error) {
			t, err := c.GetEmbedV2Task(ctx, taskID)
			if err != nil {
				return nil, "", "", err
			}
			msg := ""
			if t.Error != nil {
				msg = t.Error.Message
			}
			return t, t.Status, msg, nil
		})
}

// waitFor polls get every w.interval until the task it reads is ready or
// failed (a *TaskFailedError with the API's message, if any), or ctx is
// done. what names the kind of task in errors.
func waitFor[T any](ctx context.Context, c *Client, what, taskID string, w waitConfig,
	get func(context.Context) (task *T, status, failure string, err error)) (*T, error) {
	for {
		t, status, failure, err := get(ctx)
		if err != nil {
			return nil, fmt.Errorf("wait for %s %s: %w", what, taskID, err)
		}
		if w.onStatus != nil {
			w.onStatus(status)
		}
		switch status {
		case StatusReady:
			return t, nil
		case StatusFailed:
			return t, fmt.Errorf("wait for %s: %w", what, &TaskFailedError{TaskID: taskID, Message: failure})
		}
		if err := c.sleep(ctx, w.interval); err != nil {
			return nil, fmt.Errorf("wait for %s %s: %w", what, taskID, err)
		}
	}
}
