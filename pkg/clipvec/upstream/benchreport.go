package upstream

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/clipvec/clipvec/internal/atomicfile"
)

// Report files WriteBenchReport writes.
const (
	BenchReportFile = "report.md"
	benchRecallSVG  = "recall.svg"
	benchRanksSVG   = "ranks.svg"
)

// WriteBenchReport writes rep into dir as a Markdown report (report.md)
// with two plots: recall@k of each comparison (recall.svg), and each
// upstream clip's rank against the rank the local graph found it at
// (ranks.svg). note, when set, is put under the title (what the run was
// made against, say).
func WriteBenchReport(dir string, rep *BenchReport, note string) error {
	files := map[string]func(io.Writer) error{
		BenchReportFile: func(w io.Writer) error { return writeMarkdown(w, rep, note) },
		benchRecallSVG:  func(w io.Writer) error { return recallSVG(w, rep) },
		benchRanksSVG:   func(w io.Writer) error { return ranksSVG(w, rep) },
	}
	for name, write := range files {
		if err := atomicfile.Write(filepath.Join(dir, name), write); err != nil {
			return fmt.Errorf("bench report: %w", err)
		}
	}
	return nil
}

// pct formats a mean and its interval as percentages.
func pct(s Stat) string {
	if s.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%% [%.1f, %.1f]", 100*s.Mean, 100*s.Lo, 100*s.Hi)
}

func num(s Stat) string {
	if s.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", s.Mean, s.Lo, s.Hi)
}

