package ann

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
)

// Series is one method's curve on a [Plot].
type Series struct {
	Name   string
	Points []Point
}

// Plot is a recall (x, on a −log10(1 − recall) scale) against queries per
// second (y, log scale)
// chart, one line per method, the ef of each point written beside it.
type Plot struct {
	Title    string
	Subtitle string
	Series   []Series
	// Target draws a dashed vertical line at this recall when it is > 0.
	Target float64
}

// palette is colour-blind friendly (Okabe–Ito, with grey for its
// yellow, which is faint on white); markers cycle beside the colours, so
// that series stay apart in grey print too.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"}

// marker draws series i's marker at (x, y): a circle, square, triangle or
// diamond; title, when set, is its tooltip.
func marker(f func(string, ...any), i int, x, y float64, c, title string) {
	if title != "" {
		title = "<title>" + title + "</title>"
	}
	const r = 3.5
	switch i % 4 {
	case 0:
		f(`<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s">%s</circle>`+"\n", x, y, r, c, title)
	case 1:
		f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s">%s</rect>`+"\n", x-r, y-r, 2*r, 2*r, c, title)
	case 2:
		f(`<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s">%s</polygon>`+"\n", x, y-r-1, x-r-1, y+r, x+r+1, y+r, c, title)
	default:
		f(`<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s">%s</polygon>`+"\n", x, y-r-1, x+r+1, y, x, y+r+1, x-r-1, y, c, title)
	}
}

// WriteSVG draws p as a standalone SVG document.
func (p Plot) WriteSVG(w io.Writer) error {
	const (
		width, height            = 900, 520
		left, right, top, bottom = 80, 190, 60, 60
	)
	pw, ph := float64(width-left-right), float64(height-top-bottom)

	// x is recall on a "nines" scale, −log10(1 − recall): 0.9, 0.99 and
	// 0.999 are evenly spaced, so the high-recall end where methods are
	// compared is not squeezed against 1 by a method stuck near 0. Recall
	// 1 sits at 1 − recall = 10⁻⁴ (one miss in 1,000 queries × k = 10).
	// y is QPS over the decades that hold every point.
	const floor = 1e-4
	nines := func(r float64) float64 { return -math.Log10(math.Max(1-r, floor)) }
	xmax := nines(1)
	qmin, qmax := math.Inf(1), math.Inf(-1)
	for _, s := range p.Series {
		for _, pt := range s.Points {
			if pt.QPS > 0 {
				qmin, qmax = min(qmin, pt.QPS), max(qmax, pt.QPS)
			}
		}
	}
	if math.IsInf(qmin, 1) {
		qmin, qmax = 1, 10
	}
	lo, hi := math.Floor(math.Log10(qmin)), math.Ceil(math.Log10(qmax))
	if hi <= lo {
		hi = lo + 1
	}
	x := func(r float64) float64 { return float64(left) + nines(r)/xmax*pw }
	y := func(q float64) float64 { return float64(top) + (hi-math.Log10(q))/(hi-lo)*ph }

	b := bufio.NewWriter(w)
	f := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	f(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	f(`<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(p.Title))
	f(`<text x="%d" y="42" fill="#555">%s</text>`+"\n", left, html.EscapeString(p.Subtitle))

	// Grid and ticks.
	for d := lo; d <= hi; d++ {
		for _, m := range []float64{1, 2, 5} {
			q := m * math.Pow(10, d)
			if math.Log10(q) > hi+1e-9 {
				break
			}
			yy := y(q)
			stroke, label := "#eee", ""
			if m == 1 {
				stroke, label = "#ccc", formatQPS(q)
			}
			f(`<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`+"\n", left, yy, float64(left)+pw, yy, stroke)
			if label != "" {
				f(`<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, yy+4, label)
			}
		}
	}
	for _, r := range []float64{0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1} {
		xx := x(r)
		f(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", xx, top, xx, float64(top)+ph)
		f(`<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", xx, float64(top)+ph+18, strconv.FormatFloat(r, 'g', -1, 64))
	}
	if p.Target > 0 && p.Target < 1 {
		xx := x(p.Target)
		f(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#888" stroke-dasharray="4 4"/>`+"\n", xx, top, xx, float64(top)+ph)
		f(`<text x="%.1f" y="%d" text-anchor="middle" fill="#666">%s</text>`+"\n", xx, top-4, strconv.FormatFloat(p.Target, 'g', -1, 64))
	}
	f(`<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", left, top, pw, ph)
	f(`<text x="%.1f" y="%d" text-anchor="middle">recall@10 (fraction of the exact top 10 found; scale −log10(1 − recall))</text>`+"\n", float64(left)+pw/2, height-16)
	f(`<text transform="translate(20 %.1f) rotate(-90)" text-anchor="middle">queries per second, one thread (log scale)</text>`+"\n", float64(top)+ph/2)

	// Curves, then the legend.
	for i, s := range p.Series {
		c := palette[i%len(palette)]
		pts := ""
		for _, pt := range s.Points {
			if pt.QPS <= 0 {
				continue
			}
			pts += fmt.Sprintf("%.1f,%.1f ", x(pt.Recall), y(pt.QPS))
		}
		if pts != "" {
			f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", pts, c)
		}
		for _, pt := range s.Points {
			if pt.QPS <= 0 {
				continue
			}
			xx, yy := x(pt.Recall), y(pt.QPS)
			marker(f, i, xx, yy, c, fmt.Sprintf("%s ef=%d: recall %.4f, %.0f QPS", html.EscapeString(s.Name), pt.Ef, pt.Recall, pt.QPS))
			if pt.Ef > 0 {
				f(`<text x="%.1f" y="%.1f" font-size="9" fill="%s">%d</text>`+"\n", xx+5, yy-5, c, pt.Ef)
			}
		}
		ly := top + 10 + 20*i
		f(`<line x1="%.0f" y1="%d" x2="%.0f" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", float64(left)+pw+12, ly, float64(left)+pw+36, ly, c)
		marker(f, i, float64(left)+pw+24, float64(ly), c, "")
		f(`<text x="%.0f" y="%d">%s</text>`+"\n", float64(left)+pw+42, ly+4, html.EscapeString(s.Name))
	}
	f("</svg>\n")
	return b.Flush()
}

func formatQPS(q float64) string {
	switch {
	case q >= 1e6:
		return strconv.FormatFloat(q/1e6, 'g', -1, 64) + "M"
	case q >= 1e3:
		return strconv.FormatFloat(q/1e3, 'g', -1, 64) + "k"
	}
	return strconv.FormatFloat(q, 'g', -1, 64)
}
