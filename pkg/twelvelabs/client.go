package twelvelabs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is the TwelveLabs API v1.3 base URL.
const DefaultBaseURL = "https://api.twelvelabs.io/v1.3"

// DefaultUserAgent is the User-Agent header a Client sends unless
// [WithUserAgent] says otherwise.
const DefaultUserAgent = "clipvec-twelvelabs/1"

// Client calls the TwelveLabs API. Create one with [NewClient]; the zero
// value is not usable.
//
// A Client is safe for concurrent use by multiple goroutines and holds no
// per-call state: every method takes its context first, and every setting
// is fixed at construction. Printing a Client with any fmt verb shows its
// base URL, never the API key.
//
// The key goes only to the base URL's origin (scheme, host and port): a
// redirect within that origin is followed (at most 5 in a row), one to
// any other origin is refused with a [*RedirectError] matching
// [ErrCrossOriginRedirect]. Nothing the client does fetches from another
// host.
type Client struct {
	key       *secret
	baseURL   string
	http      *http.Client
	userAgent string
	retry     RetryPolicy
	sleep     func(ctx context.Context, d time.Duration) error
	now       func() time.Time
	jitter    func() float64
	logger    *slog.Logger
}

// secret holds the API key behind a pointer, so that printing a struct
// that contains a Client shows an address rather than the key; its own
// formatting methods redact too.
type secret struct{ v string }

const redacted = "[REDACTED]"

func (*secret) String() string               { return redacted }
func (*secret) GoString() string             { return redacted }
func (*secret) Format(f fmt.State, _ rune)   { io.WriteString(f, redacted) }
func (*secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }
func (*secret) LogValue() slog.Value         { return slog.StringValue(redacted) }

// redactString replaces every occurrence of secret in text.
func redactString(text, secret string) string {
	if secret == "" {
		return text
	}
	return strings.ReplaceAll(text, secret, redacted)
}

// Option configures a Client in [NewClient].
// Options hold no state and are safe for concurrent use.
type Option func(*Client)

// WithBaseURL sets the API base URL, including the version prefix
// (default [DefaultBaseURL]); the CLI reads it from TWELVELABS_BASE_URL.
// A trailing slash is ignored.
func WithBaseURL(u string) Option {
	return func(c *Client) { c.baseURL = strings.TrimRight(u, "/") }
}

// WithHTTPClient sets the *http.Client used for requests (default: a
// client with no overall timeout, so that large uploads and long waits are
// bounded by the caller's context instead). A nil client is ignored.
//
// The Client sends through a shallow copy of hc whose CheckRedirect
// refuses redirects to another origin than the base URL's and stops after
// 5 within it, and then asks hc's own CheckRedirect, if any; hc itself is
// not modified, and its Transport, Jar and Timeout are used as they are.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithUserAgent sets the User-Agent header (default [DefaultUserAgent]).
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// WithRetryPolicy sets how failed requests are retried (default
// [DefaultRetryPolicy]). Zero durations select their defaults;
// MaxRetries 0 disables retries.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *Client) { c.retry = p.withDefaults() }
}

// WithSleep replaces the function that waits between retries and between
// polls of [Client.WaitForTask] (default: a timer that returns ctx.Err()
// as soon as ctx is done). Tests inject one that records the durations and
// returns at once; it must return a non-nil error when ctx is done.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) {
		if sleep != nil {
			c.sleep = sleep
		}
	}
}

// WithClock replaces the clock used to turn Retry-After HTTP dates and
// X-Ratelimit-Reset epochs into waits (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// WithJitter replaces the jitter source: a function returning numbers in
// [0, 1), where 0.5 means no jitter (default math/rand/v2's Float64). It
// must be safe for concurrent use.
func WithJitter(jitter func() float64) Option {
	return func(c *Client) {
		if jitter != nil {
			c.jitter = jitter
		}
	}
}

// WithLogger sets a logger for retries (at level Debug: method, path,
// attempt, the failure and the wait). The default discards. Records never
// contain the API key.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
		if l != nil {
			c.logger = l
		}
	}
}

// NewClient returns a Client that authenticates with apiKey (sent as the
// x-api-key header and nowhere else). The key comes from the caller only;
// the package reads no environment variables.
func NewClient(apiKey string, opts ...Option) *Client {
	c := &Client{
		key:       &secret{v: apiKey},
		baseURL:   DefaultBaseURL,
		http:      &http.Client{},
		userAgent: DefaultUserAgent,
		retry:     DefaultRetryPolicy(),
		sleep:     sleepContext,
		now:       time.Now,
		jitter:    rand.Float64,
		logger:    slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(c)
	}
	c.http = guardRedirects(c.http, c.baseURL)
	return c
}

// Conditions of a redirect the Client refused to follow; the error is a
// [*RedirectError], and the call is not retried.
var (
	// ErrCrossOriginRedirect: the server redirected a request to another
	// scheme, host or port than the base URL's. Go strips Authorization
	// and cookies on a redirect to another host, but not a custom header
	// such as x-api-key, so following it would hand the key to that
	// origin. The TwelveLabs API and its SDKs never redirect.
	ErrCrossOriginRedirect = errors.New("twelvelabs: redirect to another origin refused")
	// ErrTooManyRedirects: a request was redirected more than 5 times in a
	// row within the base URL's origin (a redirect loop, most likely).
	ErrTooManyRedirects = errors.New("twelvelabs: too many redirects")
)

