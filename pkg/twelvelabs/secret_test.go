package twelvelabs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// TestAPIKeyNeverLeaks drives every failure path with a recognisable key
// and checks that the key appears in no error text, no log record and no
// formatting of a Client.
func TestAPIKeyNeverLeaks(t *testing.T) {
	const key = "tlk_SECRET_7f3a9c1e5b2d8f4a6c0e"
	ctx := context.Background()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var texts []string
	record := func(err error) {
		if err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
			var e *twelvelabs.APIError
			if errors.As(err, &e) {
				texts = append(texts, fmt.Sprintf("%#v", e), string(e.Body), e.Message, fmt.Sprint(e.Details), fmt.Sprint(e.Header))
			}
		}
	}

	srv := newServer(t, twelvelabstest.WithAPIKey(key))
	c := srv.Client(twelvelabs.WithLogger(logger), twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 1}))
	// Retries (logged), exhaustion, 404s, 400s, truncation.
	srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointListEmbedTasks, Status: 429, RetryAfter: "1"})
	it := c.ListEmbedTasks(ctx, twelvelabs.ListTasksParams{})
	for it.Next() {
	}
	record(it.Err())
	_, err := c.RetrieveEmbedTask(ctx, "missing")
	record(err)
	_, err = c.EmbedV2(ctx, twelvelabs.EmbedV2Request{InputType: "bogus", ModelName: "marengo3.0"})
	record(err)
	srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointGetEmbedV2Task, Truncate: true})
	_, err = c.GetEmbedV2Task(ctx, "x")
	record(err)
	// A wrong key (the fake answers 401) from a client holding the key in
	// another form.
	_, err = twelvelabs.NewClient(key+"-old", twelvelabs.WithBaseURL(srv.URL), twelvelabs.WithLogger(logger)).EmbedTaskStatus(ctx, "x")
	record(err)
	// A server that echoes the key back in its error body and headers.
	echo := handlerClientKey(t, key, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("x-api-key"))
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"code":"api_key_invalid","message":"key %s is not valid","details":{"key":%q}}`, r.Header.Get("x-api-key"), r.Header.Get("x-api-key"))
	}))
	_, err = echo.EmbedTaskStatus(ctx, "x")
	record(err)
	var e *twelvelabs.APIError
	if !errors.As(err, &e) || !strings.Contains(e.Message, "[REDACTED]") {
		t.Errorf("echoed key not redacted: %v", err)
	}
	// Transport errors: a closed server.
	dead := twelvelabstest.NewServer(twelvelabstest.WithAPIKey(key))
	deadClient := dead.Client(twelvelabs.WithLogger(logger))
	dead.Close()
	_, err = deadClient.EmbedTaskStatus(ctx, "x")
	record(err)
	if err == nil {
		t.Error("a closed server answered")
	}

	// Formatting the client itself, by value and by pointer, and inside a
	// struct.
	holder := struct {
		Name   string
		Client *twelvelabs.Client
		inner  *twelvelabs.Client
	}{"h", c, c}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		texts = append(texts, fmt.Sprintf(verb, c), fmt.Sprintf(verb, *c), fmt.Sprintf(verb, holder))
	}
	texts = append(texts, c.String(), c.GoString(), fmt.Sprint(c))
	if b, err := json.Marshal(c); err == nil {
		texts = append(texts, string(b))
	}
	logger.Info("client", "client", c)
	texts = append(texts, logs.String())

	if !strings.Contains(logs.String(), "retrying request") {
		t.Error("no retry was logged: the log check proves nothing")
	}
	for _, text := range texts {
		if strings.Contains(text, key) || strings.Contains(text, "SECRET_7f3a") {
			t.Errorf("the API key leaked into %q", text)
		}
	}
	if !strings.Contains(fmt.Sprintf("%+v", c), "[REDACTED]") {
		t.Errorf("formatted client %+v does not say the key is redacted", c)
	}
	// The key went only in the header: never in a query or a form field.
	for _, r := range srv.Requests() {
		if strings.Contains(fmt.Sprint(r.Query, r.Form, string(r.JSON)), key) {
			t.Errorf("request %s %s carried the key outside x-api-key", r.Method, r.Path)
		}
	}
}

// handlerClientKey returns a client with key for a server running h.
func handlerClientKey(tb testing.TB, key string, h http.Handler) *twelvelabs.Client {
	tb.Helper()
	c := handlerClient(tb, h)
	u := c.BaseURL()
	return twelvelabs.NewClient(key, twelvelabs.WithBaseURL(u), twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: 0}))
}
