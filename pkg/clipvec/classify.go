package clipvec

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/clipvec/clipvec/internal/engine"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// Class is a named class of a classification and the text prompts that
// describe it (TwelveLabs' classify took the same shape).
type Class struct {
	Name    string   `json:"name"`
	Prompts []string `json:"prompts"`
}

// ClassifyQuery asks which classes each video of a space shows, and
// where: see DB.Classify.
type ClassifyQuery struct {
	// Classes are the classes to look for: at least one, names unique
	// (whatever their case), each with at least one prompt.
	Classes []Class
	// Model picks the space, as for a text query ("" when the database
	// has one space).
	Model string
	// Modalities limits the clips compared (nil: every modality).
	Modalities []string
	// Videos limits the videos answered about (whole ids; empty: all). The
	// thresholds are calibrated on every clip of the space whatever
	// Videos says, so a video's classes do not depend on which others
	// were asked about.
	Videos []string
	// Threshold, when set, is the similarity (-1 to 1) at or above which
	// a clip shows a class, for every class. Unset, each class gets a
	// threshold of its own per modality, calibrated from its
	// similarities to all the clips (see DB.Classify).
	Threshold *float64
	// MinDurationRatio drops a class from a video when it holds over
	// less than this share (0 to 1) of the video's duration.
	MinDurationRatio float64
	// Top keeps each video's Top best classes (0: all that hold).
	Top int
	// Clips is how many of a class's best clips each video lists, a
	// time span once (0: DefaultClassifyClips; Detailed lists every clip
	// where the class holds, in each modality).
	Clips int
	// Detailed adds each prompt's best score in the video, and lists
	// every clip where the class holds.
	Detailed bool
}

// DefaultClassifyClips is how many clips a video lists per class unless
// ClassifyQuery.Clips or Detailed says otherwise.
const DefaultClassifyClips = 3

// BackgroundZ is how far above a class's background a clip's similarity
// must be for the class to hold on it, when no threshold is given: in
// robust standard deviations (1.4826 median absolute deviations) above
// the median of the class's similarities to every clip of the modality.
const BackgroundZ = 4

// MinCalibrationClips is the fewest clips a threshold is calibrated on:
// a modality with fewer shares its class's distribution over all the
// modalities, and a space with fewer needs ClassifyQuery.Threshold.
const MinCalibrationClips = 20

// Classification is a ClassifyQuery's answer.
type Classification struct {
	Space Space `json:"space"`
	// Classes describes each class as it was applied: its prompts, where
	// their vectors came from, and its threshold per modality.
	Classes []ClassInfo `json:"classes"`
	// Videos lists every video asked about, classes or not, in id order.
	Videos []VideoClasses `json:"videos"`
	// Scored counts the clips compared with every prompt.
	Scored int `json:"scored"`
}

// ClassInfo is a class of a Classification.
type ClassInfo struct {
	Name    string   `json:"name"`
	Prompts []string `json:"prompts"`
	// Cached counts the prompts whose vectors came from the query cache
	// (the others were embedded now, and are cached from now on).
	Cached int `json:"cached"`
	// Thresholds is the similarity at or above which the class holds on
	// a clip, per modality.
	Thresholds map[string]float64 `json:"thresholds"`
	// Backgrounds describes the class's similarities to every clip, per
	// modality: what a calibrated threshold stands on.
	Backgrounds map[string]Background `json:"backgrounds"`
	// Calibrated says the thresholds were calibrated (no
	// ClassifyQuery.Threshold).
	Calibrated bool `json:"calibrated"`
}

// Background is the distribution of a class's similarities to the clips
// of one modality: their count, median and robust spread (1.4826 times
// the median absolute deviation, which is the standard deviation for a
// normal distribution and ignores a minority of clips that do show the
// class).
type Background struct {
	Clips  int     `json:"clips"`
	Median float64 `json:"median"`
	Spread float64 `json:"spread"`
}

// VideoClasses is one video's classes.
type VideoClasses struct {
	VideoID  string  `json:"video_id"`
	Filename string  `json:"filename,omitempty"`
	Duration float64 `json:"duration"`
	// Classes are the classes that hold, best score first.
	Classes []VideoClass `json:"classes"`
}

