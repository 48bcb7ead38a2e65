package command

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// Terminal is a writer that is a terminal, and says how wide it is. Run's
// stderr may be one: progress bars are drawn on it as on a real terminal
// (tests pass a fake of fixed width). An *os.File need not be one: it is
// asked the operating system.
type Terminal interface {
	io.Writer
	// Columns is the terminal's width in columns.
	Columns() int
}

// columns returns how many columns wide w is when it is a terminal, and 0
// when it is not one. A terminal that will not say is taken to be
// $COLUMNS wide, else 80.
func columns(w io.Writer) int {
	switch t := w.(type) {
	case Terminal:
		return t.Columns()
	case *os.File:
		info, err := t.Stat()
		if err != nil || info.Mode()&os.ModeCharDevice == 0 {
			return 0
		}
		if n := osColumns(t); n > 0 {
			return n
		}
		if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
			return n
		}
		return 80
	}
	return 0
}

// redrawEvery is the least time between two redraws of a phase's line:
// ten a second look smooth and cost nothing. A phase's first and last
// lines are drawn whenever they come.
var redrawEvery = 100 * time.Millisecond

// rateAfter is how long a phase runs before its line shows a rate: over
// less, the rate measures little but the phase's start.
const rateAfter = time.Second

// margin is how many columns a progress line leaves free at the right:
// one, as a line that reaches the last column makes some terminals wrap,
// and the next \r would return to the wrong line; two more for the ^C the
// terminal echoes after the line on Ctrl-C, which would wrap the same way
// and be left on the screen.
const margin = 3

// progressBar redraws one line of status on a terminal, in place: each
// redraw goes back to the line's start (\r), writes a line that leaves
// margin columns free, and clears what a longer line before it left
// (\x1b[K). The line is shortened to fit (see
// status), and the width asked again at each redraw, so a resized
// terminal gets lines of its new width. On anything but a terminal it
// writes nothing. It is safe for concurrent use.
type progressBar struct {
	w  io.Writer
	on bool

	mu    sync.Mutex
	shown bool      // a line is on the screen
	phase string    // the phase the line shows (status.phase)
	frac  float64   // its fraction last drawn
	began time.Time // when the phase began
	last  time.Time // the last redraw
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, on: columns(w) > 0}
}

// progressBar is the command's progress bar on stderr, one for the whole
// run (a search's graph build and the listing after it share the line):
// off under --quiet and --json, as scripts want, and when stderr is not a
// terminal. Run clears it before it prints an error.
func (e *env) progressBar(c *cli.Context) *progressBar {
	if e.bar == nil {
		e.bar = newProgressBar(e.stderr)
	}
	if c.Bool("quiet") || c.Bool("json") {
		e.bar.on = false
	}
	return e.bar
}

// status is what a progress line says, as
//
//	what detail (why) [#####.....]  43% count, rate
//
// and how to say less on a narrow terminal. The bar takes the room left,
// up to 20 columns; when that is under 10, the detail goes first, then
// the rate, then the bar narrows down to 5. Then, on a line with a why,
// the count goes, what gives way to short and the why is cut short; on
// any line, what gives way to short, and the count goes. Last, only the
// percentage is left, after as much of what as fits.
type status struct {
	what   string  // the phase: "importing", "building the search graph of marengo3.0/512"
	short  string  // what, shorter ("building graph"); "": what
	detail string  // a file name
	why    string  // the reason for the phase ("none saved"), shown in parentheses
	frac   float64 // done's share, for the bar and the percentage; negative: neither
	count  string  // "file 3/10, 12,345 segments", "12,345/28,000 nodes"
	// items is how many things the phase has handled, for a rate per
	// second (none when 0).
	items int
	// phase tells the phase's lines from another phase's, when what does
	// not (what is free text that changes).
	phase string
}

// widest is the bar's width when the terminal has room; narrow, the
// least before the line says less; narrowest, the least worth drawing;
// shortestWhy, the least of a reason worth showing.
const (
	widest      = 20
	narrow      = 10
	narrowest   = 5
	shortestWhy = 12
)

// part is a status's parts that a line shows.
type part struct {
	what, detail, why, count, rate string
}

