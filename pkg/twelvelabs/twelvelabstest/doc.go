// Package twelvelabstest is a fake TwelveLabs API server for tests and
// demos, in the manner of net/http/httptest: [NewServer] starts it on a
// loopback port, [Server.URL] is the base URL (version prefix included),
// [Server.Client] returns a twelvelabs.Client wired to it, and
// [Server.Close] stops it.
//
//	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(20))
//	defer srv.Close()
//	c := srv.Client()
//	ix := srv.Catalogue.Indexes[0]
//	asset, err := c.RetrieveIndexedAsset(ctx, ix.ID, ix.Videos[0].ID,
//		twelvelabs.RetrieveOptions{EmbeddingOptions: []string{"visual"}})
//
// # What it serves
//
// Every endpoint package twelvelabs calls, per the wire notes: embed v1
// tasks (multipart create with URL or upload, status, retrieve with
// repeated embedding_option, list), embed-v2 tasks (JSON create answering
// 202 with Location, get, list with v1-shaped items), sync embeddings
// (POST /embed-v2 text, image, text_image, audio, video for Marengo 3.0
// and multi_input with embedding_dimension for 3.5; v1 POST /embed
// multipart), indexed assets and the older videos endpoints (retrieve with
// embedding options and transcription; lists with page-number pagination,
// repeated status, duration[gte]-style ranges, user-metadata filters), and
// search (multipart POST /search with repeated search_options, the filter
// as a JSON string, group_by, operator, page_limit; GET /search/{token}
// with expiring tokens: after an hour on the server's clock by default,
// [WithPageTokenLifetime], after a number of uses, [WithPageTokenUses],
// or at once, [Server.ExpirePageTokens]).
//
// Errors come in each endpoint family's format: {"error":{...}} for
// POST /embed-v2, POST /embed-v2/tasks and GET /embed-v2/tasks/{id}; the
// classic {"code","message"} elsewhere (404 resource_not_exist, 400
// parameter_invalid, search_page_token_expired, ...). A wrong or missing
// x-api-key gets 401 api_key_invalid. Every response carries the classic
// X-Ratelimit-* headers.
//
// # The catalogue
//
// [Catalogue] is deterministic for a seed: no map order, no wall clock.
// Each index holds videos, each showing one [Topic] (a scene such as "a
// dog catching a frisbee in a sunny park"), with metadata, a
// transcription, and clip segments in every option of the index's model
// (visual, audio, transcription at 512-d for marengo3.0; visual-text,
// audio at 1024-d for marengo2.7). Vectors are structured (see the
// comment in vectors.go): a text embedding (POST /embed-v2 text, v1
// POST /embed text, or [Catalogue.TextVector]) made of a topic's words is
// nearest the clips of that topic's videos, so an end-to-end test can
// check that a local text search ranks the described video first.
//
// Embed tasks derive their media from their input: the topic whose Name
// the URL or filename contains, else one picked by a hash of the URL or of
// the uploaded bytes; an embed-v2 asset_id input reuses the catalogue
// video (an indexed asset, not a search-only video). Tasks are
// "processing" until their status has been polled N times
// ([WithTaskReadyAfterPolls], default 2) or a duration has passed on the
// server's clock ([WithTaskReadyAfter]); inputs containing "fail" end
// "failed" ([WithFailingInputs]).
//
// # Search ranking
//
// POST /search is a search engine of its own, not a copy of the cosine
// search a client can run over the embeddings it fetched. By default
// ([NewServer] without [WithSearchRanking]) it is that copy: it scores
// each clip-scope segment of the index's ready indexed assets by its
// cosine with the query (the best over the options asked; the worst,
// over all of them, with operator and), keeps those reaching
// [MatchThreshold] and ranks them best first (rank 1, 2, ... for
// Marengo 3.0; score and confidence for 2.7), ties broken by video id
// and start. An exact local search over the same index ranks alike.
//
// A [SearchRanking] makes it depart from that, in three seeded,
// documented ways, so a comparison with a local search measures
// something (this is what `clipvec bench upstream` does, with
// [BenchmarkSearchRanking]):
//
//   - Own clip boundaries. Each video's search clips tile it like its
//     segments, but every inner cut is dropped with chance MergeShare
//     (merging its neighbours) and the others move by up to
//     ±BoundaryShift seconds (never within 1 s of the next cut). The
//     cuts are fixed per video. A clip spanning several segments scores,
//     per option, the mean of their cosines weighted by overlap. Matching
//     a search result to a local one takes temporal overlap (IoU).
//   - Rank noise. The matches are ranked by score, then each gets
//     bounded, bell-shaped noise of standard deviation
//     RankNoise·(1 + r/10) at exact rank r (0-based), seeded by the query,
//     the clip and r, and they are ranked again: nearby matches swap,
//     more so deeper in the list. The threshold is applied before the
//     noise, so it reorders matches but never adds or removes one.
//   - Foreign results. ForeignShare > 0 gives every index ForeignVideos
//     search-only videos ([Index.SearchOnly]; default one per topic):
//     ready and searchable, counted in search_pool, but left out of the
//     indexed-asset and video lists and 404 on retrieve, so a database
//     filled by fetching the index lacks them. They are ranked apart and
//     dealt into an even share of result positions at a phase the query
//     sets: with 0.1, one of every ten consecutive results is foreign
//     while foreign matches last. The list ends with the last local
//     match (or the foreign slots right after it).
//
// Everything is a function of the ranking's Seed (default the
// catalogue's), the catalogue and the request's index, options,
// operator and query: the same request to servers built with the same
// options answers the same bytes, and a search paged in 3s or in one
// page of 50 ranks alike. A filter drops matches before they are ranked.
//
// A benchmark or test harness gets the benchmark's ranking with
//
//	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(40),
//		twelvelabstest.WithSearchRanking(twelvelabstest.BenchmarkSearchRanking()))
//
// and may change any field of the returned value first.
//
// # Time
//
// The server's clock is a [ManualClock] unless [WithClock] says otherwise.
// [Server.Client] hands the client that clock's Sleep, so retries and
// polling advance fake time instead of waiting, and no jitter.
//
// # Faults and inspection
//
// [Server.Inject] adds a [Fault] aimed at an endpoint, a path or any
// request, for a number of requests: a status (429 with or without
// Retry-After or X-Ratelimit-Reset, 500, ...) with the family's body or
// an empty one (POST /search's 429 is empty by default, as documented), a
// delay, a truncated body, a dropped connection, or the expiry of every
// search page token issued so far (Fault.ExpirePageTokens). Skip and
// Times aim a fault at the Nth request, e.g. a 429 on the third
// POST /search (see [Fault]). [Server.Count],
// [Server.Counts] and [Server.Requests] show what was asked, so a test can
// check that a resumed fetch did not refetch anything.
//
// # Not modelled
//
// Index and asset management (create, update, delete), uploads through
// /assets, entities, analyze, Marengo 3.5 document and image tasks, the
// multi-dimension rate-limit scheme, real token counting (words stand in
// for tokens), transcription_options semantics (accepted, not applied) and
// search relevance beyond the ranking model above (cosine similarity
// over a fixed threshold, perturbed as configured).
//
// # Concurrency
//
// A [Server] is safe for concurrent use; so is its [Catalogue], which is
// immutable once built.
package twelvelabstest
