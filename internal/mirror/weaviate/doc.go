// Package weaviate mirrors a clipvec database into a Weaviate cluster and
// asks it the questions clipvec asks locally.
//
// Layout in the cluster: one collection per embedding space
// (CollectionName: prefix, model, dimension), with the segments' unit
// vectors as bring-your-own vectors under cosine distance, and the
// properties Prop* (all filterable). An object's id is ObjectID(store,
// segment): a segment replaced in place overwrites its object, a deleted
// one's object is deleted by id from the store's deletion log.
//
// Client speaks Weaviate's REST and GraphQL API directly (net/http, no
// client library), with retries on network errors, 429 and 5xx.
//
// Target is the cluster as package mirror syncs and verifies it:
// collections created when missing (no vectorizer, cosine, the shards and
// replicas asked for) or checked; upserts through the batch API at
// WriteConsistency (QUORUM), each object's result checked and the refused
// ones sent again; deletions by object id in one batch delete; counts by
// Aggregate; objects read back by id or listed with the cursor API. Its
// property text values use "field" tokenization and no BM25 index:
// filters match them whole, and nothing searches their words.
package weaviate
