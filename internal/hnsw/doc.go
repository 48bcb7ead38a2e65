// Package hnsw is clipvec's approximate nearest-neighbour graph: a
// hierarchical navigable small world (Malkov & Yashunin) over unit
// vectors, searched by cosine similarity (the dot product), built to the
// design of hnswlib, the reference implementation.
//
// # Layout
//
// Nodes have dense uint32 ids in insertion order. Vectors live in one
// contiguous []float32 arena; the bottom layer's links in one flat
// []uint32 array of 2·M+1 slots per node (a count, then the neighbours);
// the upper layers, which about one node in M reaches, in a small array
// per node. A node's level is drawn from the seed and its id with
// P(level ≥ l) = M^-l (mL = 1/ln M), so levels do not depend on the order
// of concurrent inserts, and a single-threaded build with a fixed Seed is
// the same on every run.
//
// # Building and searching
//
// Inserts search each layer with EfConstruction candidates and keep
// neighbours by the paper's heuristic (Algorithm 4: a candidate is kept
// only if it is closer to the new node than to every neighbour kept so
// far), then link back, pruning full lists with the same heuristic.
// Searches descend greedily to layer 0 and run a best-first search there
// with ef candidates (always at least k); with ef at least the number of
// live nodes the answer is computed exactly. Searches allocate nothing:
// typed heaps and an epoch-stamped visited set come from a pool.
//
// A walk waits on memory more than it computes: when it expands a node it
// gathers the neighbours it has not visited and scores them in one call
// (vecmath.DotBatch, DotInt8Batch), which prefetches all their rows before
// scoring the first, so the misses overlap; it also prefetches the link
// list of the next node to expand, as hnswlib does. The batch kernels
// give the same bits as scoring one node at a time.
//
// With Config.Quantize, every vector also has an int8 copy (one scale per
// vector): walks score nodes on those, reading a quarter of the bytes
// (the walk is memory-bound), and the best 3·k candidates are re-ranked
// in float32 before the best k are returned. Below 128 dimensions the walks read
// float32 all the same: the bytes saved are few and the int8 rounding
// costs recall at small ef.
//
// # Filters and deletes
//
// Search takes an allow function: nodes it rejects are walked through
// but never returned, like tombstoned (deleted) nodes, so the graph stays
// connected. A tight filter makes the walk wander; SearchBudget bounds
// the walk and reports when it gave up, and Exact and ExactIDs scan
// instead. Deletes are tombstones; callers compact by rebuilding.
//
// # Concurrency
//
// A Graph is safe for concurrent use: inserts run in parallel (a lock per
// node guards its link lists; links are read with atomic loads, so
// searches run during inserts) and searches never block each other. The
// arrays grow under an exclusive lock that waits for running operations.
// Save stops inserts and deletes, not searches.
//
// # Snapshot format (version 2)
//
// "CLIPVHNS", a version, a header (dimension, parameters, counts, entry
// point, the store generation the graph reflects, and the owner: the
// caller's stamp of where the graph came from, Meta.Owner, at most
// MaxOwnerBytes) with its CRC-32C, then sections — vectors, labels,
// levels, links, upper links, tombstones, the int8 copies and scales, and
// caller sections (ids from 1000: the engine's filter columns) — each
// with its own CRC-32C and 8-byte alignment, and an end section counting
// them. Save writes a temporary file (atomicfile: locked while written),
// syncs, renames it over the old one and syncs the directory; Load opens
// only a regular file (a FIFO would block it), maps it, checks every
// checksum and that every link, level and count is in range, and points
// the arrays at the buffer without parsing a value. ReadInfo reads the
// header alone. Version 1 is version 2 without the owner.
// testdata/v1-small.hnsw and testdata/v2-small.hnsw are committed files
// that every future version must load.
package hnsw
