package twelvelabstest

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Wire shapes of indexed assets and videos, fields in the API's order.
type (
	wSysMeta struct {
		Duration float64 `json:"duration"`
		Filename string  `json:"filename"`
		FPS      float64 `json:"fps,omitempty"`
		Height   int     `json:"height"`
		Width    int     `json:"width"`
		Size     *int64  `json:"size,omitempty"`
	}
	wAssetItem struct {
		ID             string    `json:"_id"`
		AssetID        string    `json:"asset_id,omitempty"`
		CreatedAt      string    `json:"created_at"`
		IndexID        string    `json:"index_id,omitempty"` // legacy videos list
		IndexedAt      string    `json:"indexed_at,omitempty"`
		Metadata       *wSysMeta `json:"metadata,omitempty"` // legacy videos list
		SystemMetadata *wSysMeta `json:"system_metadata,omitempty"`
		Status         string    `json:"status,omitempty"`
		UpdatedAt      string    `json:"updated_at"`
	}
	wHLS struct {
		VideoURL      string   `json:"video_url"`
		ThumbnailURLs []string `json:"thumbnail_urls"`
		Status        string   `json:"status"`
		UpdatedAt     string   `json:"updated_at"`
	}
	wAssetEmbedding struct {
		ModelName      string          `json:"model_name"`
		VideoEmbedding wVideoEmbedding `json:"video_embedding"`
	}
	wLine struct {
		Start float64 `json:"start"`
		End   float64 `json:"end"`
		Value string  `json:"value"`
	}
	wAsset struct {
		ID             string           `json:"_id"`
		AssetID        string           `json:"asset_id,omitempty"`
		CreatedAt      string           `json:"created_at"`
		UpdatedAt      string           `json:"updated_at"`
		IndexedAt      string           `json:"indexed_at,omitempty"`
		Status         string           `json:"status,omitempty"`
		SystemMetadata wSysMeta         `json:"system_metadata"`
		UserMetadata   map[string]any   `json:"user_metadata,omitempty"`
		HLS            *wHLS            `json:"hls,omitempty"`
		Embedding      *wAssetEmbedding `json:"embedding,omitempty"`
		Transcription  []wLine          `json:"transcription,omitempty"`
	}
)

func sysMeta(v *Video, withSize bool) *wSysMeta {
	m := &wSysMeta{Duration: v.Duration, Filename: v.Filename, FPS: v.FPS, Height: v.Height, Width: v.Width}
	if withSize {
		m.Size = ptr(v.Size)
	}
	return m
}

// retrieveIndex is GET /indexes/{id}: the index's name, counts and
// models, in the API's shape (the getIndexResponse example of the spec).
// video_count and total_duration count the search pool, search-only
// videos included.
func (s *Server) retrieveIndex(w http.ResponseWriter, r *http.Request) {
	ix := s.lookupIndex(w, r)
	if ix == nil {
		return
	}
	n, total := 0, 0.0
	for _, v := range append(slices.Clip(ix.Videos), ix.SearchOnly...) {
		if v.Status == "" || v.Status == "ready" {
			n++
			total += v.Duration
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"_id": ix.ID, "index_name": ix.Name, "video_count": n, "total_duration": total,
		"created_at": s.clock.Now().UTC().Format(time.RFC3339),
		"models":     []map[string]any{{"model_name": ix.ModelName, "model_options": searchOptionsOf(ix)}},
	})
}

