package twelvelabs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Embed-v2 input types (EmbedV2Request.InputType).
const (
	InputText       = "text"
	InputImage      = "image"
	InputTextImage  = "text_image"
	InputAudio      = "audio"
	InputVideo      = "video"
	InputMultiInput = "multi_input"
)

// MediaSource names embed-v2 media: set exactly one field.
// It is plain data, safe to share between goroutines once built.
type MediaSource struct {
	URL          string `json:"url,omitempty"`
	Base64String string `json:"base64_string,omitempty"`
	// AssetID is an uploaded asset's id; the asset must be ready.
	AssetID string `json:"asset_id,omitempty"`
}

// TextInput is the text object of an embed-v2 request.
// It is plain data, safe to share between goroutines once built.
type TextInput struct {
	InputText string `json:"input_text"`
}

// ImageInput is the image object of an embed-v2 request.
// It is plain data, safe to share between goroutines once built.
type ImageInput struct {
	MediaSource MediaSource `json:"media_source"`
}

// TextImageInput is the text_image object of an embed-v2 request.
// It is plain data, safe to share between goroutines once built.
type TextImageInput struct {
	MediaSource MediaSource `json:"media_source"`
	InputText   string      `json:"input_text"`
}

// Segmentation says how embed-v2 cuts audio or video into clips. Marengo
// 3.0 takes {"strategy":"fixed","fixed":{...}} or
// {"strategy":"dynamic","dynamic":{...}}; 3.5 wraps the same under
// "temporal" (set Temporal and leave Strategy empty). The API rejects one
// model's form sent to the other.
// It is plain data, safe to share between goroutines once built.
type Segmentation struct {
	Strategy string               `json:"strategy,omitempty"`
	Fixed    *FixedSegmentation   `json:"fixed,omitempty"`
	Dynamic  *DynamicSegmentation `json:"dynamic,omitempty"`
	Temporal *Segmentation        `json:"temporal,omitempty"`
}

// FixedSegmentation cuts clips of DurationSec seconds.
// It is plain data, safe to share between goroutines once built.
type FixedSegmentation struct {
	DurationSec float64 `json:"duration_sec"`
}

// DynamicSegmentation cuts clips at scene changes, no shorter than
// MinDurationSec (3.0 default 4).
// It is plain data, safe to share between goroutines once built.
type DynamicSegmentation struct {
	MinDurationSec float64 `json:"min_duration_sec"`
}

// MediaInput is the audio or video object of an embed-v2 request.
// It is plain data, safe to share between goroutines once built.
type MediaInput struct {
	MediaSource MediaSource `json:"media_source"`
	// StartSec and EndSec cut the media (nil: whole media).
	StartSec *float64 `json:"start_sec,omitempty"`
	EndSec   *float64 `json:"end_sec,omitempty"`
	// Segmentation defaults to dynamic (4 s) for 3.0 video.
	Segmentation *Segmentation `json:"segmentation,omitempty"`
	// EmbeddingOption: visual, audio, transcription (default all for video).
	EmbeddingOption []string `json:"embedding_option,omitempty"`
	// EmbeddingScope: clip, asset (default both).
	EmbeddingScope []string `json:"embedding_scope,omitempty"`
	// EmbeddingType: separate_embedding, fused_embedding.
	EmbeddingType []string `json:"embedding_type,omitempty"`
}

// MultiInputSource is one named medium of a 3.5 multi_input request,
// referred to from the text as <@Name>.
// It is plain data, safe to share between goroutines once built.
type MultiInputSource struct {
	Name         string `json:"name,omitempty"`
	MediaType    string `json:"media_type"`
	URL          string `json:"url,omitempty"`
	Base64String string `json:"base64_string,omitempty"`
	AssetID      string `json:"asset_id,omitempty"`
}

// MultiInput is the multi_input object (Marengo 3.5): text and up to 10
// media combined into one embedding.
// It is plain data, safe to share between goroutines once built.
type MultiInput struct {
	InputText    string             `json:"input_text,omitempty"`
	MediaSources []MultiInputSource `json:"media_sources,omitempty"`
}

