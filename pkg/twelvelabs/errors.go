package twelvelabs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Conditions callers can test with errors.Is. An *APIError matches the
// sentinel of its HTTP status (see [APIError.Is]); the helpers IsNotFound
// and IsRateLimited are shorthands.
var (
	// ErrBadRequest: the API rejected the request as invalid (400, 422).
	ErrBadRequest = errors.New("twelvelabs: bad request")
	// ErrUnauthorized: the API key is missing, wrong or not allowed (401, 403).
	ErrUnauthorized = errors.New("twelvelabs: unauthorized")
	// ErrNotFound: the task, index, asset or video does not exist (404).
	ErrNotFound = errors.New("twelvelabs: not found")
	// ErrRateLimited: the API answered 429 Too Many Requests.
	ErrRateLimited = errors.New("twelvelabs: rate limited")
	// ErrServer: the API answered with a 5xx status.
	ErrServer = errors.New("twelvelabs: server error")
	// ErrPageTokenExpired: a search page token is expired or invalid
	// (code search_page_token_expired); run the search again.
	ErrPageTokenExpired = errors.New("twelvelabs: search page token expired")
	// ErrRetriesExhausted: a retryable failure persisted through every
	// retry the [RetryPolicy] allows. The error also wraps the last
	// failure, so errors.As still finds its *APIError.
	ErrRetriesExhausted = errors.New("twelvelabs: retries exhausted")
	// ErrTaskFailed: an embedding task ended in status "failed"; the error
	// is a *TaskFailedError.
	ErrTaskFailed = errors.New("twelvelabs: task failed")
)

// IsNotFound reports whether err is, or wraps, an API answer of 404.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsRateLimited reports whether err is, or wraps, an API answer of 429
// (including one that exhausted its retries).
func IsRateLimited(err error) bool { return errors.Is(err, ErrRateLimited) }

// APIError is a non-2xx answer from the TwelveLabs API. It decodes every
// documented error body: the classic {"code","message","docs_url"}, the
// embed-v2 {"error":{"code","message","details"}}, the search page
// {"error_code": 104, "message"} (Code is then "104"), and bodies that are
// empty or not JSON (Code and Message stay empty; Body keeps the bytes).
//
// The API key is never part of an APIError: if the server echoes it, it is
// replaced by "[REDACTED]" in every text field, Details, Header and Body.
//
// An APIError is immutable once returned and safe for concurrent reads.
type APIError struct {
	// StatusCode is the HTTP status, e.g. 404.
	StatusCode int
	// Code is the API's error code ("resource_not_exist",
	// "VALIDATION_ERROR", "104"), or "" when the body had none.
	Code string
	// Message is the API's human-readable message, or "".
	Message string
	// DocsURL is the classic format's docs_url, if any.
	DocsURL string
	// Details is the embed-v2 format's free-form details object, if any.
	Details map[string]any
	// RequestID is the X-Request-Id header or details.requestId, if any.
	RequestID string
	// Method and Path name the request that failed (Path is relative to
	// the base URL, without the query).
	Method, Path string
	// Header holds the response headers (rate-limit headers included).
	Header http.Header
	// Body is the raw response body (possibly empty).
	Body []byte
}

// Error returns "twelvelabs API: <status>: <code>: <message>", with the
// request id when there is one and a note when the body was empty.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "twelvelabs API: %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	switch {
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(e.Message)
	case len(bytes.TrimSpace(e.Body)) == 0:
		b.WriteString(" (empty body)")
	case e.Code == "":
		b.WriteString(": ")
		b.WriteString(snippet(e.Body, 200))
	}
	if e.RequestID != "" {
		b.WriteString(" (request id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and friends work: it matches the
// sentinel for the error's status (400/422 ErrBadRequest, 401/403
// ErrUnauthorized, 404 ErrNotFound, 429 ErrRateLimited, 5xx ErrServer) and
// ErrPageTokenExpired for the code search_page_token_expired.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	case ErrPageTokenExpired:
		return e.Code == "search_page_token_expired"
	}
	return false
}

