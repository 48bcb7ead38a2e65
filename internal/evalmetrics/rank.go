package evalmetrics

import (
	"math"
	"strconv"
)

// RecallAtK is the share of the reference's top-k (min(k, len(reference))
// items: fewer reference results than k lowers the denominator, not the
// score) found in candidates' top-k (see [Found]). ok is false when
// reference is empty (the query has no reference: it is left out of
// means) or k < 1.
func RecallAtK(reference, candidates []Clip, k int, minIoU float64) (recall float64, ok bool) {
	if len(reference) == 0 || k < 1 {
		return 0, false
	}
	ref := top(reference, k)
	n := 0
	for _, f := range Found(ref, candidates, k, minIoU) {
		if f {
			n++
		}
	}
	return float64(n) / float64(len(ref)), true
}

// VideoRecallAtK is RecallAtK on distinct video ids: the reference's first
// k distinct videos, found among the candidates' first k distinct videos
// (ranks by first appearance, see [Videos]). ok is false when reference is
// empty or k < 1.
func VideoRecallAtK(reference, candidates []Clip, k int) (recall float64, ok bool) {
	if len(reference) == 0 || k < 1 {
		return 0, false
	}
	ref := top(Videos(reference), k)
	cand := make(map[string]bool)
	for _, id := range top(Videos(candidates), k) {
		cand[id] = true
	}
	n := 0
	for _, id := range ref {
		if cand[id] {
			n++
		}
	}
	return float64(n) / float64(len(ref)), true
}

// NDCGAtK is the normalised discounted cumulative gain of candidates'
// top-k, with the reference rank as graded relevance. Of n =
// len(reference) items, the one at rank r (0-based) has relevance n-r.
// The candidate at position i (0-based, i < k) gains the relevance of the
// best-ranked reference item it matches (see [Match]) that no earlier
// candidate has claimed, discounted by 1/log2(i+2); a candidate that
// matches no unclaimed item gains 0. NDCG is that sum (DCG) over the ideal
// one (IDCG): the reference's own top min(k, n) in order, so it lies in
// [0, 1] and is 1 for candidates that match the reference rank for rank.
// ok is false when reference is empty or k < 1.
func NDCGAtK(reference, candidates []Clip, k int, minIoU float64) (ndcg float64, ok bool) {
	n := len(reference)
	if n == 0 || k < 1 {
		return 0, false
	}
	var dcg, idcg float64
	for i, r := range claims(reference, top(candidates, k), minIoU) {
		if r >= 0 {
			dcg += float64(n-r) / math.Log2(float64(i+2))
		}
	}
	for i := range min(k, n) {
		idcg += float64(n-i) / math.Log2(float64(i+2))
	}
	return dcg / idcg, true
}

// ClipIDs turns candidates into ids comparable with the reference for
// [RBO]: a candidate matching (see [Match]) a reference item not yet
// claimed takes that item's id "r<rank>" (the best-ranked such item, as in
// [NDCGAtK]); others get unique ids "c<i>", i the candidate's index. The
// reference's ids are "r0".."r<n-1>". Returns (refIDs, candIDs).
func ClipIDs(reference, candidates []Clip, minIoU float64) (ref, cand []string) {
	ref = make([]string, len(reference))
	for r := range reference {
		ref[r] = "r" + strconv.Itoa(r)
	}
	cand = make([]string, len(candidates))
	for i, r := range claims(reference, candidates, minIoU) {
		if r >= 0 {
			cand[i] = ref[r]
		} else {
			cand[i] = "c" + strconv.Itoa(i)
		}
	}
	return ref, cand
}

// claims assigns candidates, in order, to reference items: claim[i] is the
// rank of the best-ranked reference item candidates[i] matches that no
// earlier candidate claimed, or -1. Each reference item is claimed at most
// once. O(len(reference)·len(candidates)).
func claims(reference, candidates []Clip, minIoU float64) []int {
	claimed := make([]bool, len(reference))
	claim := make([]int, len(candidates))
	for i, c := range candidates {
		claim[i] = -1
		for r, ref := range reference {
			if !claimed[r] && Match(ref, c, minIoU) {
				claimed[r] = true
				claim[i] = r
				break
			}
		}
	}
	return claim
}
