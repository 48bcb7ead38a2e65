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
// with expiring tokens).
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
// video. Tasks are "processing" until their status has been polled N times
// ([WithTaskReadyAfterPolls], default 2) or a duration has passed on the
// server's clock ([WithTaskReadyAfter]); inputs containing "fail" end
// "failed" ([WithFailingInputs]).
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
// delay, a truncated body, a dropped connection. [Server.Count],
// [Server.Counts] and [Server.Requests] show what was asked, so a test can
// check that a resumed fetch did not refetch anything.
//
// # Not modelled
//
// Index and asset management (create, update, delete), uploads through
// /assets, entities, analyze, Marengo 3.5 document and image tasks, the
// multi-dimension rate-limit scheme, real token counting (words stand in
// for tokens), transcription_options semantics (accepted, not applied) and
// search relevance beyond cosine similarity over a fixed threshold.
//
// # Concurrency
//
// A [Server] is safe for concurrent use; so is its [Catalogue], which is
// immutable once built.
package twelvelabstest
