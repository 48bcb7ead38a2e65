package twelvelabstest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MatchThreshold is the cosine a clip needs with the query to be a search
// match. With the catalogue's vector model, clips of the scene a query
// describes score 0.3–0.6 and other clips about 0 ± 0.05.
const MatchThreshold = 0.25

// Search response shapes.
type (
	wHit struct {
		Start         float64        `json:"start"`
		End           float64        `json:"end"`
		VideoID       string         `json:"video_id"`
		Rank          int            `json:"rank,omitempty"`
		Score         *float64       `json:"score,omitempty"`
		Confidence    string         `json:"confidence,omitempty"`
		ThumbnailURL  string         `json:"thumbnail_url"`
		Transcription string         `json:"transcription,omitempty"`
		UserMetadata  map[string]any `json:"user_metadata,omitempty"`
	}
	wGroup struct {
		ID    string `json:"id"`
		Clips []wHit `json:"clips"`
	}
	wPool struct {
		TotalCount    int     `json:"total_count"`
		TotalDuration float64 `json:"total_duration"`
		IndexID       string  `json:"index_id"`
	}
	wSearchInfo struct {
		LimitPerPage      int    `json:"limit_per_page"`
		TotalResults      int    `json:"total_results"`
		TotalInnerMatches int    `json:"total_inner_matches,omitempty"`
		PageExpiresAt     string `json:"page_expires_at"`
		NextPageToken     string `json:"next_page_token,omitempty"`
		PrevPageToken     string `json:"prev_page_token,omitempty"`
	}
)

// searchResult is a finished search whose pages can be fetched by token.
type searchResult struct {
	hits        []wHit
	groups      []wGroup
	grouped     bool
	limit       int
	pool        wPool
	tokens      []string // tokens[p] names page p
	includeMeta bool
	expires     time.Time
}

// searchPage names one page of a search.
type searchPage struct {
	res  *searchResult
	page int
	// uses counts the requests it answered; guarded by Server.mu.
	uses int
}