// VideoClass is a class that holds on a video.
type VideoClass struct {
	Name string `json:"name"`
	// Score is the video's best clip's similarity to the class.
	Score float32 `json:"score"`
	// Z is how far Score stands above the class's background in its
	// clip's modality, in Background.Spread units: a confidence that is
	// comparable across classes and modalities.
	Z float64 `json:"z"`
	// DurationRatio is the share of the video's duration covered by
	// clips (of any modality compared) on which the class holds.
	DurationRatio float64 `json:"duration_ratio"`
	// Clips are the video's best clips where the class holds, best
	// first: ClassifyQuery.Clips of them, a time span once (as its best
	// modality); with Detailed, every one.
	Clips []ClassClip `json:"clips"`
	// Prompts gives each prompt's best similarity to a clip of the
	// video (ClassifyQuery.Detailed).
	Prompts []PromptScore `json:"prompts,omitempty"`
}

// ClassClip is a clip on which a class holds.
type ClassClip struct {
	SegmentID int64   `json:"segment_id"`
	Modality  string  `json:"modality"`
	Start     float64 `json:"start"`
	End       float64 `json:"end"`
	Score     float32 `json:"score"`
	// Prompt is the class's prompt closest to the clip.
	Prompt string `json:"prompt"`
}

// PromptScore is a prompt's best similarity to a video's clips.
type PromptScore struct {
	Prompt string  `json:"prompt"`
	Score  float32 `json:"score"`
}

// embedConcurrency is how many prompts Classify embeds upstream at once.
const embedConcurrency = 4

// Classify answers, for each video of a space, which of q's classes its
// clips show, how strongly, over what share of its duration, and in
// which clips: TwelveLabs' retired classify, computed from the stored
// clip vectors.
//
// Each prompt is embedded with the space's model through the query cache
// (offline once cached). Every clip is compared with every prompt in one
// pass over the vectors. A clip's similarity to a class is its best over
// the class's prompts, and the class holds on the clip when that is at
// or above the class's threshold.
//
// Without q.Threshold, each class gets a threshold per modality from its
// similarities to every clip of that modality: the median plus
// BackgroundZ robust standard deviations (1.4826 × the median absolute
// deviation). Most clips of a library do not show a given class, so the
// median and its deviation describe the background of clips that don't,
// and are not moved by the minority that do; a clip that stands that far
// out of the background shows the class. A fixed similarity would not
// carry across models, modalities and prompt wordings, whose
// similarities sit at different levels; a top share of clips would
// find a class in any library, even one without it.
//
// A video's class score is its best clip's similarity; its duration
// ratio is the share of the video's duration covered by clips on which
// the class holds (a time covered by two modalities counts once).
func (db *DB) Classify(ctx context.Context, q ClassifyQuery) (*Classification, error) {
	if err := validateClassify(&q); err != nil {
		return nil, err
	}
	sp, err := db.querySpace(ctx, q.Model, "classify")
	if err != nil {
		return nil, err
	}
	gen, err := db.store.Generation(ctx)
	if err != nil {
		return nil, err
	}
	names, err := db.filenamesAt(ctx, gen)
	if err != nil {
		return nil, err
	}
	if err := checkVideos(names, "classify: videos", q.Videos...); err != nil {
		return nil, err
	}
	if err := db.checkFilterValues(ctx, sp, &Filter{Modalities: q.Modalities}); err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	req := engine.ScoreRequest{Classes: len(q.Classes), Modalities: q.Modalities, Scopes: []string{ScopeClip},
		Videos: q.Videos, PerPrompt: q.Detailed}
	var prompts []string
	for c, cl := range q.Classes {
		for _, p := range cl.Prompts {
			prompts = append(prompts, p)
			req.Class = append(req.Class, c)
		}
	}
	out := &Classification{Space: sp, Classes: make([]ClassInfo, len(q.Classes))}
	var cached []bool
	if req.Prompts, cached, err = db.embedPrompts(ctx, sp, q.Classes, prompts, req.Class); err != nil {
		return nil, err
	}
	ans, err := db.eng.Score(ctx, sp.row(), req)
	if err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	out.Scored = ans.Scored
	for c, cl := range q.Classes {
		info := ClassInfo{Name: cl.Name, Prompts: cl.Prompts, Calibrated: q.Threshold == nil,
			Thresholds: map[string]float64{}, Backgrounds: map[string]Background{}}
		for p := range prompts {
			if req.Class[p] == c && cached[p] {
				info.Cached++
			}
		}
		pooled := make([]uint32, engine.HistBins)
		for _, h := range ans.Hist[c] {
			for b, k := range h {
				pooled[b] += k
			}
		}
		all := background(pooled)
		for o, h := range ans.Hist[c] {
			if h == nil {
				continue
			}
			bg := background(h)
			if bg.Clips < MinCalibrationClips {
				bg = all
			}
			name := ans.Options[o]
			info.Backgrounds[name] = bg
			switch {
			case q.Threshold != nil:
				info.Thresholds[name] = *q.Threshold
			case bg.Clips < MinCalibrationClips:
				return nil, fmt.Errorf("classify: %w: the space has %d clips to compare, too few to calibrate a threshold on (%d); give a threshold",
					ErrInvalidQuery, bg.Clips, MinCalibrationClips)
			default:
				info.Thresholds[name] = min(bg.Median+BackgroundZ*bg.Spread, 1)
			}
		}
		out.Classes[c] = info
	}
	videos, err := db.Videos(ctx)
	if err != nil {
		return nil, err
	}
	out.Videos = classifyVideos(videos, &q, ans, out.Classes, prompts, req.Class)
	return out, nil
}

