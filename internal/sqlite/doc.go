// Package sqlite is clipvec's store: one SQLite file (github.com/mattn/go-sqlite3)
// that is the source of truth for videos, embedding spaces and segments.
//
// Schema. Embedded migrations (migrations/*.sql) run in order on Open,
// each in its own transaction, tracked by PRAGMA user_version. Vectors are
// stored normalised to unit length as little-endian float32 BLOBs, with
// the length they arrived with in segments.norm. A segment is identified
// by (video, space, option, scope, start, end): writing it again replaces
// its vector in place.
//
// Generations. meta.generation is bumped inside every write transaction.
// Each video and segment row records the generation that last wrote it,
// and a trigger logs deleted segments with theirs, so any derived state
// (an in-memory scan, a graph snapshot) stamped with a generation can tell
// it is stale and what changed since. Writes that nothing derived depends
// on (the query cache, a fetch record that stored no segment) leave the
// generation alone.
//
// Upstream (migration 0002). The fetches table records each upstream
// object fetched (an embed task or an indexed asset), written by
// Tx.RecordFetch in the transaction that stores its segments, so a record
// exists exactly when its segments committed; deleting a video deletes
// the records of its fetches. The queries table caches query embeddings
// by (model, dim, kind, input).
//
// One scope name (migration 0004). Import stores embed API v2's whole-video
// scope "asset" as "video"; the migration renames the rows stored before
// as one write: a new generation, with its token, that the renamed rows
// record, so a graph snapshot of an older generation catches up by
// replacing them. Of a segment stored under both names it keeps the one
// written last, deleting the other (logged like any deletion).
//
// Thumbnails (migration 0005). videos.thumbnail_url, nullable, holds an
// image of the video to show beside its results. Like the other video
// fields it is replaced only by an import that names one. Adding the
// column writes no row, so it leaves the generation alone.
//
// Mirrors (migration 0006). The mirrors table records, per target (a copy
// of the store in another engine, named by a text key) and space, the
// generation up to which every change of the space is in the target:
// DB.SetMirrorGeneration after each batch a sync sends. It is progress,
// not data: writing it leaves the generation alone. A sync replays from
// it the segments written since (Segments with MinGen, in generation
// order) and the deletion log (DeletedSince); both are exact because
// segment ids are never reused, a replaced segment keeps its id and takes
// the new generation, and the deletion log is never pruned.
//
// Concurrency. A DB is safe for concurrent use. Writes go through one
// connection in IMMEDIATE transactions; reads use a separate query-only
// pool and, thanks to WAL, never wait for a writer. Per-connection
// settings (WAL, busy timeout, foreign keys, synchronous=NORMAL) are in
// the DSN so every pooled connection has them.
//
// Durability. One import of one file is one transaction: killed midway, it
// leaves the file exactly as it was before the transaction began, and
// every transaction that committed before stays.
package sqlite
