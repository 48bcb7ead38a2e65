package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// unmatched is the metrics label of requests no route answers.
const unmatched = "unmatched"

// statusWriter remembers what was answered, for metrics and the log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	// failure is the error reported to the client, if any.
	failure *apiError
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recorder captures a response (the mux's own 404, 405 and redirects).
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// observe runs h, writes the error it returns, recovers a panic as a 500,
// and records the request in the metrics (under label) and the log.
func (s *Server) observe(w http.ResponseWriter, r *http.Request, label string, h func(http.ResponseWriter, *http.Request) error) {
	start := time.Now()
	s.metrics.inFlight.Add(1)
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		p := recover()
		aborted := false
		if p != nil {
			if p == http.ErrAbortHandler {
				aborted = true
			} else {
				s.log.Error("panic serving a request", "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.writeError(sw, &apiError{Status: http.StatusInternalServerError, Code: CodeInternal,
						Message: "internal server error (the server's log has the details)", err: fmt.Errorf("panic: %v", p)})
				} else {
					aborted = true // a partial answer: the client must see it fail
				}
			}
		}
		status := sw.status
		if status == 0 {
			status = http.StatusOK // net/http's default
		}
		if aborted {
			status = http.StatusInternalServerError
		}
		s.metrics.inFlight.Add(-1)
		s.metrics.observe(label, status, time.Since(start))
		s.logRequest(r, sw, status, time.Since(start))
		if aborted {
			panic(http.ErrAbortHandler) // net/http closes the connection, quietly
		}
	}()
	if err := h(sw, r); err != nil {
		ae := toAPIError(err)
		if sw.status != 0 { // too late to say so: the log will
			sw.failure = ae
			return
		}
		s.writeError(sw, ae)
	}
}

// logRequest logs one line per request: Info, or Error for a 5xx.
func (s *Server) logRequest(r *http.Request, sw *statusWriter, status int, d time.Duration) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if !s.log.Enabled(r.Context(), level) {
		return
	}
	attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.Duration("duration", d), slog.Int64("bytes", sw.bytes)}
	if f := sw.failure; f != nil {
		attrs = append(attrs, slog.String("code", f.Code), slog.String("error", f.Message))
		if f.err != nil && status >= 500 {
			attrs = append(attrs, slog.String("cause", f.err.Error()))
		}
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

// writeError answers with e as the JSON error body.
func (s *Server) writeError(w *statusWriter, e *apiError) {
	w.failure = e
	body, err := json.Marshal(errorBody{Error: e})
	if err != nil { // cannot happen: strings only
		body = []byte(`{"error":{"code":"internal","message":"internal server error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(e.Status)
	w.Write(append(body, '\n'))
}

// reply answers with v as JSON. Nothing is written if v cannot be
// encoded: the error is returned, and becomes a 500.
func reply(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(body, '\n'))
	if err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}
