package engine

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/clipvec/clipvec/internal/sqlite"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// ScoreRequest asks for the similarity of every clip of a space to a set
// of prompts grouped into classes: what classifying a library needs.
type ScoreRequest struct {
	// Prompts are unit vectors of the space's dimension; Class[p] is the
	// class (0 to Classes-1) prompt p belongs to. A clip's similarity to
	// a class is its best over the class's prompts.
	Prompts [][]float32
	Class   []int
	Classes int
	// Modalities and Scopes limit the segments scored (nil: all).
	Modalities, Scopes []string
	// Videos limits the clips returned (empty: every video's). The
	// histograms always cover every clip scored, so that a threshold
	// calibrated from them does not depend on which videos are asked
	// about.
	Videos []string
	// PerPrompt asks for each returned video's best similarity to each
	// prompt.
	PerPrompt bool
}

// HistBins is how many equal bins of [-1, 1] a ScoreAnswer histogram
// has: 8192 bins of 0.000244.
const HistBins = 8192

// HistBin is the bin of histogram a similarity s falls in.
func HistBin(s float32) int {
	b := int((float64(s) + 1) / 2 * HistBins)
	return min(max(b, 0), HistBins-1)
}

// HistValue is the similarity at the middle of bin b.
func HistValue(b int) float64 { return (float64(b)+0.5)/HistBins*2 - 1 }

// ScoreAnswer is a ScoreRequest's answer.
type ScoreAnswer struct {
	// Options names the modalities the answer's option indexes refer to.
	Options []string
	// Hist[c][o] counts the clips of option o by their similarity to
	// class c, in HistBins bins (nil for an option no clip scored has).
	Hist [][][]uint32
	// Clips are the returned clips, in node order; Scores[i*Classes+c]
	// is clip i's similarity to class c and Prompt[i*Classes+c] the
	// prompt that gave it.
	Clips  []ScoredClip
	Scores []float32
	Prompt []uint16
	// Videos names the video indexes of Clips; PromptBest[v][p] is video
	// v's best similarity to prompt p (with PerPrompt).
	Videos     []string
	PromptBest map[int32][]float32
	// Scored counts the clips compared with the prompts.
	Scored int
}

// ScoredClip is a clip of a ScoreAnswer.
type ScoredClip struct {
	Segment    int64
	Video      int32 // index into ScoreAnswer.Videos
	Option     uint8 // index into ScoreAnswer.Options
	Start, End float64
}

// MaxPrompts is the most prompts one ScoreRequest takes.
const MaxPrompts = math.MaxUint16

// scoreTile is how many rows a thread compares with every prompt before
// moving on: 64 rows of 512 floats are 128 KB, which stay in L2 while
// the prompts stream past them, two rows against four prompts at a time
// (vecmath.DotPanel).
const scoreTile = 64

