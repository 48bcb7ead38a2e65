package twelvelabstest

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// The vector model. Every word has a fixed random direction in each
// model's space (seeded by the model name and the word, not by the
// catalogue seed: the "model" is the same across catalogues). A scene's
// direction is the normalised sum of its words'. A clip vector is
//
//	1.00·scene + 0.45·video + 0.35·drift(t) + 0.30·modality + 0.25·noise
//
// normalised, where video is a per-video direction, drift an AR(1) walk
// over the clips of a video shared by its modalities, modality a
// direction per embedding option, noise per clip and option. A text query
// is the normalised sum of its words' directions plus 0.35·text, a
// direction every text shares (the "modality gap"). Random directions in
// hundreds of dimensions are nearly orthogonal, so a query sharing three
// of a scene's six words has cosine ≈ 0.7 with the scene and ≈ 0.55 with
// its clips, and ≈ 0 (±0.05) with other scenes' clips.
const (
	wScene    = 1.00
	wVideo    = 0.45
	wDrift    = 0.35
	wModality = 0.30
	wNoise    = 0.25
	wTextGap  = 0.35
	driftRho  = 0.9
)

// driftStep keeps the drift walk at unit variance: √(1−ρ²).
var driftStep = math.Sqrt(1 - driftRho*driftRho)

// space is one embedding space: a model at its native dimension.
type space struct {
	model string // "marengo3.0", "marengo2.7", "marengo3.5"
	dim   int
	seed  uint64

	mu sync.Mutex
	// words caches word directions.
	words map[string][]float64
	// fixed holds the vectors of CatalogueConfig.FixedTexts, by text.
	fixed map[string][]float32
}

func newSpace(model string, dim int) *space {
	return &space{model: model, dim: dim, seed: hashOf("space", model), words: map[string][]float64{}, fixed: map[string][]float32{}}
}

// hashOf hashes its parts (FNV-1a, parts separated by NUL).
func hashOf(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// mix combines a hash with numbers.
func mix(h uint64, ns ...uint64) uint64 {
	f := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], h)
	f.Write(b[:])
	for _, n := range ns {
		binary.LittleEndian.PutUint64(b[:], n)
		f.Write(b[:])
	}
	return f.Sum64()
}

// direction returns a deterministic unit vector for (space, key).
func (sp *space) direction(key uint64) []float64 {
	r := rand.New(rand.NewPCG(sp.seed, key))
	v := make([]float64, sp.dim)
	for i := range v {
		v[i] = r.Float64()*2 - 1
	}
	normalize(v)
	return v
}

// word returns the word's direction (cached).
func (sp *space) word(w string) []float64 {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if v, ok := sp.words[w]; ok {
		return v
	}
	v := sp.direction(hashOf("word", w))
	sp.words[w] = v
	return v
}

// scene returns the normalised sum of the words' directions.
func (sp *space) scene(words []string) []float64 {
	v := make([]float64, sp.dim)
	for _, w := range words {
		axpy(v, 1, sp.word(w))
	}
	normalize(v)
	return v
}

// text embeds a text query.
func (sp *space) text(text string) []float32 {
	if v, ok := sp.fixed[text]; ok {
		return slices.Clone(v)
	}
	words := contentWords(text)
	v := make([]float64, sp.dim)
	for _, w := range words {
		axpy(v, 1, sp.word(w))
	}
	if len(words) == 0 {
		// Nothing known: a direction of its own, so different texts differ.
		axpy(v, 1, sp.direction(hashOf("text", text)))
	}
	normalize(v)
	axpy(v, wTextGap, sp.word("\x00text"))
	return toFloat32(v)
}

// media describes one synthetic video (or audio, or image): the scene it
// shows and the key that seeds everything else about it.
type media struct {
	key   uint64
	topic int
}

// clipVectors returns n clip vectors of one option, in time order.
func (sp *space) clipVectors(m media, scene []float64, option string, n int) [][]float32 {
	video := sp.direction(mix(m.key, 1))
	modality := sp.word("\x00option:" + option)
	optKey := hashOf("option", option)
	out := make([][]float32, n)
	drift := sp.direction(mix(m.key, 2, 0))
	for k := range n {
		if k > 0 {
			step := sp.direction(mix(m.key, 2, uint64(k)))
			for i := range drift {
				drift[i] = float64(driftRho*drift[i]) + float64(driftStep*step[i])
			}
		}
		noise := sp.direction(mix(m.key, 3, optKey, uint64(k)))
		v := make([]float64, sp.dim)
		axpy(v, wScene, scene)
		axpy(v, wVideo, video)
		axpy(v, wDrift, drift)
		axpy(v, wModality, modality)
		axpy(v, wNoise, noise)
		normalize(v)
		out[k] = toFloat32(v)
	}
	return out
}

// meanVector returns the normalised mean of vectors (the whole-media
// vector of an option).
func meanVector(vs [][]float32) []float32 {
	if len(vs) == 0 {
		return nil
	}
	sum := make([]float64, len(vs[0]))
	for _, v := range vs {
		for i, x := range v {
			sum[i] += float64(x)
		}
	}
	normalize(sum)
	return toFloat32(sum)
}

// truncate cuts a vector to its first dim values and renormalises it
// (Marengo 3.5's Matryoshka dimensions).
func truncate(v []float32, dim int) []float32 {
	if dim <= 0 || dim >= len(v) {
		return v
	}
	w := make([]float64, dim)
	for i := range w {
		w[i] = float64(v[i])
	}
	normalize(w)
	return toFloat32(w)
}

// The explicit float64 conversions below round every product before it
// is added, which forbids fused multiply-add: the vectors are the same
// bits on every architecture.

func axpy(dst []float64, a float64, x []float64) {
	for i := range dst {
		dst[i] += float64(a * x[i])
	}
}

func normalize(v []float64) {
	var s float64
	for _, x := range v {
		s += float64(x * x)
	}
	if s == 0 {
		return
	}
	inv := 1 / math.Sqrt(s)
	for i := range v {
		v[i] = float64(v[i] * inv)
	}
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// Cosine returns the cosine similarity of two vectors of equal length
// (0 when either is zero or the lengths differ).
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += float64(x * y)
		na += float64(x * x)
		nb += float64(y * y)
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// stopWords carry no scene: they are left out of every text.
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "in": true, "on": true, "at": true,
	"to": true, "and": true, "with": true, "over": true, "for": true, "by": true,
	"is": true, "are": true, "its": true, "from": true, "into": true, "off": true,
	"down": true, "up": true, "inside": true, "under": true, "some": true, "this": true,
	"that": true, "it": true, "as": true, "or": true, "we": true, "see": true, "here": true,
	"what": true, "look": true, "there": true,
}

// contentWords lowercases text, splits it at anything but letters and
// digits, drops stop words and a plural "s".
func contentWords(text string) []string {
	fields := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	var out []string
	for _, f := range fields {
		if stopWords[f] {
			continue
		}
		out = append(out, stem(f))
	}
	return out
}

func stem(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return w[:len(w)-1]
	}
	return w
}