// EmbedV2Request is the JSON body of POST /embed-v2 (sync: any input
// type) and POST /embed-v2/tasks (async: audio or video). Set InputType,
// ModelName and the one input object InputType names.
// It is plain data, safe to share between goroutines once built.
type EmbedV2Request struct {
	InputType  string          `json:"input_type"`
	ModelName  string          `json:"model_name"`
	Text       *TextInput      `json:"text,omitempty"`
	Image      *ImageInput     `json:"image,omitempty"`
	TextImage  *TextImageInput `json:"text_image,omitempty"`
	Audio      *MediaInput     `json:"audio,omitempty"`
	Video      *MediaInput     `json:"video,omitempty"`
	MultiInput *MultiInput     `json:"multi_input,omitempty"`
	// EmbeddingDimension (3.5 only): 128, 256 or 512 (default 512).
	EmbeddingDimension int `json:"embedding_dimension,omitempty"`
}

// EmbedV2 creates embeddings synchronously (POST /embed-v2): text, image,
// text_image, audio and video with Marengo 3.0; multi_input with 3.5.
func (c *Client) EmbedV2(ctx context.Context, req EmbedV2Request) (*EmbedV2Response, error) {
	const op = "embed-v2"
	if req.InputType == "" || req.ModelName == "" {
		return nil, errors.New(op + ": input type and model name are required")
	}
	b, err := jsonBody(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return doJSON[EmbedV2Response](ctx, c, &call{op: op + " " + req.InputType, method: http.MethodPost, path: "/embed-v2", body: b})
}

// EmbedText embeds a text query with model and returns its vector, using
// the body each model needs: embed-v2 text for Marengo 3.0, embed-v2
// multi_input with embedding_dimension (dim, 0 for the default) for 3.5,
// and v1 POST /embed for Marengo-retrieval-2.7 (not served by embed-v2).
// With dim > 0 the vector must have dim values.
func (c *Client) EmbedText(ctx context.Context, model, text string, dim int) ([]float32, error) {
	op := "embed text"
	var vec []float32
	switch {
	case strings.HasPrefix(model, "Marengo-retrieval-2"):
		res, err := c.Embed(ctx, EmbedRequest{ModelName: model, Text: text})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if res.TextEmbedding == nil || len(res.TextEmbedding.Segments) == 0 {
			return nil, errors.New(op + ": response has no text embedding")
		}
		vec = res.TextEmbedding.Segments[0].Float
	default:
		req := EmbedV2Request{InputType: InputText, ModelName: model, Text: &TextInput{InputText: text}}
		if model == ModelMarengo35 {
			req = EmbedV2Request{InputType: InputMultiInput, ModelName: model, MultiInput: &MultiInput{InputText: text}, EmbeddingDimension: dim}
		}
		res, err := c.EmbedV2(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if len(res.Data) == 0 {
			return nil, errors.New(op + ": response has no data")
		}
		vec = res.Data[0].Embedding
	}
	if len(vec) == 0 {
		return nil, errors.New(op + ": empty vector")
	}
	if dim > 0 && len(vec) != dim {
		return nil, fmt.Errorf("%s: vector has %d values, want %d", op, len(vec), dim)
	}
	return vec, nil
}

// CreateEmbedV2Task starts an embed-v2 task (POST /embed-v2/tasks; the
// API answers 202 with the task processing and its URL in Location,
// copied to the result's Location). It is retried only on 429.
func (c *Client) CreateEmbedV2Task(ctx context.Context, req EmbedV2Request) (*EmbedV2Task, error) {
	const op = "create embed-v2 task"
	if req.InputType == "" || req.ModelName == "" {
		return nil, errors.New(op + ": input type and model name are required")
	}
	b, err := jsonBody(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var t EmbedV2Task
	res, err := c.do(ctx, &call{op: op, method: http.MethodPost, path: "/embed-v2/tasks", body: b, create: true}, &t)
	if err != nil {
		return nil, err
	}
	if t.ID == "" {
		return nil, errors.New(op + ": response has no _id")
	}
	t.Location = res.header.Get("Location")
	return &t, nil
}

// GetEmbedV2Task returns an embed-v2 task's status and, once ready, its
// embeddings (GET /embed-v2/tasks/{id}).
func (c *Client) GetEmbedV2Task(ctx context.Context, taskID string) (*EmbedV2Task, error) {
	op := "get embed-v2 task " + taskID
	id, err := escape("task id", taskID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return doJSON[EmbedV2Task](ctx, c, &call{op: op, method: http.MethodGet, path: "/embed-v2/tasks/" + id})
}
