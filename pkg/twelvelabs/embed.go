package twelvelabs

import (
	"context"
	"errors"
	"net/http"
)

// EmbedRequest is a v1 sync embedding request (POST /embed, multipart).
// Several modalities may go in one call. The endpoint is marked for
// deprecation; prefer [Client.EmbedV2] except for Marengo 2.7.
// It is plain data, safe to share between goroutines once built.
type EmbedRequest struct {
	// ModelName is required.
	ModelName string
	// Text is embedded into text_embedding.
	Text string
	// TextTruncate (none, start, end) applied to Marengo 2.7 only.
	TextTruncate string
	// ImageURL or ImageFile is embedded into image_embedding.
	ImageURL  string
	ImageFile *File
	// AudioURL or AudioFile is embedded into audio_embedding.
	AudioURL  string
	AudioFile *File
	// AudioStartOffsetSec skips the start of the audio.
	AudioStartOffsetSec *float64
}

// Embed creates text, image and audio embeddings synchronously
// (POST /embed). A text query's vector is TextEmbedding.Segments[0].Float.
func (c *Client) Embed(ctx context.Context, req EmbedRequest) (*EmbedResponse, error) {
	const op = "embed"
	if req.ModelName == "" {
		return nil, errors.New(op + ": no model name")
	}
	f := &form{}
	f.add("model_name", req.ModelName)
	f.addNonEmpty("text", req.Text)
	f.addNonEmpty("text_truncate", req.TextTruncate)
	f.addNonEmpty("image_url", req.ImageURL)
	f.addNonEmpty("audio_url", req.AudioURL)
	f.addFloat("audio_start_offset_sec", req.AudioStartOffsetSec)
	if req.ImageFile != nil && req.ImageFile.Reader != nil {
		f.addFile("image_file", *req.ImageFile)
	}
	if req.AudioFile != nil && req.AudioFile.Reader != nil {
		f.addFile("audio_file", *req.AudioFile)
	}
	if len(f.fields) == 1 && len(f.files) == 0 {
		return nil, errors.New(op + ": nothing to embed: set text, an image or audio")
	}
	return doJSON[EmbedResponse](ctx, c, &call{op: op, method: http.MethodPost, path: "/embed", body: f.body()})
}
