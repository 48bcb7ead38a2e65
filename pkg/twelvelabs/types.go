package twelvelabs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Values the API uses for statuses, models, modalities and scopes.
// Fields holding them are plain strings, so values this package does not
// know yet decode as they are.
const (
	// StatusProcessing, StatusReady and StatusFailed are the embedding
	// task statuses.
	StatusProcessing = "processing"
	StatusReady      = "ready"
	StatusFailed     = "failed"

	// ModelMarengo30 is Marengo 3.0 (512-d), the current default model.
	ModelMarengo30 = "marengo3.0"
	// ModelMarengo35 is Marengo 3.5 (128/256/512-d, embed-v2 only); its
	// vectors are not comparable with 3.0's.
	ModelMarengo35 = "marengo3.5"
	// ModelMarengo27 is Marengo 2.7 (1024-d) as named by the v1 embed
	// endpoints; indexes call it "marengo2.7".
	ModelMarengo27 = "Marengo-retrieval-2.7"

	// OptionVisual, OptionAudio and OptionTranscription are Marengo 3.0's
	// embedding options (modalities); OptionVisualText is 2.7's visual
	// option; OptionFused is embed-v2's fused embedding.
	OptionVisual        = "visual"
	OptionAudio         = "audio"
	OptionTranscription = "transcription"
	OptionVisualText    = "visual-text"
	OptionFused         = "fused"

	// ScopeClip is a per-clip vector; ScopeVideo (v1) and ScopeAsset (v2)
	// are the whole-media vector.
	ScopeClip  = "clip"
	ScopeVideo = "video"
	ScopeAsset = "asset"
)

// Time is an RFC 3339 timestamp as the API sends it. It decodes
// leniently: null, "" and values that do not parse leave the zero time
// (the text is kept in Raw). The embedded time.Time gives it the usual
// methods.
// It is plain data, safe for concurrent reads.
type Time struct {
	time.Time
	// Raw is the text as received, when it did not parse.
	Raw string
}

// UnmarshalJSON accepts an RFC 3339 string, null or anything else (kept
// in Raw).
func (t *Time) UnmarshalJSON(b []byte) error {
	*t = Time{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		t.Raw = string(b)
		return nil
	}
	if s == "" {
		return nil
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Raw = s
		return nil
	}
	t.Time = parsed
	return nil
}

// MarshalJSON writes the time in RFC 3339 (or Raw, or null when both are
// empty).
func (t Time) MarshalJSON() ([]byte, error) {
	switch {
	case !t.IsZero():
		return json.Marshal(t.Time.Format(time.RFC3339Nano))
	case t.Raw != "":
		return json.Marshal(t.Raw)
	}
	return []byte("null"), nil
}

// Score is a search score. Marengo 2.7-era responses send it as a number
// (85.08) or, in the Dec-2024 spec example, a string ("85.08"); both
// decode. Marengo 3.0 sends rank instead, and Score stays 0.
// It is plain data, safe for concurrent reads.
type Score float64

// UnmarshalJSON accepts a number, a numeric string, "" and null.
func (s *Score) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*s = 0
		return nil
	}
	text := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return fmt.Errorf("decode score %s: %w", b, err)
		}
		text = strings.TrimSpace(text)
		if text == "" {
			*s = 0
			return nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return fmt.Errorf("decode score %s: not a number", b)
	}
	*s = Score(f)
	return nil
}

// Segment is a v1 embedding segment (embed tasks, POST /embed, indexed
// assets and videos): the vector is under "float" and times under
// start_offset_sec/end_offset_sec. Text and image segments carry only the
// vector; EmbeddingOption is absent in v1.2 and the earliest v1.3.
// It is plain data, safe for concurrent reads.
type Segment struct {
	// Float is the vector (512 values for Marengo 3.0, 1024 for 2.7).
	Float []float32 `json:"float"`
	// StartOffsetSec and EndOffsetSec bound the segment in seconds.
	StartOffsetSec float64 `json:"start_offset_sec"`
	EndOffsetSec   float64 `json:"end_offset_sec"`
	// EmbeddingOption is the modality: visual, audio, transcription
	// (3.0) or visual-text, audio (2.7).
	EmbeddingOption string `json:"embedding_option,omitempty"`
	// EmbeddingScope is clip or video.
	EmbeddingScope string `json:"embedding_scope,omitempty"`
}

