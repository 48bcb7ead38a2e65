package command_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// TestReadmeTour runs the README's tour ("## A tour": each "$ clipvec
// ..." line of its console block) on a fresh default database and
// compares what each command prints with what the README shows,
// character for character, but for timings and rates, which no two runs
// share (issue 13: acceptance). The database lives where a new user's
// would, ~/.local/share/clipvec/clipvec.db, shown as /home/you.
func TestReadmeTour(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	steps := tourSteps(t, string(readme))
	if len(steps) < 4 {
		t.Fatalf("the README's tour has %d commands, want at least 4", len(steps))
	}
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	t.Setenv("CLIPVEC_DB", "")
	t.Setenv("TWELVELABS_API_KEY", "")
	t.Chdir(root)
	for _, st := range steps {
		args := tourArgs(t, st.cmd)
		head := -1
		if n := len(args); n >= 3 && args[n-2] == "|" && args[n-1] != "" {
			// "... | head -N": the first N lines.
			if h, err := strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(args[n-1], "head"), " -")); err == nil {
				head = h
			}
			args = args[:n-2]
		}
		var out, errb bytes.Buffer
		code := command.Run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if code != command.ExitOK {
			t.Fatalf("$ %s: exit %d\n%s%s", st.cmd, code, out.String(), errb.String())
		}
		got := strings.ReplaceAll(out.String()+errb.String(), filepath.Join(data, "clipvec"), "/home/you/.local/share/clipvec")
		got = strings.TrimRight(got, "\n")
		if head >= 0 {
			lines := strings.Split(got, "\n")
			got = strings.Join(lines[:min(head, len(lines))], "\n")
		}
		if g, w := maskTimings(got), maskTimings(st.want); g != w {
			t.Errorf("$ %s\nprints:\n%s\nthe README shows:\n%s", st.cmd, got, st.want)
		}
	}
}

type tourStep struct{ cmd, want string }

// tourSteps reads the commands of the README's tour and the output shown
// under each.
func tourSteps(t *testing.T, readme string) []tourStep {
	t.Helper()
	_, tour, ok := strings.Cut(readme, "\n## A tour\n")
	if !ok {
		t.Fatal(`the README has no "## A tour"`)
	}
	_, block, ok := strings.Cut(tour, "```console\n")
	if !ok {
		t.Fatal("the tour has no console block")
	}
	block, _, _ = strings.Cut(block, "```")
	var steps []tourStep
	for _, line := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			steps = append(steps, tourStep{cmd: cmd})
			continue
		}
		if len(steps) == 0 {
			t.Fatalf("the tour's console block starts with %q, not a command", line)
		}
		st := &steps[len(steps)-1]
		if st.want != "" || line != "" {
			st.want += line + "\n"
		}
	}
	for i := range steps {
		steps[i].want = strings.TrimRight(steps[i].want, "\n")
	}
	return steps
}

// tourArgs splits a command line as sh would for the tour's commands:
// words, single and double quotes, and a trailing "| head -N" kept as
// the words "|" and "head -N".
func tourArgs(t *testing.T, line string) []string {
	t.Helper()
	if cmd, pipe, ok := strings.Cut(line, " | "); ok {
		return append(tourArgs(t, cmd), "|", strings.TrimSpace(pipe))
	}
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// timing matches what differs from run to run: elapsed times and rates.
var timing = regexp.MustCompile(`\d+(\.\d+)?\s?(s|ms|µs)\b|[\d,]+(\.\d+)? ?(segments|nodes|MB)/s`)

func maskTimings(s string) string { return timing.ReplaceAllString(s, "<T>") }
