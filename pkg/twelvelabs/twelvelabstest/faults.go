package twelvelabstest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// Fault is a failure to inject into matching requests. A request matches
// when it matches every targeting field that is set (Endpoint, Path,
// Match); with none set, every request matches. Faults apply before the
// API key is checked, like a gateway's would.
//
// What the fault does: expire every search page token issued so far
// (ExpirePageTokens), wait Delay (real time; a cancelled request stops
// waiting), then either answer Status (with Header, RetryAfter,
// RateLimitReset, and Body or the endpoint's usual error body), cut the
// connection (Disconnect), serve the real response with its body cut in
// half (Truncate), or, with none of those, serve the real response (late,
// with a Delay).
//
// Skip and Times aim a fault at the Nth matching request: Skip: n-1,
// Times: 1. For example, the third POST /search answers an empty 429:
//
//	srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearch,
//		Skip: 2, Times: 1, Status: 429, RetryAfter: "5"})
//
// and the second page fetch of any search finds its token expired, as
// when the index changed under the search (400 search_page_token_expired,
// the real handler's answer, for this and every later use of any token
// issued before it):
//
//	srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearchPage,
//		Skip: 1, Times: 1, ExpirePageTokens: true})
//
// Every response, faulted or not, carries the X-Ratelimit-* headers, with
// X-Ratelimit-Reset at the next minute of the server's clock; so a 429
// without Retry-After sends a client that honours the reset header to the
// next minute. Set RateLimitReset (or Header) to change that.
//
// A Fault is plain data; once injected, the server owns its copy and
// applies it safely under concurrent requests (its Match function must be
// safe for concurrent use).
type Fault struct {
	// Endpoint targets one endpoint (an Endpoint constant).
	Endpoint string
	// Path targets one path below the base URL, exactly, e.g.
	// "/indexes/6790.../indexed-assets".
	Path string
	// Match targets requests it returns true for (e.g. [QueryEquals]). It
	// runs with the server's lock held: it must not call the Server.
	Match func(*http.Request) bool
	// Skip lets this many matching requests through before the fault
	// starts.
	Skip int
	// Times is how many matching requests the fault hits; 0 means every
	// one until removed.
	Times int

	// Status is the status to answer, e.g. 429 or 500.
	Status int
	// RetryAfter is a Retry-After header value ("7", or an HTTP date).
	RetryAfter string
	// RateLimitReset, when set, is sent as X-Ratelimit-Reset (epoch
	// seconds).
	RateLimitReset time.Time
	// Header adds headers to the answer.
	Header http.Header
	// Body replaces the error body; EmptyBody sends none. By default the
	// endpoint family's body is sent: embed-v2's {"error":{...}}, the
	// classic {"code","message"}, and for a 429 on POST /search an empty
	// body, as the API documents.
	Body      []byte
	EmptyBody bool

	// Delay makes the answer late.
	Delay time.Duration
	// Truncate serves the real response with a Content-Length for the
	// whole body but only its first half, then drops the connection.
	Truncate bool
	// Disconnect drops the connection without answering.
	Disconnect bool
	// ExpirePageTokens expires every search page token issued so far
	// (like [Server.ExpirePageTokens]) before the request is answered;
	// on its own it lets the request through to its handler, so a
	// GET /search/{token} it hits answers 400 search_page_token_expired.
	ExpirePageTokens bool
}

// InjectedFault is a fault the server holds. Its methods are safe for
// concurrent use.
type InjectedFault struct {
	s     *Server
	fault Fault
	// seen and hits are guarded by s.mu.
	seen, hits int
	removed    bool
}

// Inject adds a fault; faults are tried in the order injected and the
// first that matches a request applies.
func (s *Server) Inject(f Fault) *InjectedFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := &InjectedFault{s: s, fault: f}
	s.faults = append(s.faults, h)
	return h
}

// Hits returns how many requests the fault has hit.
func (h *InjectedFault) Hits() int {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return h.hits
}

// Remove stops the fault.
func (h *InjectedFault) Remove() {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	h.removed = true
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		f.removed = true
	}
	s.faults = nil
}

// ExpirePageTokens expires every search page token issued so far, as
// the API does when the index's items change: a GET /search/{token} with
// any of them answers 400 search_page_token_expired. Searches made later
// get fresh tokens.
func (s *Server) ExpirePageTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expirePageTokens()
}