// EmbeddingData is an embed-v2 vector: "embedding" instead of "float",
// start_sec/end_sec instead of the v1 offsets, scope asset instead of
// video. For text and image embeddings every field but Embedding is null
// (and the pointers stay nil, the strings "").
// It is plain data, safe for concurrent reads.
type EmbeddingData struct {
	// Embedding is the vector.
	Embedding []float32 `json:"embedding"`
	// EmbeddingOption is visual, audio, transcription or fused (3.5 adds
	// text), or "" for text and image inputs.
	EmbeddingOption string `json:"embedding_option"`
	// EmbeddingScope is clip or asset (3.5 adds page and chunk), or "".
	EmbeddingScope string `json:"embedding_scope"`
	// StartSec and EndSec bound the segment, or are nil.
	StartSec *float64 `json:"start_sec"`
	EndSec   *float64 `json:"end_sec"`
	// EmbeddingUncertainty (3.5) has one value per vector value.
	EmbeddingUncertainty []float32 `json:"embedding_uncertainty,omitempty"`
	// StartPageNumber, EndPageNumber and ChunkIndex are set for 3.5
	// document inputs. The API says to order by ChunkIndex (or start
	// time), never by position in the data array.
	StartPageNumber *int `json:"start_page_number,omitempty"`
	EndPageNumber   *int `json:"end_page_number,omitempty"`
	ChunkIndex      *int `json:"chunk_index,omitempty"`
	// Quadrant (3.5 documents) is kept as raw JSON: its type is not
	// documented.
	Quadrant json.RawMessage `json:"quadrant,omitempty"`
}

// PageInfo is the page-number pagination block of list responses.
// It is plain data, safe for concurrent reads.
type PageInfo struct {
	// LimitPerPage is the page size.
	LimitPerPage int `json:"limit_per_page"`
	// Page is this page's number, from 1.
	Page int `json:"page"`
	// TotalPage is the number of pages.
	TotalPage int `json:"total_page"`
	// TotalResults is the number of items across pages.
	TotalResults int `json:"total_results"`
}

// VideoEmbedding is the video_embedding object of a v1 embed task (and,
// without Metadata, of an indexed asset).
// It is plain data, safe for concurrent reads.
type VideoEmbedding struct {
	// Segments are the vectors, absent in status and list responses.
	Segments []Segment `json:"segments,omitempty"`
	// Metadata describes the task's input.
	Metadata *VideoEmbeddingMetadata `json:"metadata,omitempty"`
}

// VideoEmbeddingMetadata describes a v1 video embedding task's input.
// It is plain data, safe for concurrent reads.
type VideoEmbeddingMetadata struct {
	// InputURL (URL uploads) or InputFilename (file uploads) names the input.
	InputURL      string `json:"input_url,omitempty"`
	InputFilename string `json:"input_filename,omitempty"`
	// VideoClipLength is the clip length in seconds (default 6).
	VideoClipLength float64 `json:"video_clip_length,omitempty"`
	// VideoEmbeddingScope lists the requested scopes (clip, video).
	VideoEmbeddingScope []string `json:"video_embedding_scope,omitempty"`
	// Duration is the input's duration in seconds.
	Duration float64 `json:"duration,omitempty"`
}

// AudioEmbedding is the audio_embedding object of a media embedding task.
// It is plain data, safe for concurrent reads.
type AudioEmbedding struct {
	// Segments are the vectors, if any.
	Segments []Segment `json:"segments,omitempty"`
	// Metadata describes the task's input.
	Metadata *AudioEmbeddingMetadata `json:"metadata,omitempty"`
}

// AudioEmbeddingMetadata describes an audio embedding task's input.
// It is plain data, safe for concurrent reads.
type AudioEmbeddingMetadata struct {
	InputURL              string   `json:"input_url,omitempty"`
	InputFilename         string   `json:"input_filename,omitempty"`
	AudioEmbeddingOptions []string `json:"audio_embedding_options,omitempty"`
	AudioEmbeddingScopes  []string `json:"audio_embedding_scopes,omitempty"`
	Duration              float64  `json:"duration,omitempty"`
	StartOffsetSec        float64  `json:"start_offset_sec,omitempty"`
	EndOffsetSec          float64  `json:"end_offset_sec,omitempty"`
}

