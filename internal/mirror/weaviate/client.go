package weaviate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to a Weaviate cluster through its REST API (/v1): JSON in
// and out, with retries on what is transient. It is safe for concurrent
// use.
type Client struct {
	base *url.URL
	hc   *http.Client
	// Retries is how many times a request that met a network error, a
	// 429 or a 5xx is sent again, with jittered exponential backoff from
	// 200 ms (default 4). Every request clipvec sends is idempotent:
	// objects are written under fixed ids.
	Retries int
	// APIKey, when set, is sent as a bearer token; it is never part of
	// an error.
	APIKey string
}

// New returns a client of the cluster at baseURL (scheme, host and
// port: "http://127.0.0.1:8080").
func New(baseURL string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("weaviate: %q is not an http(s) URL such as http://127.0.0.1:8080", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/v1")
	return &Client{base: u, hc: &http.Client{Timeout: 2 * time.Minute}, Retries: 4}, nil
}

// URL is the cluster's base URL.
func (c *Client) URL() string { return c.base.String() }

// APIError is a response other than 2xx.
type APIError struct {
	Method, Path string
	Status       int
	// Message is what Weaviate said (its error messages, joined).
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("weaviate: %s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Message)
}

// IsNotFound reports whether err is a 404 from Weaviate.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// Do sends body (JSON; nil for none) to path (from "/v1/...") and decodes
// a 2xx answer into out (when not nil). Network errors, 429 and 5xx are
// retried.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("weaviate: %s %s: %w", method, path, err)
		}
	}
	var last error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			d := time.Duration(200<<min(attempt-1, 6)) * time.Millisecond
			d = d/2 + rand.N(d/2+1)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		retry, err := c.once(ctx, method, path, payload, out)
		if err == nil || !retry || attempt >= c.Retries || ctx.Err() != nil {
			if err != nil && last != nil && ctx.Err() == nil && retry {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt+1)
			}
			return err
		}
		last = err
	}
}

// once sends one request; retry says whether its failure is transient.
func (c *Client) once(ctx context.Context, method, path string, payload []byte, out any) (retry bool, err error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return false, fmt.Errorf("weaviate: %s %s: %w", method, path, err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return ctx.Err() == nil, fmt.Errorf("weaviate: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return true, fmt.Errorf("weaviate: %s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		ae := &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: errorMessage(raw)}
		return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500, ae
	}
	if out == nil || len(raw) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return false, fmt.Errorf("weaviate: %s %s: decode the answer: %w", method, path, err)
	}
	return false, nil
}

// errorMessage pulls Weaviate's messages out of an error body
// ({"error":[{"message":...}]}), or returns its start.
func errorMessage(raw []byte) string {
	var e struct {
		Error []struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && len(e.Error) > 0 {
		var msgs []string
		for _, m := range e.Error {
			msgs = append(msgs, m.Message)
		}
		return strings.Join(msgs, "; ")
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// GraphQLError is a query Weaviate answered with errors.
type GraphQLError struct{ Messages []string }

func (e *GraphQLError) Error() string {
	return "weaviate: graphql: " + strings.Join(e.Messages, "; ")
}

// GraphQL runs query and decodes its "data" into out.
func (c *Client) GraphQL(ctx context.Context, query string, out any) error {
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := c.Do(ctx, http.MethodPost, "/v1/graphql", map[string]string{"query": query}, &resp); err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		ge := &GraphQLError{}
		for _, e := range resp.Errors {
			ge.Messages = append(ge.Messages, e.Message)
		}
		return ge
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return fmt.Errorf("weaviate: graphql: decode the answer: %w", err)
	}
	return nil
}