func writeMarkdown(w io.Writer, rep *BenchReport, note string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# clipvec bench upstream: index %s\n\n", rep.IndexID)
	if note != "" {
		fmt.Fprintf(&b, "%s\n\n", note)
	}
	fmt.Fprintf(&b, "%d queries; model %s, local space %s; depth %d; a local clip matches an upstream one in the same video at temporal IoU ≥ %g; local graph ef %d.\n\n",
		len(rep.Queries), rep.Model, rep.Space, rep.Depth, rep.IoU, rep.Ef)
	b.WriteString("Each figure is a mean over the queries with its 95% confidence interval.\n\n")
	b.WriteString("| metric | local graph vs upstream | local exact vs upstream | local graph vs local exact |\n|---|---|---|---|\n")
	s := rep.Summary
	for _, k := range rep.Ks {
		key := strconv.Itoa(k)
		fmt.Fprintf(&b, "| recall@%d | %s | %s | %s |\n", k, pct(s.RecallAtK[key]), pct(s.Exact.RecallAtK[key]), pct(s.GraphVsExact.RecallAtK[key]))
	}
	for _, k := range rep.Ks {
		key := strconv.Itoa(k)
		fmt.Fprintf(&b, "| recall@%d, any overlap | %s | %s | |\n", k, pct(s.RecallAtKAnyOverlap[key]), pct(s.Exact.RecallAtKAnyOverlap[key]))
	}
	for _, k := range rep.Ks {
		key := strconv.Itoa(k)
		fmt.Fprintf(&b, "| nDCG@%d | %s | %s | %s |\n", k, num(s.NDCGAtK[key]), num(s.Exact.NDCGAtK[key]), num(s.GraphVsExact.NDCGAtK[key]))
	}
	fmt.Fprintf(&b, "| RBO (p = 0.9) | %s | %s | %s |\n", num(s.RBO), num(s.Exact.RBO), num(s.GraphVsExact.RBO))
	for _, k := range rep.Ks {
		key := strconv.Itoa(k)
		fmt.Fprintf(&b, "| video recall@%d | %s | %s | %s |\n", k, pct(s.VideoRecallAtK[key]), pct(s.Exact.VideoRecallAtK[key]), pct(s.GraphVsExact.VideoRecallAtK[key]))
	}
	fmt.Fprintf(&b, "\nLatency per query (ms): upstream %s (every page's round trip), local graph %s, local exact %s. Upstream requests: %d in all, %s per query.\n\n",
		num(s.LatencyMS.Upstream), num(s.LatencyMS.LocalGraph), num(s.LatencyMS.LocalExact), s.UpstreamRequests, num(s.UpstreamRequestsPerQuery))
	b.WriteString("![recall@k](" + benchRecallSVG + ")\n\n![ranks](" + benchRanksSVG + ")\n\n")
	b.WriteString(`## How to read it

- **Local graph vs upstream** is what a user of clipvec gets against what TwelveLabs' /search returns.
- **Local exact vs upstream** isolates what the two sides disagree on by nature: their clip boundaries (upstream clips are not the embedding segments), TwelveLabs' own ranking and fusion, and videos only one side holds.
- **Local graph vs local exact** is the graph's approximation error alone (clips match only when identical).
- Recall at any overlap counts a match at IoU > 0: the gap to recall at the threshold is boundary disagreement.
- In ranks.svg a point is an upstream clip the local graph found: upstream rank across, local rank up. Points on the diagonal agree.

## Queries

| # | query | upstream | recall@` + strconv.Itoa(rep.Ks[len(rep.Ks)-1]) + ` | video recall@` + strconv.Itoa(rep.Ks[len(rep.Ks)-1]) + ` | RBO |
|---|---|---|---|---|---|
`)
	last := strconv.Itoa(rep.Ks[len(rep.Ks)-1])
	for i, q := range rep.Queries {
		rbo := "–"
		if q.RBO != nil {
			rbo = fmt.Sprintf("%.3f", *q.RBO)
		}
		fmt.Fprintf(&b, "| %d | %s | %d | %s | %s | %s |\n", i+1, mdEscape(q.Text), q.Upstream, value(q.RecallAtK, last), value(q.VideoRecallAtK, last), rbo)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func value(m map[string]float64, key string) string {
	if v, ok := m[key]; ok {
		return fmt.Sprintf("%.3f", v)
	}
	return "–"
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// frame is a plot of w × h pixels with the given margins: open draws
// its axes, x and y map data to pixels.
type frame struct {
	b                      *strings.Builder
	w, h, left, bottom     float64
	xmin, xmax, ymin, ymax float64
	logX                   bool
}

func (f *frame) x(v float64) float64 {
	lo, hi, at := f.xmin, f.xmax, v
	if f.logX {
		lo, hi, at = math.Log10(lo), math.Log10(hi), math.Log10(v)
	}
	return f.left + (at-lo)/(hi-lo)*(f.w-f.left-20)
}

func (f *frame) y(v float64) float64 {
	return f.h - f.bottom - (v-f.ymin)/(f.ymax-f.ymin)*(f.h-f.bottom-20)
}

func (f *frame) open(title, xlabel, ylabel string) {
	fmt.Fprintf(f.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", f.w, f.h)
	fmt.Fprintf(f.b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(f.b, `<text x="%.0f" y="14" text-anchor="middle" font-size="14">%s</text>`+"\n", f.w/2, title)
	fmt.Fprintf(f.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", f.left, f.h-f.bottom, f.w-20, f.h-f.bottom)
	fmt.Fprintf(f.b, `<line x1="%.1f" y1="20" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", f.left, f.left, f.h-f.bottom)
	fmt.Fprintf(f.b, `<text x="%.0f" y="%.0f" text-anchor="middle">%s</text>`+"\n", (f.left+f.w-20)/2, f.h-6, xlabel)
	fmt.Fprintf(f.b, `<text x="14" y="%.0f" text-anchor="middle" transform="rotate(-90 14 %.0f)">%s</text>`+"\n", (f.h-f.bottom)/2, (f.h-f.bottom)/2, ylabel)
}

func recallSVG(w io.Writer, rep *BenchReport) error {
	var b strings.Builder
	f := &frame{b: &b, w: 560, h: 360, left: 56, bottom: 44, xmin: float64(rep.Ks[0]), xmax: float64(rep.Ks[len(rep.Ks)-1]), ymin: 0, ymax: 1, logX: true}
	if f.xmax == f.xmin {
		f.xmax = f.xmin + 1
	}
	f.open("recall@k (mean, 95% CI)", "k", "recall")
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">%.2f</text>`+"\n",
			f.left, f.y(t), f.w-20, f.y(t), f.left-4, f.y(t)+4, t)
	}
	for _, k := range rep.Ks {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%d</text>`+"\n", f.x(float64(k)), f.h-f.bottom+16, k)
	}
	series := []struct {
		name, color, dash string
		m                 map[string]Stat
	}{
		{"local graph vs upstream", "#1f77b4", "", rep.Summary.RecallAtK},
		// Dashed: where the graph finds what the scan does, the two lines
		// lie on each other.
		{"local exact vs upstream", "#ff7f0e", "6 4", rep.Summary.Exact.RecallAtK},
		{"local graph vs local exact", "#2ca02c", "", rep.Summary.GraphVsExact.RecallAtK},
	}
	for i, s := range series {
		var pts []string
		for _, k := range rep.Ks {
			st := s.m[strconv.Itoa(k)]
			if st.N == 0 {
				continue
			}
			x := f.x(float64(k))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, f.y(st.Mean)))
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`+"\n", x, f.y(st.Lo), x, f.y(st.Hi), s.color)
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x, f.y(st.Mean), s.color)
		}
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>`+"\n", strings.Join(pts, " "), s.color, s.dash)
		}
		ly := f.h - f.bottom - 60 + float64(i)*16
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f">%s</text>`+"\n",
			f.w-220, ly-9, s.color, f.w-205, ly, s.name)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func ranksSVG(w io.Writer, rep *BenchReport) error {
	var b strings.Builder
	max := float64(rep.Depth)
	f := &frame{b: &b, w: 420, h: 420, left: 56, bottom: 44, xmin: 0, xmax: max, ymin: 0, ymax: max}
	f.open("each upstream clip the local graph found", "upstream rank", "local rank")
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbb" stroke-dasharray="4"/>`+"\n", f.x(0), f.y(0), f.x(max), f.y(max))
	for _, t := range []float64{0, max / 2, max} {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.0f</text>`+"\n", f.x(t), f.h-f.bottom+16, t)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%.0f</text>`+"\n", f.left-4, f.y(t)+4, t)
	}
	for _, q := range rep.Queries {
		for _, p := range q.Ranks {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="#1f77b4" fill-opacity="0.5"/>`+"\n", f.x(float64(p[0])), f.y(float64(p[1])))
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