// expirePageTokens forgets the page tokens; the caller holds s.mu.
func (s *Server) expirePageTokens() { s.pages = map[string]*searchPage{} }

// QueryEquals returns a Fault.Match function for requests whose query has
// key=value (among the key's values).
func QueryEquals(key, value string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		for _, v := range r.URL.Query()[key] {
			if v == value {
				return true
			}
		}
		return false
	}
}

// takeFault returns the fault that applies to a request, counting it.
// The caller holds s.mu.
func (s *Server) takeFault(endpoint, path string, r *http.Request) *Fault {
	for _, h := range s.faults {
		f := &h.fault
		if h.removed || (f.Times > 0 && h.hits >= f.Times) {
			continue
		}
		if (f.Endpoint != "" && f.Endpoint != endpoint) || (f.Path != "" && f.Path != path) || (f.Match != nil && !f.Match(r)) {
			continue
		}
		h.seen++
		if h.seen <= f.Skip {
			continue
		}
		h.hits++
		if f.ExpirePageTokens {
			s.expirePageTokens()
		}
		return f
	}
	return nil
}

// applyFault carries a fault out; it returns false when the request
// should go on to its handler (a pure delay).
func (s *Server) applyFault(w *statusWriter, r *http.Request, endpoint string, f *Fault) bool {
	if f.Delay > 0 {
		// The body is read first: the server notices a client that goes
		// away (ending the delay) only once a request's body is consumed.
		if r.Body != nil {
			data, err := io.ReadAll(r.Body)
			if err != nil {
				return true
			}
			r.Body = io.NopCloser(bytes.NewReader(data))
		}
		t := time.NewTimer(f.Delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return true
		case <-t.C:
		}
	}
	switch {
	case f.Disconnect:
		if hj, ok := w.ResponseWriter.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case f.Truncate:
		rec := httptest.NewRecorder()
		rec.Body.Reset()
		s.dispatch(rec, r, endpoint)
		body := rec.Body.Bytes()
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		w.Flush()
		panic(http.ErrAbortHandler)
	case f.Status != 0:
		for k, vs := range f.Header {
			w.Header()[k] = vs
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if !f.RateLimitReset.IsZero() {
			w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(f.RateLimitReset.Unix(), 10))
		}
		switch {
		case f.Body != nil:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			w.Write(f.Body)
		case f.EmptyBody || (f.Status == http.StatusTooManyRequests && endpoint == EndpointSearch):
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(f.Status)
		default:
			s.faultBody(w, r, f)
		}
		return true
	}
	return false
}

// faultBody writes the endpoint family's usual body for a fault status.
func (s *Server) faultBody(w http.ResponseWriter, r *http.Request, f *Fault) {
	v2 := v2Errors(record(r).Endpoint)
	switch {
	case f.Status == http.StatusTooManyRequests && v2:
		details := map[string]any{"currentLimit": "600 requests per minute"}
		if f.RetryAfter != "" {
			details["retryAfter"] = f.RetryAfter
		}
		s.writeError(w, r, f.Status, "RATE_LIMIT_EXCEEDED", "Too many requests. Please try again later.", details)
	case f.Status == http.StatusTooManyRequests:
		after := f.RetryAfter
		if after == "" {
			after = "a while"
		} else {
			after += " seconds"
		}
		s.writeError(w, r, f.Status, "too_many_requests", "You have exceeded the rate limit (600 requests per minute). Please try again later after "+after+".", nil)
	case f.Status >= 500 && v2:
		s.writeError(w, r, f.Status, "INTERNAL_SERVER_ERROR", "An unexpected error occurred while processing your request", map[string]any{"requestId": "req_fake" + strconv.Itoa(f.Status)})
	case f.Status >= 500:
		s.writeError(w, r, f.Status, "generic_error", "An error occurred.", nil)
	case v2:
		s.writeError(w, r, f.Status, "ERROR_"+strconv.Itoa(f.Status), http.StatusText(f.Status), nil)
	default:
		s.writeError(w, r, f.Status, "error_"+strconv.Itoa(f.Status), http.StatusText(f.Status), nil)
	}
}
