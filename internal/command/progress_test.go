package command_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clipvec/clipvec/internal/command"
)

// terminal is a fake terminal, cols columns wide, standing in for Run's
// stderr. It shows what is written as a terminal would: \r goes back to
// the line's start, \x1b[K clears the rest of the line, \n starts the
// next line, and a character written past the last column wraps to the
// next. It records as problems a redraw (text after a \r) that reaches
// the last column or wraps, any other escape sequence, and a redraw that
// leaves characters of an older line on the screen.
type terminal struct {
	cols     int
	lines    [][]rune
	row, col int
	redraw   bool // writing after a \r, on the same line
	// seen is the line under the cursor after each write that redrew it.
	seen     []string
	problems []string
	// onRedraw, when set, is called with the line after each redraw.
	onRedraw func(line string)
}

func (t *terminal) Columns() int { return t.cols }

func (t *terminal) Write(p []byte) (int, error) {
	s := string(p)
	drawn, redrew := "", false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\r':
			t.col, t.redraw, redrew, drawn = 0, true, true, ""
		case r == '\n':
			t.row, t.col, t.redraw = t.row+1, 0, false
		case strings.HasPrefix(s[i:], "\x1b[K"):
			t.grow()
			if t.col < len(t.lines[t.row]) {
				t.lines[t.row] = t.lines[t.row][:t.col]
			}
			n = len("\x1b[K")
		case r == 0x1b || r < 0x20:
			t.problems = append(t.problems, fmt.Sprintf("control %q in %q", r, s))
		default:
			if t.col >= t.cols {
				if t.redraw {
					t.problems = append(t.problems, fmt.Sprintf("redraw wraps: %q", s))
				}
				t.row, t.col = t.row+1, 0
			}
			if t.redraw && t.col == t.cols-1 {
				t.problems = append(t.problems, fmt.Sprintf("redraw reaches the last column: %q", s))
			}
			t.grow()
			for len(t.lines[t.row]) <= t.col {
				t.lines[t.row] = append(t.lines[t.row], ' ')
			}
			t.lines[t.row][t.col] = r
			t.col++
			if t.redraw {
				drawn += string(r)
			}
		}
		i += n
	}
	if redrew {
		t.grow()
		line := strings.TrimRight(string(t.lines[t.row]), " ")
		if line != strings.TrimRight(drawn, " ") {
			t.problems = append(t.problems, fmt.Sprintf("stale characters: the screen shows %q after a redraw of %q", line, drawn))
		}
		t.seen = append(t.seen, line)
		if t.onRedraw != nil {
			t.onRedraw(line)
		}
	}
	return len(p), nil
}

// echo shows s where the cursor is, as a terminal echoes what is typed
// (a Ctrl-C as ^C).
func (t *terminal) echo(s string) {
	for _, r := range s {
		if t.col >= t.cols {
			t.row, t.col = t.row+1, 0
		}
		t.grow()
		for len(t.lines[t.row]) <= t.col {
			t.lines[t.row] = append(t.lines[t.row], ' ')
		}
		t.lines[t.row][t.col] = r
		t.col++
	}
}

func (t *terminal) grow() {
	for len(t.lines) <= t.row {
		t.lines = append(t.lines, nil)
	}
}

