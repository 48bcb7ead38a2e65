// Package server is clipvec serve: a JSON API over one clipvec database,
// with OpenAPI, Prometheus metrics and the web page of package web.
//
//	srv := server.New(db, server.Options{Token: token})
//	err := srv.ListenAndServe(ctx) // until ctx ends, then a graceful stop
//
// # Endpoints
//
// The OpenAPI 3.1 document (openapi.json, served at GET /openapi.json)
// describes every route; a test keeps it and the routes in step.
//
//	GET  /healthz                  {"status":"ok"}; never needs the token
//	GET  /                         the web page (and its files); no token either
//	GET  /openapi.json             the document
//	GET  /metrics                  Prometheus text format
//	GET  /v1/stats                 {"stats","index","text_search","read_only","version","limits"}
//	GET  /v1/videos                ?limit=&offset= → {"videos","total","offset","limit","next_offset"}
//	GET  /v1/videos/{id}           a clipvec.Video
//	GET  /v1/videos/{id}/segments  ?vectors=true → {"video_id","segments"}
//	POST /v1/search                a clipvec.Query → a clipvec.Result
//	POST /v1/search/batch          {"queries":[Query...]} → {"results":[{"result"}|{"error"}...]}
//	POST /v1/recommend             a clipvec.RecommendQuery → a clipvec.Result
//	POST /v1/classify              {"classes":[{"name","prompts"}...],...} → a clipvec.Classification
//	POST /v1/import                a body clipvec import reads → the file's result
//
// Request bodies are the library's types in their JSON form
// (POST /v1/classify's is clipvec.ClassifyQuery's fields in snake_case),
// decoded strictly: an unknown field, a value of the wrong type or data
// after the object is a 400 naming the field. The answers are what
// clipvec's --json output prints. Every error is
//
//	{"error": {"code": "bad_request", "message": "...", "field": "k"}}
//
// with one code per status (see the Code constants): 400 for a malformed
// or unanswerable question (the library's ErrInvalidQuery) and for an
// import body that was rejected (nothing of it is stored), 401 for a
// missing or wrong token, 403 for a write the server refuses, 404 for an
// unknown video (ErrNotFound), 405, 408 for a body that did not arrive in
// time, 413 for a body over its limit, 422 for a text query the query
// cache does not hold when the server has no API key, 429 and 502 when
// TwelveLabs fails a query's embedding, 503 for a request past its time
// limit. A panic is recovered as a 500; nothing a client sends can stop
// the server.
//
// Queries run as the library runs them, with two differences from the
// CLI, which sets them on its own: filter.scopes empty searches every
// scope (the CLI searches clips by default), and like_video groups by
// video only when group_by says so. An image query must be an http(s)
// URL: the library also reads local files, which a client must not make
// the server do.
//
// # Limits
//
// Options bound what one request may cost: its body (1 MiB for a search,
// a recommendation or a classification, 16 MiB for a batch, 32 MiB for an
// import, which is held in memory), k (1000), ef (10000), the queries of a
// batch (256) and its time (30 s, 10 min for an import: the body's upload
// included, so a client trickling it cannot hold a handler). GET
// /v1/stats reports them.
// The videos list comes in pages (DefaultPageSize, at most MaxPageSize).
//
// # Concurrency
//
// A Server is safe for concurrent use and adds no lock of its own: the DB
// is safe for concurrent use, its searches run in parallel with each
// other and with imports, which answer from the previous generation until
// they commit. Each graph search is one goroutine, so concurrent requests
// spread over the cores by themselves; exact scans use DB.Threads
// goroutines each, which the server leaves as its caller set it (the
// CLI's --threads). Serve shuts down gracefully when its context ends:
// the listener closes, requests in flight finish (for up to
// ShutdownTimeout), and the caller then closes the DB.
//
// # Authentication
//
// With Options.Token set, every route but /healthz and the web page needs
// "Authorization: Bearer TOKEN", compared in constant time (of hashes, so
// that not even the length leaks); anything else is a 401 with
// WWW-Authenticate: Bearer. The page is served without it because it
// holds no data: it asks the user for the token and sends it on its API
// calls. The token is never logged nor echoed. Without a token, anything
// that can reach the address can search, import and spend the server's
// TwelveLabs quota on text queries: the default address is loopback.
//
// Writes from another site's page are refused (403 cross_origin, with
// net/http's CrossOriginProtection, from the Sec-Fetch-Site and Origin
// headers browsers send), so that a web page the user visits cannot import
// into a server on localhost; curl and programs, which send neither
// header, are unaffected. Reads are not protected against DNS rebinding:
// with no token, a hostile page that rebinds its name to 127.0.0.1 can
// read what the API answers.
//
// # Metrics
//
// GET /metrics is written by hand in the Prometheus text format:
// clipvec_http_requests_total{endpoint,code}, the histogram
// clipvec_http_request_duration_seconds{endpoint},
// clipvec_http_requests_in_flight, and, read at each scrape, the
// database's videos, segments, bytes and generation, each space's
// segments and each graph's nodes, tombstones, snapshot size and state.
// The endpoint label is the route's path ("/v1/videos/{id}"), "/" for the
// page, "unmatched" for requests no route answers: a fixed set, whatever
// the paths clients ask for.
package server