// Score compares every live clip of space sp with all of req's prompts
// in one pass over the vectors: each thread takes a range of rows and
// scores each tile of them against every prompt while the tile is in
// cache, so the vectors are read from memory once, whatever the number
// of prompts. Scores agree with Search's to float32 rounding (the sums
// run in another order).
func (e *Engine) Score(ctx context.Context, sp sqlite.Space, req ScoreRequest) (*ScoreAnswer, error) {
	np := len(req.Prompts)
	switch {
	case np == 0:
		return nil, fmt.Errorf("score: no prompts")
	case np > MaxPrompts:
		return nil, fmt.Errorf("score: %d prompts, more than %d", np, MaxPrompts)
	case len(req.Class) != np:
		return nil, fmt.Errorf("score: %d prompts and %d class numbers", np, len(req.Class))
	}
	for p, v := range req.Prompts {
		if len(v) != sp.Dim {
			return nil, fmt.Errorf("score: prompt %d has %d values, want %d", p, len(v), sp.Dim)
		}
		if c := req.Class[p]; c < 0 || c >= req.Classes {
			return nil, fmt.Errorf("score: prompt %d is of class %d, want 0 to %d", p, c, req.Classes-1)
		}
	}
	idx, err := e.searchIndexFor(ctx, sp)
	if err != nil {
		return nil, err
	}
	idx.mu.RLock()
	defer idx.mu.RUnlock()
	cols := idx.cols
	rf := compileFilter(cols, &Filter{Modalities: req.Modalities, Scopes: req.Scopes})
	var keep []bool // by video index; nil: all
	if len(req.Videos) > 0 {
		keep = make([]bool, len(cols.videos))
		for _, v := range req.Videos {
			if i, ok := cols.videoIdx[v]; ok {
				keep[i] = true
			}
		}
	}
	nc, no := req.Classes, len(cols.options)
	threads := e.Threads()
	type part struct {
		hist       [][][]uint32
		clips      []ScoredClip
		scores     []float32
		prompt     []uint16
		promptBest map[int32][]float32
		scored     int
	}
	parts := make([]*part, threads)
	idx.g.View(func(vecs []float32, n int, dead func(uint32) bool) {
		n = min(n, cols.len())
		dim := idx.space.Dim
		chunks(n, threads, func(pi, lo, hi int) {
			pt := &part{hist: make([][][]uint32, nc)}
			for c := range pt.hist {
				pt.hist[c] = make([][]uint32, no)
			}
			if req.PerPrompt {
				pt.promptBest = map[int32][]float32{}
			}
			ids := make([]uint32, 0, scoreTile)
			sims := make([]float32, np*scoreTile)
			best := make([]float32, nc)
			arg := make([]uint16, nc)
			for t0 := lo; t0 < hi && ctx.Err() == nil; t0 += scoreTile {
				ids = ids[:0]
				for r := t0; r < min(t0+scoreTile, hi); r++ {
					if !dead(uint32(r)) && rf.pass(cols, r) {
						ids = append(ids, uint32(r))
					}
				}
				if len(ids) == 0 {
					continue
				}
				vecmath.DotPanel(req.Prompts, vecs, dim, ids, sims[:len(ids)*np])
				pt.scored += len(ids)
				for j, r := range ids {
					row := sims[j*np : (j+1)*np]
					for c := range best {
						best[c] = float32(math.Inf(-1))
					}
					for p, s := range row {
						if c := req.Class[p]; s > best[c] {
							best[c], arg[c] = s, uint16(p)
						}
					}
					o := cols.option[r]
					for c, s := range best {
						h := pt.hist[c][o]
						if h == nil {
							h = make([]uint32, HistBins)
							pt.hist[c][o] = h
						}
						h[HistBin(s)]++
					}
					v := cols.video[r]
					if keep != nil && !keep[v] {
						continue
					}
					pt.clips = append(pt.clips, ScoredClip{Segment: cols.seg[r], Video: v, Option: o,
						Start: cols.start[r], End: cols.end[r]})
					pt.scores = append(pt.scores, best...)
					pt.prompt = append(pt.prompt, arg...)
					if pt.promptBest != nil {
						pb := pt.promptBest[v]
						if pb == nil {
							pb = make([]float32, np)
							for p := range pb {
								pb[p] = float32(math.Inf(-1))
							}
							pt.promptBest[v] = pb
						}
						for p, s := range row {
							pb[p] = max(pb[p], s)
						}
					}
				}
			}
			parts[pi] = pt
		})
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ans := &ScoreAnswer{Options: slices.Clone(cols.options), Videos: slices.Clone(cols.videos), Hist: make([][][]uint32, nc)}
	for c := range ans.Hist {
		ans.Hist[c] = make([][]uint32, no)
	}
	var promptBest map[int32][]float32
	if req.PerPrompt {
		promptBest = map[int32][]float32{}
	}
	for _, pt := range parts {
		if pt == nil {
			continue
		}
		ans.Scored += pt.scored
		ans.Clips = append(ans.Clips, pt.clips...)
		ans.Scores = append(ans.Scores, pt.scores...)
		ans.Prompt = append(ans.Prompt, pt.prompt...)
		for c := range pt.hist {
			for o, h := range pt.hist[c] {
				switch {
				case h == nil:
				case ans.Hist[c][o] == nil:
					ans.Hist[c][o] = h
				default:
					for b, k := range h {
						ans.Hist[c][o][b] += k
					}
				}
			}
		}
		for v, pb := range pt.promptBest {
			if have := promptBest[v]; have != nil {
				for p := range have {
					have[p] = max(have[p], pb[p])
				}
			} else {
				promptBest[v] = pb
			}
		}
	}
	ans.PromptBest = promptBest
	return ans, nil
}
