package twelvelabstest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// retention is how long the API keeps v1 task embeddings.
const retention = 7 * 24 * time.Hour

// task is an embedding task, v1 or v2.
type task struct {
	id        string
	v2        bool
	model     string // as requested: marengo3.0, Marengo-retrieval-2.7, marengo3.5
	inputType string // video or audio
	inputURL  string
	inputFile string
	input     string // what the media was derived from, for TaskInfo
	createdAt time.Time
	polls     int
	fail      bool
	media     media
	duration  float64 // of the whole input
	start     float64 // embedded range
	end       float64
	// v1
	clipLength float64
	// v1 video_embedding_scope or v2 embedding_scope
	scopes []string
	// v2
	options   []string
	segFixed  float64 // > 0: fixed segmentation
	segMin    float64 // dynamic segmentation's minimum
	separate  bool
	fused     bool
	dimension int // 3.5 embedding_dimension
}

// TaskInfo describes an embedding task the server holds.
// It is plain data, safe for concurrent reads.
type TaskInfo struct {
	// ID is the task id.
	ID string
	// Version is 1 (POST /embed/tasks) or 2 (POST /embed-v2/tasks).
	Version int
	// Model is the model_name it was created with.
	Model string
	// InputType is "video" or "audio".
	InputType string
	// Input is the URL, the filename, or the asset id it embeds.
	Input string
	// Topic is the scene its embeddings show.
	Topic Topic
	// Duration is the input's duration in seconds.
	Duration float64
	// Status is its status now (reading it does not count as a poll).
	Status string
	// Polls counts the status polls so far.
	Polls int
}

// Tasks returns every task, oldest first.
func (s *Server) Tasks() []TaskInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]TaskInfo, 0, len(s.taskList))
	for _, t := range s.taskList {
		out = append(out, s.info(t))
	}
	return out
}

// Task returns the task with the id.
func (s *Server) Task(id string) (TaskInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[id]
	if !ok {
		return TaskInfo{}, false
	}
	return s.info(t), true
}

// info describes a task; the caller holds s.mu.
func (s *Server) info(t *task) TaskInfo {
	v := 1
	if t.v2 {
		v = 2
	}
	return TaskInfo{ID: t.id, Version: v, Model: t.model, InputType: t.inputType, Input: t.input,
		Topic: s.Catalogue.topics[t.media.topic], Duration: t.duration, Status: s.status(t), Polls: t.polls}
}

// status returns a task's status now; the caller holds s.mu.
func (s *Server) status(t *task) string {
	var ready bool
	switch {
	case s.cfg.readyAfterPolls > 0:
		ready = t.polls >= s.cfg.readyAfterPolls
	case s.cfg.readyAfter > 0:
		ready = !s.clock.Now().Before(t.createdAt.Add(s.cfg.readyAfter))
	default:
		ready = true
	}
	switch {
	case !ready:
		return "processing"
	case t.fail:
		return "failed"
	}
	return "ready"
}

// poll finds a task of the version, counts a poll and returns its status;
// v1 tasks past their retention are gone.
func (s *Server) poll(id string, v2 bool) (*task, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[id]
	if !ok || t.v2 != v2 || (!v2 && s.clock.Now().Sub(t.createdAt) > retention) {
		return nil, "", false
	}
	t.polls++
	return t, s.status(t), true
}

// addTask stores a new task, giving it an id and creation time.
func (s *Server) addTask(t *task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kind := "embed-task"
	if t.v2 {
		kind = "embed-v2-task"
	}
	t.id = s.nextID(kind)
	t.createdAt = s.clock.Now()
	s.tasks[t.id] = t
	s.taskList = append(s.taskList, t)
}

// failing reports whether an input should make its task fail.
func (s *Server) failing(inputs ...string) bool {
	for _, in := range inputs {
		if in == "" {
			continue
		}
		for _, f := range s.cfg.failInputs {
			if f != "" && strings.Contains(strings.ToLower(in), strings.ToLower(f)) {
				return true
			}
		}
	}
	return false
}

// v1Options returns the embedding options of a v1 model's video tasks.
func v1Options(model string) []string {
	if model == "Marengo-retrieval-2.7" {
		return []string{"visual-text", "audio"}
	}
	return []string{"visual", "audio", "transcription"}
}

// v1Model reads a v1 endpoint's model_name form field, answering 400 as
// the API does when it is missing or not a v1 model (forWhat names what the
// endpoint accepts, in the message: "" or " for video embeddings").
func (s *Server) v1Model(w http.ResponseWriter, r *http.Request, fd *formData, forWhat string) (string, bool) {
	model := fd.get("model_name")
	switch model {
	case "":
		s.badRequest(w, r, "model_name", "The `model_name` parameter is required.")
		return "", false
	case "marengo3.0", "Marengo-retrieval-2.7":
		return model, true
	}
	s.badRequest(w, r, "model_name", fmt.Sprintf("The `model_name` parameter is invalid: %q is not supported%s.", model, forWhat))
	return "", false
}