// searchOptionsOf is the model_options of an index: its videos' options
// as /search names them (2.7's visual-text is searched as visual).
func searchOptionsOf(ix *Index) []string {
	var out []string
	for _, o := range ix.Options {
		if o == "visual-text" {
			o = "visual"
		}
		if o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// lookupIndex finds the path's index or answers 404.
func (s *Server) lookupIndex(w http.ResponseWriter, r *http.Request) *Index {
	id := r.PathValue("index_id")
	ix := s.Catalogue.Index(id)
	if ix == nil {
		s.notFound(w, r, id, "indexes")
	}
	return ix
}

func (s *Server) listIndexedAssets(w http.ResponseWriter, r *http.Request) { s.listAssets(w, r, false) }
func (s *Server) listVideos(w http.ResponseWriter, r *http.Request)        { s.listAssets(w, r, true) }

// knownListKeys are the list parameters; any other query key filters user
// metadata.
var knownListKeys = []string{"page", "page_limit", "sort_by", "sort_option", "status", "filename",
	"duration", "fps", "width", "height", "size", "created_at", "updated_at"}

// listAssets is GET /indexes/{id}/indexed-assets and, with videos, the
// older GET /indexes/{id}/videos.
func (s *Server) listAssets(w http.ResponseWriter, r *http.Request, videos bool) {
	ix := s.lookupIndex(w, r)
	if ix == nil {
		return
	}
	q := r.URL.Query()
	page, limit, field, ok := pageParams(q)
	if !ok {
		s.badRequest(w, r, field, fmt.Sprintf("The `%s` parameter is invalid.", field))
		return
	}
	keep, field, msg := assetFilter(q, videos)
	if keep == nil {
		s.badRequest(w, r, field, msg)
		return
	}
	sortBy, order := cmp.Or(q.Get("sort_by"), "created_at"), cmp.Or(q.Get("sort_option"), "desc")
	if sortBy != "created_at" && sortBy != "updated_at" {
		s.badRequest(w, r, "sort_by", "The `sort_by` parameter is invalid: use created_at or updated_at.")
		return
	}
	if order != "asc" && order != "desc" {
		s.badRequest(w, r, "sort_option", "The `sort_option` parameter is invalid: use asc or desc.")
		return
	}
	var vs []*Video
	for _, v := range ix.Videos {
		if keep(v) {
			vs = append(vs, v)
		}
	}
	slices.SortStableFunc(vs, func(a, b *Video) int {
		ta, tb := a.CreatedAt, b.CreatedAt
		if sortBy == "updated_at" {
			ta, tb = a.UpdatedAt, b.UpdatedAt
		}
		c := ta.Compare(tb)
		if order == "desc" {
			c = -c
		}
		return cmp.Or(c, strings.Compare(a.ID, b.ID))
	})
	items := make([]wAssetItem, 0, len(vs))
	for _, v := range vs {
		it := wAssetItem{ID: v.ID, CreatedAt: timestamp(v.CreatedAt), UpdatedAt: timestamp(v.UpdatedAt), IndexedAt: timestamp(v.IndexedAt)}
		switch {
		case videos && s.cfg.legacyVideoList:
			it.IndexID, it.Metadata, it.Status, it.IndexedAt = ix.ID, sysMeta(v, false), v.Status, ""
			it.Metadata.FPS = 0
		case videos:
			it.AssetID, it.SystemMetadata = v.AssetID, sysMeta(v, false)
		default:
			it.AssetID, it.SystemMetadata, it.Status = v.AssetID, sysMeta(v, true), v.Status
		}
		items = append(items, it)
	}
	data, info := pageOf(items, page, limit)
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "page_info": info})
}

// assetFilter builds a list filter from the query; on a bad parameter it
// returns nil and says which and why.
func assetFilter(q url.Values, videos bool) (keep func(*Video) bool, field, message string) {
	var tests []func(*Video) bool
	if st := q["status"]; len(st) > 0 && !videos {
		valid := []string{"ready", "pending", "queued", "indexing", "failed"}
		for _, v := range st {
			if !slices.Contains(valid, v) {
				return nil, "status", fmt.Sprintf("The `status` parameter is invalid: %q is not one of %s.", v, strings.Join(valid, ", "))
			}
		}
		tests = append(tests, func(v *Video) bool { return slices.Contains(st, v.Status) })
	}
	if fn := q.Get("filename"); fn != "" {
		tests = append(tests, func(v *Video) bool { return v.Filename == fn })
	}
	for _, key := range []string{"duration", "fps", "width", "height", "size"} {
		get := videoNumbers[key]
		for _, op := range []string{"", "[gte]", "[lte]"} {
			raw := q.Get(key + op)
			if raw == "" {
				continue
			}
			x, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				return nil, key + op, fmt.Sprintf("The `%s%s` parameter is invalid: it must be a number.", key, op)
			}
			switch op {
			case "":
				tests = append(tests, func(v *Video) bool { return get(v) == x })
			case "[gte]":
				tests = append(tests, func(v *Video) bool { return get(v) >= x })
			case "[lte]":
				tests = append(tests, func(v *Video) bool { return get(v) <= x })
			}
		}
	}
	for _, key := range []string{"created_at", "updated_at"} {
		raw := q.Get(key)
		if raw == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			return nil, key, fmt.Sprintf("The `%s` parameter is invalid: use RFC 3339.", key)
		}
		if key == "created_at" {
			tests = append(tests, func(v *Video) bool { return !v.CreatedAt.Before(t) })
		} else {
			tests = append(tests, func(v *Video) bool { return !v.UpdatedAt.Before(t) })
		}
	}
	for key, vals := range q {
		base, _, _ := strings.Cut(key, "[")
		if slices.Contains(knownListKeys, base) {
			continue
		}
		want := vals[0]
		tests = append(tests, func(v *Video) bool { return metadataText(v.UserMetadata[key]) == want })
	}
	return allOf(tests), "", ""
}