// maxRedirects is how many redirects in a row one request follows within
// the base URL's origin: a margin for a proxy's path fix-ups (the API
// itself sends none). Go's default is 10.
const maxRedirects = 5

// RedirectError is a redirect the Client refused to follow: to another
// origin than the base URL's (it matches [ErrCrossOriginRedirect] with
// errors.Is), or past the limit of 5 within that origin
// ([ErrTooManyRedirects]). Origins are written scheme://host:port,
// lower-cased, with the default port made explicit; they never hold a
// path, a query or user info, so the error is safe to print and log.
// It is plain data, safe for concurrent reads.
type RedirectError struct {
	// StatusCode is the redirect's status (301, 302, 303, 307 or 308).
	StatusCode int
	// Origin is the origin the server redirected to.
	Origin string
	// BaseOrigin is the base URL's origin, the only one the key goes to.
	BaseOrigin string
	// Hops is the number of redirects followed before this one.
	Hops int

	cond error // ErrCrossOriginRedirect or ErrTooManyRedirects
}

// Error says which redirect was refused and why, naming origins only.
func (e *RedirectError) Error() string {
	if e.cond == ErrTooManyRedirects {
		return fmt.Sprintf("twelvelabs: stopped after %d redirects within %s", e.Hops, e.BaseOrigin)
	}
	return fmt.Sprintf("twelvelabs: refused a %d redirect to %s: the API key goes only to the base URL's origin %s", e.StatusCode, e.Origin, e.BaseOrigin)
}

// Unwrap returns ErrCrossOriginRedirect or ErrTooManyRedirects.
func (e *RedirectError) Unwrap() error { return e.cond }

// guardRedirects returns a shallow copy of hc that follows a redirect
// only within base's origin and at most maxRedirects in a row, and then
// asks hc's own CheckRedirect, if any (without one, Go's default of 10
// hops would apply, which the cap already enforces). hc is not modified:
// a caller may share it.
func guardRedirects(hc *http.Client, base string) *http.Client {
	baseOrigin := ""
	if u, err := url.Parse(base); err == nil {
		baseOrigin = origin(u)
	}
	next := hc.CheckRedirect
	guarded := *hc
	guarded.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		e := &RedirectError{Origin: origin(req.URL), BaseOrigin: baseOrigin, Hops: len(via) - 1}
		if req.Response != nil {
			e.StatusCode = req.Response.StatusCode
		}
		switch {
		case e.Origin == "" || e.Origin != baseOrigin:
			e.cond = ErrCrossOriginRedirect
			return e
		case e.Hops >= maxRedirects:
			e.cond = ErrTooManyRedirects
			return e
		case next != nil:
			return next(req, via)
		}
		return nil
	}
	return &guarded
}

// origin returns u's scheme://host:port, lower-cased, with the scheme's
// default port made explicit, or "" when u has no scheme or host.
func origin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if scheme == "" || host == "" {
		return ""
	}
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		default:
			if strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
			return scheme + "://" + host
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// BaseURL returns the base URL requests go to.
func (c *Client) BaseURL() string { return c.baseURL }

// String describes the client without its API key.
func (c Client) String() string {
	return "twelvelabs.Client{baseURL: " + c.baseURL + ", apiKey: " + redacted + "}"
}

// GoString is String: %#v never shows the API key either.
func (c Client) GoString() string { return c.String() }

// Format prints String for every verb, so no fmt verb reaches the key.
func (c Client) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// call is one logical API call, possibly sent several times.
type call struct {
	op     string // for errors: "retrieve embed task 123"
	method string
	path   string // below the base URL, already escaped
	query  url.Values
	body   *body
	// create marks a task-creating POST: retried on 429 only.
	create bool
}

// body produces a fresh request body for each attempt.
type body struct {
	contentType string
	data        []byte // a JSON or small multipart body, or nil
	form        *form  // a multipart body streamed from readers
}

// open returns the body for one attempt and its length (-1 if unknown);
// it fails if a streamed upload cannot be rewound.
func (b *body) open() (io.Reader, string, int64, error) {
	if b.form != nil {
		return b.form.open()
	}
	return bytes.NewReader(b.data), b.contentType, int64(len(b.data)), nil
}

// replayable reports whether the body can be sent again.
func (b *body) replayable() bool { return b == nil || b.form == nil || b.form.replayable() }

// jsonBody encodes v as a JSON request body.
func jsonBody(v any) (*body, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return &body{contentType: "application/json", data: data}, nil
}

// response is what a successful round trip left behind.
type response struct {
	status int
	header http.Header
}