// createEmbedTask is POST /embed/tasks: multipart; answers 200 {"_id"}.
func (s *Server) createEmbedTask(w http.ResponseWriter, r *http.Request) {
	fd, err := s.readForm(r)
	if err != nil {
		s.badRequest(w, r, "body", err.Error())
		return
	}
	model, ok := s.v1Model(w, r, fd, " for video embeddings")
	if !ok {
		return
	}
	t := &task{model: model, inputType: "video", clipLength: 6, scopes: []string{"clip"}}
	m, src, ok := s.v1Media(fd, "video")
	if !ok {
		s.badRequest(w, r, "video_url", "The `video_url` parameter is required: provide `video_url` or `video_file`.")
		return
	}
	t.media, t.inputURL, t.inputFile = m, src.InputURL, src.InputFilename
	t.input = cmp.Or(t.inputURL, t.inputFile)
	t.duration = inputDuration(t.media)
	start, ok1 := optFloat(fd.get("video_start_offset_sec"))
	end, ok2 := optFloat(fd.get("video_end_offset_sec"))
	clip, ok3 := optFloat(fd.get("video_clip_length"))
	switch {
	case !ok1:
		s.badRequest(w, r, "video_start_offset_sec", "The `video_start_offset_sec` parameter is invalid: it must be a number.")
		return
	case !ok2:
		s.badRequest(w, r, "video_end_offset_sec", "The `video_end_offset_sec` parameter is invalid: it must be a number.")
		return
	case !ok3 || (clip != nil && (*clip < 2 || *clip > 10)):
		s.badRequest(w, r, "video_clip_length", "The `video_clip_length` parameter is invalid: it must be between 2 and 10 seconds.")
		return
	}
	t.start, t.end = 0, t.duration
	if start != nil {
		t.start = max(*start, 0)
	}
	if end != nil {
		t.end = min(*end, t.duration)
	}
	if t.end <= t.start {
		s.badRequest(w, r, "video_end_offset_sec", "The `video_end_offset_sec` parameter is invalid: it must be greater than `video_start_offset_sec`.")
		return
	}
	if clip != nil {
		t.clipLength = *clip
	}
	if scopes := fd.values["video_embedding_scope"]; len(scopes) > 0 {
		for _, sc := range scopes {
			if sc != "clip" && sc != "video" {
				s.badRequest(w, r, "video_embedding_scope", fmt.Sprintf("The `video_embedding_scope` parameter is invalid: %q is not one of clip, video.", sc))
				return
			}
		}
		t.scopes = slices.Compact(slices.Clone(scopes))
	}
	t.fail = s.failing(t.inputURL, t.inputFile)
	s.addTask(t)
	writeJSON(w, http.StatusOK, map[string]string{"_id": t.id})
}

// Wire shapes of v1 task bodies, fields in the API's order.
type (
	wSegment struct {
		Start  *float64  `json:"start_offset_sec,omitempty"`
		End    *float64  `json:"end_offset_sec,omitempty"`
		Scope  string    `json:"embedding_scope,omitempty"`
		Option string    `json:"embedding_option,omitempty"`
		Float  []float32 `json:"float"`
	}
	wVideoMeta struct {
		InputURL      string   `json:"input_url,omitempty"`
		InputFilename string   `json:"input_filename,omitempty"`
		ClipLength    float64  `json:"video_clip_length,omitempty"`
		Scopes        []string `json:"video_embedding_scope,omitempty"`
		Duration      float64  `json:"duration"`
	}
	wAudioMeta struct {
		InputURL      string   `json:"input_url,omitempty"`
		InputFilename string   `json:"input_filename,omitempty"`
		Options       []string `json:"audio_embedding_options,omitempty"`
		Scopes        []string `json:"audio_embedding_scopes,omitempty"`
		Duration      float64  `json:"duration"`
		Start         *float64 `json:"start_offset_sec,omitempty"`
		End           *float64 `json:"end_offset_sec,omitempty"`
	}
	wVideoEmbedding struct {
		Segments []wSegment `json:"segments,omitempty"`
		Metadata any        `json:"metadata,omitempty"`
	}
	wTask struct {
		ID             string           `json:"_id"`
		ModelName      string           `json:"model_name"`
		Status         string           `json:"status"`
		CreatedAt      string           `json:"created_at,omitempty"`
		UpdatedAt      string           `json:"updated_at,omitempty"`
		VideoEmbedding *wVideoEmbedding `json:"video_embedding,omitempty"`
		AudioEmbedding *wVideoEmbedding `json:"audio_embedding,omitempty"`
	}
)

func ptr[T any](v T) *T { return &v }

// listItem renders a task as a MediaEmbeddingTask (the shape of both task
// lists and, with dates dropped, of the v1 status body).
func (s *Server) listItem(t *task, status string) wTask {
	wt := wTask{ID: t.id, ModelName: t.model, Status: status, CreatedAt: timestamp(t.createdAt)}
	if t.inputType == "audio" {
		meta := wAudioMeta{InputURL: t.inputURL, InputFilename: t.inputFile, Options: t.options, Scopes: t.scopes,
			Duration: t.duration, Start: ptr(t.start), End: ptr(t.end)}
		wt.AudioEmbedding = &wVideoEmbedding{Metadata: meta}
		return wt
	}
	clip := t.clipLength
	if t.v2 {
		clip = t.segFixed
	}
	wt.VideoEmbedding = &wVideoEmbedding{Metadata: wVideoMeta{InputURL: t.inputURL, InputFilename: t.inputFile,
		ClipLength: clip, Scopes: t.scopes, Duration: round3(t.end - t.start)}}
	return wt
}

