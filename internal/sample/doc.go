// Package sample generates deterministic synthetic TwelveLabs video
// embedding exports: the sample data in testdata/sample that clipvec's
// quickstart, tests and README use, and, at any size, datasets for
// benchmarks.
//
// # The vector model
//
// Uniform random vectors are useless for testing a vector search engine:
// every point is about as far from every other, so nearest-neighbour
// search is both meaningless and pathologically hard. Real clip
// embeddings are structured, and [Generator] imitates that structure.
// Videos belong to topics; a clip's vector is a sum of random directions,
// each scaled by a [Params] weight:
//
//	Anisotropy·mean + TopicWeight·topic + VideoWeight·video
//	  + DriftWeight·drift(t) + ModalityWeight·modality
//	  + ModalityDrift·modalityDrift(t) + Noise·noise
//
// where drift(t) is an AR(1) walk over the clips of a video (Persistence
// is the correlation between adjacent clips), shared by every modality of
// a clip, and modalityDrift(t) is a walk of each modality's own. The sum
// is scaled to a norm between 0.5 and 1.5, as real Marengo vectors are not
// unit length. A video-scope vector is the mean of the video's clip
// vectors of that option plus a little noise. Random directions in
// hundreds of dimensions are nearly orthogonal, so the expected cosine of
// two vectors is the sum of the squared weights of what they share over
// the sum of all squared weights; with [DefaultParams], for one modality:
// about 0.92 between adjacent clips, 0.8 between distant clips of one
// video, 0.6 between videos of one topic and 0.28 between topics; 0.75
// between two modalities of one clip.
//
// A text query ([Generator.Query]) is the topic's centre plus a direction
// every query shares and no clip has: text embeddings sit apart from video
// embeddings (the "modality gap"), so a query's best cosine (about 0.5 in
// the sample, 0.44 on average over its topic's clips, 0.14 over other
// topics) is far below a clip's best, yet its nearest clips are its
// topic's. The sample measures what this predicts (TestSampleGeometry
// logs it): 0.926, 0.808, 0.603 and 0.292 for the four clip relations
// above, 0.753 across modalities.
//
// # Determinism
//
// Every random quantity comes from its own PCG stream (math/rand/v2),
// keyed by the seed and by what it is for, so a video's segments do not
// depend on the other videos nor on generation order. Gaussian draws avoid
// math.Exp and math.Log and every product is rounded before it is added
// (no fused multiply-add: GOAMD64=v3 builds, which fuse where allowed,
// write the same bytes), so the same [Params] give the same bits on every
// architecture. [WriteSample] writes the same bytes for the same Params;
// gzip members are the same for a given Go release (compress/flate's
// output is not promised across releases, so the sample test compares
// them uncompressed).
//
// # Streaming
//
// A [Generator] holds topic centres and video metadata only. Segments are
// computed when [Generator.EachSegment] streams them, one video at a time,
// and [WriteExport] writes them as they come, so a dataset of a million
// segments needs no more memory than the sample.
//
// # Files
//
// [WriteExport] writes one file per video in the real upstream JSON shapes
// ([Shape]): v1 embed task bodies (GET /embed/tasks/{id}), embed-v2 task
// bodies (GET /embed-v2/tasks/{id}) and indexed asset bodies
// (GET /indexes/{index}/indexed-assets/{id}), rotating through them, half
// of them gzipped. Vector values are printed as the API prints them,
// float32 in shortest form. Indexed assets carry hls.thumbnail_urls with
// one thumbnail, [Generator.Thumbnail]: a data: URL of a small SVG tile, so
// the sample shows thumbnails with no network. [WriteSample] adds queries.json and a README.
//
// Regenerate the committed sample with go generate ./internal/sample, or
//
//	go run ./internal/sample/cmd/gensample -out testdata/sample
//
// # Concurrency
//
// A [Generator] is immutable and safe for concurrent use; videos can be
// generated in parallel and give the same vectors.
package sample

//go:generate go run ./cmd/gensample -out ../../testdata/sample
