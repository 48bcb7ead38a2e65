//go:build live

// Tests against the real TwelveLabs API. They run only with the live
// build tag and TWELVELABS_API_KEY set (TWELVELABS_BASE_URL optionally):
//
//	TWELVELABS_API_KEY=... go test -tags live -run Live ./pkg/twelvelabs/
//
// They make a handful of cheap calls: a task list page, one text
// embedding, and requests that fail by design.

package twelvelabs_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

func liveClient(t *testing.T) (*twelvelabs.Client, string) {
	t.Helper()
	key := os.Getenv("TWELVELABS_API_KEY")
	if key == "" {
		t.Skip("TWELVELABS_API_KEY is not set")
	}
	opts := []twelvelabs.Option{twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 2})}
	if base := os.Getenv("TWELVELABS_BASE_URL"); base != "" {
		opts = append(opts, twelvelabs.WithBaseURL(base))
	}
	return twelvelabs.NewClient(key, opts...), key
}

func liveContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestLiveListEmbedTasks(t *testing.T) {
	c, _ := liveClient(t)
	it := c.ListEmbedTasks(liveContext(t), twelvelabs.ListTasksParams{PageLimit: 5})
	n := 0
	for n < 5 && it.Next() {
		if it.Item().ID == "" {
			t.Errorf("task without an id: %+v", it.Item())
		}
		n++
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tasks on the first page", n)
}

func TestLiveEmbedText(t *testing.T) {
	c, _ := liveClient(t)
	vec, err := c.EmbedText(liveContext(t), twelvelabs.ModelMarengo30, "a dog catching a frisbee", 512)
	if err != nil {
		t.Fatal(err)
	}
	if len(vec) != 512 {
		t.Errorf("%d values, want 512", len(vec))
	}
}

func TestLiveNotFound(t *testing.T) {
	c, _ := liveClient(t)
	_, err := c.GetEmbedV2Task(liveContext(t), "000000000000000000000000")
	var e *twelvelabs.APIError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want an *APIError", err)
	}
	t.Logf("missing embed-v2 task: %v (body %s)", err, e.Body)
	if !twelvelabs.IsNotFound(err) && !errors.Is(err, twelvelabs.ErrBadRequest) {
		t.Errorf("err = %v, want 404 (or 400 for the id's form)", err)
	}
}

func TestLiveSearchPageTokenInvalid(t *testing.T) {
	c, _ := liveClient(t)
	_, err := c.SearchPage(liveContext(t), "not-a-real-token", false)
	var e *twelvelabs.APIError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want an *APIError", err)
	}
	t.Logf("invalid page token: %v (body %s)", err, e.Body)
}

func TestLiveWrongKeyNeverLeaks(t *testing.T) {
	_, key := liveClient(t)
	wrong := key + "x"
	opts := []twelvelabs.Option{twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0})}
	if base := os.Getenv("TWELVELABS_BASE_URL"); base != "" {
		opts = append(opts, twelvelabs.WithBaseURL(base))
	}
	_, err := twelvelabs.NewClient(wrong, opts...).EmbedTaskStatus(liveContext(t), "000000000000000000000000")
	if !errors.Is(err, twelvelabs.ErrUnauthorized) {
		t.Errorf("err = %v, want 401", err)
	}
	if err != nil && (strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), key)) {
		t.Error("the API key appears in the error")
	}
}