// pollOr404 polls the task named by the path's task_id (v2: an embed-v2
// task), answering 404 as the API does when there is none.
func (s *Server) pollOr404(w http.ResponseWriter, r *http.Request, v2 bool) (*task, string, bool) {
	id := r.PathValue("task_id")
	t, status, ok := s.poll(id, v2)
	if !ok {
		collection := "embed tasks"
		if v2 {
			collection = "embed-v2 tasks"
		}
		s.notFound(w, r, id, collection)
	}
	return t, status, ok
}

// embedTaskStatus is GET /embed/tasks/{task_id}/status.
func (s *Server) embedTaskStatus(w http.ResponseWriter, r *http.Request) {
	t, status, ok := s.pollOr404(w, r, false)
	if !ok {
		return
	}
	item := s.listItem(t, status)
	item.CreatedAt = ""
	writeJSON(w, http.StatusOK, item)
}

// retrieveEmbedTask is GET /embed/tasks/{task_id}[?embedding_option=…].
func (s *Server) retrieveEmbedTask(w http.ResponseWriter, r *http.Request) {
	t, status, ok := s.pollOr404(w, r, false)
	if !ok {
		return
	}
	allowed := v1Options(t.model)
	want := r.URL.Query()["embedding_option"]
	for _, o := range want {
		if !slices.Contains(allowed, o) {
			s.badRequest(w, r, "embedding_option", fmt.Sprintf("The `embedding_option` parameter is invalid: %q is not one of %s for %s.", o, strings.Join(allowed, ", "), t.model))
			return
		}
	}
	item := s.listItem(t, status)
	if status == "ready" {
		item.UpdatedAt = item.CreatedAt
		item.VideoEmbedding.Segments = s.v1Segments(t, want)
	}
	writeJSON(w, http.StatusOK, item)
}

// v1Segments computes a v1 task's segments: per option, its clips then
// (if asked for) its video-scope vector.
func (s *Server) v1Segments(t *task, want []string) []wSegment {
	sp := s.Catalogue.space(t.model)
	scene := s.Catalogue.sceneOf(sp, t.media)
	bounds := fixedBounds(t.start, t.end, t.clipLength)
	var out []wSegment
	for _, opt := range v1Options(t.model) {
		if len(want) > 0 && !slices.Contains(want, opt) {
			continue
		}
		vecs := sp.clipVectors(t.media, scene, opt, len(bounds))
		if slices.Contains(t.scopes, "clip") {
			for k, b := range bounds {
				out = append(out, wSegment{Start: ptr(b[0]), End: ptr(b[1]), Scope: "clip", Option: opt, Float: vecs[k]})
			}
		}
		if slices.Contains(t.scopes, "video") {
			out = append(out, wSegment{Start: ptr(t.start), End: ptr(t.end), Scope: "video", Option: opt, Float: meanVector(vecs)})
		}
	}
	return out
}

// listEmbedTasks is GET /embed/tasks.
func (s *Server) listEmbedTasks(w http.ResponseWriter, r *http.Request) { s.listTasks(w, r, false) }

// listEmbedV2Tasks is GET /embed-v2/tasks: v1-shaped items, as the API's.
func (s *Server) listEmbedV2Tasks(w http.ResponseWriter, r *http.Request) { s.listTasks(w, r, true) }

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request, v2 bool) {
	q := r.URL.Query()
	page, limit, field, ok := pageParams(q)
	if !ok {
		s.badRequest(w, r, field, fmt.Sprintf("The `%s` parameter is invalid.", field))
		return
	}
	now := s.clock.Now()
	from, to := now.Add(-retention), now.Add(time.Second)
	for _, p := range []struct {
		key string
		dst *time.Time
	}{{"started_at", &from}, {"ended_at", &to}} {
		if v := q.Get(p.key); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				s.badRequest(w, r, p.key, fmt.Sprintf("The `%s` parameter is invalid: use RFC 3339.", p.key))
				return
			}
			*p.dst = t
		}
	}
	status := q.Get("status")
	if status != "" && status != "processing" && status != "ready" && status != "failed" {
		s.badRequest(w, r, "status", "The `status` parameter is invalid: use processing, ready or failed.")
		return
	}
	s.mu.Lock()
	var items []wTask
	for i := len(s.taskList) - 1; i >= 0; i-- { // newest first
		t := s.taskList[i]
		st := s.status(t)
		if t.v2 != v2 || t.createdAt.Before(from) || !t.createdAt.Before(to) || (status != "" && st != status) {
			continue
		}
		items = append(items, s.listItem(t, st))
	}
	s.mu.Unlock()
	data, info := pageOf(items, page, limit)
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "page_info": info})
}
