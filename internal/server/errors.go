package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

// Error codes: the "code" of an error body. Each goes with one HTTP
// status, but for bad_request, which a batch also uses per query.
const (
	CodeBadRequest       = "bad_request"        // 400: malformed JSON, a bad field, a question that cannot be answered as asked
	CodeInvalidInput     = "invalid_input"      // 400: an import body was rejected; nothing of it was stored
	CodeUnauthorized     = "unauthorized"       // 401: no bearer token, or the wrong one
	CodeReadOnly         = "read_only"          // 403: a write to a server or database that is read-only
	CodeCrossOrigin      = "cross_origin"       // 403: a write from another site's page (CSRF)
	CodeNotFound         = "not_found"          // 404: no such video, segment, space or route
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeRequestTimeout   = "request_timeout"    // 408: the body did not arrive in time
	CodeTooLarge         = "payload_too_large"  // 413: the body is over the route's limit
	CodeNoCredentials    = "no_credentials"     // 422: a text or image query not cached, and no API key
	CodeRateLimited      = "rate_limited"       // 429: the TwelveLabs API refused for now
	CodeInternal         = "internal"           // 500
	CodeUpstream         = "upstream_error"     // 502: the TwelveLabs API failed a query's embedding
	CodeTimeout          = "timeout"            // 503: the request ran past its time limit
	CodeUnavailable      = "unavailable"        // 503: the request was cancelled (the client left, or the server is closing)
)

// apiError is an error as the API reports it. It is what handlers return;
// writeError turns it into {"error": {...}} with its status.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Field names the request field at fault, as a JSON path
	// ("k", "filter.time_range", "like.video_id"), when there is one.
	Field string `json:"field,omitempty"`
	// err is the cause, for the log only.
	err error
}

func (e *apiError) Error() string { return e.Message }
func (e *apiError) Unwrap() error { return e.err }

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error *apiError `json:"error"`
}

// badRequest is a 400 naming a field.
func badRequest(field, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: CodeBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// toAPIError classifies any error a handler met.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	var tle *twelvelabs.APIError
	switch {
	case errors.As(err, &mbe):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: CodeTooLarge, err: err,
			Message: fmt.Sprintf("request body is larger than this endpoint's limit of %d bytes", mbe.Limit)}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusServiceUnavailable, Code: CodeTimeout, err: err,
			Message: "the request ran past the server's time limit: " + err.Error()}
	case errors.Is(err, context.Canceled):
		return &apiError{Status: http.StatusServiceUnavailable, Code: CodeUnavailable, err: err,
			Message: "the request was cancelled: " + err.Error()}
	case errors.Is(err, twelvelabs.ErrRateLimited):
		return &apiError{Status: http.StatusTooManyRequests, Code: CodeRateLimited, err: err,
			Message: "the TwelveLabs API is rate limiting the server's key; try again later: " + err.Error()}
	case errors.Is(err, twelvelabs.ErrBadRequest):
		return &apiError{Status: http.StatusBadRequest, Code: CodeBadRequest, err: err,
			Message: "the TwelveLabs API rejected the query: " + err.Error()}
	case errors.As(err, &tle), errors.Is(err, twelvelabs.ErrRetriesExhausted):
		// Before ErrNotFound: an upstream 404 (an image URL TwelveLabs
		// could not fetch) also matches it.
		return &apiError{Status: http.StatusBadGateway, Code: CodeUpstream, err: err,
			Message: "the TwelveLabs API failed the query's embedding: " + err.Error()}
	case errors.Is(err, clipvec.ErrNoCredentials):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: CodeNoCredentials, err: err,
			Message: err.Error() + "; text and image queries the query cache does not hold need the server to have a TwelveLabs API key (start clipvec serve with TWELVELABS_API_KEY set)"}
	case errors.Is(err, clipvec.ErrReadOnly):
		return &apiError{Status: http.StatusForbidden, Code: CodeReadOnly, err: err,
			Message: "the database is read-only: " + err.Error()}
	case errors.Is(err, clipvec.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Code: CodeNotFound, err: err, Message: err.Error()}
	case errors.Is(err, clipvec.ErrInvalidQuery):
		return &apiError{Status: http.StatusBadRequest, Code: CodeBadRequest, err: err, Message: err.Error()}
	case errors.Is(err, clipvec.ErrInvalidInput):
		return &apiError{Status: http.StatusBadRequest, Code: CodeInvalidInput, err: err, Message: err.Error()}
	case errors.Is(err, clipvec.ErrZeroVector), errors.Is(err, clipvec.ErrNotFinite),
		errors.Is(err, clipvec.ErrEmptyVector), errors.Is(err, clipvec.ErrDimensionMismatch):
		// A query vector the library refuses without calling the query
		// invalid.
		return &apiError{Status: http.StatusBadRequest, Code: CodeBadRequest, err: err, Message: err.Error()}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: CodeInternal, err: err,
		Message: "internal server error (the server's log has the details)"}
}

// readError classifies an error reading a request body.
func readError(err error) *apiError {
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		return toAPIError(err)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &apiError{Status: http.StatusRequestTimeout, Code: CodeRequestTimeout, err: err,
			Message: "the request body did not arrive within the server's time limit"}
	}
	return &apiError{Status: http.StatusBadRequest, Code: CodeBadRequest, err: err,
		Message: "read request body: " + err.Error()}
}

// decodeError turns an encoding/json error into a 400 naming the field:
// prefix is the path of the value decoded ("" for the body itself).
func decodeError(err error, prefix string) *apiError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return badRequest(prefix, "malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.As(err, &te):
		field := joinField(prefix, te.Field)
		if te.Field == "" {
			what := "the body"
			if prefix != "" {
				what = prefix
			}
			return badRequest(field, "%s is a JSON %s, want a JSON object", what, te.Value)
		}
		return badRequest(field, "%s: cannot use JSON %s as %s", field, te.Value, jsonType(te.Type.String()))
	case errors.Is(err, errEmptyBody):
		return badRequest(prefix, "empty request body: want a JSON object")
	case errors.Is(err, errTrailing):
		return badRequest(prefix, "unexpected data after the JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest(prefix, "truncated JSON: the body ends inside a value")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return badRequest(joinField(prefix, name), "unknown field %q", name)
	}
	return badRequest(prefix, "decode JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonType names a Go type of the API's structs as JSON does.
func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case goType == "float32":
		return "a number within float32 range"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}
