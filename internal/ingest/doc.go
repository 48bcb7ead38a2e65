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
//     start_sec, end_sec, embedding_scope (clip | asset, imported as
//     video, as is "asset" in every shape); no model name
//     (marengo3.0, or marengo3.5 when metadata has embedding_dimension);
//   - embed-v2 sync responses (video, audio) and the audio segments of v1
//     POST /embed; their text and image embeddings are queries, not
//     segments, and are counted and left out;
//   - indexed asset, GET /indexes/{i}/indexed-assets/{id}, and the older
//     GET /indexes/{i}/videos/{id}: embedding.video_embedding.segments[]
//     plus system_metadata, user_metadata and hls.thumbnail_urls (the
//     first is the video's thumbnail);
//   - older eras: v1.2 engine_name, video_embeddings[] with
//     embedding.float, Marengo 2.7 visual-text, segments without
//     embedding_option;
//   - clipvec JSONL (see Writer), and any of the above concatenated or in
//     a top-level JSON array;
//   - clipvec Parquet (see ParquetWriter), read by DecodeParquet, which
//     needs random access (Reader.Decode copies a stream to a temporary
//     file first): a file starting with "PAR1" or named *.parquet.
//
// Parquet rows go through the checks JSON records do, and a bad row is
// named by its index ("row 14", from 0). The reader bounds what a
// malformed file can make it allocate (the footer, at most
// MaxParquetFooter), reads only snappy, gzip and zstd pages, and turns
// the Parquet library's panics into errors; FuzzDecodeParquet covers it.
//
// NPYWriter writes a float32 matrix as a NumPy .npy file, and
// AppendRowLine the JSONL line describing one of its rows: the layout of
// clipvec's npy export.
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
// Limits. Input is bounded where it is read, not by its total size:
// arrays and objects nest at most MaxDepth (1,000) deep, a string is at
// most MaxString (16 MiB) as written, ignored ones included (they are
// skipped, never held), as is user_metadata; a number or literal is at
// most MaxNumber (4 kB) and a vector MaxDim (65,536) values. Model names,
// embedding options and scopes are at most MaxName (128) bytes and ids
// MaxID (1,024); these identifiers must be valid UTF-8, since replacing
// bad bytes would merge distinct ids (file names, thumbnail URLs and
// user_metadata are only shown: their bad bytes become U+FFFD). Anything
// past a limit is an *Error wrapping ErrTooLarge, or ErrInvalidUTF8, and
// messages quote at most 128 bytes of any input value.
//
// Stage holds a whole input's segments, decoded and checked, in bounded
// memory (spilling to an unlinked temporary file) for a caller that must
// not start writing before the input has been read to its end.
//
// Numbers are parsed by a fast path that agrees bit for bit with
// strconv.ParseFloat(s, 32) and falls back to it for anything unusual.
//
// Nothing in this package is safe for concurrent use, except that
// separate Decode calls are independent.
package ingest