// validateClassify checks q and trims its names and prompts.
func validateClassify(q *ClassifyQuery) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("classify: %w: "+format, append([]any{ErrInvalidQuery}, args...)...)
	}
	if len(q.Classes) == 0 {
		return bad("no classes: give at least one, with its prompts")
	}
	classes := make([]Class, len(q.Classes))
	seen := map[string]string{}
	total := 0
	for i, c := range q.Classes {
		name := strings.TrimSpace(c.Name)
		if name == "" {
			return bad("class %d has no name", i+1)
		}
		if prev, ok := seen[strings.ToLower(name)]; ok {
			if prev == name {
				return bad("class %q is given twice: give each class once, with all its prompts", name)
			}
			return bad("classes %q and %q differ only in case: give each class once, with all its prompts", prev, name)
		}
		seen[strings.ToLower(name)] = name
		var prompts []string
		for _, p := range c.Prompts {
			p = strings.TrimSpace(p)
			if p == "" {
				return bad("class %q has a blank prompt", name)
			}
			if !slices.Contains(prompts, p) {
				prompts = append(prompts, p)
			}
		}
		if len(prompts) == 0 {
			return bad("class %q is empty: give it at least one prompt", name)
		}
		total += len(prompts)
		classes[i] = Class{Name: name, Prompts: prompts}
	}
	if total > engine.MaxPrompts {
		return bad("%d prompts, more than the %d one classification takes", total, engine.MaxPrompts)
	}
	q.Classes = classes
	if t := q.Threshold; t != nil && !(*t >= -1 && *t <= 1) {
		return bad("threshold %g is not a similarity: want a number from -1 to 1", *t)
	}
	if r := q.MinDurationRatio; !(r >= 0 && r <= 1) {
		return bad("minimum duration ratio %g: want a share from 0 to 1", r)
	}
	if q.Top < 0 {
		return bad("top %d: want a positive number of classes per video, or 0 for all", q.Top)
	}
	if q.Clips < 0 {
		return bad("clips %d: want a positive number of clips per class, or 0 for the default", q.Clips)
	}
	if q.Clips == 0 {
		q.Clips = DefaultClassifyClips
	}
	return nil
}