// line renders s in at most max columns; rate is "" or "1,234/s".
func (s status) line(max int, rate string) string {
	short := s.short
	if short == "" {
		short = s.what
	}
	type try struct {
		p     part
		least int // the narrowest bar it may have
	}
	tries := []try{
		{part{s.what, s.detail, s.why, s.count, rate}, narrow},
		{part{s.what, "", s.why, s.count, rate}, narrow},
		{part{s.what, "", s.why, s.count, ""}, narrow},
		{part{s.what, "", s.why, s.count, ""}, narrowest},
	}
	if s.why != "" {
		tries = append(tries, try{part{s.what, "", s.why, "", ""}, narrow}, try{part{short, "", s.why, "", ""}, narrowest})
	}
	tries = append(tries, try{part{short, "", "", s.count, ""}, narrowest}, try{part{short, "", "", "", ""}, narrowest})
	for _, t := range tries {
		if l, ok := s.fit(t.p, max, t.least); ok {
			return l
		}
		if t.p.why == "" || t.p.count != "" {
			continue
		}
		// A reason cut short, rather than none.
		p := t.p
		p.why = ""
		room := max - width(s.render(p, 0)) - len(" ()")
		if s.frac >= 0 {
			room -= len("[] ") + t.least
		}
		if room >= shortestWhy {
			p.why = cut(s.why, room)
			if l, ok := s.fit(p, max, t.least); ok {
				return l
			}
		}
	}
	// No room for a bar: the percentage, and as much of what as fits.
	tail := s.render(part{}, 0)
	if tail == "" {
		return cut(short, max)
	}
	if room := max - width(tail) - 1; room > 0 {
		return cut(short, room) + " " + tail
	}
	return cut(tail, max)
}

// fit renders p with the widest bar that leaves it within max columns,
// if one of at least least columns does (or with none, when s has no
// bar).
func (s status) fit(p part, max, least int) (string, bool) {
	rest := s.render(p, 0)
	if s.frac < 0 {
		return rest, width(rest) <= max
	}
	// The bar takes the room left: "[" bar "] " around it.
	if room := max - width(rest) - len("[] "); room >= least {
		return s.render(p, min(room, widest)), true
	}
	return "", false
}

// render joins the parts of a line; a bar of barWidth 0 is left out.
func (s status) render(p part, barWidth int) string {
	var parts []string
	for _, x := range []string{p.what, p.detail} {
		if x != "" {
			parts = append(parts, x)
		}
	}
	if p.why != "" {
		parts = append(parts, "("+p.why+")")
	}
	if s.frac >= 0 {
		if barWidth > 0 {
			parts = append(parts, bar(s.frac, barWidth))
		}
		parts = append(parts, fmt.Sprintf("%3d%%", int(100*min(max(s.frac, 0), 1))))
	}
	tail := p.count
	if p.rate != "" && tail != "" {
		tail += ", "
	}
	if tail += p.rate; tail != "" {
		parts = append(parts, tail)
	}
	return strings.Join(parts, " ")
}

// show draws s, unless the line was redrawn less than redrawEvery ago:
// a new phase, and a phase's end (frac reaching 1), are always drawn.
func (p *progressBar) show(s status) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if s.phase == "" {
		s.phase = s.what
	}
	newPhase := !p.shown || s.phase != p.phase
	if newPhase {
		p.began = now
	}
	ending := s.frac >= 1 && p.frac < 1
	if !newPhase && !ending && now.Sub(p.last) < redrawEvery {
		return
	}
	room := columns(p.w) - margin
	if room < 1 {
		return
	}
	rate := ""
	if elapsed := now.Sub(p.began); s.items > 0 && elapsed >= rateAfter {
		rate = count(int64(float64(s.items)/elapsed.Seconds())) + "/s"
	}
	p.shown, p.phase, p.frac, p.last = true, s.phase, s.frac, now
	s.what, s.short, s.detail, s.why, s.count = visible(s.what), visible(s.short), visible(s.detail), visible(s.why), visible(s.count)
	fmt.Fprintf(p.w, "\r%s\x1b[K", s.line(room, rate))
}

// update draws a line of free text, cut short to fit.
func (p *progressBar) update(format string, args ...any) {
	p.show(status{what: fmt.Sprintf(format, args...), frac: -1, phase: format})
}

// done clears the line, leaving the cursor at its start.
func (p *progressBar) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown, p.phase, p.frac = false, "", 0
	}
}

