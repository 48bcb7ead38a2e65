// Package engine is clipvec's space-index engine: for every embedding
// space of a store (one model at one dimension), an HNSW graph
// (internal/hnsw) and the columns searches filter on, in memory, kept in
// step with the store (internal/sqlite) and saved beside it as a snapshot.
//
// Lifecycle. A space's index is opened on first use: loaded from its
// snapshot when that is of this store's history (the store's id, the
// generation and that generation's token, all in the snapshot's header),
// built from the store otherwise. Every later use catches it up with the
// writes since (segments inserted, deleted or replaced ones tombstoned),
// rebuilds it when it is far behind or no longer of the store's history
// (a file restored from a copy), and compacts it past a fifth of
// tombstones. Sync, Build and Compact save the snapshots (atomically, and
// locked while written so another process's open never removes them);
// Close saves what changed.
//
// Searches. Search walks the graph with the filter inside the walk, or
// compares vectors exactly: always with Exact or a mean by video, and
// when a filter leaves few segments (smallFilter) or starves the walk.
//
// Concurrency. An Engine is safe for concurrent use. The locks, outermost
// first: Engine.mu guards the map of spaces only; each space is opened
// once (indexSlot), outside Engine.mu; spaceIndex.changeMu serialises one
// space's changes (catch-ups, rebuilds, compactions, saves), so spaces
// never wait for each other; spaceIndex.mu guards its columns and graph
// pointer, held shared by searches and exclusively only for brief edits;
// the graph has its own locks. See spaceIndex. A search never waits on
// changeMu: when another change of its space is under way (a write that
// just committed being applied, a snapshot being saved), it answers from
// the index as it stands, a generation of the store's history before that
// write, whose own call returns only once the write is applied. Measured
// by benchmarks/cmd/loadbench, this took the p99 of searches during
// imports from the length of a catch-up and save (about 90 ms at 10k
// segments) to that of a search.
//
// It imports the store, the graph and the vector math, never the facade
// (pkg/clipvec), which turns queries into Requests and Answers into hits.
package engine
