package twelvelabstest

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

// DefaultAPIKey is the key a server accepts unless [WithAPIKey] says
// otherwise.
const DefaultAPIKey = "tlk_fake_0123456789abcdef0123"

// The endpoints the server implements, as "METHOD /path-pattern" below
// the base URL. They name endpoints in [Server.Count], [Request.Endpoint]
// and [Fault.Endpoint].
const (
	EndpointCreateEmbedTask      = "POST /embed/tasks"
	EndpointListEmbedTasks       = "GET /embed/tasks"
	EndpointEmbedTaskStatus      = "GET /embed/tasks/{task_id}/status"
	EndpointRetrieveEmbedTask    = "GET /embed/tasks/{task_id}"
	EndpointEmbed                = "POST /embed"
	EndpointEmbedV2              = "POST /embed-v2"
	EndpointCreateEmbedV2Task    = "POST /embed-v2/tasks"
	EndpointListEmbedV2Tasks     = "GET /embed-v2/tasks"
	EndpointGetEmbedV2Task       = "GET /embed-v2/tasks/{task_id}"
	EndpointRetrieveIndex        = "GET /indexes/{index_id}"
	EndpointListIndexedAssets    = "GET /indexes/{index_id}/indexed-assets"
	EndpointRetrieveIndexedAsset = "GET /indexes/{index_id}/indexed-assets/{asset_id}"
	EndpointListVideos           = "GET /indexes/{index_id}/videos"
	EndpointRetrieveVideo        = "GET /indexes/{index_id}/videos/{video_id}"
	EndpointSearch               = "POST /search"
	EndpointSearchPage           = "GET /search/{page_token}"
)

// versionPrefix is the API version path every endpoint sits under.
const versionPrefix = "/v1.3"

// Option configures a Server in [NewServer].
// Options hold no state and are safe for concurrent use.
type Option func(*config)

type config struct {
	apiKey          string
	catalogue       CatalogueConfig
	clock           Clock
	readyAfterPolls int
	readyAfter      time.Duration
	failInputs      []string
	legacyVideoList bool
	ranking         SearchRanking
	pageLifetime    time.Duration
	pageUses        int
}

// WithAPIKey sets the only API key the server accepts (default
// [DefaultAPIKey]).
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithSeed seeds the catalogue (default 1).
func WithSeed(seed uint64) Option { return func(c *config) { c.catalogue.Seed = seed } }

// WithIndexes sets the number of Marengo 3.0 indexes (default 1).
func WithIndexes(n int) Option { return func(c *config) { c.catalogue.Indexes = max(n, 0) } }

// WithVideos sets the number of videos per index (default 12).
func WithVideos(n int) Option { return func(c *config) { c.catalogue.VideosPerIndex = max(n, 0) } }

// WithIndexingVideos sets how many videos of each index (the last ones)
// are still indexing (default 1).
func WithIndexingVideos(n int) Option {
	return func(c *config) { c.catalogue.IndexingPerIndex = max(n, 0) }
}

// WithFixedTexts gives texts fixed embeddings (CatalogueConfig.FixedTexts):
// a test that searches a dataset generated elsewhere passes that
// dataset's text queries, and every text endpoint embeds them as listed.
func WithFixedTexts(texts ...FixedText) Option {
	return func(c *config) { c.catalogue.FixedTexts = append(c.catalogue.FixedTexts, texts...) }
}

// WithMarengo27Index adds a Marengo 2.7 index (1024-d vectors, options
// visual-text and audio).
func WithMarengo27Index() Option { return func(c *config) { c.catalogue.Marengo27 = true } }

// WithClock sets the server's clock (default: a [ManualClock] at
// [DefaultEpoch]).
func WithClock(clock Clock) Option { return func(c *config) { c.clock = clock } }

// WithTaskReadyAfterPolls makes embedding tasks ready (or failed) on the
// n-th poll of their status (default 2: the first poll says processing).
// It replaces [WithTaskReadyAfter]; n ≤ 0 makes tasks ready at once.
func WithTaskReadyAfterPolls(n int) Option {
	return func(c *config) { c.readyAfterPolls, c.readyAfter = max(n, 0), 0 }
}

