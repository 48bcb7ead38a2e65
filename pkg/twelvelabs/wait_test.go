package twelvelabs_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

func TestWaitForTask(t *testing.T) {
	ctx := context.Background()
	createV1 := func(t *testing.T, c *twelvelabs.Client, url string) string {
		t.Helper()
		id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{ModelName: "marengo3.0", VideoURL: url})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	createV2 := func(t *testing.T, c *twelvelabs.Client, url string) string {
		t.Helper()
		task, err := c.CreateEmbedV2Task(ctx, twelvelabs.EmbedV2Request{InputType: "audio", ModelName: "marengo3.0",
			Audio: &twelvelabs.MediaInput{MediaSource: twelvelabs.MediaSource{URL: url}}})
		if err != nil {
			t.Fatal(err)
		}
		return task.ID
	}
	t.Run("OK/AfterPolls", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithTaskReadyAfterPolls(4))
		sl := newSleeper(srv)
		c := srv.Client(twelvelabs.WithSleep(sl.Sleep))
		id := createV1(t, c, "https://example.com/a.mp4")
		var seen []string
		task, err := c.WaitForTask(ctx, id, twelvelabs.WithPollInterval(3*time.Second), twelvelabs.WithStatusCallback(func(s string) { seen = append(seen, s) }))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"processing", "processing", "processing", "ready"}; !slices.Equal(seen, want) || task.Status != "ready" {
			t.Errorf("statuses %v, want %v", seen, want)
		}
		if got, want := sl.Waits(), []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}; !slices.Equal(got, want) {
			t.Errorf("waits %v, want %v", got, want)
		}
		if n := srv.Count(twelvelabstest.EndpointEmbedTaskStatus); n != 4 {
			t.Errorf("%d status polls, want 4", n)
		}
	})
	t.Run("OK/AfterDuration", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithTaskReadyAfter(20*time.Second))
		c := srv.Client()
		id := createV2(t, c, "https://example.com/a.wav")
		var seen []string
		task, err := c.WaitForTaskV2(ctx, id, twelvelabs.WithPollInterval(5*time.Second), twelvelabs.WithStatusCallback(func(s string) { seen = append(seen, s) }))
		if err != nil {
			t.Fatal(err)
		}
		// Polled at 0, 5, 10, 15 and 20 s of fake time.
		if len(seen) != 5 || seen[4] != "ready" || seen[3] != "processing" {
			t.Errorf("statuses %v", seen)
		}
		if len(task.Data) == 0 || task.Data[0].EmbeddingOption != "audio" {
			t.Errorf("ready task data %+v", task.Data)
		}
	})
	t.Run("ErrTaskFailed/V1", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		id := createV1(t, c, "https://example.com/will-fail.mp4")
		task, err := c.WaitForTask(ctx, id)
		var tf *twelvelabs.TaskFailedError
		if !errors.As(err, &tf) || !errors.Is(err, twelvelabs.ErrTaskFailed) || tf.TaskID != id || task.Status != "failed" {
			t.Errorf("err = %v, task %+v", err, task)
		}
	})
	t.Run("ErrTaskFailed/V2", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		id := createV2(t, c, "https://example.com/FAIL.wav")
		_, err := c.WaitForTaskV2(ctx, id)
		var tf *twelvelabs.TaskFailedError
		if !errors.As(err, &tf) || tf.Message != "We could not process your media for embedding. Please verify the input file and try again." {
			t.Errorf("err = %v, want the task's error.message", err)
		}
		if got, want := err.Error(), "wait for embed-v2 task: task "+id+" failed: We could not process"; got[:len(want)] != want {
			t.Errorf("error text %q", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		srv := newServer(t)
		if _, err := srv.Client().WaitForTask(ctx, "missing"); !twelvelabs.IsNotFound(err) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrContextDone", func(t *testing.T) {
		srv := newServer(t, twelvelabstest.WithTaskReadyAfterPolls(1000))
		c := srv.Client()
		id := createV1(t, c, "https://example.com/a.mp4")
		ctx, cancel := context.WithCancel(ctx)
		polls := 0
		_, err := c.WaitForTask(ctx, id, twelvelabs.WithStatusCallback(func(string) {
			if polls++; polls == 3 {
				cancel()
			}
		}))
		if !errors.Is(err, context.Canceled) || polls != 3 {
			t.Errorf("err = %v after %d polls", err, polls)
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		srv := newServer(t)
		c := srv.Client()
		id := createV1(t, c, "https://example.com/a.mp4")
		c.WaitForTask(ctx, id)
		srv.Clock().(*twelvelabstest.ManualClock).Advance(8 * 24 * time.Hour)
		if _, err := c.RetrieveEmbedTask(ctx, id); !twelvelabs.IsNotFound(err) {
			t.Errorf("err = %v: v1 embeddings are kept 7 days", err)
		}
	})
}