// EmbedTask is a v1 video embedding task as GET /embed/tasks/{id}
// (with segments), GET /embed/tasks/{id}/status and both task lists
// (without) return it. The embed-v2 task list returns this v1 shape too.
// It is plain data, safe for concurrent reads.
type EmbedTask struct {
	// ID is the task id (wire key "_id").
	ID string `json:"_id"`
	// ModelName is the model, e.g. "marengo3.0".
	ModelName string `json:"model_name,omitempty"`
	// EngineName is API v1.2's name for the model.
	EngineName string `json:"engine_name,omitempty"`
	// Status is processing, ready or failed.
	Status string `json:"status"`
	// CreatedAt and UpdatedAt are the task's timestamps.
	CreatedAt Time `json:"created_at"`
	UpdatedAt Time `json:"updated_at"`
	// VideoEmbedding holds the segments and input metadata of a video task.
	VideoEmbedding *VideoEmbedding `json:"video_embedding,omitempty"`
	// AudioEmbedding holds the metadata of an audio task (task lists).
	AudioEmbedding *AudioEmbedding `json:"audio_embedding,omitempty"`
}

// Model returns ModelName, or EngineName for v1.2 bodies.
func (t *EmbedTask) Model() string {
	if t.ModelName != "" {
		return t.ModelName
	}
	return t.EngineName
}

// Segments returns the task's segments, or nil.
func (t *EmbedTask) Segments() []Segment {
	if t.VideoEmbedding == nil {
		return nil
	}
	return t.VideoEmbedding.Segments
}

// EmbeddingMetadata is embed-v2's metadata: which fields are set depends
// on InputType (text, image, text_image, audio, video, multi_input).
// It is plain data, safe for concurrent reads.
type EmbeddingMetadata struct {
	InputType     string `json:"input_type,omitempty"`
	InputURL      string `json:"input_url,omitempty"`
	InputFilename string `json:"input_filename,omitempty"`
	// ClipLength is set for fixed segmentation only.
	ClipLength       float64  `json:"clip_length,omitempty"`
	EmbeddingScopes  []string `json:"embedding_scopes,omitempty"`
	EmbeddingOptions []string `json:"embedding_options,omitempty"`
	Duration         float64  `json:"duration,omitempty"`
	StartOffsetSec   *float64 `json:"start_offset_sec,omitempty"`
	EndOffsetSec     *float64 `json:"end_offset_sec,omitempty"`
	// EmbeddingDimension (3.5) is the vector length requested.
	EmbeddingDimension int `json:"embedding_dimension,omitempty"`
}

// TaskError is the error object of a failed embed-v2 task.
// It is plain data, safe for concurrent reads.
type TaskError struct {
	// Message says why the task failed.
	Message string `json:"message"`
}

// EmbedV2Task is an embed-v2 task: POST /embed-v2/tasks returns it
// processing, GET /embed-v2/tasks/{id} returns status and results in one.
// It is plain data, safe for concurrent reads.
type EmbedV2Task struct {
	// ID is the task id (wire key "_id").
	ID string `json:"_id"`
	// Status is processing, ready or failed.
	Status    string `json:"status"`
	CreatedAt Time   `json:"created_at"`
	UpdatedAt Time   `json:"updated_at"`
	// Data holds the vectors when ready (null otherwise). Do not rely on
	// its order; sort by StartSec (or ChunkIndex).
	Data []EmbeddingData `json:"data"`
	// Metadata describes the input.
	Metadata *EmbeddingMetadata `json:"metadata,omitempty"`
	// Error says why a failed task failed (often absent).
	Error *TaskError `json:"error,omitempty"`
	// Location is the Location header of the create response (the task's
	// URL); it is not part of the body.
	Location string `json:"-"`
}

// Usage is Marengo 3.5's token accounting for a sync embedding.
// It is plain data, safe for concurrent reads.
type Usage struct {
	// InputTokens counts tokens per content type ("text", "image", ...).
	InputTokens map[string]int `json:"input_tokens,omitempty"`
	// Truncated reports whether text was cut to fit.
	Truncated bool `json:"truncated"`
}