// WithTaskReadyAfter makes embedding tasks ready (or failed) once d has
// passed on the server's clock since their creation, however often they
// are polled. It replaces [WithTaskReadyAfterPolls].
func WithTaskReadyAfter(d time.Duration) Option {
	return func(c *config) { c.readyAfter, c.readyAfterPolls = max(d, 0), 0 }
}

// WithFailingInputs makes embedding tasks fail when their input URL or
// filename contains any of the substrings, case-insensitively (default
// "fail").
func WithFailingInputs(substrings ...string) Option {
	return func(c *config) { c.failInputs = substrings }
}

// WithLegacyVideoList makes GET /indexes/{id}/videos answer in the shape
// of the spec's example (keys metadata, index_id and status) instead of
// the schema's (system_metadata).
func WithLegacyVideoList() Option { return func(c *config) { c.legacyVideoList = true } }

// WithPageTokenLifetime sets how long search page tokens stay valid on
// the server's clock (default 1 h); d ≤ 0 keeps the default.
func WithPageTokenLifetime(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.pageLifetime = d
		}
	}
}

// WithPageTokenUses makes each search page token answer n times; later
// requests with it get 400 search_page_token_expired, as an expired
// token does (default 0: no limit).
func WithPageTokenUses(n int) Option { return func(c *config) { c.pageUses = max(n, 0) } }

// Server is a fake TwelveLabs API over HTTP, like httptest.Server: start
// one with [NewServer], point a client at URL, Close it when done.
//
// A Server is safe for concurrent use: requests may arrive in parallel
// and its methods may be called from any goroutine.
type Server struct {
	// URL is the base URL, version prefix included
	// (http://127.0.0.1:port/v1.3): what twelvelabs.WithBaseURL takes.
	URL string
	// APIKey is the key the server accepts.
	APIKey string
	// Catalogue is the synthetic content the server serves.
	Catalogue *Catalogue

	cfg   config
	clock Clock
	http  *httptest.Server
	mux   *http.ServeMux

	mu sync.Mutex
	// requests records every request; counts per endpoint.
	requests []*Request
	counts   map[string]int
	faults   []*InjectedFault
	tasks    map[string]*task
	taskList []*task // creation order
	pages    map[string]*searchPage
	seq      uint64
}

// NewServer starts a fake server. With no options it serves one Marengo
// 3.0 index of 12 videos (one still indexing), seed 1, on a ManualClock,
// and ranks search results by exact cosine ([SearchRanking]).
func NewServer(opts ...Option) *Server {
	cfg := config{
		apiKey:          DefaultAPIKey,
		catalogue:       CatalogueConfig{Seed: 1, Indexes: 1, VideosPerIndex: 12, IndexingPerIndex: 1},
		readyAfterPolls: 2,
		failInputs:      []string{"fail"},
		pageLifetime:    time.Hour,
	}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.ranking = cfg.ranking.normalized(cfg.catalogue.Seed)
	cfg.catalogue.SearchOnlyPerIndex = cfg.ranking.ForeignVideos
	if cfg.clock == nil {
		cfg.clock = NewManualClock(DefaultEpoch)
	}
	s := &Server{
		APIKey:    cfg.apiKey,
		Catalogue: NewCatalogue(cfg.catalogue),
		cfg:       cfg,
		clock:     cfg.clock,
		mux:       http.NewServeMux(),
		counts:    map[string]int{},
		tasks:     map[string]*task{},
		pages:     map[string]*searchPage{},
	}
	routes := map[string]http.HandlerFunc{
		EndpointCreateEmbedTask:      s.createEmbedTask,
		EndpointListEmbedTasks:       s.listEmbedTasks,
		EndpointEmbedTaskStatus:      s.embedTaskStatus,
		EndpointRetrieveEmbedTask:    s.retrieveEmbedTask,
		EndpointEmbed:                s.embedV1,
		EndpointEmbedV2:              s.embedV2,
		EndpointCreateEmbedV2Task:    s.createEmbedV2Task,
		EndpointListEmbedV2Tasks:     s.listEmbedV2Tasks,
		EndpointGetEmbedV2Task:       s.getEmbedV2Task,
		EndpointRetrieveIndex:        s.retrieveIndex,
		EndpointListIndexedAssets:    s.listIndexedAssets,
		EndpointRetrieveIndexedAsset: s.retrieveIndexedAsset,
		EndpointListVideos:           s.listVideos,
		EndpointRetrieveVideo:        s.retrieveVideo,
		EndpointSearch:               s.search,
		EndpointSearchPage:           s.searchPage,
	}
	for ep, h := range routes {
		method, path, _ := strings.Cut(ep, " ")
		s.mux.HandleFunc(method+" "+versionPrefix+path, h)
	}
	s.http = httptest.NewUnstartedServer(s)
	s.http.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.http.Start()
	s.URL = s.http.URL + versionPrefix
	return s
}