// embedPrompts returns the prompts' unit vectors and which came from the
// cache. When some are not cached and there is no embedder, the error
// names them all.
func (db *DB) embedPrompts(ctx context.Context, sp Space, classes []Class, prompts []string, class []int) ([][]float32, []bool, error) {
	vecs := make([][]float32, len(prompts))
	cached := make([]bool, len(prompts))
	errs := make([]error, len(prompts))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(embedConcurrency, len(prompts)) {
		wg.Go(func() {
			for p := range work {
				vec, hit, err := db.EmbedQuery(ctx, sp, QueryInput{Text: prompts[p]})
				if err == nil {
					vec = slices.Clone(vec)
					if _, err = vecmath.Normalize(vec); err != nil {
						err = fmt.Errorf("prompt %q: %w", prompts[p], err)
					}
				}
				vecs[p], cached[p], errs[p] = vec, hit, err
				if err != nil && !errors.Is(err, ErrNoCredentials) {
					cancel()
				}
			}
		})
	}
	for p := range prompts {
		if ctx.Err() != nil {
			break
		}
		work <- p
	}
	close(work)
	wg.Wait()
	var missing []string
	for p, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, ErrNoCredentials):
			missing = append(missing, fmt.Sprintf("%q (class %q)", prompts[p], classes[class[p]].Name))
		default:
			return nil, nil, fmt.Errorf("classify: class %q: %w", classes[class[p]].Name, err)
		}
	}
	if err := ctx.Err(); err != nil && len(missing) == 0 {
		return nil, nil, err
	}
	if len(missing) > 0 {
		list := missing
		if len(list) > 5 {
			list = append(slices.Clone(list[:5]), fmt.Sprintf("and %d more", len(missing)-5))
		}
		var which string
		switch {
		case len(prompts) == 1:
			which = "the prompt is not cached"
		case len(missing) == len(prompts):
			which = fmt.Sprintf("none of the %d prompts is cached", len(prompts))
		case len(missing) == 1:
			which = fmt.Sprintf("1 of the %d prompts is not cached", len(prompts))
		default:
			which = fmt.Sprintf("%d of the %d prompts are not cached", len(missing), len(prompts))
		}
		return nil, nil, fmt.Errorf("classify: %s, and %w (cached prompts work offline): %s",
			which, ErrNoCredentials, strings.Join(list, ", "))
	}
	return vecs, cached, nil
}

// background summarises a histogram of similarities.
func background(h []uint32) Background {
	total := 0
	for _, k := range h {
		total += int(k)
	}
	if total == 0 {
		return Background{}
	}
	median := histQuantile(h, total)
	// The median absolute deviation: the median of |bin − median|,
	// walking outward from the median's bin.
	type dev struct {
		d float64
		k uint32
	}
	devs := make([]dev, 0, 256)
	for b, k := range h {
		if k > 0 {
			devs = append(devs, dev{math.Abs(engine.HistValue(b) - median), k})
		}
	}
	sort.Slice(devs, func(i, j int) bool { return devs[i].d < devs[j].d })
	half, seen, mad := (total+1)/2, 0, 0.0
	for _, d := range devs {
		if seen += int(d.k); seen >= half {
			mad = d.d
			break
		}
	}
	binWidth := 2.0 / engine.HistBins
	return Background{Clips: total, Median: median, Spread: max(1.4826*mad, binWidth)}
}

// histQuantile is the median of a histogram of total counts: the middle
// of the bin where the count passes half.
func histQuantile(h []uint32, total int) float64 {
	half, seen := (total+1)/2, 0
	for b, k := range h {
		if seen += int(k); seen >= half {
			return engine.HistValue(b)
		}
	}
	return engine.HistValue(len(h) - 1)
}

