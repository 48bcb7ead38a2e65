// Package mirror keeps a copy of a clipvec database's segments in a
// distributed vector engine (a Target: today a Weaviate cluster, package
// mirror/weaviate) up to date, and checks that copy.
//
// The database is the truth; a mirror is derived state, like a graph
// snapshot. Each (target, space) has a position recorded in the database
// (clipvec.MirrorPosition): every change of the space up to a generation
// is in the target, and, of the next generation, the segments up to an
// id. Sync reads the space's changes after that position from one
// snapshot (clipvec.DB.ReadChanges), then
//
//  1. deletes, by id, every segment the deletion log lists after the
//     position's generation;
//  2. upserts the segments written after the position, in batches, in
//     the order of the generation that wrote each, then by id, and after
//     each batch records the position of the last one sent (exactly: the
//     generation before the next unsent segment's, and, when that
//     segment's generation is the batch's last, the last id sent);
//  3. records the snapshot's generation.
//
// Why that is exact, killed at any point: deletions and upserts name
// disjoint ids (a deleted id is never used again), so their order does
// not matter, and both are idempotent (an upsert overwrites the object of
// its id; deleting an absent object is no error). A replaced segment
// keeps its id and takes a later generation, so it is sent again after
// any position recorded before it changed. A recorded position never
// claims a change that was not acknowledged by the target: a rerun sends
// at most the batch that was in flight again, plus the deletions after
// the recorded generation (each deletion was acknowledged, but the
// position only moves with upserts).
//
// Concurrency: one Sync per database at a time (Lock): two syncs of one
// space could interleave the writes of different generations of one
// segment and leave the older. Searches of the target are unaffected.
package mirror