// Close shuts the server down, blocking until outstanding requests end.
// It is safe to call more than once.
func (s *Server) Close() { s.http.Close() }

// Clock returns the server's clock (a *ManualClock unless [WithClock]
// said otherwise).
func (s *Server) Clock() Clock { return s.clock }

// Client returns a twelvelabs.Client for this server: its URL, its key,
// an HTTP client for it, and, when the server's clock is a ManualClock,
// that clock's Sleep and Now with no jitter, so retries and task polling
// take no real time and are deterministic. opts come last and win.
func (s *Server) Client(opts ...twelvelabs.Option) *twelvelabs.Client {
	base := []twelvelabs.Option{twelvelabs.WithBaseURL(s.URL), twelvelabs.WithHTTPClient(s.http.Client())}
	if mc, ok := s.clock.(*ManualClock); ok {
		base = append(base, twelvelabs.WithSleep(mc.Sleep), twelvelabs.WithClock(mc.Now), twelvelabs.WithJitter(func() float64 { return 0.5 }))
	}
	return twelvelabs.NewClient(s.APIKey, append(base, opts...)...)
}

// Request is a request the server received.
// It is plain data, safe for concurrent reads.
type Request struct {
	// Method and Path (below the base URL) as received.
	Method, Path string
	// Endpoint is the endpoint it matched (an Endpoint constant), or ""
	// for none.
	Endpoint string
	// Query is the decoded query (repeated keys keep every value).
	Query url.Values
	// Form holds multipart text fields (repeated fields keep every value).
	Form url.Values
	// Files maps multipart file fields to their filenames.
	Files map[string][]string
	// JSON is a JSON request body.
	JSON json.RawMessage
	// UserAgent is the User-Agent header.
	UserAgent string
	// ContentLength is the request's Content-Length, -1 when the body was
	// sent chunked.
	ContentLength int64
	// Authorized reports whether the API key was right.
	Authorized bool
	// Status is the response status (0 if the connection was cut).
	Status int
	// Fault is true when an injected fault answered.
	Fault bool
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// Count returns how many requests reached the endpoint (faulted ones
// included).
func (s *Server) Count(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[endpoint]
}

// Counts returns the request count of every endpoint that was called.
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// ResetRequests forgets the recorded requests and counts.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.counts = nil, map[string]int{}
}

type recordKey struct{}

// record returns the request's record (set by ServeHTTP).
func record(r *http.Request) *Request {
	rec, _ := r.Context().Value(recordKey{}).(*Request)
	if rec == nil {
		rec = &Request{}
	}
	return rec
}

// annotate changes a request's record under the server lock.
func (s *Server) annotate(r *http.Request, fn func(*Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(record(r))
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP records the request, applies any injected fault, checks the
// API key, then dispatches to the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	endpoint := ""
	if method, path, ok := strings.Cut(pattern, " "); ok {
		endpoint = method + " " + strings.TrimPrefix(path, versionPrefix)
	}
	rec := &Request{
		Method:        r.Method,
		Path:          strings.TrimPrefix(r.URL.Path, versionPrefix),
		Endpoint:      endpoint,
		Query:         r.URL.Query(),
		UserAgent:     r.UserAgent(),
		ContentLength: r.ContentLength,
		Authorized:    r.Header.Get("x-api-key") == s.APIKey && s.APIKey != "",
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.counts[endpoint]++
	fault := s.takeFault(endpoint, rec.Path, r)
	s.mu.Unlock()

	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), recordKey{}, rec))
	defer func() { s.annotate(r, func(rec *Request) { rec.Status = sw.status }) }()
	s.rateLimitHeaders(sw, endpoint)
	if fault != nil {
		s.annotate(r, func(rec *Request) { rec.Fault = true })
		if s.applyFault(sw, r, endpoint, fault) {
			return
		}
	}
	s.dispatch(sw, r, endpoint)
}

