package server

import (
	"net/http"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// classifyRequest is POST /v1/classify's body: a clipvec.ClassifyQuery
// in the API's snake_case.
type classifyRequest struct {
	Classes          []clipvec.Class `json:"classes"`
	Model            string          `json:"model"`
	Modalities       []string        `json:"modalities"`
	Videos           []string        `json:"videos"`
	Threshold        *float64        `json:"threshold"`
	MinDurationRatio float64         `json:"min_duration_ratio"`
	Top              int             `json:"top"`
	Clips            int             `json:"clips"`
	Detailed         bool            `json:"detailed"`
}

// classify answers POST /v1/classify: which classes each video shows,
// with db.Classify. The answer is the clipvec.Classification.
func (s *Server) classify(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var req classifyRequest
	if err := decodeJSON(body, &req, ""); err != nil {
		return err
	}
	q, err := req.query()
	if err != nil {
		return err
	}
	res, err := s.db.Classify(r.Context(), q)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK, res)
}

// query checks what the library would reject without naming a field,
// and returns the library's query. The library checks the rest: the
// classes' names and prompts, the model, videos and modalities
// (ErrInvalidQuery, ErrNotFound).
func (req *classifyRequest) query() (clipvec.ClassifyQuery, error) {
	if len(req.Classes) == 0 {
		return clipvec.ClassifyQuery{}, badRequest("classes", "classes is missing or empty: want an array of classes, each {\"name\", \"prompts\"}")
	}
	for i, v := range req.Videos {
		if v == "" {
			return clipvec.ClassifyQuery{}, badRequest("videos", "videos[%d] is empty", i)
		}
	}
	if t := req.Threshold; t != nil && !(*t >= -1 && *t <= 1) {
		return clipvec.ClassifyQuery{}, badRequest("threshold", "threshold is %g: want -1 to 1 (a cosine similarity), or leave it out for calibrated thresholds", *t)
	}
	if r := req.MinDurationRatio; !(r >= 0 && r <= 1) {
		return clipvec.ClassifyQuery{}, badRequest("min_duration_ratio", "min_duration_ratio is %g: want a share of the video's duration, 0 to 1", r)
	}
	if req.Top < 0 {
		return clipvec.ClassifyQuery{}, badRequest("top", "top is %d: want 0 (every class that holds) or more", req.Top)
	}
	if req.Clips < 0 {
		return clipvec.ClassifyQuery{}, badRequest("clips", "clips is %d: want 0 (the default, %d) or more", req.Clips, clipvec.DefaultClassifyClips)
	}
	q := clipvec.ClassifyQuery{Classes: req.Classes, Model: req.Model, Modalities: req.Modalities, Videos: req.Videos,
		Threshold: req.Threshold, MinDurationRatio: req.MinDurationRatio, Top: req.Top, Clips: req.Clips, Detailed: req.Detailed}
	// An empty list restricts nothing, as in a search's filter (the
	// library would read an empty, non-nil Videos as no video at all).
	if len(q.Videos) == 0 {
		q.Videos = nil
	}
	if len(q.Modalities) == 0 {
		q.Modalities = nil
	}
	return q, nil
}
