// Package upstream brings TwelveLabs embeddings into a clipvec database:
// it fetches embed tasks (v1 and v2), indexed assets and whole indexes,
// creates embed tasks for videos, and embeds text and image queries.
//
// Everything it downloads goes through the database's importer
// (clipvec.DB.ImportReader), the one validation path saved responses
// take, in one transaction per object that also records the fetch
// (clipvec.ImportOptions.BeforeCommit): a record exists exactly when the
// object's segments do, so FetchIndex resumes after a kill without
// refetching or duplicating anything. Embedder is the clipvec.QueryEmbedder
// that makes Query{Text} and Query{Image} work; the database caches what
// it returns.
//
// It imports pkg/clipvec and pkg/twelvelabs; the facade does not import
// it, so a database opened for offline search carries no HTTP client.
package upstream
