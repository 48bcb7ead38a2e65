package sample

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalidParams is wrapped by every error [NewGenerator] returns for
// parameters it cannot generate from.
var ErrInvalidParams = errors.New("invalid sample params")

// ErrUnknownVideo is returned by [Generator.EachSegment] for a [Video] that
// did not come from that generator's [Generator.Videos].
var ErrUnknownVideo = errors.New("video not from this generator")

// Params describes a synthetic dataset. Start from [DefaultParams] and
// change what you need: the zero value is not usable.
//
// The vector model adds up independent random directions, each scaled by a
// weight. Because random directions in many dimensions are nearly
// orthogonal, the expected cosine between two vectors is the sum of the
// squared weights of the components they share, divided by the sum of all
// squared weights. With the defaults that gives, for vectors of one
// modality: about 0.92 between adjacent clips of a video, 0.8 between
// distant clips of a video, 0.6 between clips of two videos of one topic
// and 0.28 between clips of different topics (the anisotropy floor); 0.75
// between two modalities of one clip; and 0.44 between a text query and a
// clip of its topic, against 0.14 for a clip of another topic (the
// modality gap). The committed sample measures 0.926, 0.808, 0.603, 0.292
// and 0.753. Raise Noise, DriftWeight and ModalityDrift to make
// nearest-neighbour search harder; raise TopicWeight to make it easier.
type Params struct {
	// Seed selects the dataset: the same Params always give the same
	// vectors and files, byte for byte, on any machine. Default 2025.
	Seed uint64

	// Dim is the vector dimension. Default 512 (Marengo 3.0).
	Dim int
	// ModelName is written as model_name in the files that carry one.
	// Default "marengo3.0"; it should match Dim.
	ModelName string

	// Topics is the number of topics (surfing, cooking, …); videos are
	// assigned to topics round-robin. Default 8. Past the built-in names,
	// topics are called "topic-0012" and so on.
	Topics int
	// Videos is the number of videos. Default 36.
	Videos int
	// MinClips and MaxClips bound the number of clips per video, drawn
	// uniformly. Default 5 and 20.
	MinClips, MaxClips int
	// ClipSeconds is the fixed clip length of embed tasks (the API's
	// video_clip_length / clip_length, 2 to 10). Default 6. The last clip
	// of a video is shorter when the duration is not a multiple of it, and
	// a trailing remainder under 2 s is dropped, as upstream does.
	ClipSeconds float64
	// VariableClipMin and VariableClipMax bound the clip lengths of
	// indexed assets, which upstream cuts at scene changes rather than at
	// fixed intervals. Default 4 and 9 seconds.
	VariableClipMin, VariableClipMax float64

	// Options are the embedding options (modalities) every video has.
	// Default "visual", "audio", "transcription" (Marengo 3.0).
	Options []string
	// TranscriptionRate is the fraction of videos with speech: the others
	// have no "transcription" option (if Options has one). Default 0.75;
	// 1 gives every video every option.
	TranscriptionRate float64

	// Anisotropy is the weight of the mean direction every clip vector
	// shares (real embedding spaces are anisotropic: unrelated clips still
	// have cosine well above 0). Default 0.55.
	Anisotropy float64
	// TopicWeight is the weight of the topic centre. Default 0.7.
	TopicWeight float64
	// VideoWeight is the weight of the per-video direction that makes
	// clips of one video closer than clips of one topic. Default 0.45.
	VideoWeight float64
	// DriftWeight is the weight of the clip-to-clip drift within a video,
	// shared by all modalities of a clip. Default 0.4.
	DriftWeight float64
	// Persistence is the correlation of the drift between adjacent clips
	// (an AR(1) walk): near 1, adjacent clips are near duplicates; at 0,
	// every clip drifts independently. Default 0.85.
	Persistence float64
	// ModalityWeight is the weight of the per-modality direction shared by
	// every vector of one option. Default 0.35.
	ModalityWeight float64
	// ModalityDrift is the weight of a drift walk of its own per modality
	// and video (the soundtrack changes when the picture does not), which
	// keeps two modalities of one clip related but not equal. Default 0.45.
	ModalityDrift float64
	// Noise is the weight of independent per-vector noise. Default 0.25.
	Noise float64
	// VideoScopeNoise is the noise added to a video-scope vector (the mean
	// of the video's clips for that option), relative to the mean's norm.
	// Default 0.05.
	VideoScopeNoise float64
	// NormSpread is the relative spread of vector norms around a
	// per-option base (1.1 for the first option, then 0.95, 0.8, …);
	// norms are clamped to [0.5, 1.5] like real Marengo output. Default 0.12.
	NormSpread float64

	// QueryAnisotropy, QueryTopicWeight, QueryGap and QueryNoise are the
	// weights of a text query vector: the shared mean direction, the
	// topic centre, a direction shared by every query and by no clip (the
	// modality gap) and independent noise. Defaults 0.35, 0.6, 0.8, 0.35.
	QueryAnisotropy, QueryTopicWeight, QueryGap, QueryNoise float64
}