// parseAPIError builds an APIError from a response, trying the embed-v2
// shape, then the classic shape, then the search page shape.
func parseAPIError(method, path string, status int, header http.Header, body []byte) *APIError {
	e := &APIError{StatusCode: status, Method: method, Path: path, Header: header, Body: body}
	var probe struct {
		Error     json.RawMessage `json:"error"`
		Code      json.RawMessage `json:"code"`
		ErrorCode json.RawMessage `json:"error_code"`
		Message   json.RawMessage `json:"message"`
		DocsURL   string          `json:"docs_url"`
		Details   map[string]any  `json:"details"`
	}
	if len(bytes.TrimSpace(body)) > 0 && json.Unmarshal(body, &probe) == nil {
		var inner struct {
			Code    json.RawMessage `json:"code"`
			Message json.RawMessage `json:"message"`
			Details map[string]any  `json:"details"`
		}
		if len(probe.Error) > 0 && json.Unmarshal(probe.Error, &inner) == nil && (len(inner.Code) > 0 || len(inner.Message) > 0) {
			e.Code, e.Message, e.Details = rawText(inner.Code), rawText(inner.Message), inner.Details
		} else {
			e.Code = rawText(probe.Code)
			if e.Code == "" {
				e.Code = rawText(probe.ErrorCode)
			}
			e.Message = rawText(probe.Message)
			if e.Message == "" {
				// {"error": "some text"}
				e.Message = rawText(probe.Error)
			}
			e.DocsURL, e.Details = probe.DocsURL, probe.Details
		}
	}
	e.RequestID = header.Get("X-Request-Id")
	if e.RequestID == "" {
		if id, ok := e.Details["requestId"].(string); ok {
			e.RequestID = id
		}
	}
	return e
}

// redact replaces every occurrence of secret in the error's text fields.
func (e *APIError) redact(secret string) {
	if secret == "" {
		return
	}
	const mask = "[REDACTED]"
	e.Code = strings.ReplaceAll(e.Code, secret, mask)
	e.Message = strings.ReplaceAll(e.Message, secret, mask)
	e.DocsURL = strings.ReplaceAll(e.DocsURL, secret, mask)
	e.RequestID = strings.ReplaceAll(e.RequestID, secret, mask)
	e.Body = bytes.ReplaceAll(e.Body, []byte(secret), []byte(mask))
	if e.Details != nil {
		e.Details = redactValue(e.Details, secret).(map[string]any)
	}
	if e.Header != nil {
		h := e.Header.Clone()
		for k, vs := range h {
			for i, v := range vs {
				vs[i] = strings.ReplaceAll(v, secret, mask)
			}
			h[k] = vs
		}
		e.Header = h
	}
}

// redactValue replaces secret in every string of a decoded JSON value.
func redactValue(v any, secret string) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, secret, "[REDACTED]")
	case map[string]any:
		for k, val := range x {
			x[k] = redactValue(val, secret)
		}
	case []any:
		for i, val := range x {
			x[i] = redactValue(val, secret)
		}
	}
	return v
}

// rawText renders a JSON string as its text and any other JSON value
// (a number, say) as its literal; null and absent give "".
func rawText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if raw[0] == '{' || raw[0] == '[' {
		return ""
	}
	return string(raw)
}

// snippet returns at most n bytes of b as valid text, marking a cut.
func snippet(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) <= n {
		return strings.ToValidUTF8(string(b), "?")
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strings.ToValidUTF8(string(b[:cut]), "?") + "… (" + strconv.Itoa(len(b)) + " bytes)"
}

// TaskFailedError reports an embedding task that ended in status
// "failed". It matches ErrTaskFailed with errors.Is.
// It is plain data, safe for concurrent reads.
type TaskFailedError struct {
	// TaskID is the task's id.
	TaskID string
	// Message is the embed-v2 error.message, or "" (v1 tasks, and v2
	// tasks whose body carries no error object).
	Message string
}

// Error returns "task <id> failed" and the API's message when there is one.
func (e *TaskFailedError) Error() string {
	if e.Message == "" {
		return "task " + e.TaskID + " failed"
	}
	return "task " + e.TaskID + " failed: " + e.Message
}

// Is reports whether target is ErrTaskFailed.
func (e *TaskFailedError) Is(target error) bool { return target == ErrTaskFailed }

// retriesError is the error after the last allowed retry: it says how
// many attempts were made and wraps both ErrRetriesExhausted and the last
// failure.
type retriesError struct {
	attempts int
	last     error
}

func (e *retriesError) Error() string {
	return fmt.Sprintf("give up after %d attempts: %v", e.attempts, e.last)
}

func (e *retriesError) Unwrap() []error { return []error{ErrRetriesExhausted, e.last} }