// do sends cl, retrying per the policy, and decodes a 2xx JSON body into
// out (when out is non-nil and the body is not empty). Errors are wrapped
// with cl.op.
func (c *Client) do(ctx context.Context, cl *call, out any) (*response, error) {
	res, err := c.doRetry(ctx, cl, out)
	if err != nil {
		return res, fmt.Errorf("%s: %w", cl.op, err)
	}
	return res, nil
}

// doJSON sends cl and decodes a 2xx answer into a new T.
func doJSON[T any](ctx context.Context, c *Client, cl *call) (*T, error) {
	var out T
	if _, err := c.do(ctx, cl, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) doRetry(ctx context.Context, cl *call, out any) (*response, error) {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Each attempt ends in a result, a final error, or a failure to
		// retry after d (the server's wait when fromServer, else backoff).
		var (
			res        *response
			failure    error
			d          time.Duration
			fromServer bool
		)
		status, header, data, err := c.send(ctx, cl)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, err
			}
			if errors.As(err, new(*RedirectError)) {
				// The server will redirect again: refused for good.
				return nil, err
			}
			failure = &redactedError{msg: redactString(err.Error(), c.key.v), err: err}
			if cl.create || !cl.body.replayable() {
				// A create may have gone through (a second one would make
				// a second task), and a consumed stream cannot be resent.
				return nil, failure
			}
		} else {
			res = &response{status: status, header: header}
			if status >= 200 && status < 300 {
				if out != nil && len(bytes.TrimSpace(data)) > 0 {
					if err := json.Unmarshal(data, out); err != nil {
						return res, fmt.Errorf("decode %d-byte response: %w", len(data), err)
					}
				}
				return res, nil
			}
			apiErr := parseAPIError(cl.method, cl.path, status, header, data)
			apiErr.redact(c.key.v)
			if !retryableStatus(status) || (cl.create && status != http.StatusTooManyRequests) || !cl.body.replayable() {
				return res, apiErr
			}
			failure = apiErr
			d, fromServer = serverWait(status, header, c.now())
			if fromServer && d > c.retry.MaxRetryAfter {
				return res, fmt.Errorf("server asks to wait %s, longer than the %s the retry policy allows: %w", d.Round(time.Second), c.retry.MaxRetryAfter, apiErr)
			}
		}
		if attempt > c.retry.MaxRetries {
			return res, c.exhausted(attempt, failure)
		}
		if !fromServer {
			d = c.retry.backoff(attempt, c.jitter())
		}
		if err := c.wait(ctx, cl, attempt, d, failure); err != nil {
			return res, err
		}
	}
}

// exhausted wraps the last failure once retries are used up; with retries
// disabled the failure is returned as it is.
func (c *Client) exhausted(attempts int, last error) error {
	if attempts <= 1 {
		return last
	}
	return &retriesError{attempts: attempts, last: last}
}

// wait logs a retry and sleeps before it, returning promptly (with the
// failure being retried for context) when ctx is done.
func (c *Client) wait(ctx context.Context, cl *call, attempt int, d time.Duration, failure error) error {
	c.logger.LogAttrs(ctx, slog.LevelDebug, "twelvelabs: retrying request",
		slog.String("method", cl.method), slog.String("path", cl.path),
		slog.Int("attempt", attempt), slog.String("error", failure.Error()), slog.Duration("wait", d))
	if err := c.sleep(ctx, d); err != nil {
		return fmt.Errorf("wait %s to retry after %v: %w", d, failure, err)
	}
	return nil
}

// send makes one attempt and reads the whole response body.
func (c *Client) send(ctx context.Context, cl *call) (status int, header http.Header, data []byte, err error) {
	u := c.baseURL + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	var r io.Reader
	var contentType string
	length := int64(-1)
	if cl.body != nil {
		if r, contentType, length, err = cl.body.open(); err != nil {
			return 0, nil, nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, r)
	if err != nil {
		if c, ok := r.(io.Closer); ok {
			c.Close()
		}
		return 0, nil, nil, fmt.Errorf("build request: %w", err)
	}
	if length >= 0 {
		req.ContentLength = length
	}
	req.Header.Set("x-api-key", c.key.v)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// A refused redirect comes wrapped in a *url.Error naming the
		// whole target, query included: give the origin-only error, with
		// the key masked should the server have echoed it into the host
		// name (which the origin holds lower-cased).
		var re *RedirectError
		if errors.As(err, &re) {
			re.Origin = redactString(re.Origin, strings.ToLower(c.key.v))
			return 0, nil, nil, re
		}
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err = io.ReadAll(resp.Body)
	if err != nil {
		if resp.ContentLength >= 0 {
			return resp.StatusCode, resp.Header, nil, fmt.Errorf("read %d response body: got %d of %d bytes: %w", resp.StatusCode, len(data), resp.ContentLength, err)
		}
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("read %d response body: got %d bytes: %w", resp.StatusCode, len(data), err)
	}
	return resp.StatusCode, resp.Header, data, nil
}

// redactedError is a transport error whose text had the API key removed
// (should a URL ever carry it); it still unwraps to the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// escape escapes one path segment and refuses an empty one (which would
// silently address a different endpoint).
func escape(what, id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("empty %s", what)
	}
	return url.PathEscape(id), nil
}
