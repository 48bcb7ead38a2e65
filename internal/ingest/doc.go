// Package ingest decodes every shape of TwelveLabs embedding data clipvec
// imports into segments, validated and normalised, and writes clipvec's
// own JSONL export format.
//
// Shapes (detected from the keys of each top-level JSON object, in any
// order):
//
//   - embed task v1, GET /embed/tasks/{id}: video_embedding.segments[]
//     with float, start_offset_sec, end_offset_sec, embedding_option,
//     embedding_scope (clip | video); the video is the task id;
//   - embed task v2, GET /embed-v2/tasks/{id}: data[] with embedding,
//     start_sec, end_sec, embedding_scope (clip | asset); no model name
//     (marengo3.0, or marengo3.5 when metadata has embedding_dimension);
//   - embed-v2 sync responses (video, audio) and the audio segments of v1
//     POST /embed; their text and image embeddings are queries, not
//     segments, and are counted and left out;
//   - indexed asset, GET /indexes/{i}/indexed-assets/{id}, and the older
//     GET /indexes/{i}/videos/{id}: embedding.video_embedding.segments[]
//     plus system_metadata and user_metadata;
//   - older eras: v1.2 engine_name, video_embeddings[] with
//     embedding.float, Marengo 2.7 visual-text, segments without
//     embedding_option;
//   - clipvec JSONL (see Writer), and any of the above concatenated or in
//     a top-level JSON array.
//
// Responses that carry no vectors (errors, lists, create responses, tasks
// not ready, search results) are rejected with a message saying what the
// file is and what to fetch instead.
//
// Streaming. Decode pulls tokens from a 256 kB buffer and hands each
// segment to a Handler as soon as it is complete, so memory does not grow
// with the input (a 140 MB response decodes in under 4 MB of heap; see
// TestDecodeStreams). When a response names its model or id only after
// its vectors (every embed-v2 response does, since its model can only be
// told from metadata that may come last), the segments wait in a spool:
// in memory up to 64 MB, then in an unlinked temporary file.
//
// Numbers are parsed by a fast path that agrees bit for bit with
// strconv.ParseFloat(s, 32) and falls back to it for anything unusual.
//
// Nothing in this package is safe for concurrent use, except that
// separate Decode calls are independent.
package ingest