// screen is what the terminal shows, its lines' trailing spaces trimmed,
// without the empty lines at the end.
func (t *terminal) screen() []string {
	var out []string
	for _, l := range t.lines {
		out = append(out, strings.TrimRight(string(l), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// check fails t for every problem the terminal recorded.
func (t *terminal) check(tb testing.TB) {
	tb.Helper()
	for _, p := range t.problems {
		tb.Errorf("%d columns: %s", t.cols, p)
	}
}

// runTerm runs clipvec against db with a terminal cols wide as stderr,
// and the bars redrawn at every report.
func runTerm(t testing.TB, ctx context.Context, term *terminal, db string, args ...string) (string, int) {
	t.Helper()
	command.NoRedrawLimit(t)
	var out bytes.Buffer
	full := append([]string{"clipvec", "--db", db}, args...)
	code := command.Run(ctx, full, strings.NewReader(""), &out, term)
	return out.String(), code
}

var percent = regexp.MustCompile(`\s(\d+)%`)

// noRate is line without the rate a phase that has run a second shows
// (how long one runs is no test's business).
func noRate(line string) string {
	return regexp.MustCompile(`, [\d,]+/s$`).ReplaceAllString(line, "")
}

// phase returns the percentages of the lines seen that start with
// prefix, in order.
func phase(seen []string, prefix string) []int {
	var out []int
	for _, l := range seen {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		m := percent.FindStringSubmatch(l)
		if m == nil {
			out = append(out, -1)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

// moves checks that a phase's percentages never go back, and that it
// began, went through a step between 0 and 100, and ended at 100.
func moves(t testing.TB, name string, pcts []int) {
	t.Helper()
	between := false
	for i, p := range pcts {
		if i > 0 && p < pcts[i-1] {
			t.Errorf("%s goes back: %v", name, pcts)
			return
		}
		between = between || p > 0 && p < 100
	}
	if len(pcts) == 0 || !between || pcts[len(pcts)-1] != 100 {
		t.Errorf("%s: percentages %v: want a moving bar that ends at 100", name, pcts)
	}
}

func TestStatusLineFits(t *testing.T) {
	const (
		what   = "building the search graph of marengo3.0/512"
		detail = "04-city-timelapse-01.embed-task.json"
		why    = "snapshot /data/clipvec.db.index/s1-marengo3.0-512.hnsw: it was built from another database"
	)
	for _, tc := range []struct {
		name                   string
		max                    int
		what, short, detail, w string
		frac                   float64
		count, rate            string
		want                   string
	}{
		{"All", 200, "importing", "", detail, "", 0.43, "file 3/10, 12,345 segments", "2,345/s",
			"importing 04-city-timelapse-01.embed-task.json [########............]  43% file 3/10, 12,345 segments, 2,345/s"},
		{"FileNameFirst", 79, "importing", "", detail, "", 0.43, "file 3/10, 12,345 segments", "2,345/s",
			"importing [########............]  43% file 3/10, 12,345 segments, 2,345/s"},
		{"RateNext", 60, "importing", "", detail, "", 0.43, "file 3/10, 12,345 segments", "2,345/s",
			"importing [######..........]  43% file 3/10, 12,345 segments"},
		{"BarNarrows", 50, "importing", "", detail, "", 0.43, "file 3/10, 12,345 segments", "2,345/s",
			"importing [##....]  43% file 3/10, 12,345 segments"},
		{"ShortWhat", 39, what, "building graph", "", "", 0.43, "12,345/28,000 nodes", "",
			"building graph [#######..........]  43%"},
		{"WhyBeforeCount", 79, what, "building graph", "", "none saved", 0.37, "10,000/28,000 nodes", "5,000/s",
			"building the search graph of marengo3.0/512 (none saved) [#####..........]  37%"},
		{"LongWhyCut", 79, what, "building graph", "", why, 0.37, "10,000/28,000 nodes", "",
			"building the search graph of marengo3.0/512 (snapshot /data…) [###.......]  37%"},
		{"NoBar", 14, what, "building graph", "", "", 0.5, "1/2 nodes", "", "building…  50%"},
		{"Text", 20, "task 1234567890: processing (waited 3s)", "", "", "", -1, "", "", "task 1234567890: pr…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := command.StatusLine(tc.what, tc.short, tc.detail, tc.w, tc.frac, tc.count, tc.rate, tc.max)
			if got != tc.want {
				t.Errorf("in %d columns:\n got %q\nwant %q", tc.max, got, tc.want)
			}
		})
	}
	// Whatever the width, the line fits, and says how far along it is
	// when it has room for the percentage.
	for max := 1; max <= 130; max++ {
		for _, frac := range []float64{-1, 0, 0.5, 1} {
			got := command.StatusLine(what, "building graph", detail, why, frac, "28,000/28,000 nodes", "1,234/s", max)
			if n := utf8.RuneCountInString(got); n > max {
				t.Errorf("%d columns: %d wide: %q", max, n, got)
			}
			if frac >= 0 && max >= 10 && !strings.Contains(got, "%") {
				t.Errorf("%d columns: no percentage: %q", max, got)
			}
		}
	}
}

func TestImportProgressFitsTheTerminal(t *testing.T) {
	for _, cols := range []int{80, 40, 24} {
		t.Run(strconv.Itoa(cols), func(t *testing.T) {
			term := &terminal{cols: cols}
			out, code := runTerm(t, context.Background(), term, tempDB(t), "import", sampleExports)
			if code != command.ExitOK || !strings.Contains(out, "imported 1,284") {
				t.Fatalf("import: exit %d\n%s%q", code, out, term.screen())
			}
			term.check(t)
			if len(term.seen) < 10 {
				t.Errorf("%d redraws: %q", len(term.seen), term.seen)
			}
			if s := term.screen(); len(s) != 0 {
				t.Errorf("stderr left showing %q", s)
			}
			// The file phase reaches 100%, then the graph's begins.
			files := phase(term.seen, "importing")
			graph := phase(term.seen, "building")
			moves(t, "import", files)
			moves(t, "graph", graph)
			if last := strings.LastIndex(strings.Join(term.seen, "\n"), "\nimporting"); last > strings.Index(strings.Join(term.seen, "\n"), "\nbuilding") {
				t.Errorf("the file phase after the graph's:\n%s", strings.Join(term.seen, "\n"))
			}
		})
	}
	t.Run("GraphLine", func(t *testing.T) {
		term := &terminal{cols: 120}
		runTerm(t, context.Background(), term, tempDB(t), "import", sampleExports)
		want := regexp.MustCompile(`^building the search graph of marengo3\.0/512 \(none saved\) \[#+\.*\]  \d\d% 1,024/1,284 nodes$`)
		found := false
		for _, l := range term.seen {
			found = found || want.MatchString(noRate(l))
		}
		if !found {
			t.Errorf("no line like %s among\n%s", want, strings.Join(term.seen, "\n"))
		}
	})
}

func TestProgressOffUnlessATerminalAndAsked(t *testing.T) {
	db := tempDB(t)
	// Not a terminal.
	var out, errb bytes.Buffer
	code := command.Run(context.Background(), []string{"clipvec", "--db", db, "import", sampleExports}, strings.NewReader(""), &out, &errb)
	if code != 0 || errb.Len() != 0 {
		t.Errorf("import to a buffer: exit %d, stderr %q", code, errb.String())
	}
	for _, args := range [][]string{
		{"import", "--quiet", "--video-id", "v", filepath.Join(fixtures, "embed_task_retrieve.json")},
		{"import", "--json", "--video-id", "w", filepath.Join(fixtures, "embed_task_retrieve.json")},
		{"export", "--json", "-o", filepath.Join(t.TempDir(), "x.jsonl")},
	} {
		term := &terminal{cols: 80}
		if _, code := runTerm(t, context.Background(), term, db, args...); code != 0 || len(term.seen) > 0 {
			t.Errorf("%v: exit %d, drew %q", args, code, term.seen)
		}
	}
}

func TestIndexBuildProgress(t *testing.T) {
	db := tempDB(t)
	if _, errs, code := run(t, db, "", "import", "--no-index", sampleExports); code != 0 {
		t.Fatalf("import: %d %s", code, errs)
	}
	term := &terminal{cols: 80}
	out, code := runTerm(t, context.Background(), term, db, "index", "build")
	if code != 0 {
		t.Fatalf("index build: exit %d %q", code, term.screen())
	}
	term.check(t)
	moves(t, "index build", phase(term.seen, "building the search graph of marengo3.0/512"))
	if s := term.screen(); len(s) != 0 {
		t.Errorf("stderr left showing %q", s)
	}
	m := regexp.MustCompile(`^built 1 graph \(1,284 nodes\) in (\d+\.\d)s(, ([\d,]+) nodes/s)?\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("summary %q", out)
	}
	// A rate, when there is one, is the nodes over the time printed.
	if m[3] != "" {
		secs, _ := strconv.ParseFloat(m[1], 64)
		rate, _ := strconv.Atoi(strings.ReplaceAll(m[3], ",", ""))
		if want := 1284 / secs; float64(rate) < want*0.9 || float64(rate) > want*1.1 {
			t.Errorf("summary %q: rate %d, want about %.0f", out, rate, want)
		}
	}

	term = &terminal{cols: 80}
	if out, code = runTerm(t, context.Background(), term, db, "index", "compact"); code != 0 || !strings.HasPrefix(out, "compacted 1 graph (1,284 nodes) in ") {
		t.Errorf("index compact: exit %d %q", code, out)
	}
	term.check(t)
	moves(t, "index compact", phase(term.seen, "compacting the search graph of marengo3.0/512"))
}

func TestIndexSummary(t *testing.T) {
	for _, tc := range []struct {
		nodes   map[string]int
		elapsed time.Duration
		want    string
	}{
		{map[string]int{"marengo3.0/512": 51052}, 2 * time.Second, "1 graph (51,052 nodes) in 2.0s, 25,526 nodes/s"},
		{map[string]int{"marengo3.0/512": 1284, "marengo2.7/1024": 16}, 1500 * time.Millisecond, "2 graphs (1,300 nodes) in 1.5s, 866 nodes/s"},
		// Under a second, the rate would measure opening and saving.
		{map[string]int{"marengo3.0/512": 1284}, 300 * time.Millisecond, "1 graph (1,284 nodes) in 0.3s"},
		{map[string]int{"marengo3.0/512": 1284}, 20 * time.Microsecond, "1 graph (1,284 nodes) in 0.0s"},
		{map[string]int{}, 5 * time.Millisecond, "0 graphs in 0.0s"},
	} {
		if got := command.IndexSummary(tc.nodes, tc.elapsed); got != tc.want {
			t.Errorf("IndexSummary(%v, %v) = %q, want %q", tc.nodes, tc.elapsed, got, tc.want)
		}
	}
}

func TestSearchSaysItBuildsTheGraph(t *testing.T) {
	const query = "../../testdata/sample/queries.json#surfing"
	db := tempDB(t)
	if _, errs, code := run(t, db, "", "import", "--no-index", sampleExports); code != 0 {
		t.Fatalf("import: %d %s", code, errs)
	}
	// Not asked: --json, or stderr not a terminal. (Both build the graph
	// in memory only: it is saved on Close, so remove it each time.)
	index := db + ".index"
	term := &terminal{cols: 80}
	if _, code := runTerm(t, context.Background(), term, db, "search", "--vector", query, "--json"); code != 0 || len(term.lines) > 0 {
		t.Errorf("search --json: exit %d, stderr %q", code, term.screen())
	}
	os.RemoveAll(index)
	if _, errs, code := run(t, db, "", "search", "--vector", query); code != 0 || errs != "" {
		t.Errorf("search to a buffer: exit %d, stderr %q", code, errs)
	}
	os.RemoveAll(index)

	for _, args := range [][]string{
		{"search", "--vector", query},
		{"recommend", "--like-video", "6821ac34a9d4f4fb30f4fb30"},
	} {
		t.Run(args[0], func(t *testing.T) {
			os.RemoveAll(index)
			term := &terminal{cols: 80}
			out, code := runTerm(t, context.Background(), term, db, args...)
			if code != 0 || !strings.Contains(out, "SCORE") {
				t.Fatalf("%v: exit %d\n%s%q", args, code, out, term.screen())
			}
			term.check(t)
			moves(t, args[0], phase(term.seen, "building the search graph of marengo3.0/512 (none saved) ["))
			if s := term.screen(); len(s) != 0 {
				t.Errorf("stderr left showing %q", s)
			}
			// The graph is ready now: nothing to say.
			term = &terminal{cols: 80}
			if _, code := runTerm(t, context.Background(), term, db, args...); code != 0 || len(term.lines) > 0 {
				t.Errorf("%v again: exit %d, stderr %q", args, code, term.screen())
			}
		})
	}

	t.Run("CatchUp", func(t *testing.T) {
		if _, errs, code := run(t, db, "", "import", "--no-index", "--video-id", "more", filepath.Join(sampleExports, "02-cooking-01.embed-v2-task.json")); code != 0 {
			t.Fatalf("import: %d %s", code, errs)
		}
		term := &terminal{cols: 80}
		if _, code := runTerm(t, context.Background(), term, db, "search", "--vector", query); code != 0 {
			t.Fatalf("search: exit %d %q", code, term.screen())
		}
		term.check(t)
		if got := phase(term.seen, "catching up the search graph of marengo3.0/512 ["); len(got) == 0 || got[len(got)-1] != 100 {
			t.Errorf("catch-up: %q", term.seen)
		}
	})
}

func TestExportProgress(t *testing.T) {
	db := tempDB(t)
	if _, errs, code := run(t, db, "", "import", sampleExports); code != 0 {
		t.Fatalf("import: %d %s", code, errs)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string // the last line drawn
	}{
		{"File", []string{"export", "-o", filepath.Join(t.TempDir(), "all.jsonl")}, "100% 1,284/1,284 segments"},
		{"Stdout", []string{"export"}, "100% 1,284/1,284 segments"},
		{"Parquet", []string{"export", "-o", filepath.Join(t.TempDir(), "all.parquet")}, "100% 1,284/1,284 segments"},
		{"Video", []string{"export", "--video", "6821ac34a9d4f4fb30f4fb30", "-o", filepath.Join(t.TempDir(), "v.jsonl")}, "100% 39/39 segments"},
		// One model of some videos: a count, not a bar.
		{"NoTotal", []string{"export", "--video", "6821ac34a9d4f4fb30f4fb30", "--model", "marengo3.0", "-o", filepath.Join(t.TempDir(), "m.jsonl")}, "exporting 39 segments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			term := &terminal{cols: 80}
			out, code := runTerm(t, context.Background(), term, db, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d %q", code, term.screen())
			}
			term.check(t)
			if len(term.seen) < 2 || !strings.HasPrefix(term.seen[0], "exporting") {
				t.Fatalf("drew %q", term.seen)
			}
			last := noRate(term.seen[len(term.seen)-2]) // the last before the line is cleared
			if !strings.HasSuffix(last, tc.want) || tc.name == "NoTotal" && strings.Contains(last, "%") {
				t.Errorf("last line %q, want it to end in %q", last, tc.want)
			}
			if tc.name == "Stdout" {
				if strings.ContainsAny(out, "\r\x1b") || !strings.HasPrefix(out, `{"type":"header"`) {
					t.Errorf("progress in the data on stdout: %.200q", out)
				}
				// The counts go to stderr, on a clean line.
				if s := term.screen(); len(s) != 1 || s[0] != "exported 1,284 segments of 36 videos" {
					t.Errorf("stderr shows %q", s)
				}
			} else if s := term.screen(); len(s) != 0 {
				t.Errorf("stderr left showing %q", s)
			}
		})
	}
	moves(t, "export", func() []int {
		term := &terminal{cols: 80}
		runTerm(t, context.Background(), term, db, "export", "-o", filepath.Join(t.TempDir(), "again.jsonl"))
		return phase(term.seen, "exporting")
	}())
}

func TestInterruptLeavesACleanLine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  []string
		args   []string
		cancel string // the line drawn that interrupts
	}{
		{"ImportFiles", nil, []string{"import", sampleExports}, "importing"},
		{"ImportGraph", nil, []string{"import", sampleExports}, "building"},
		{"IndexBuild", []string{"import", "--no-index", sampleExports}, []string{"index", "build"}, "building"},
		{"Search", []string{"import", "--no-index", sampleExports}, []string{"search", "--vector", "../../testdata/sample/queries.json#surfing"}, "building"},
		{"Export", []string{"import", sampleExports}, []string{"export", "-o", "OUT"}, "exporting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tempDB(t)
			if tc.setup != nil {
				if _, errs, code := run(t, db, "", tc.setup...); code != 0 {
					t.Fatalf("%v: %d %s", tc.setup, code, errs)
				}
			}
			args := slicesReplace(tc.args, "OUT", filepath.Join(t.TempDir(), "out.jsonl"))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// 40 columns: the bar fills the line, and leaves room for the
			// terminal's echo of the Ctrl-C.
			term := &terminal{cols: 40}
			interrupted := false
			term.onRedraw = func(line string) {
				if !interrupted && strings.HasPrefix(line, tc.cancel) && !strings.Contains(line, "100%") && percent.MatchString(line) {
					interrupted = true
					term.echo("^C")
					cancel()
				}
			}
			_, code := runTerm(t, ctx, term, db, args...)
			if code != command.ExitInterrupted {
				t.Fatalf("exit %d, want %d: %q", code, command.ExitInterrupted, term.screen())
			}
			term.check(t)
			if s := term.screen(); len(s) != 1 || s[0] != "clipvec: interrupted" {
				t.Errorf("the terminal shows %q, want only %q", s, "clipvec: interrupted")
			}
		})
	}
}

func slicesReplace(s []string, old, new string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		if v == old {
			v = new
		}
		out[i] = v
	}
	return out
}

func TestProgressRedraws(t *testing.T) {
	// So long between redraws that only the phases' first and last lines
	// are drawn.
	command.SetRedrawEvery(t, time.Hour)
	term := &terminal{cols: 40}
	pb := command.NewProgressBar(term)
	for i := 0; i < 1000; i++ {
		pb.Update("task %d: processing", i)
	}
	for i := 0; i <= 1000; i++ {
		pb.Show("importing", float64(i)/1000)
	}
	pb.Show("building", 0.5)
	pb.Done()
	term.check(t)
	want := []string{
		"task 0: processing",
		"importing [....................]   0%",
		"importing [####################] 100%",
		"building [##########..........]  50%",
		"",
	}
	if strings.Join(term.seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("drew\n%s\nwant\n%s", strings.Join(term.seen, "\n"), strings.Join(want, "\n"))
	}
	// Not a terminal: nothing.
	var buf bytes.Buffer
	pb = command.NewProgressBar(&buf)
	pb.Show("importing", 0.5)
	pb.Done()
	if buf.Len() != 0 {
		t.Errorf("drew %q on a buffer", buf.String())
	}
}
