package clipvec

import (
	"encoding/json"
	"fmt"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// Scopes: what span of a video a segment's vector covers.
const (
	// ScopeClip is a vector of a few seconds of a video.
	ScopeClip = "clip"
	// ScopeVideo is a whole-video vector, whichever API it came from.
	ScopeVideo = "video"
	// ScopeAsset is embed API v2's word for a whole-video vector (v1 and
	// indexed assets say "video"). Import stores it as ScopeVideo, and
	// Filter.Scopes reads it as ScopeVideo; the segment's Source.Kind
	// (SourceEmbedTaskV2) keeps which API it came from.
	ScopeAsset = "asset"
)

// SourceKind is the kind of upstream object, or file, a segment came from.
type SourceKind string

// Source kinds.
const (
	SourceEmbedTaskV1  SourceKind = ingest.SourceEmbedTaskV1  // GET /embed/tasks/{id}
	SourceEmbedTaskV2  SourceKind = ingest.SourceEmbedTaskV2  // GET /embed-v2/tasks/{id}, or a POST /embed-v2 response
	SourceIndexedAsset SourceKind = ingest.SourceIndexedAsset // GET /indexes/{i}/indexed-assets/{id}
	SourceVideo        SourceKind = ingest.SourceVideo        // GET /indexes/{i}/videos/{id} (deprecated)
	SourceFile         SourceKind = ingest.SourceFile         // a file of another shape (clipvec JSONL, older eras)
)

// Source is a segment's provenance: the kind of upstream object it came
// from and that object's id (a task or asset id, or a file name).
type Source struct {
	Kind SourceKind `json:"kind"`
	ID   string     `json:"id"`
}

// Segment is one embedding: a vector for a span of a video in one
// modality ("embedding option") of one model.
type Segment struct {
	// ID is the store's row id (0 before import).
	ID int64 `json:"segment_id,omitempty"`
	// VideoID is the owning video: the upstream video, indexed-asset or
	// embed-task id (or what --video-id said).
	VideoID string `json:"video_id"`
	Source  Source `json:"source"`
	Model   string `json:"model"`
	// Modality is visual, audio, transcription (Marengo 3.x),
	// visual-text (2.7); empty when the response named none (v1.2).
	Modality string `json:"modality"`
	// Scope is ScopeClip or ScopeVideo.
	Scope string  `json:"scope"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	// Norm is the vector's length as imported; Vector is unit length.
	Norm   float64   `json:"norm,omitempty"`
	Vector []float32 `json:"vector,omitempty"`
}

// IsWhole reports whether the segment covers its whole video: ScopeVideo,
// or ScopeAsset in a Segment not read from a database.
func (s *Segment) IsWhole() bool { return s.Scope == ScopeVideo || s.Scope == ScopeAsset }

// Space is an embedding space: one model at one dimension. Vectors of
// different spaces are never compared.
type Space struct {
	Model    string `json:"model"`
	Dim      int    `json:"dim"`
	Segments int    `json:"segments"`
	Videos   int    `json:"videos"`
}

// String names the space as "model/dim", e.g. "marengo3.0/512".
func (s Space) String() string { return fmt.Sprintf("%s/%d", s.Model, s.Dim) }

// row is the space as the store and the engine name it.
func (s Space) row() sqlite.Space {
	return sqlite.Space{Model: s.Model, Dim: s.Dim, Segments: s.Segments, Videos: s.Videos}
}

// segmentOf is a stored segment as the library shows it, without its
// vector.
func segmentOf(s *sqlite.Segment) Segment {
	return Segment{ID: s.ID, VideoID: s.VideoID, Source: Source{SourceKind(s.SourceKind), s.SourceID}, Model: s.Model,
		Modality: s.Option, Scope: s.Scope, Start: s.Start, End: s.End, Norm: s.Norm}
}

func spaceOf(r sqlite.Space) Space {
	return Space{Model: r.Model, Dim: r.Dim, Segments: r.Segments, Videos: r.Videos}
}

// Video is what the store knows of a video. Zero fields are unknown.
type Video struct {
	ID           string          `json:"video_id"`
	Filename     string          `json:"filename,omitempty"`
	Duration     float64         `json:"duration,omitempty"`
	FPS          float64         `json:"fps,omitempty"`
	Width        int             `json:"width,omitempty"`
	Height       int             `json:"height,omitempty"`
	UserMetadata json.RawMessage `json:"user_metadata,omitempty"`
	// ThumbnailURL is an image of the video to show beside it: the first
	// of an indexed asset's hls.thumbnail_urls, or the thumbnail_url of a
	// clipvec export's video line. Upstream URLs may expire or need
	// network access, and the value is imported as written: treat it as
	// untrusted (escape it, allow only http, https and data:image URLs).
	ThumbnailURL string `json:"thumbnail_url,omitempty"`
	Segments     int    `json:"segments"`
}

// Stats describes a database.
type Stats struct {
	Path       string  `json:"path"`
	Bytes      int64   `json:"bytes"`
	Videos     int     `json:"videos"`
	Segments   int     `json:"segments"`
	Generation int64   `json:"generation"`
	Spaces     []Space `json:"spaces"`
}