// search is POST /search: multipart, any-to-video search.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	fd, err := s.readForm(r)
	if err != nil {
		s.badRequest(w, r, "body", err.Error())
		return
	}
	indexID := fd.get("index_id")
	if indexID == "" {
		s.badRequest(w, r, "index_id", "The `index_id` parameter is required.")
		return
	}
	ix := s.Catalogue.Index(indexID)
	if ix == nil {
		s.notFound(w, r, indexID, "indexes")
		return
	}
	allowed := []string{"visual", "audio", "transcription"}
	if ix.ModelName == "marengo2.7" {
		allowed = []string{"visual", "audio"}
	}
	options := fd.values["search_options"]
	if len(options) == 0 {
		s.badRequest(w, r, "search_options", "The `search_options` parameter is required.")
		return
	}
	for _, o := range options {
		if !slices.Contains(allowed, o) {
			s.writeError(w, r, http.StatusBadRequest, "search_option_not_supported", fmt.Sprintf("The search option %q is not supported by the index %s.", o, ix.ID), nil)
			return
		}
	}
	for _, o := range fd.values["transcription_options"] {
		if o != "lexical" && o != "semantic" {
			s.badRequest(w, r, "transcription_options", fmt.Sprintf("The `transcription_options` parameter is invalid: %q is not one of lexical, semantic.", o))
			return
		}
		if !slices.Contains(options, "transcription") {
			s.writeError(w, r, http.StatusBadRequest, "search_option_combination_not_supported", "The `transcription_options` parameter applies only with the transcription search option.", nil)
			return
		}
	}
	groupBy, operator := cmp.Or(fd.get("group_by"), "clip"), cmp.Or(fd.get("operator"), "or")
	if groupBy != "clip" && groupBy != "video" {
		s.badRequest(w, r, "group_by", "The `group_by` parameter is invalid: use clip or video.")
		return
	}
	if operator != "or" && operator != "and" {
		s.badRequest(w, r, "operator", "The `operator` parameter is invalid: use or or and.")
		return
	}
	limit := 10
	if raw := fd.get("page_limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 50 {
			s.badRequest(w, r, "page_limit", "The `page_limit` parameter is invalid: it must be between 1 and 50.")
			return
		}
		limit = n
	}
	includeMeta := false
	if raw := fd.get("include_user_metadata"); raw != "" {
		if includeMeta, err = strconv.ParseBool(raw); err != nil {
			s.badRequest(w, r, "include_user_metadata", "The `include_user_metadata` parameter is invalid: use true or false.")
			return
		}
	}
	keep, err := searchFilter(fd.get("filter"))
	if err != nil {
		s.writeError(w, r, http.StatusBadRequest, "search_filter_invalid", "The `filter` parameter is invalid: "+err.Error(), nil)
		return
	}
	// The query: text, images, or both composed.
	sp := s.Catalogue.space(ix.ModelName)
	var parts [][]float32
	if text := fd.get("query_text"); text != "" {
		parts = append(parts, sp.text(text))
	}
	urls, files := fd.values["query_media_url"], fd.files["query_media_file"]
	if len(urls)+len(files) > 0 {
		if fd.get("query_media_type") != "image" {
			s.badRequest(w, r, "query_media_type", "The `query_media_type` parameter is invalid: media queries take image.")
			return
		}
		if len(urls)+len(files) > 10 {
			s.badRequest(w, r, "query_media_url", "A search takes up to 10 images.")
			return
		}
		for _, u := range urls {
			parts = append(parts, s.imageVector(sp, s.Catalogue.inputMedia(u)))
		}
		if len(urls) == 0 {
			for _, f := range files {
				parts = append(parts, s.imageVector(sp, s.Catalogue.inputMedia(f.key())))
			}
		}
	}
	if len(parts) == 0 {
		s.badRequest(w, r, "query_text", "The `query_text` parameter is required: give query_text or a media query.")
		return
	}
	query := meanVector(parts)

	res := &searchResult{grouped: groupBy == "video", limit: limit, includeMeta: includeMeta, expires: s.clock.Now().Add(s.cfg.pageLifetime)}
	res.pool.IndexID = ix.ID
	for _, vs := range [][]*Video{ix.Videos, ix.SearchOnly} {
		for _, v := range vs {
			if v.Ready() {
				res.pool.TotalCount++
				res.pool.TotalDuration += v.Duration
			}
		}
	}
	res.pool.TotalDuration = math.Round(res.pool.TotalDuration)
	res.hits = s.match(ix, query, queryKey(ix.ID, options, operator, fd), options, operator == "and", keep)
	if res.grouped {
		at := map[string]int{}
		for _, h := range res.hits {
			i, ok := at[h.VideoID]
			if !ok {
				i = len(res.groups)
				at[h.VideoID] = i
				res.groups = append(res.groups, wGroup{ID: h.VideoID})
			}
			res.groups[i].Clips = append(res.groups[i].Clips, h)
		}
	}
	n := len(res.hits)
	if res.grouped {
		n = len(res.groups)
	}
	pages := max((n+limit-1)/limit, 1)
	s.mu.Lock()
	s.seq++
	for p := range pages {
		tok := hexID(s.cfg.catalogue.Seed, "search-page", s.seq, uint64(p))
		res.tokens = append(res.tokens, tok)
		s.pages[tok] = &searchPage{res: res, page: p}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, res.render(0, includeMeta, false))
}

// match is the search engine: it scores the search clips of the index's
// ready videos that pass the filter, in every option asked, ranks them
// with the server's [SearchRanking], deals foreign (search-only) matches
// into their slots, and returns the hits best first.
func (s *Server) match(ix *Index, query []float32, qkey uint64, options []string, all bool, keep func(*Video) bool) []wHit {
	rk := s.cfg.ranking
	local := rankClips(rk, ix.Videos, query, qkey, options, all, keep)
	foreign := rankClips(rk, ix.SearchOnly, query, qkey, options, all, keep)
	slot := rk.foreignSlots(qkey)
	var list []scoredClip
deal:
	for i := 0; ; i++ {
		switch {
		case slot(i) && len(foreign) > 0:
			list, foreign = append(list, foreign[0]), foreign[1:]
		case len(local) > 0:
			list, local = append(list, local[0]), local[1:]
		default:
			// Out of local matches: the foreign ones left over would
			// raise the share above ForeignShare.
			break deal
		}
	}
	hits := make([]wHit, len(list))
	for i, e := range list {
		h := wHit{Start: e.start, End: e.end, VideoID: e.v.ID,
			ThumbnailURL: fmt.Sprintf("https://thumbs.fake.twelvelabs.invalid/%s/%.3f.jpg", e.v.ID, e.start),
			UserMetadata: e.v.UserMetadata}
		if ix.ModelName == "marengo2.7" {
			// Marengo 2.7 scored and graded its matches instead of ranking.
			// A foreign match dealt into its slot may score above the
			// match before it: scores are capped so they never rise down
			// the list.
			if i > 0 {
				e.score = min(e.score, list[i-1].score)
				list[i].score = e.score
			}
			h.Score = ptr(math.Round(e.score*10000) / 100)
			switch {
			case e.score >= 0.5:
				h.Confidence = "high"
			case e.score >= 0.35:
				h.Confidence = "medium"
			default:
				h.Confidence = "low"
			}
		} else {
			h.Rank = i + 1
		}
		if slices.Contains(e.options, "transcription") {
			for _, l := range e.v.Transcription {
				if l.Start < e.end && l.End > e.start {
					h.Transcription = l.Value
					break
				}
			}
		}
		hits[i] = h
	}
	return hits
}

