package ann

import (
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

// Recall returns |got[:k] ∩ truth[:k]| / k: the fraction of the exact k
// nearest neighbours that a search returned among its first k results.
// got may be shorter than k (a search that found fewer results); truth must
// have at least k ids. It returns 0 for k ≤ 0.
func Recall(got, truth []int32, k int) float64 {
	if k <= 0 {
		return 0
	}
	truth = truth[:min(k, len(truth))]
	got = got[:min(k, len(got))]
	hit := 0
	for _, id := range got {
		if slices.Contains(truth, id) {
			hit++
		}
	}
	return float64(hit) / float64(k)
}

// MeanRecall returns the mean of [Recall] over queries: results[i] are the
// ids returned for query i, truth[i] its exact neighbours, best first.
func MeanRecall(results, truth [][]int32, k int) float64 {
	if len(results) == 0 {
		return 0
	}
	var sum float64
	for i, got := range results {
		sum += Recall(got, truth[i], k)
	}
	return sum / float64(len(results))
}

// Percentile returns the p-th percentile (0 ≤ p ≤ 100) of ds by the
// nearest-rank method: the smallest value with at least p% of the values
// at or below it. It sorts ds in place and returns 0 for an empty slice.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := int(math.Ceil(p / 100 * float64(len(ds))))
	return ds[min(max(rank, 1), len(ds))-1]
}

// Point is one setting of a method on the recall–QPS curve.
type Point struct {
	Ef     int
	Recall float64
	QPS    float64
}

// Crossing says how a curve relates to a target recall.
type Crossing int

const (
	// Reached means the curve crosses the target between two of its
	// points; the QPS is interpolated between them.
	Reached Crossing = iota
	// AboveAtStart means the curve's first point already has at least the
	// target recall: the QPS returned is that point's, a lower bound of
	// what the method would do at exactly the target.
	AboveAtStart
	// Never means no point reaches the target; the QPS returned is 0.
	Never
)

// String returns "reached", "above at the first point" or "never reached".
func (c Crossing) String() string {
	switch c {
	case Reached:
		return "reached"
	case AboveAtStart:
		return "above at the first point"
	}
	return "never reached"
}

// QPSAtRecall returns a method's QPS at recall target, linearly
// interpolated between the two points of the curve (in the given order,
// which should be increasing ef) where recall first rises to the target:
// the last point below it and the first at or above it. A curve that
// starts at or above the target, or never reaches it, is reported through
// the [Crossing].
func QPSAtRecall(curve []Point, target float64) (float64, Crossing) {
	if len(curve) == 0 {
		return 0, Never
	}
	if curve[0].Recall >= target {
		return curve[0].QPS, AboveAtStart
	}
	for i := 1; i < len(curve); i++ {
		a, b := curve[i-1], curve[i]
		if b.Recall < target {
			continue
		}
		if a.Recall >= target { // unreachable: a would have matched before
			return a.QPS, Reached
		}
		f := (target - a.Recall) / (b.Recall - a.Recall)
		return a.QPS + f*(b.QPS-a.QPS), Reached
	}
	return 0, Never
}

// LoadAvg returns the machine's 1, 5 and 15 minute load averages, as
// every benchmark report prints them ("unknown" where /proc has none).
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