// DefaultParams returns the parameters of the committed sample in
// testdata/sample: 36 videos of 8 topics, 512-d Marengo 3.0 vectors,
// 6-second clips, 5 to 20 clips per video.
func DefaultParams() Params {
	return Params{
		Seed:              2025,
		Dim:               512,
		ModelName:         "marengo3.0",
		Topics:            8,
		Videos:            36,
		MinClips:          5,
		MaxClips:          20,
		ClipSeconds:       6,
		VariableClipMin:   4,
		VariableClipMax:   9,
		Options:           []string{"visual", "audio", "transcription"},
		TranscriptionRate: 0.75,
		Anisotropy:        0.55,
		TopicWeight:       0.7,
		VideoWeight:       0.45,
		DriftWeight:       0.4,
		Persistence:       0.85,
		ModalityWeight:    0.35,
		ModalityDrift:     0.45,
		Noise:             0.25,
		VideoScopeNoise:   0.05,
		NormSpread:        0.12,
		QueryAnisotropy:   0.35,
		QueryTopicWeight:  0.6,
		QueryGap:          0.8,
		QueryNoise:        0.35,
	}
}

func (p *Params) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidParams, fmt.Sprintf(format, args...))
	}
	switch {
	case p.Dim < 2:
		return bad("dim %d, want at least 2", p.Dim)
	case p.Topics < 1:
		return bad("topics %d, want at least 1", p.Topics)
	case p.Videos < 1:
		return bad("videos %d, want at least 1", p.Videos)
	case p.MinClips < 1 || p.MaxClips < p.MinClips:
		return bad("clips %d to %d, want 1 <= min <= max", p.MinClips, p.MaxClips)
	case !(p.ClipSeconds >= 2 && p.ClipSeconds <= 10):
		return bad("clip seconds %v, want 2 to 10", p.ClipSeconds)
	case !(p.VariableClipMin >= 1 && p.VariableClipMax >= p.VariableClipMin && p.VariableClipMax <= 60):
		return bad("variable clip seconds %v to %v, want 1 <= min <= max <= 60", p.VariableClipMin, p.VariableClipMax)
	case len(p.Options) == 0:
		return bad("no options")
	case p.ModelName == "":
		return bad("no model name")
	case !(p.TranscriptionRate >= 0 && p.TranscriptionRate <= 1):
		return bad("transcription rate %v, want 0 to 1", p.TranscriptionRate)
	case !(p.Persistence >= 0 && p.Persistence < 1):
		return bad("persistence %v, want 0 <= p < 1", p.Persistence)
	case !(p.NormSpread >= 0 && p.NormSpread < 1):
		return bad("norm spread %v, want 0 <= s < 1", p.NormSpread)
	}
	seen := make(map[string]bool, len(p.Options))
	for _, o := range p.Options {
		if o == "" || seen[o] {
			return bad("options %q: empty or repeated", p.Options)
		}
		seen[o] = true
	}
	weights := []struct {
		name string
		v    float64
	}{
		{"anisotropy", p.Anisotropy}, {"topic weight", p.TopicWeight},
		{"video weight", p.VideoWeight}, {"drift weight", p.DriftWeight},
		{"modality weight", p.ModalityWeight}, {"modality drift", p.ModalityDrift},
		{"noise", p.Noise}, {"video scope noise", p.VideoScopeNoise},
		{"query anisotropy", p.QueryAnisotropy}, {"query topic weight", p.QueryTopicWeight},
		{"query gap", p.QueryGap}, {"query noise", p.QueryNoise},
	}
	for _, w := range weights {
		if !(w.v >= 0 && w.v <= 100) || math.IsNaN(w.v) {
			return bad("%s %v, want 0 to 100", w.name, w.v)
		}
	}
	if p.TopicWeight+p.VideoWeight+p.DriftWeight+p.Noise+p.ModalityDrift == 0 {
		return bad("every clip would be the same vector: topic, video, drift, modality drift and noise weights are all 0")
	}
	if p.QueryTopicWeight+p.QueryNoise+p.QueryGap+p.QueryAnisotropy == 0 {
		return bad("query weights are all 0")
	}
	return nil
}