// scoredClip is a search clip that matched a query.
type scoredClip struct {
	v          *Video
	start, end float64
	// score is the ranking score: the clip's score in its best option
	// (worst, with operator and), plus the ranking's noise once ranked.
	score float64
	// options are the options it matched in.
	options []string
}

// rankClips returns the matches among the videos' search clips, best
// first. A clip's score in an option is the cosine of the query with the
// option's segment over the clip, or, when the clip spans several
// segments, the mean of their cosines weighted by their overlap with it.
// It matches in the options where that score reaches [MatchThreshold]
// (all of them, with operator and). The matches are ranked by score, then
// noise grown with that rank is added and they are ranked again.
func rankClips(rk SearchRanking, videos []*Video, query []float32, qkey uint64, options []string, all bool, keep func(*Video) bool) []scoredClip {
	distinct := func(opts []string) int { return len(slices.Compact(slices.Sorted(slices.Values(opts)))) }
	want := distinct(options)
	var list []scoredClip
	for _, v := range videos {
		if !v.Ready() || !keep(v) {
			continue
		}
		clips := rk.searchClips(v)
		type acc struct {
			best, worst float64
			options     []string
		}
		found := make([]*acc, len(clips))
		for _, opt := range uniqueOptions(v) {
			asked := opt
			if asked == "visual-text" {
				asked = "visual"
			}
			if !slices.Contains(options, asked) {
				continue
			}
			segs := v.Clips(opt)
			cos := make([]float64, len(segs))
			for k, seg := range segs {
				cos[k] = Cosine(query, seg.Vector)
			}
			for c, clip := range clips {
				score, ok := clipScore(clip, segs, cos)
				if !ok || score < MatchThreshold {
					continue
				}
				a := found[c]
				if a == nil {
					a = &acc{best: score, worst: score}
					found[c] = a
				}
				a.best, a.worst = max(a.best, score), min(a.worst, score)
				a.options = append(a.options, asked)
			}
		}
		for c, a := range found {
			if a == nil {
				continue
			}
			score := a.best
			if all {
				if distinct(a.options) < want {
					continue
				}
				score = a.worst
			}
			list = append(list, scoredClip{v: v, start: clips[c][0], end: clips[c][1], score: score, options: a.options})
		}
	}
	best := func(x, y scoredClip) int {
		return cmp.Or(cmp.Compare(y.score, x.score), strings.Compare(x.v.ID, y.v.ID), cmp.Compare(x.start, y.start))
	}
	slices.SortFunc(list, best)
	if rk.RankNoise > 0 {
		for r := range list {
			list[r].score += rk.noise(qkey, list[r].v.ID, list[r].start, r)
		}
		slices.SortFunc(list, best)
	}
	return list
}

// clipScore is a search clip's score in one option: the cosine of the
// one segment it lies in, else the overlap-weighted mean of the cosines
// of the segments it overlaps.
func clipScore(clip [2]float64, segs []Segment, cos []float64) (float64, bool) {
	var sum, weight, only float64
	n := 0
	for k, seg := range segs {
		overlap := math.Min(clip[1], seg.End) - math.Max(clip[0], seg.Start)
		if overlap <= 0 {
			continue
		}
		n++
		only = cos[k]
		sum += float64(overlap * cos[k])
		weight += overlap
	}
	switch n {
	case 0:
		return 0, false
	case 1:
		return only, true
	}
	return sum / weight, true
}

// uniqueOptions returns the options a video's segments have, in order.
func uniqueOptions(v *Video) []string {
	var out []string
	for _, s := range v.Segments {
		if !slices.Contains(out, s.Option) {
			out = append(out, s.Option)
		}
	}
	return out
}

