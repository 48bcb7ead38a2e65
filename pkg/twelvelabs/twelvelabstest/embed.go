package twelvelabstest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Embed-v2 request shapes as the server reads them (pointers where
// absence matters).
type (
	v2Request struct {
		InputType string `json:"input_type"`
		ModelName string `json:"model_name"`
		Text      *struct {
			InputText *string `json:"input_text"`
		} `json:"text"`
		Image      *v2Media `json:"image"`
		TextImage  *v2Media `json:"text_image"`
		Audio      *v2Media `json:"audio"`
		Video      *v2Media `json:"video"`
		MultiInput *struct {
			InputText    string `json:"input_text"`
			MediaSources []struct {
				Name      string `json:"name"`
				MediaType string `json:"media_type"`
				v2Source
			} `json:"media_sources"`
		} `json:"multi_input"`
		EmbeddingDimension *int `json:"embedding_dimension"`
	}
	v2Media struct {
		MediaSource     *v2Source `json:"media_source"`
		InputText       *string   `json:"input_text"`
		StartSec        *float64  `json:"start_sec"`
		EndSec          *float64  `json:"end_sec"`
		Segmentation    *v2Seg    `json:"segmentation"`
		EmbeddingOption []string  `json:"embedding_option"`
		EmbeddingScope  []string  `json:"embedding_scope"`
		EmbeddingType   []string  `json:"embedding_type"`
	}
	v2Source struct {
		URL          string `json:"url"`
		Base64String string `json:"base64_string"`
		AssetID      string `json:"asset_id"`
	}
	v2Seg struct {
		Strategy string `json:"strategy"`
		Fixed    *struct {
			DurationSec *float64 `json:"duration_sec"`
		} `json:"fixed"`
		Dynamic *struct {
			MinDurationSec *float64 `json:"min_duration_sec"`
		} `json:"dynamic"`
		Temporal *v2Seg `json:"temporal"`
	}
)

// Embed-v2 response shapes, fields in the API's order.
type (
	wData struct {
		Embedding []float32 `json:"embedding"`
		Option    *string   `json:"embedding_option"`
		Scope     *string   `json:"embedding_scope"`
		StartSec  *float64  `json:"start_sec"`
		EndSec    *float64  `json:"end_sec"`
	}
	wV2Meta struct {
		InputType          string   `json:"input_type"`
		InputURL           string   `json:"input_url,omitempty"`
		InputFilename      string   `json:"input_filename,omitempty"`
		ClipLength         float64  `json:"clip_length,omitempty"`
		EmbeddingScopes    []string `json:"embedding_scopes,omitempty"`
		EmbeddingOptions   []string `json:"embedding_options,omitempty"`
		Duration           *float64 `json:"duration,omitempty"`
		StartOffsetSec     *float64 `json:"start_offset_sec,omitempty"`
		EndOffsetSec       *float64 `json:"end_offset_sec,omitempty"`
		EmbeddingDimension int      `json:"embedding_dimension,omitempty"`
	}
)

// errInvalid is a validation failure: the field and the message.
type errInvalid struct{ field, message string }

func invalid(field, format string, args ...any) *errInvalid {
	return &errInvalid{field: field, message: fmt.Sprintf(format, args...)}
}

// source resolves a media source to a synthetic medium.
func (s *Server) source(field string, src *v2Source) (m media, duration float64, inURL, inFile string, e *errInvalid) {
	if src == nil {
		return m, 0, "", "", invalid(field, "%s is required", field)
	}
	set := 0
	for _, v := range []string{src.URL, src.Base64String, src.AssetID} {
		if v != "" {
			set++
		}
	}
	if set != 1 {
		return m, 0, "", "", invalid(field, "%s must have exactly one of url, base64_string, asset_id", field)
	}
	switch {
	case src.URL != "":
		m = s.Catalogue.inputMedia(src.URL)
		return m, inputDuration(m), src.URL, "", nil
	case src.Base64String != "":
		b, err := base64.StdEncoding.DecodeString(src.Base64String)
		if err != nil {
			return m, 0, "", "", invalid(field+".base64_string", "%s.base64_string is not valid base64", field)
		}
		sum := sha256.Sum256(b)
		m = s.Catalogue.inputMedia("base64:" + hex.EncodeToString(sum[:]))
		return m, inputDuration(m), "", "", nil
	}
	v := s.Catalogue.Video(src.AssetID)
	if v == nil || v.SearchOnly {
		return m, 0, "", "", invalid(field+".asset_id", "asset %s does not exist", src.AssetID)
	}
	if !v.Ready() {
		return m, 0, "", "", invalid(field+".asset_id", "asset %s is not ready (status %s)", src.AssetID, v.Status)
	}
	return v.media, v.Duration, "", v.Filename, nil
}

// mediaTask validates an audio or video input and describes the work as
// a task (stored for async requests, computed at once for sync ones).
func (s *Server) mediaTask(model, inputType string, in *v2Media) (*task, *errInvalid) {
	if in == nil {
		return nil, invalid(inputType, "%s is required when input_type is %s", inputType, inputType)
	}
	t := &task{v2: true, model: model, inputType: inputType}
	var e *errInvalid
	if t.media, t.duration, t.inputURL, t.inputFile, e = s.source(inputType+".media_source", in.MediaSource); e != nil {
		return nil, e
	}
	t.input = t.inputURL
	if t.input == "" {
		t.input = t.inputFile
	}
	if in.MediaSource.AssetID != "" {
		t.input = in.MediaSource.AssetID
	}
	is35 := model == "marengo3.5"
	allowed := []string{"visual", "audio", "transcription"}
	if inputType == "audio" {
		allowed = []string{"audio", "transcription"}
	}
	if is35 {
		allowed = slices.DeleteFunc(allowed, func(o string) bool { return o == "transcription" })
	}
	t.options = allowed
	if len(in.EmbeddingOption) > 0 {
		for _, o := range in.EmbeddingOption {
			if !slices.Contains(allowed, o) {
				return nil, invalid(inputType+".embedding_option", "embedding_option %q is not one of %s for %s %s", o, strings.Join(allowed, ", "), model, inputType)
			}
		}
		t.options = slices.Compact(slices.Clone(in.EmbeddingOption))
	}
	scopes := []string{"clip", "asset"}
	if is35 {
		scopes = append(scopes, "local")
	}
	t.scopes = []string{"clip", "asset"}
	if len(in.EmbeddingScope) > 0 {
		for _, sc := range in.EmbeddingScope {
			if !slices.Contains(scopes, sc) {
				return nil, invalid(inputType+".embedding_scope", "embedding_scope %q is not one of %s", sc, strings.Join(scopes, ", "))
			}
		}
		t.scopes = slices.Compact(slices.Clone(in.EmbeddingScope))
	}
	t.separate = len(in.EmbeddingType) == 0
	for _, et := range in.EmbeddingType {
		switch et {
		case "separate_embedding":
			t.separate = true
		case "fused_embedding":
			t.fused = true
		default:
			return nil, invalid(inputType+".embedding_type", "embedding_type %q is not one of separate_embedding, fused_embedding", et)
		}
	}
	t.start, t.end = 0, t.duration
	if in.StartSec != nil {
		t.start = max(*in.StartSec, 0)
	}
	if in.EndSec != nil {
		t.end = min(*in.EndSec, t.duration)
	}
	if t.end <= t.start {
		return nil, invalid(inputType+".end_sec", "end_sec must be greater than start_sec")
	}
	return t, s.segmentation(t, in.Segmentation)
}

// segmentation applies a request's segmentation to t: 3.0 takes the
// strategy at the top, 3.5 under "temporal"; each rejects the other's.
func (s *Server) segmentation(t *task, seg *v2Seg) *errInvalid {
	field := t.inputType + ".segmentation"
	is35 := t.model == "marengo3.5"
	switch {
	case seg == nil && is35:
		t.segMin = 2
		return nil
	case seg == nil && t.inputType == "audio":
		t.segFixed = 6
		return nil
	case seg == nil:
		t.segMin = 4
		return nil
	case is35 && (seg.Temporal == nil || seg.Strategy != ""):
		return invalid(field, "marengo3.5 takes segmentation as {\"temporal\": {\"strategy\": ...}}")
	case !is35 && seg.Temporal != nil:
		return invalid(field, "segmentation.temporal is for marengo3.5; marengo3.0 takes {\"strategy\": ...}")
	case is35:
		field += ".temporal"
		seg = seg.Temporal
	}
	switch seg.Strategy {
	case "fixed":
		d := 6.0
		if seg.Fixed != nil && seg.Fixed.DurationSec != nil {
			d = *seg.Fixed.DurationSec
		}
		if d < 1 || d > 10 {
			return invalid(field+".fixed.duration_sec", "duration_sec must be between 1 and 10")
		}
		t.segFixed = d
	case "dynamic":
		if t.inputType == "audio" && !is35 {
			return invalid(field+".strategy", "audio segmentation supports only the fixed strategy")
		}
		d := 4.0
		if is35 {
			d = 2
		}
		if seg.Dynamic != nil && seg.Dynamic.MinDurationSec != nil {
			d = *seg.Dynamic.MinDurationSec
		}
		if d < 1 || d > 10 {
			return invalid(field+".dynamic.min_duration_sec", "min_duration_sec must be between 1 and 10")
		}
		t.segMin = d
	default:
		return invalid(field+".strategy", "strategy %q is not one of fixed, dynamic", seg.Strategy)
	}
	return nil
}

// v2Data computes a media task's embeddings: per clip (in time order)
// each option, then the fused vector; then the asset-scope vectors.
func (s *Server) v2Data(t *task) []wData {
	sp := s.Catalogue.space(t.model)
	scene := s.Catalogue.sceneOf(sp, t.media)
	var bounds [][2]float64
	if t.segFixed > 0 {
		bounds = fixedBounds(t.start, t.end, t.segFixed)
	} else {
		bounds = dynamicBounds(t.media.key, t.start, t.end, t.segMin, 3)
	}
	vecs := map[string][][]float32{}
	for _, o := range t.options {
		vecs[o] = sp.clipVectors(t.media, scene, o, len(bounds))
	}
	fit := func(v []float32) []float32 { return truncate(v, t.dimension) }
	clipScope := slices.Contains(t.scopes, "clip") || slices.Contains(t.scopes, "local")
	var out []wData
	if clipScope {
		for k, b := range bounds {
			var parts [][]float32
			for _, o := range t.options {
				parts = append(parts, vecs[o][k])
				if t.separate {
					out = append(out, wData{Embedding: fit(vecs[o][k]), Option: ptr(o), Scope: ptr("clip"), StartSec: ptr(b[0]), EndSec: ptr(b[1])})
				}
			}
			if t.fused {
				out = append(out, wData{Embedding: fit(meanVector(parts)), Option: ptr("fused"), Scope: ptr("clip"), StartSec: ptr(b[0]), EndSec: ptr(b[1])})
			}
		}
	}
	if slices.Contains(t.scopes, "asset") {
		var all [][]float32
		for _, o := range t.options {
			m := meanVector(vecs[o])
			all = append(all, m)
			if t.separate {
				out = append(out, wData{Embedding: fit(m), Option: ptr(o), Scope: ptr("asset"), StartSec: ptr(t.start), EndSec: ptr(t.end)})
			}
		}
		if t.fused {
			out = append(out, wData{Embedding: fit(meanVector(all)), Option: ptr("fused"), Scope: ptr("asset"), StartSec: ptr(t.start), EndSec: ptr(t.end)})
		}
	}
	return out
}

// v2Meta describes a media task's input.
func v2Meta(t *task) *wV2Meta {
	m := &wV2Meta{InputType: t.inputType, InputURL: t.inputURL, InputFilename: t.inputFile, ClipLength: t.segFixed,
		EmbeddingScopes: t.scopes, EmbeddingOptions: t.options, Duration: ptr(round3(t.end - t.start)),
		StartOffsetSec: ptr(t.start), EndOffsetSec: ptr(t.end), EmbeddingDimension: t.dimension}
	if t.model == "marengo3.5" && m.EmbeddingDimension == 0 {
		m.EmbeddingDimension = 512
	}
	return m
}

// checkModel validates model_name and embedding_dimension; it sets the
// task dimension for 3.5.
func checkModel(req *v2Request) *errInvalid {
	switch req.ModelName {
	case "":
		return invalid("model_name", "model_name is required")
	case "marengo3.0":
		if req.EmbeddingDimension != nil {
			return invalid("embedding_dimension", "embedding_dimension is supported by marengo3.5 only")
		}
	case "marengo3.5":
		if d := req.EmbeddingDimension; d != nil && *d != 128 && *d != 256 && *d != 512 {
			return invalid("embedding_dimension", "embedding_dimension must be 128, 256 or 512")
		}
	default:
		return invalid("model_name", "model_name %q is not one of marengo3.0, marengo3.5", req.ModelName)
	}
	return nil
}

func dimensionOf(req *v2Request) int {
	if req.EmbeddingDimension != nil {
		return *req.EmbeddingDimension
	}
	return 0
}

// readV2 reads an embed-v2 JSON body and checks its model, answering 400
// as the API does when either is wrong.
func (s *Server) readV2(w http.ResponseWriter, r *http.Request) (*v2Request, bool) {
	var req v2Request
	if err := s.readJSON(r, &req); err != nil {
		s.badRequest(w, r, "body", err.Error())
		return nil, false
	}
	if e := checkModel(&req); e != nil {
		s.badRequest(w, r, e.field, e.message)
		return nil, false
	}
	return &req, true
}

// createEmbedV2Task is POST /embed-v2/tasks: JSON; answers 202 with a
// Location header.
func (s *Server) createEmbedV2Task(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readV2(w, r)
	if !ok {
		return
	}
	var in *v2Media
	switch req.InputType {
	case "video":
		in = req.Video
	case "audio":
		in = req.Audio
	case "":
		s.badRequest(w, r, "input_type", "input_type is required")
		return
	default:
		s.badRequest(w, r, "input_type", "Invalid input_type. Must be one of: audio, video")
		return
	}
	t, e := s.mediaTask(req.ModelName, req.InputType, in)
	if e != nil {
		s.badRequest(w, r, e.field, e.message)
		return
	}
	t.dimension = dimensionOf(req)
	t.fail = s.failing(t.inputURL, t.inputFile)
	s.addTask(t)
	body := map[string]any{"_id": t.id, "status": "processing", "data": nil}
	if t.model == "marengo3.5" {
		body["metadata"] = map[string]any{"embedding_dimension": v2Meta(t).EmbeddingDimension}
	}
	w.Header().Set("Location", s.URL+"/embed-v2/tasks/"+t.id)
	writeJSON(w, http.StatusAccepted, body)
}

// getEmbedV2Task is GET /embed-v2/tasks/{task_id}.
func (s *Server) getEmbedV2Task(w http.ResponseWriter, r *http.Request) {
	t, status, ok := s.pollOr404(w, r, true)
	if !ok {
		return
	}
	type wErr struct {
		Message string `json:"message"`
	}
	body := struct {
		ID        string   `json:"_id"`
		Status    string   `json:"status"`
		CreatedAt string   `json:"created_at"`
		UpdatedAt string   `json:"updated_at"`
		Data      []wData  `json:"data"`
		Metadata  *wV2Meta `json:"metadata,omitempty"`
		Error     *wErr    `json:"error,omitempty"`
	}{ID: t.id, Status: status, CreatedAt: timestamp(t.createdAt), UpdatedAt: timestamp(t.createdAt), Metadata: v2Meta(t)}
	switch status {
	case "ready":
		body.Data = s.v2Data(t)
	case "failed":
		body.Error = &wErr{Message: "We could not process your media for embedding. Please verify the input file and try again."}
	}
	writeJSON(w, http.StatusOK, body)
}

// refName matches <@name> references in multi_input text.
var refName = regexp.MustCompile(`<@[^>]*>`)

// maxWords approximates the models' token limits by words.
func maxWords(model string) int {
	switch model {
	case "Marengo-retrieval-2.7":
		return 77
	case "marengo3.5":
		return 2000
	}
	return 500
}

// embedV2 is POST /embed-v2: synchronous embeddings.
func (s *Server) embedV2(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readV2(w, r)
	if !ok {
		return
	}
	types := []string{"text", "image", "text_image", "audio", "video"}
	if !slices.Contains(append(types, "multi_input"), req.InputType) {
		s.badRequest(w, r, "input_type", "Invalid input_type. Must be one of: text, image, audio, video")
		return
	}
	is35 := req.ModelName == "marengo3.5"
	if is35 != (req.InputType == "multi_input") {
		if is35 {
			s.badRequest(w, r, "input_type", "marengo3.5 sync requests take input_type multi_input")
		} else {
			s.badRequest(w, r, "input_type", "input_type multi_input requires marengo3.5")
		}
		return
	}
	sp := s.Catalogue.space(req.ModelName)
	nulls := func(v []float32) wData { return wData{Embedding: v} }
	switch req.InputType {
	case "text":
		if req.Text == nil || req.Text.InputText == nil || strings.TrimSpace(*req.Text.InputText) == "" {
			s.badRequest(w, r, "text.input_text", "text.input_text is required")
			return
		}
		if n := len(strings.Fields(*req.Text.InputText)); n > maxWords(req.ModelName) {
			s.badRequest(w, r, "text.input_text", fmt.Sprintf("text.input_text has %d tokens, more than the %d allowed", n, maxWords(req.ModelName)))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": []wData{nulls(sp.text(*req.Text.InputText))}})
	case "image", "text_image":
		in := req.Image
		if req.InputType == "text_image" {
			in = req.TextImage
		}
		if in == nil {
			s.badRequest(w, r, req.InputType, req.InputType+" is required when input_type is "+req.InputType)
			return
		}
		m, _, inURL, inFile, e := s.source(req.InputType+".media_source", in.MediaSource)
		if e != nil {
			s.badRequest(w, r, e.field, e.message)
			return
		}
		vec := s.imageVector(sp, m)
		if req.InputType == "text_image" {
			if in.InputText == nil || *in.InputText == "" {
				s.badRequest(w, r, "text_image.input_text", "text_image.input_text is required")
				return
			}
			vec = meanVector([][]float32{vec, sp.text(*in.InputText)})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": []wData{nulls(vec)},
			"metadata": wV2Meta{InputType: req.InputType, InputURL: inURL, InputFilename: inFile}})
	case "audio", "video":
		in := req.Video
		if req.InputType == "audio" {
			in = req.Audio
		}
		t, e := s.mediaTask(req.ModelName, req.InputType, in)
		if e != nil {
			s.badRequest(w, r, e.field, e.message)
			return
		}
		if t.end-t.start > 600 {
			s.badRequest(w, r, req.InputType, "sync embeddings take media up to 10 minutes; use /embed-v2/tasks")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": s.v2Data(t), "metadata": v2Meta(t)})
	case "multi_input":
		mi := req.MultiInput
		if mi == nil || (strings.TrimSpace(mi.InputText) == "" && len(mi.MediaSources) == 0) {
			s.badRequest(w, r, "multi_input", "multi_input needs input_text or media_sources")
			return
		}
		if len(mi.MediaSources) > 10 {
			s.badRequest(w, r, "multi_input.media_sources", "multi_input takes up to 10 media sources")
			return
		}
		var parts [][]float32
		tokens := map[string]int{}
		text := refName.ReplaceAllString(mi.InputText, " ")
		truncated := false
		if words := strings.Fields(text); len(words) > maxWords("marengo3.5") {
			text, truncated = strings.Join(words[:maxWords("marengo3.5")], " "), true
		}
		if strings.TrimSpace(text) != "" {
			parts = append(parts, sp.text(text))
			tokens["text"] = len(strings.Fields(text))
		}
		for i, src := range mi.MediaSources {
			field := fmt.Sprintf("multi_input.media_sources[%d]", i)
			if src.MediaType != "image" {
				s.badRequest(w, r, field+".media_type", "media_type must be image")
				return
			}
			m, _, _, _, e := s.source(field, &src.v2Source)
			if e != nil {
				s.badRequest(w, r, e.field, e.message)
				return
			}
			parts = append(parts, s.imageVector(sp, m))
			tokens["image"] += 256
		}
		dim := dimensionOf(req)
		if dim == 0 {
			dim = 512
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"data":     []wData{nulls(truncate(meanVector(parts), dim))},
			"metadata": map[string]any{"input_type": "multi_input", "embedding_dimension": dim},
			"usage":    map[string]any{"input_tokens": tokens, "truncated": truncated},
		})
	}
}

// imageVector is an image's vector: the first visual frame of its medium.
func (s *Server) imageVector(sp *space, m media) []float32 {
	opt := "visual"
	if sp.model == "marengo2.7" {
		opt = "visual-text"
	}
	return sp.clipVectors(m, s.Catalogue.sceneOf(sp, m), opt, 1)[0]
}

// embedV1 is POST /embed (multipart): text, image and audio embeddings.
func (s *Server) embedV1(w http.ResponseWriter, r *http.Request) {
	fd, err := s.readForm(r)
	if err != nil {
		s.badRequest(w, r, "body", err.Error())
		return
	}
	model, ok := s.v1Model(w, r, fd, "")
	if !ok {
		return
	}
	sp := s.Catalogue.space(model)
	type result struct {
		Segments []wSegment    `json:"segments"`
		Metadata *wInputSource `json:"metadata,omitempty"`
	}
	body := struct {
		ModelName string  `json:"model_name"`
		Audio     *result `json:"audio_embedding,omitempty"`
		Image     *result `json:"image_embedding,omitempty"`
		Text      *result `json:"text_embedding,omitempty"`
	}{ModelName: model}
	if text := fd.get("text"); text != "" {
		if tt := fd.get("text_truncate"); tt != "" && tt != "none" && tt != "start" && tt != "end" {
			s.badRequest(w, r, "text_truncate", "The `text_truncate` parameter is invalid: use none, start or end.")
			return
		}
		if n := len(strings.Fields(text)); n > maxWords(model) {
			if model != "Marengo-retrieval-2.7" || fd.get("text_truncate") == "none" {
				s.badRequest(w, r, "text", fmt.Sprintf("The `text` parameter is invalid. The text token length should be less than or equal to %d.", maxWords(model)))
				return
			}
		}
		body.Text = &result{Segments: []wSegment{{Float: sp.text(text)}}}
	}
	if m, meta, ok := s.v1Media(fd, "image"); ok {
		body.Image = &result{Segments: []wSegment{{Float: s.imageVector(sp, m)}}, Metadata: meta}
	}
	if m, meta, ok := s.v1Media(fd, "audio"); ok {
		start, okStart := optFloat(fd.get("audio_start_offset_sec"))
		if !okStart {
			s.badRequest(w, r, "audio_start_offset_sec", "The `audio_start_offset_sec` parameter is invalid: it must be a number.")
			return
		}
		t := &task{media: m, duration: inputDuration(m)}
		if start != nil {
			t.start = min(max(*start, 0), t.duration-1)
		}
		t.end = t.duration
		bounds := fixedBounds(t.start, t.end, 6)
		opts := []string{"audio", "transcription"}
		if model == "Marengo-retrieval-2.7" {
			opts = []string{"audio"}
		}
		vecs := make([][][]float32, len(opts))
		for i, o := range opts {
			vecs[i] = sp.clipVectors(m, s.Catalogue.sceneOf(sp, m), o, len(bounds))
		}
		res := &result{Metadata: meta}
		for k, b := range bounds {
			for i, o := range opts {
				res.Segments = append(res.Segments, wSegment{Start: ptr(b[0]), End: ptr(b[1]), Option: o, Float: vecs[i][k]})
			}
		}
		body.Audio = res
	}
	if body.Text == nil && body.Image == nil && body.Audio == nil {
		s.badRequest(w, r, "text", "The `text` parameter is required: provide text, an image or audio to embed.")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// wInputSource is a v1 sync embedding's metadata.
type wInputSource struct {
	InputURL      string `json:"input_url,omitempty"`
	InputFilename string `json:"input_filename,omitempty"`
}

// v1Media reads <kind>_url or <kind>_file from a form.
func (s *Server) v1Media(fd *formData, kind string) (media, *wInputSource, bool) {
	if u := fd.get(kind + "_url"); u != "" {
		return s.Catalogue.inputMedia(u), &wInputSource{InputURL: u}, true
	}
	if files := fd.files[kind+"_file"]; len(files) > 0 {
		f := files[0]
		return s.Catalogue.inputMedia(f.key()), &wInputSource{InputFilename: f.filename}, true
	}
	return media{}, nil, false
}
