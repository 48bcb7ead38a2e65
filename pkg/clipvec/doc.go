// Package clipvec is a local vector search engine for TwelveLabs video
// embeddings, usable as a Go library.
//
// A DB is one SQLite file holding videos and their embedding segments: a
// vector per clip (or per whole video), per modality ("embedding option":
// visual, audio, transcription), per model. Segments come in through
// Import, from saved TwelveLabs responses in any of their shapes (embed
// tasks v1 and v2, indexed assets, the older videos endpoint, sync embed
// responses, older API eras) or from clipvec's own JSONL or Parquet
// export, and go out through Export (JSONL), ExportParquet (one Parquet
// file: DuckDB, Polars, Spark, vector databases' bulk importers) and
// ExportNPY (a NumPy matrix per space, with a JSONL sidecar).
//
// Vectors live in embedding spaces: one model at one dimension
// (marengo3.0/512, marengo2.7/1024, ...). A search runs in exactly one
// space; asking to compare vectors of different spaces is an error that
// lists the spaces there are. Modalities of one model share a space, so
// an audio clip can find visual ones.
//
//	db, err := clipvec.Open(ctx, "clips.db")
//	...
//	sum, err := db.Import(ctx, []string{"exports/"}, clipvec.ImportOptions{})
//	res, err := db.Search(ctx, clipvec.Query{
//		Like:   &clipvec.SegmentRef{VideoID: "663e16ac4d11aff765088b3a", At: 12},
//		K:      5,
//		Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeClip}},
//	})
//
// Queries name videos by whole id. A filter that names what is not there
// (a modality or scope the space lacks, an unknown video) is an error
// saying what is, not an empty answer; DB.ResolveVideo turns what a
// person types (a unique id prefix, a file name) into an id.
//
// Search walks the space's HNSW graph (Query.Ef trades speed for
// recall), or compares the query with every vector of the space with
// SIMD dot products on all cores (Query.Exact, DB.Threads). The graph and
// the vectors live in memory, loaded from a snapshot beside the database
// that records the store it was built from (a random id drawn when the
// file was created), the generation it reflects and that generation's
// random token. A snapshot of this store's history is caught up with the
// writes since; any other (another database's, one ahead of a file
// restored from a copy) is rebuilt, so neither search ever answers from
// data the store does not hold. A write whose data committed but whose
// snapshot could not be saved returns an *IndexNotSavedError: it stands.
// OpenReadOnly opens a database this process may not write: graphs are
// then kept in memory only.
//
// Upstream: package upstream (pkg/clipvec/upstream) downloads embeddings
// from the TwelveLabs API (FetchTask, FetchAsset, FetchIndex) and creates
// them (EmbedVideo); each object goes through the same importer as a
// saved response, in one transaction that also records the fetch
// (ImportOptions.BeforeCommit), so FetchIndex resumes after a kill without
// refetching or duplicating anything. Query{Text} and Query{Image} are
// turned into vectors by the DB's Embedder (upstream.Embedder) once, then
// served from the database's query cache (no client needed); Search itself
// touches the network only through the Embedder.
//
// Concurrency: a DB is safe for concurrent use; searches run in parallel
// with each other and with imports (which see a consistent snapshot). A
// search never waits for a write: until the write's call returns, a search
// concurrent with it may answer from the generation before it.
package clipvec
