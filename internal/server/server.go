package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/clipvec/clipvec/internal/server/web"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// Defaults of the Options fields left zero.
const (
	DefaultAddr            = "127.0.0.1:8377"
	DefaultMaxBodyBytes    = 1 << 20
	DefaultMaxBatchBytes   = 16 << 20
	DefaultMaxImportBytes  = 32 << 20
	DefaultMaxK            = 1000
	DefaultMaxEf           = 10000
	DefaultMaxBatch        = 256
	DefaultRequestTimeout  = 30 * time.Second
	DefaultImportTimeout   = 10 * time.Minute
	DefaultShutdownTimeout = 30 * time.Second
)

// Page sizes of GET /v1/videos.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// Options configure a Server. New gives every field left zero (or
// negative) its default.
type Options struct {
	// Addr is where ListenAndServe listens (default DefaultAddr,
	// loopback only). An address other machines can reach exposes the
	// database to them: set Token.
	Addr string
	// Token, when set, is the bearer token every endpoint but /healthz
	// and the web page requires (Authorization: Bearer TOKEN). Default
	// "": no authentication, for a server on loopback.
	Token string
	// ReadOnly refuses POST /v1/import with 403 (default false). Set it
	// for a database opened with clipvec.OpenReadOnly, or to serve
	// searches only.
	ReadOnly bool

	// MaxBodyBytes limits the body of a search, a recommendation or a
	// classification (default 1 MiB: a 1024-d vector as JSON takes
	// about 20 KB, so the limit only bites on abuse).
	MaxBodyBytes int64
	// MaxBatchBytes limits a batch search's body (default 16 MiB:
	// MaxBatch queries of 1024-d vectors with room to spare).
	MaxBatchBytes int64
	// MaxImportBytes limits an import's body, which is held in memory
	// while it is imported (default 32 MiB: about 3,000 512-d segments
	// as the API prints them, 11 KB each, and four times as many
	// gzipped). A gzipped body may inflate to 8 times the limit, as a
	// stream the library spools to disk past 16 MB. Larger exports:
	// clipvec import, or several requests. Concurrent imports each
	// hold their own.
	MaxImportBytes int64
	// MaxK is the most results one query may ask for (default 1000).
	// More costs memory and time for the graph walk and the answer.
	MaxK int
	// MaxEf is the largest graph candidate list a query may ask for
	// (default 10000): past a few thousand, an exact search is cheaper.
	MaxEf int
	// MaxBatch is the most queries one batch may hold (default 256).
	// Larger batches share more work, but hold one request longer.
	MaxBatch int

	// RequestTimeout bounds every request but imports, from its
	// arrival to its answer (default 30 s): a text query waits on
	// TwelveLabs; a slow client cannot hold a handler longer.
	RequestTimeout time.Duration
	// ImportTimeout bounds an import, its body's upload and the graph
	// upkeep after it included (default 10 min: building the graph of a
	// new space takes a while).
	ImportTimeout time.Duration
	// ShutdownTimeout bounds how long Serve waits, once its context
	// ends, for requests in flight to finish before it closes their
	// connections (default 30 s).
	ShutdownTimeout time.Duration

	// Version is reported by GET /v1/stats and /metrics (default "dev").
	Version string
	// Logger receives one line per request (Info), server errors and
	// panics (Error). Default: nothing is logged. The token never is.
	Logger *slog.Logger
}

// Server is clipvec's HTTP API and web page over one database. It is safe
// for concurrent use: it adds no lock of its own around the database,
// whose searches run in parallel with each other and with imports.
type Server struct {
	db      *clipvec.DB
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []route
	metrics *metrics
	token   [sha256.Size]byte
	csrf    *http.CrossOriginProtection
	handler http.Handler
}

// route is one endpoint of the API (or the page).
type route struct {
	method, path string // the mux pattern is method + " " + path
	// public routes need no token.
	public bool
	// limit is the body's limit, past which reading it fails with an
	// *http.MaxBytesError (0: no body read); timeout bounds the request.
	limit   int64
	timeout time.Duration
	handle  func(http.ResponseWriter, *http.Request) error
	// page: a file of the web page, not an API route.
	page bool
}