// classifyVideos turns the clips' scores into each video's classes.
func classifyVideos(videos []Video, q *ClassifyQuery, ans *engine.ScoreAnswer, classes []ClassInfo, prompts []string, class []int) []VideoClasses {
	nc := len(q.Classes)
	thr := make([]float64, nc*len(ans.Options)) // per class, per option
	bgs := make([]Background, nc*len(ans.Options))
	for c := range classes {
		for o, name := range ans.Options {
			thr[c*len(ans.Options)+o] = math.Inf(1)
			if t, ok := classes[c].Thresholds[name]; ok {
				thr[c*len(ans.Options)+o] = t
				bgs[c*len(ans.Options)+o] = classes[c].Backgrounds[name]
			}
		}
	}
	byVideo := map[int32][]int{}
	for i, cl := range ans.Clips {
		byVideo[cl.Video] = append(byVideo[cl.Video], i)
	}
	videoIdx := make(map[string]int32, len(ans.Videos))
	for i, v := range ans.Videos {
		videoIdx[v] = int32(i)
	}
	asked := map[string]bool{}
	for _, v := range q.Videos {
		asked[v] = true
	}
	out := []VideoClasses{}
	for _, v := range videos {
		if len(q.Videos) > 0 && !asked[v.ID] {
			continue
		}
		vi, ok := videoIdx[v.ID]
		clips := byVideo[vi]
		if !ok || len(clips) == 0 {
			if !asked[v.ID] {
				continue // nothing of it in this space and modality
			}
			clips = nil
		}
		vc := VideoClasses{VideoID: v.ID, Filename: v.Filename, Duration: v.Duration, Classes: []VideoClass{}}
		for _, i := range clips {
			vc.Duration = max(vc.Duration, ans.Clips[i].End)
		}
		for c := range nc {
			var holds []int
			for _, i := range clips {
				o := int(ans.Clips[i].Option)
				if float64(ans.Scores[i*nc+c]) >= thr[c*len(ans.Options)+o] {
					holds = append(holds, i)
				}
			}
			if len(holds) == 0 {
				continue
			}
			slices.SortStableFunc(holds, func(a, b int) int {
				return cmp.Compare(ans.Scores[b*nc+c], ans.Scores[a*nc+c])
			})
			ratio := coverage(ans.Clips, holds, vc.Duration)
			if ratio < q.MinDurationRatio {
				continue
			}
			best := holds[0]
			bg := bgs[c*len(ans.Options)+int(ans.Clips[best].Option)]
			k := VideoClass{Name: q.Classes[c].Name, Score: ans.Scores[best*nc+c], DurationRatio: ratio,
				Z: (float64(ans.Scores[best*nc+c]) - bg.Median) / bg.Spread}
			var spans [][2]float64
			for _, i := range holds {
				cl := ans.Clips[i]
				if !q.Detailed {
					// The best moments: a span two modalities hold on is
					// listed once, as its best clip.
					if len(k.Clips) == q.Clips || slices.Contains(spans, [2]float64{cl.Start, cl.End}) {
						continue
					}
					spans = append(spans, [2]float64{cl.Start, cl.End})
				}
				k.Clips = append(k.Clips, ClassClip{SegmentID: cl.Segment, Modality: ans.Options[cl.Option],
					Start: cl.Start, End: cl.End, Score: ans.Scores[i*nc+c], Prompt: prompts[ans.Prompt[i*nc+c]]})
			}
			if q.Detailed {
				pb := ans.PromptBest[vi]
				for p := range prompts {
					if class[p] == c && pb != nil {
						k.Prompts = append(k.Prompts, PromptScore{Prompt: prompts[p], Score: pb[p]})
					}
				}
			}
			vc.Classes = append(vc.Classes, k)
		}
		slices.SortStableFunc(vc.Classes, func(a, b VideoClass) int { return cmp.Compare(b.Score, a.Score) })
		if q.Top > 0 && len(vc.Classes) > q.Top {
			vc.Classes = vc.Classes[:q.Top]
		}
		out = append(out, vc)
	}
	return out
}

// coverage is the share of [0, duration] covered by the clips listed.
func coverage(clips []engine.ScoredClip, which []int, duration float64) float64 {
	if duration <= 0 {
		return 0
	}
	spans := make([][2]float64, 0, len(which))
	for _, i := range which {
		s, e := max(clips[i].Start, 0), min(clips[i].End, duration)
		if e > s {
			spans = append(spans, [2]float64{s, e})
		}
	}
	slices.SortFunc(spans, func(a, b [2]float64) int { return cmp.Compare(a[0], b[0]) })
	covered, end := 0.0, math.Inf(-1)
	for _, sp := range spans {
		switch {
		case sp[0] >= end:
			covered += sp[1] - sp[0]
			end = sp[1]
		case sp[1] > end:
			covered += sp[1] - end
			end = sp[1]
		}
	}
	return min(covered/duration, 1)
}