// EmbedV2Response is the body of a sync POST /embed-v2.
// It is plain data, safe for concurrent reads.
type EmbedV2Response struct {
	// Data holds the vectors; a text query's vector is Data[0].Embedding.
	Data     []EmbeddingData    `json:"data"`
	Metadata *EmbeddingMetadata `json:"metadata,omitempty"`
	Usage    *Usage             `json:"usage,omitempty"`
}

// InputMetadata names the input of a v1 sync embedding.
// It is plain data, safe for concurrent reads.
type InputMetadata struct {
	InputURL      string `json:"input_url,omitempty"`
	InputFilename string `json:"input_filename,omitempty"`
}

// EmbeddingResult is one modality's part of a v1 POST /embed response.
// It is plain data, safe for concurrent reads.
type EmbeddingResult struct {
	// Segments are the vectors; text and image have one, with Float only.
	Segments []Segment      `json:"segments"`
	Metadata *InputMetadata `json:"metadata,omitempty"`
	// ErrorMessage is set when this modality failed.
	ErrorMessage string `json:"error_message,omitempty"`
}

// EmbedResponse is the body of a v1 POST /embed.
// It is plain data, safe for concurrent reads.
type EmbedResponse struct {
	ModelName      string           `json:"model_name"`
	TextEmbedding  *EmbeddingResult `json:"text_embedding,omitempty"`
	ImageEmbedding *EmbeddingResult `json:"image_embedding,omitempty"`
	AudioEmbedding *EmbeddingResult `json:"audio_embedding,omitempty"`
}

// SystemMetadata describes an indexed video file.
// It is plain data, safe for concurrent reads.
type SystemMetadata struct {
	Filename string  `json:"filename,omitempty"`
	Duration float64 `json:"duration,omitempty"`
	FPS      float64 `json:"fps,omitempty"`
	Width    int     `json:"width,omitempty"`
	Height   int     `json:"height,omitempty"`
	// Size is in bytes (absent on the older videos endpoint).
	Size float64 `json:"size,omitempty"`
}

// HLS describes an indexed asset's stream, if streaming was enabled.
// It is plain data, safe for concurrent reads.
type HLS struct {
	VideoURL      string   `json:"video_url,omitempty"`
	ThumbnailURLs []string `json:"thumbnail_urls,omitempty"`
	// Status is PROCESSING, COMPLETE, CANCELED or ERROR.
	Status    string `json:"status,omitempty"`
	UpdatedAt Time   `json:"updated_at"`
}

// AssetEmbedding is the embedding object of an indexed asset or video.
// It is plain data, safe for concurrent reads.
type AssetEmbedding struct {
	// ModelName is the index's model ("marengo3.0", "marengo2.7").
	ModelName string `json:"model_name"`
	// VideoEmbedding holds the segments (no metadata here).
	VideoEmbedding *VideoEmbedding `json:"video_embedding,omitempty"`
}

// TranscriptionLine is one line of an indexed asset's transcription.
// It is plain data, safe for concurrent reads.
type TranscriptionLine struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Value string  `json:"value"`
}

// IndexedAsset is a video in an index, as returned by the indexed-assets
// endpoints and the older videos endpoints (which have no Status, and
// whose list example uses the legacy keys "metadata" and "index_id": both
// decode, "metadata" into SystemMetadata). List items carry no
// embeddings, user metadata or transcription.
// It is plain data, safe for concurrent reads.
type IndexedAsset struct {
	// ID is the indexed asset (video) id (wire key "_id").
	ID string `json:"_id"`
	// AssetID is the uploaded asset it was indexed from.
	AssetID string `json:"asset_id,omitempty"`
	// IndexID is set by the legacy videos list only.
	IndexID   string `json:"index_id,omitempty"`
	CreatedAt Time   `json:"created_at"`
	UpdatedAt Time   `json:"updated_at"`
	IndexedAt Time   `json:"indexed_at"`
	// Status is ready, pending, queued, indexing or failed.
	Status         string          `json:"status,omitempty"`
	SystemMetadata *SystemMetadata `json:"system_metadata,omitempty"`
	UserMetadata   map[string]any  `json:"user_metadata,omitempty"`
	HLS            *HLS            `json:"hls,omitempty"`
	// Embedding is present only when embedding options were requested.
	Embedding *AssetEmbedding `json:"embedding,omitempty"`
	// Transcription is present when requested and there is speech.
	Transcription []TranscriptionLine `json:"transcription,omitempty"`
}