// render builds the body of page p.
func (res *searchResult) render(p int, includeMeta, withPrev bool) map[string]any {
	info := wSearchInfo{LimitPerPage: res.limit, PageExpiresAt: timestamp(res.expires)}
	var data any
	strip := func(h wHit) wHit {
		if !includeMeta {
			h.UserMetadata = nil
		}
		return h
	}
	if res.grouped {
		lo, hi := min(p*res.limit, len(res.groups)), min((p+1)*res.limit, len(res.groups))
		page := make([]wGroup, 0, hi-lo)
		for _, g := range res.groups[lo:hi] {
			out := wGroup{ID: g.ID}
			for _, h := range g.Clips {
				out.Clips = append(out.Clips, strip(h))
			}
			page = append(page, out)
		}
		data, info.TotalResults, info.TotalInnerMatches = page, len(res.groups), len(res.hits)
	} else {
		lo, hi := min(p*res.limit, len(res.hits)), min((p+1)*res.limit, len(res.hits))
		page := make([]wHit, 0, hi-lo)
		for _, h := range res.hits[lo:hi] {
			page = append(page, strip(h))
		}
		data, info.TotalResults = page, len(res.hits)
	}
	if p+1 < len(res.tokens) {
		info.NextPageToken = res.tokens[p+1]
	}
	if withPrev && p > 0 {
		info.PrevPageToken = res.tokens[p-1]
	}
	return map[string]any{"search_pool": res.pool, "data": data, "page_info": info}
}

// searchPage is GET /search/{page_token}.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("page_token")
	now := s.clock.Now()
	s.mu.Lock()
	pg := s.pages[tok]
	valid := pg != nil && now.Before(pg.res.expires) && (s.cfg.pageUses == 0 || pg.uses < s.cfg.pageUses)
	if valid {
		pg.uses++
	}
	s.mu.Unlock()
	if !valid {
		s.writeError(w, r, http.StatusBadRequest, "search_page_token_expired",
			"The token that identifies the page to be retrieved is expired or invalid. You must make a new search request. Token: "+tok, nil)
		return
	}
	includeMeta := pg.res.includeMeta
	if raw := r.URL.Query().Get("include_user_metadata"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			s.badRequest(w, r, "include_user_metadata", "The `include_user_metadata` parameter is invalid: use true or false.")
			return
		}
		includeMeta = b
	}
	writeJSON(w, http.StatusOK, pg.res.render(pg.page, includeMeta, true))
}

// searchFilter parses the filter form field (a JSON object in a string).
func searchFilter(raw string) (func(*Video) bool, error) {
	if strings.TrimSpace(raw) == "" {
		return func(*Video) bool { return true }, nil
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		return nil, fmt.Errorf("it must be a JSON object: %v", err)
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var tests []func(*Video) bool
	for _, key := range keys {
		val := f[key]
		switch {
		case key == "id":
			var ids []string
			if err := json.Unmarshal(val, &ids); err != nil {
				var one string
				if json.Unmarshal(val, &one) != nil {
					return nil, fmt.Errorf("id must be a string or an array of strings")
				}
				ids = []string{one}
			}
			tests = append(tests, func(v *Video) bool { return slices.Contains(ids, v.ID) })
		case videoNumbers[key] != nil:
			get := videoNumbers[key]
			var exact float64
			if json.Unmarshal(val, &exact) == nil {
				tests = append(tests, func(v *Video) bool { return get(v) == exact })
				continue
			}
			var rng map[string]float64
			if err := json.Unmarshal(val, &rng); err != nil {
				return nil, fmt.Errorf("%s must be a number or {\"gte\", \"lte\"}", key)
			}
			for op, x := range rng {
				switch op {
				case "gte":
					tests = append(tests, func(v *Video) bool { return get(v) >= x })
				case "lte":
					tests = append(tests, func(v *Video) bool { return get(v) <= x })
				default:
					return nil, fmt.Errorf("%s has the unknown operator %q", key, op)
				}
			}
		case key == "filename":
			var name string
			if err := json.Unmarshal(val, &name); err != nil {
				return nil, fmt.Errorf("filename must be a string")
			}
			tests = append(tests, func(v *Video) bool { return v.Filename == name })
		default:
			var want any
			if err := json.Unmarshal(val, &want); err != nil {
				return nil, err
			}
			tests = append(tests, func(v *Video) bool { return sameMetadata(v.UserMetadata[key], want) })
		}
	}
	return allOf(tests), nil
}

// sameMetadata compares a user metadata value with a decoded filter value
// (numbers by value, whatever their Go type).
func sameMetadata(have, want any) bool {
	if list, ok := want.([]any); ok {
		for _, w := range list {
			if sameMetadata(have, w) {
				return true
			}
		}
		return false
	}
	if wf, ok := want.(float64); ok {
		switch h := have.(type) {
		case int:
			return float64(h) == wf
		case float64:
			return h == wf
		}
		return false
	}
	return have == want
}
