// Package evalmetrics holds the metrics of `clipvec bench upstream`
// (issue 10): how well one ranking of clips (the candidates: clipvec's
// local hits, or its graph search) reproduces another (the reference:
// TwelveLabs' /search results, or clipvec's exact scan), per query, and
// the mean of each metric over queries with a 95% confidence interval.
//
// Every function is pure: it reads its arguments, keeps nothing, and is
// safe for concurrent use. None panics on bad data; what a bad value gives
// is stated below.
//
// # Matching clips
//
// A [Clip] is a video id and a span [Start, End] in seconds, End >= Start.
// The temporal intersection over union of two clips ([IoU]) is
//
//	IoU(a, b) = (min(a.End, b.End) - max(a.Start, b.Start)) / (max(a.End, b.End) - min(a.Start, b.Start))
//
// when they are in the same video and overlap by a positive length; 1 when
// both are zero-length and at the same instant of the same video; 0
// otherwise (different videos, no overlap, spans that only touch, an
// instant inside a longer clip, or a clip that is not [Clip.Valid]).
//
// A candidate c matches a reference item r at threshold minIoU ([Match])
// when IoU(r, c) >= minIoU, or, for minIoU <= 0, when IoU(r, c) > 0. The
// bench reports minIoU 0.5 (its --iou default) and 0 ("any overlap").
// Comparisons are exact on float64: [0,6] against [2,8] is 4/8 = 0.5 and
// matches at 0.5, not at 0.5000001.
//
// A reference item is found at depth k ([Found]) when one of the first k
// candidates matches it. This is the definition, not a one-to-one
// assignment: one candidate can find several overlapping reference items.
//
// # Recall
//
// RecallAtK(reference, candidates, k) = |{r in reference[:m] : r found at
// depth k}| / m, with m = min(k, len(reference)): a query with fewer
// reference results than k has a smaller denominator, so finding all of
// them scores 1 ([RecallAtK]). A query with an empty reference has no
// recall (ok is false) and is left out of the means.
//
// At video level ([VideoRecallAtK]) each ranking is first reduced to its
// distinct video ids in order of first appearance ([Videos]); recall@k is
// then the share of the reference's first min(k, #videos) ids that are
// among the candidates' first k ids. Video ids match when equal. The same
// function serves group_by video results (one clip per video already).
//
// # nDCG
//
// [NDCGAtK] grades relevance by reference rank, linearly: of n =
// len(reference) items, the one at 0-based rank r has relevance n-r (the
// top item n, the last 1). Candidates are assigned to reference items in
// candidate order: candidate i claims the best-ranked reference item it
// matches that no earlier candidate claimed, so each reference item counts
// once and a duplicate hit gains nothing. With gain(i) the relevance of
// what candidate i claimed (0 if nothing),
//
//	DCG@k  = Σ_{i<k} gain(i) / log2(i+2)
//	IDCG@k = Σ_{i<min(k,n)} (n-i) / log2(i+2)
//	nDCG@k = DCG@k / IDCG@k
//
// (the linear-gain DCG of Järvelin & Kekäläinen, normalised by the
// reference's own top-k in order). Candidates may claim reference items
// ranked below k; they gain their (lower) relevance. Gains are distinct
// and discounts decrease, so nDCG lies in [0, 1], and is 1 exactly when
// candidate i matches reference item i for every i < min(k, n). Because
// relevance counts from n, how much a swap costs depends on how many
// reference results the query returned: compare nDCG across runs that
// fetched the same number.
//
// # Rank-biased overlap
//
// [RBO] is rank-biased overlap (Webber, Moffat & Zobel, "A similarity
// measure for indefinite rankings", TOIS 2010) of two lists of ids, in its
// extrapolated form RBO_ext for finite lists of uneven length.
// With S the shorter list (length s), L the longer (length l), X_d the
// number of ids common to both lists' first d items (for d > s, to S and
// L's first d), and p the persistence (the bench uses 0.9):
//
//	A_d    = X_d/d                          d <= s
//	A_d    = X_d/d + X_s·(d-s)/(s·d)        s < d <= l
//	RBO    = (1-p) Σ_{d=1..l} A_d p^(d-1) + A_l p^l
//
// A_d is the agreement at depth d; past s the short list's unseen items
// are assumed to agree at its rate at depth s, and past l the agreement is
// held at A_l, which makes RBO the sum of a weighted series whose weights
// (1-p)p^(d-1) sum to 1. RBO is 1 for identical lists (and for a list
// against an extension of it), 0 for disjoint lists. With p 0.9 the first
// 10 ranks carry 86% of the weight, by the paper's measure of the weight
// of a prefix.
//
// Clips become ids for RBO with [ClipIDs]: reference item r is "r<r>"; a
// candidate takes the id of the reference item it claims, as in nDCG, or
// else a unique "c<i>". Videos are ids as they are ([Videos]).
//
// # Means and confidence intervals
//
// [MeanCI] reports the mean of a metric over queries with a two-sided 95%
// confidence interval from Student's t: mean ± t(0.975, N-1) · sd/√N, sd
// the sample standard deviation (N-1 in its denominator). One query gives
// an interval of zero width at the mean; none gives zeros.
//
// The t quantile ([TQuantile]) is computed, not tabled: for df <= 1000 by
// bisection on the exact distribution function, which for integer df is a
// finite trigonometric series (Abramowitz & Stegun 26.7.3 and 26.7.4); for
// larger df by the Cornish-Fisher expansion to 1/df⁴ (A&S 26.7.5), which
// takes over at df 1000 without a step above 1e-10. It gives 12.706 at df 1,
// 4.303 at 2, 2.776 at 4, 2.228 at 10, 2.042 at 30 and tends to 1.960.
package evalmetrics