// countOf formats "done/total", done padded to total's width so that the
// line keeps its layout as done grows.
func countOf(done, total int) string {
	t := count(int64(total))
	return fmt.Sprintf("%*s/%s", len(t), count(int64(done)), t)
}

// bar renders a fraction as [#####.....].
func bar(frac float64, width int) string {
	frac = min(max(frac, 0), 1)
	n := int(frac * float64(width))
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

// width is how many columns s takes on a terminal: one a rune, two for
// the wide ones of East Asian scripts and emoji. (s has been through
// visible: it holds no control characters.)
func width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0xa4cf, r >= 0xac00 && r <= 0xd7a3,
		r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f, r >= 0xff00 && r <= 0xff60,
		r >= 0xffe0 && r <= 0xffe6, r >= 0x1f300 && r <= 0x1f64f, r >= 0x1f900 && r <= 0x1f9ff,
		r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

// cut shortens s to at most max columns, ending it with "…" when it cut.
func cut(s string, max int) string {
	if width(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	n := 0
	for i, r := range s {
		if n+runeWidth(r) > max-1 {
			return s[:i] + "…"
		}
		n += runeWidth(r)
	}
	return s
}

// indexTally counts the graphs a command changed, and their nodes.
type indexTally struct {
	mu    sync.Mutex
	nodes map[string]int // by space: the nodes of its last change
}

// watchIndex shows db's graph work on the command's progress bar — the
// build or catch-up a search must do first when the graph saved is
// missing or behind, an import's last step, index build — each change on
// a line of its own that goes when it ends, and tallies it.
func (e *env) watchIndex(c *cli.Context, db *clipvec.DB) *indexTally {
	pb := e.progressBar(c)
	t := &indexTally{nodes: map[string]int{}}
	db.OnIndexWork = func(w clipvec.IndexWork) {
		pb.show(indexStatus(w))
		if w.Done >= w.Total {
			pb.done()
			t.mu.Lock()
			t.nodes[w.Space.String()] = w.Total
			t.mu.Unlock()
		}
	}
	return t
}

// indexSteps words the index steps for people.
var indexSteps = map[clipvec.IndexStep]string{
	clipvec.IndexBuild:   "building",
	clipvec.IndexRebuild: "rebuilding",
	clipvec.IndexCatchUp: "catching up",
	clipvec.IndexCompact: "compacting",
}

// indexStatus is the progress line of a change to a graph.
func indexStatus(w clipvec.IndexWork) status {
	verb := indexSteps[w.Step]
	if verb == "" {
		verb = string(w.Step)
	}
	s := status{what: verb + " the search graph of " + w.Space.String(), short: verb + " graph", why: w.Why, frac: 1,
		count: countOf(w.Done, w.Total) + " nodes", items: w.Done}
	if w.Total > 0 {
		s.frac = float64(w.Done) / float64(w.Total)
	}
	return s
}

// indexReport is what index build and compact print with --json.
type indexReport struct {
	Graphs  []graphReport `json:"graphs"`
	Nodes   int           `json:"nodes"`
	Seconds float64       `json:"seconds"`
}

type graphReport struct {
	Space string `json:"space"`
	Nodes int    `json:"nodes"`
}

// report is summary for --json: the graphs changed, by space.
func (t *indexTally) report(elapsed time.Duration) indexReport {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := indexReport{Graphs: []graphReport{}, Seconds: elapsed.Seconds()}
	for sp, n := range t.nodes {
		r.Graphs = append(r.Graphs, graphReport{sp, n})
		r.Nodes += n
	}
	slices.SortFunc(r.Graphs, func(a, b graphReport) int { return strings.Compare(a.Space, b.Space) })
	return r
}

// summary says what the tally did in elapsed, as "1 graph (28,000 nodes)
// in 4.2s, 6,667 nodes/s": with a rate only when the work took a second
// or more, as under that the rate says more about opening and saving than
// about building.
func (t *indexTally) summary(elapsed time.Duration) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	nodes := 0
	for _, n := range t.nodes {
		nodes += n
	}
	s := plural(len(t.nodes), "graph")
	if len(t.nodes) > 0 {
		s += " (" + plural(nodes, "node") + ")"
	}
	s += fmt.Sprintf(" in %.1fs", elapsed.Seconds())
	if elapsed >= time.Second && nodes > 0 {
		s += ", " + count(int64(float64(nodes)/elapsed.Seconds())) + " nodes/s"
	}
	return s
}