// New returns a server for db, which the caller opens and closes (after
// Serve returns). Options left zero get their defaults.
func New(db *clipvec.DB, opts Options) *Server {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	setDefault(&opts.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&opts.MaxBatchBytes, DefaultMaxBatchBytes)
	setDefault(&opts.MaxImportBytes, DefaultMaxImportBytes)
	setDefault(&opts.MaxK, DefaultMaxK)
	setDefault(&opts.MaxEf, DefaultMaxEf)
	setDefault(&opts.MaxBatch, DefaultMaxBatch)
	setDefault(&opts.RequestTimeout, DefaultRequestTimeout)
	setDefault(&opts.ImportTimeout, DefaultImportTimeout)
	setDefault(&opts.ShutdownTimeout, DefaultShutdownTimeout)
	if opts.Version == "" {
		opts.Version = "dev"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{db: db, opts: opts, log: log, mux: http.NewServeMux(),
		token: sha256.Sum256([]byte(opts.Token)), csrf: http.NewCrossOriginProtection()}

	short, batch, imp := opts.MaxBodyBytes, opts.MaxBatchBytes, opts.MaxImportBytes
	rt := opts.RequestTimeout
	s.routes = []route{
		{method: "GET", path: "/healthz", public: true, timeout: rt, handle: s.health},
		{method: "GET", path: "/openapi.json", timeout: rt, handle: s.openAPI},
		{method: "GET", path: "/metrics", timeout: rt, handle: s.serveMetrics},
		{method: "GET", path: "/v1/stats", timeout: rt, handle: s.stats},
		{method: "GET", path: "/v1/videos", timeout: rt, handle: s.videos},
		{method: "GET", path: "/v1/videos/{id}", timeout: rt, handle: s.video},
		{method: "GET", path: "/v1/videos/{id}/segments", timeout: rt, handle: s.segments},
		{method: "POST", path: "/v1/search", limit: short, timeout: rt, handle: s.search},
		{method: "POST", path: "/v1/search/batch", limit: batch, timeout: rt, handle: s.searchBatch},
		{method: "POST", path: "/v1/recommend", limit: short, timeout: rt, handle: s.recommend},
		{method: "POST", path: "/v1/classify", limit: short, timeout: rt, handle: s.classify},
		{method: "POST", path: "/v1/import", limit: imp, timeout: opts.ImportTimeout, handle: s.importBody},
	}
	s.routes = append(s.routes, pageRoutes(rt)...)
	names := map[string]bool{}
	for _, r := range s.routes {
		names[r.label()] = true
		s.mux.Handle(r.pattern(), s.wrap(r))
	}
	names[unmatched] = true
	s.metrics = newMetrics(names)
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

func (r route) pattern() string {
	if r.path == "/" {
		return r.method + " /{$}"
	}
	return r.method + " " + r.path
}

// label names the route in metrics: its path, and "/" for every file of
// the page.
func (r route) label() string {
	if r.page {
		return "/"
	}
	return r.path
}

// pageRoutes mounts the web page: the root serves index.html, and each
// file and directory at the root of web.FS gets a route of its own, so
// that the API's paths answer 404 and 405 as the API does, never with a
// page file.
func pageRoutes(timeout time.Duration) []route {
	files := http.FileServerFS(web.FS)
	serve := func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
		return nil
	}
	routes := []route{{method: "GET", path: "/", public: true, page: true, timeout: timeout, handle: serve}}
	entries, _ := fs.ReadDir(web.FS, ".")
	for _, e := range entries {
		name := e.Name()
		if name == "index.html" { // FileServer redirects it to /
			continue
		}
		path := "/" + name
		if e.IsDir() {
			path += "/"
		}
		routes = append(routes, route{method: "GET", path: path, public: true, page: true, timeout: timeout, handle: serve})
	}
	return routes
}

// Routes lists the routes the server answers, as "METHOD /path" with
// OpenAPI's path syntax ("GET /v1/videos/{id}"): the API's, and "GET /"
// for the web page (whose other files it also serves). The OpenAPI
// document describes each.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.routes {
		if r.page && r.path != "/" {
			continue
		}
		out = append(out, r.method+" "+r.path)
	}
	sort.Strings(out)
	return out
}

// Handler returns the server's HTTP handler: every route, with
// authentication, limits, metrics, logging and panic recovery.
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe listens on Options.Addr and serves until ctx ends: see
// Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve answers requests on ln until ctx ends, then shuts down
// gracefully: it stops accepting connections, lets the requests in
// flight finish (for up to Options.ShutdownTimeout, after which their
// connections are closed and their contexts cancelled) and returns nil.
// It closes ln. It returns an error if serving fails, or if requests were
// still running when the shutdown timeout passed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler: s.handler,
		// A slow client may not hold a connection before its request
		// even starts; the body's deadline is each route's timeout.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		hs.Close()
	}
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("shut down: requests still running after %s: %w", s.opts.ShutdownTimeout, err)
	}
	return nil
}

// serveHTTP is the root handler: it routes, and answers unknown paths
// and methods with JSON errors; wrap does the rest for each route.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	s.observe(w, r, unmatched, func(w http.ResponseWriter, r *http.Request) error {
		// The mux knows whether the path exists with other methods (405,
		// with Allow) or needs a redirect; only its plain-text bodies
		// are replaced.
		h, _ := s.mux.Handler(r)
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusNotFound:
			return &apiError{Status: http.StatusNotFound, Code: CodeNotFound,
				Message: fmt.Sprintf("no route %s %s: see GET /openapi.json", r.Method, r.URL.Path)}
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			return &apiError{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
				Message: fmt.Sprintf("%s does not answer %s; it answers %s", r.URL.Path, r.Method, rec.header.Get("Allow"))}
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
		return nil
	})
}

// wrap gives a route its middleware: metrics and logging, panic
// recovery, authentication, the cross-origin check of writes, and its
// time limit.
func (s *Server) wrap(rt route) http.Handler {
	label := rt.label()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.observe(w, r, label, func(w http.ResponseWriter, r *http.Request) error {
			if !rt.public && !s.authorized(r) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="clipvec"`)
				return &apiError{Status: http.StatusUnauthorized, Code: CodeUnauthorized,
					Message: "this server needs a bearer token: send Authorization: Bearer TOKEN (the token clipvec serve was given)"}
			}
			if err := s.csrf.Check(r); err != nil {
				return &apiError{Status: http.StatusForbidden, Code: CodeCrossOrigin, err: err,
					Message: "cross-origin write refused: only the server's own page, or a client that is not a browser, may POST"}
			}
			ctx, cancel := context.WithTimeout(r.Context(), rt.timeout)
			defer cancel()
			// The body too: a client trickling it cannot outlast the
			// route's time limit. (Not every ResponseWriter supports it.)
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(rt.timeout))
			r = r.WithContext(ctx)
			if rt.limit > 0 {
				r.Body = http.MaxBytesReader(w, r.Body, rt.limit)
			}
			return rt.handle(w, r)
		})
	})
}

// authorized reports whether r carries the server's token (or the server
// needs none). Both sides are hashed before the constant-time comparison,
// which would otherwise reveal the token's length.
func (s *Server) authorized(r *http.Request) bool {
	if s.opts.Token == "" {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], s.token[:]) == 1
}
