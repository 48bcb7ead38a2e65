package sample

import (
	"math"
	"math/rand/v2"
)

// Every random quantity comes from its own PCG stream, keyed by the seed
// and by what it is for (a topic, a video, one option of one video, …), so
// that a video's vectors do not depend on which videos were generated
// before it, nor in what order.
const (
	streamTopic uint64 = iota + 1
	streamMean
	streamModality
	streamQueryGap
	streamVideo
	streamLatent
	streamOption
	streamQuery
	streamProcess
)

// splitmix64 is the finaliser of SplitMix64: a bijective mixer that turns
// small, structured keys into well-spread PCG stream selectors.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// source is a deterministic random source. Its Gaussian draws avoid
// math.Exp and math.Log, which have assembly versions on some
// architectures that may differ in the last bit from the pure-Go ones;
// that would break "same Params, same bytes, any machine".
type source struct {
	pcg *rand.PCG
	r   *rand.Rand
}

func newSource(seed, stream, a, b uint64) *source {
	pcg := rand.NewPCG(seed, splitmix64(splitmix64(splitmix64(stream)^a)^b))
	return &source{pcg: pcg, r: rand.New(pcg)}
}

// irwinHallScale turns a sum of four uniform 16-bit integers (mean
// 131070, variance 4·(65536²−1)/12) into a value of unit variance.
var irwinHallScale = 1 / math.Sqrt(4*(65536*65536-1)/12.0)

// norm returns an approximately standard normal value: the Irwin–Hall sum
// of four uniforms. Its tails stop at ±3.5σ, which is harmless here: every
// vector sums hundreds of draws. It costs one PCG step and integer adds,
// about 3× cheaper than rand.NormFloat64.
func (s *source) norm() float64 {
	u := s.pcg.Uint64()
	sum := int64(u&0xffff) + int64(u>>16&0xffff) + int64(u>>32&0xffff) + int64(u>>48)
	return float64(sum-131070) * irwinHallScale
}

// uniform returns a value in [lo, hi).
func (s *source) uniform(lo, hi float64) float64 {
	return lo + float64((hi-lo)*s.r.Float64())
}

// The vector helpers below write every product as float64(a*b): an
// explicit conversion forbids the compiler from fusing a multiply and an
// add into one FMA instruction (which Go may do on arm64, ppc64le, s390x
// and riscv64), so that results are bit-identical on every architecture.

// addNoise adds w·n/√len(dst) to dst, n a vector of normal draws: a random
// direction of norm about w.
func (s *source) addNoise(dst []float64, w float64) {
	if w == 0 {
		return
	}
	w /= math.Sqrt(float64(len(dst)))
	for i := range dst {
		dst[i] += float64(w * s.norm())
	}
}

// unit fills dst with a random unit vector.
func (s *source) unit(dst []float64) {
	for i := range dst {
		dst[i] = s.norm()
	}
	scale(dst, 1/norm(dst))
}

// addScaled adds w·x to dst.
func addScaled(dst []float64, w float64, x []float64) {
	if w == 0 {
		return
	}
	for i := range dst {
		dst[i] += float64(w * x[i])
	}
}

func scale(dst []float64, w float64) {
	for i := range dst {
		dst[i] = float64(dst[i] * w)
	}
}

func norm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += float64(v * v)
	}
	return math.Sqrt(s)
}

// toFloat32 returns x scaled to norm n, as float32.
func toFloat32(x []float64, n float64) []float32 {
	out := make([]float32, len(x))
	l := norm(x)
	if l == 0 {
		return out
	}
	w := n / l
	for i, v := range x {
		out[i] = float32(float64(v * w))
	}
	return out
}
