// Package twelvelabs is an HTTP client for the parts of the TwelveLabs API
// (v1.3) that produce and search video embeddings. It imports nothing else
// from clipvec, so it can be used on its own.
//
//	c := twelvelabs.NewClient(apiKey) // from TWELVELABS_API_KEY, say
//	id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{
//		ModelName: twelvelabs.ModelMarengo30,
//		VideoURL:  "https://example.com/clip.mp4",
//	})
//	_, err = c.WaitForTask(ctx, id)
//	task, err := c.RetrieveEmbedTask(ctx, id)
//	for _, s := range task.Segments() { ... s.Float, s.StartOffsetSec ... }
//
// # What is modelled
//
//   - Embed v1 video tasks: [Client.CreateEmbedTask] (multipart, URL or
//     file upload), [Client.EmbedTaskStatus], [Client.RetrieveEmbedTask]
//     (repeated embedding_option), [Client.ListEmbedTasks],
//     [Client.WaitForTask].
//   - Embed v2 tasks: [Client.CreateEmbedV2Task] (JSON; 202 + Location),
//     [Client.GetEmbedV2Task] (status and results in one),
//     [Client.ListEmbedV2Tasks] (whose items are v1-shaped, as the API
//     returns them), [Client.WaitForTaskV2].
//   - Sync embeddings: [Client.EmbedV2] (text, image, text_image, audio,
//     video for Marengo 3.0; multi_input with embedding_dimension for
//     3.5), v1 [Client.Embed] (multipart), and [Client.EmbedText], which
//     picks the right one for a model.
//   - Indexed content: [Client.RetrieveIndexedAsset],
//     [Client.ListIndexedAssets], and the older [Client.RetrieveVideo],
//     [Client.ListVideos].
//   - Search: [Client.Search] (multipart; filter sent as a JSON string),
//     [Client.SearchPage], [Client.SearchAll].
//
// Not modelled: creating or deleting indexes and indexed assets, asset
// uploads (multipart-upload), entity collections, analyze/generate,
// knowledge stores, Marengo 3.5 document/image tasks. The types decode
// more than this package sends: they accept v1.2's engine_name and
// page_expired_at, 2.7's score (number or string) and confidence, and
// ignore unknown fields.
//
// # Wire shapes
//
// v1 segments ([Segment]) carry the vector under "float" with
// start_offset_sec/end_offset_sec and scope clip|video; v2 data
// ([EmbeddingData]) carries it under "embedding" with nullable
// start_sec/end_sec and scope clip|asset. Ids arrive as "_id". Arrays go
// as repeated query keys and repeated form fields. Vectors decode into
// []float32.
//
// # Errors
//
// A non-2xx answer is an [*APIError] whatever its body format (classic
// {"code","message"}, embed-v2 {"error":{...}}, the search page's
// {"error_code"}, or empty). errors.Is matches it against [ErrNotFound],
// [ErrRateLimited], [ErrBadRequest], [ErrUnauthorized], [ErrServer] and
// [ErrPageTokenExpired]; [IsNotFound] and [IsRateLimited] are shorthands.
// Errors read "verb noun: cause", e.g. "retrieve embed task 663e…:
// twelvelabs API: 404 Not Found: resource_not_exist: …".
//
// # Retries
//
// Requests are retried on transport errors, 408, 429 and 5xx with
// jittered exponential backoff bounded in count and delay
// ([RetryPolicy]), honouring Retry-After (seconds or HTTP date) and, on
// 429, X-Ratelimit-Reset. Task creation (POST /embed/tasks,
// POST /embed-v2/tasks) is retried on 429 only, the one answer that
// promises nothing was created. When retries run out the error matches
// [ErrRetriesExhausted] and still unwraps to the last *APIError. A done
// context ends any wait at once. The sleep, clock and jitter are
// injectable ([WithSleep], [WithClock], [WithJitter]) so tests never
// wait.
//
// # Credentials
//
// The API key is given to [NewClient] by the caller; this package reads
// no environment. It is sent only as the x-api-key header, and never
// appears in an error, a log record, or a formatted Client (every fmt
// verb prints "[REDACTED]" in its place).
//
// # Concurrency
//
// A [Client] is safe for concurrent use; create one and share it. The
// iterators ([PageIter], [TokenIter]) are not: use each from one
// goroutine. Returned values are plain data owned by the caller.
//
// The fake server in package twelvelabstest implements every endpoint
// above for tests.
package twelvelabs