// UnmarshalJSON decodes an indexed asset, accepting the legacy key
// "metadata" for system_metadata.
func (a *IndexedAsset) UnmarshalJSON(b []byte) error {
	type plain IndexedAsset
	var v struct {
		plain
		Legacy *SystemMetadata `json:"metadata"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = IndexedAsset(v.plain)
	if a.SystemMetadata == nil {
		a.SystemMetadata = v.Legacy
	}
	return nil
}

// Segments returns the asset's segments, or nil.
func (a *IndexedAsset) Segments() []Segment {
	if a.Embedding == nil || a.Embedding.VideoEmbedding == nil {
		return nil
	}
	return a.Embedding.VideoEmbedding.Segments
}

// SearchItem is a search result: a clip, or with group_by=video a video
// (ID set, Clips holding its clips). Marengo 3.0 ranks (Rank 1 is best);
// 2.7 scored (Score, Confidence); v1.2 added Metadata and Modules.
// It is plain data, safe for concurrent reads.
type SearchItem struct {
	Start         float64        `json:"start"`
	End           float64        `json:"end"`
	VideoID       string         `json:"video_id,omitempty"`
	Rank          int            `json:"rank,omitempty"`
	Score         Score          `json:"score,omitempty"`
	Confidence    string         `json:"confidence,omitempty"`
	ThumbnailURL  string         `json:"thumbnail_url,omitempty"`
	Transcription string         `json:"transcription,omitempty"`
	UserMetadata  map[string]any `json:"user_metadata,omitempty"`
	// ID is the video id of a group_by=video item.
	ID string `json:"id,omitempty"`
	// Clips are a group_by=video item's clips.
	Clips []SearchItem `json:"clips,omitempty"`
	// Metadata and Modules are v1.2's per-item modality lists.
	Metadata []SearchModality `json:"metadata,omitempty"`
	Modules  []SearchModality `json:"modules,omitempty"`
}

// SearchModality is a v1.2 search item's {"type", "confidence"} entry.
// It is plain data, safe for concurrent reads.
type SearchModality struct {
	Type       string `json:"type"`
	Confidence string `json:"confidence,omitempty"`
}

// SearchPageInfo is the token pagination block of search responses.
// It is plain data, safe for concurrent reads.
type SearchPageInfo struct {
	LimitPerPage int `json:"limit_per_page"`
	TotalResults int `json:"total_results"`
	// TotalInnerMatches counts clips when results are grouped by video.
	TotalInnerMatches int `json:"total_inner_matches,omitempty"`
	// PageExpiresAt is when the tokens stop working (v1.2 called it
	// page_expired_at; both decode).
	PageExpiresAt Time `json:"page_expires_at"`
	// NextPageToken is absent on the last page. Tokens expire: never
	// persist them.
	NextPageToken string `json:"next_page_token,omitempty"`
	PrevPageToken string `json:"prev_page_token,omitempty"`
}

// UnmarshalJSON decodes page info, accepting v1.2's page_expired_at.
func (p *SearchPageInfo) UnmarshalJSON(b []byte) error {
	type plain SearchPageInfo
	var v struct {
		plain
		Legacy Time `json:"page_expired_at"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = SearchPageInfo(v.plain)
	if p.PageExpiresAt.IsZero() && p.PageExpiresAt.Raw == "" {
		p.PageExpiresAt = v.Legacy
	}
	return nil
}

// SearchPool describes what a search ran over.
// It is plain data, safe for concurrent reads.
type SearchPool struct {
	TotalCount    int     `json:"total_count"`
	TotalDuration float64 `json:"total_duration"`
	IndexID       string  `json:"index_id"`
}

// SearchResults is one page of search results.
// It is plain data, safe for concurrent reads.
type SearchResults struct {
	Data       []SearchItem   `json:"data"`
	PageInfo   SearchPageInfo `json:"page_info"`
	SearchPool *SearchPool    `json:"search_pool,omitempty"`
}