// dispatch answers a recorded request: 401 without the key, 404 for an
// unknown endpoint, else the endpoint's handler.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, endpoint string) {
	if !record(r).Authorized {
		s.writeError(w, r, http.StatusUnauthorized, "api_key_invalid", "The API key you provided is not valid. Check it on the API Keys page.", nil)
		return
	}
	if endpoint == "" {
		s.writeError(w, r, http.StatusNotFound, "not_found", "The requested endpoint does not exist.", nil)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// rateLimitHeaders adds the classic X-Ratelimit-* headers (a 600 per
// minute window) to every response.
func (s *Server) rateLimitHeaders(w http.ResponseWriter, endpoint string) {
	s.mu.Lock()
	used := s.counts[endpoint]
	s.mu.Unlock()
	now := s.clock.Now()
	h := w.Header()
	h.Set("X-Ratelimit-Limit", "600")
	h.Set("X-Ratelimit-Used", strconv.Itoa(min(used, 600)))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(600-used, 0)))
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(now.Truncate(time.Minute).Add(time.Minute).Unix(), 10))
	h.Set("X-Api-Version", "1.3")
}

// v2Errors reports whether an endpoint answers errors in the embed-v2
// format {"error":{...}}; the others use the classic {"code","message"}.
func v2Errors(endpoint string) bool {
	return endpoint == EndpointEmbedV2 || endpoint == EndpointCreateEmbedV2Task || endpoint == EndpointGetEmbedV2Task
}

// writeError answers an error in the endpoint's format. For embed-v2
// endpoints, code is used as given (callers pass UPPER_SNAKE codes there).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, code, message string, details map[string]any) {
	endpoint := record(r).Endpoint
	if v2Errors(endpoint) {
		inner := map[string]any{"code": code, "message": message}
		if details != nil {
			inner["details"] = details
		}
		writeJSON(w, status, map[string]any{"error": inner})
		return
	}
	body := struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		DocsURL string `json:"docs_url,omitempty"`
	}{code, message, ""}
	if status == http.StatusBadRequest {
		body.DocsURL = "https://docs.twelvelabs.io/api-reference/error-codes"
	}
	writeJSON(w, status, body)
}

// badRequest answers 400 in the endpoint's format: parameter_invalid
// (classic) or VALIDATION_ERROR with the field (embed-v2).
func (s *Server) badRequest(w http.ResponseWriter, r *http.Request, field, message string) {
	if v2Errors(record(r).Endpoint) {
		s.writeError(w, r, http.StatusBadRequest, "VALIDATION_ERROR", message, map[string]any{"field": field})
		return
	}
	code := "parameter_invalid"
	if strings.HasPrefix(message, "The `"+field+"` parameter is required") {
		code = "parameter_not_provided"
	}
	s.writeError(w, r, http.StatusBadRequest, code, message, nil)
}

// notFound answers 404 in the endpoint's format.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, id, collection string) {
	if v2Errors(record(r).Endpoint) {
		s.writeError(w, r, http.StatusNotFound, "NOT_FOUND", "Task "+id+" not found", nil)
		return
	}
	s.writeError(w, r, http.StatusNotFound, "resource_not_exist", "Resource with id "+id+" does not exist in "+collection+".", nil)
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// nextID returns a new deterministic id (the n-th the server made).
func (s *Server) nextID(kind string) string {
	s.seq++
	return hexID(s.cfg.catalogue.Seed, kind, s.seq)
}

// timestamp formats t the way the API does (RFC 3339, milliseconds, UTC).
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