// videoNumbers reads the numeric fields that list and search filters
// compare.
var videoNumbers = map[string]func(*Video) float64{
	"duration": func(v *Video) float64 { return v.Duration },
	"fps":      func(v *Video) float64 { return v.FPS },
	"width":    func(v *Video) float64 { return float64(v.Width) },
	"height":   func(v *Video) float64 { return float64(v.Height) },
	"size":     func(v *Video) float64 { return float64(v.Size) },
}

// allOf is a filter passing the videos that pass every test.
func allOf(tests []func(*Video) bool) func(*Video) bool {
	return func(v *Video) bool {
		for _, t := range tests {
			if !t(v) {
				return false
			}
		}
		return true
	}
}

// metadataText renders a user metadata value as it appears in a query.
func metadataText(v any) string {
	switch x := v.(type) {
	case nil:
		return "\x00absent"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

func (s *Server) retrieveIndexedAsset(w http.ResponseWriter, r *http.Request) {
	s.retrieveAsset(w, r, r.PathValue("asset_id"), false)
}

func (s *Server) retrieveVideo(w http.ResponseWriter, r *http.Request) {
	s.retrieveAsset(w, r, r.PathValue("video_id"), true)
}

// retrieveAsset is GET /indexes/{id}/indexed-assets/{id} and the older
// GET /indexes/{id}/videos/{id} (no status, no size).
func (s *Server) retrieveAsset(w http.ResponseWriter, r *http.Request, id string, video bool) {
	ix := s.lookupIndex(w, r)
	if ix == nil {
		return
	}
	var v *Video
	for _, c := range ix.Videos {
		if c.ID == id {
			v = c
		}
	}
	if v == nil {
		collection := "indexed assets"
		if video {
			collection = "videos"
		}
		s.notFound(w, r, id, collection)
		return
	}
	q := r.URL.Query()
	options := q["embedding_option"]
	for _, o := range options {
		if !slices.Contains(ix.Options, o) {
			s.badRequest(w, r, "embedding_option", fmt.Sprintf("The `embedding_option` parameter is invalid: %q is not one of the index's model options (%s).", o, strings.Join(ix.Options, ", ")))
			return
		}
	}
	withText := false
	if raw := q.Get("transcription"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			s.badRequest(w, r, "transcription", "The `transcription` parameter is invalid: use true or false.")
			return
		}
		withText = b
	}
	a := wAsset{ID: v.ID, AssetID: v.AssetID, CreatedAt: timestamp(v.CreatedAt), UpdatedAt: timestamp(v.UpdatedAt),
		IndexedAt: timestamp(v.IndexedAt), Status: v.Status, SystemMetadata: *sysMeta(v, !video), UserMetadata: v.UserMetadata}
	if video {
		a.Status, a.AssetID = "", ""
	}
	if v.Ready() {
		a.HLS = &wHLS{
			VideoURL:      "https://stream.fake.twelvelabs.invalid/" + v.ID + "/stream.m3u8",
			ThumbnailURLs: []string{"https://stream.fake.twelvelabs.invalid/" + v.ID + "/thumbnails/0000001.jpg"},
			Status:        "COMPLETE",
			UpdatedAt:     timestamp(v.IndexedAt),
		}
		if len(options) > 0 {
			emb := &wAssetEmbedding{ModelName: ix.ModelName}
			for _, seg := range v.Segments {
				if slices.Contains(options, seg.Option) {
					emb.VideoEmbedding.Segments = append(emb.VideoEmbedding.Segments,
						wSegment{Start: ptr(seg.Start), End: ptr(seg.End), Option: seg.Option, Scope: seg.Scope, Float: seg.Vector})
				}
			}
			a.Embedding = emb
		}
		if withText {
			for _, l := range v.Transcription {
				a.Transcription = append(a.Transcription, wLine{l.Start, l.End, l.Value})
			}
		}
	}
	writeJSON(w, http.StatusOK, a)
}
