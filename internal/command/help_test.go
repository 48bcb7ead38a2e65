package command_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/internal/command"
)

// commandPaths lists every command and subcommand of clipvec, as the
// words that name it: {"search"}, {"index", "build"}.
func commandPaths(t testing.TB) [][]string {
	t.Helper()
	app := command.New(strings.NewReader(""), io.Discard, io.Discard)
	var paths [][]string
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := append(append([]string(nil), prefix...), c.Name)
			paths = append(paths, p)
			walk(p, c.Subcommands)
		}
	}
	walk(nil, app.Commands)
	if len(paths) < 20 {
		t.Fatalf("found %d commands: %v", len(paths), paths)
	}
	return paths
}

// TestHelpCommand: clipvec help [COMMAND [SUBCOMMAND]] shows what --help
// shows, and exits 0 (issue 13: 1).
func TestHelpCommand(t *testing.T) {
	db := tempDB(t)
	for _, tc := range []struct {
		args []string
		name string
	}{
		{nil, "clipvec - local vector search"},
		{[]string{"search"}, "clipvec search - find the segments"},
		{[]string{"index", "build"}, "clipvec index build - rebuild the graphs"},
		{[]string{"help"}, "clipvec help - show the help"},
	} {
		out, errs, code := run(t, db, "", append([]string{"help"}, tc.args...)...)
		if code != command.ExitOK || errs != "" || !strings.HasPrefix(out, "NAME:\n   "+tc.name) {
			t.Errorf("help %v: exit %d, stderr %q, stdout:\n%s", tc.args, code, errs, out)
		}
		flag, _, _ := run(t, db, "", append(tc.args, "--help")...)
		if tc.args == nil || tc.args[0] == "help" {
			continue
		}
		if flag != out {
			t.Errorf("help %v differs from %v --help:\n%s\n---\n%s", tc.args, tc.args, out, flag)
		}
	}
	// A bare command made of subcommands shows its help.
	if out, errs, code := run(t, db, "", "index"); code != command.ExitOK || !strings.Contains(out, "COMMANDS:\n   status") {
		t.Errorf("clipvec index: exit %d %s\n%s", code, errs, out)
	}
}

// TestUnknownCommand: an unknown command or subcommand is a usage error
// that names it, with a suggestion only for a near miss (issue 13: 2).
func TestUnknownCommand(t *testing.T) {
	db := tempDB(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "x"}, `clipvec: unknown command "show"` + "\n"},
		{[]string{"h"}, `clipvec: unknown command "h"` + "\n"},
		{[]string{"xy"}, `clipvec: unknown command "xy"` + "\n"},
		{[]string{"serch", "--like", "a@1"}, `clipvec: unknown command "serch"; did you mean "search"?` + "\n"},
		{[]string{"idnex"}, `clipvec: unknown command "idnex"; did you mean "index"?` + "\n"},
		{[]string{"exprot"}, `clipvec: unknown command "exprot"; did you mean "export"?` + "\n"},
		{[]string{"index", "foo"}, `clipvec index: unknown command "foo"` + "\n"},
		{[]string{"index", "statsu"}, `clipvec index: unknown command "statsu"; did you mean "status"?` + "\n"},
		{[]string{"fetch", "tsk", "x"}, `clipvec fetch: unknown command "tsk"; did you mean "task"?` + "\n"},
		{[]string{"help", "nope"}, `clipvec: unknown command "nope"` + "\n"},
		{[]string{"help", "index", "nope"}, `clipvec index: unknown command "nope"` + "\n"},
		{[]string{"--help", "nope"}, `clipvec: unknown command "nope"` + "\n"},
		{[]string{"index", "--help", "nope"}, `clipvec index: unknown command "nope"` + "\n"},
	} {
		out, errs, code := run(t, db, "", tc.args...)
		if code != command.ExitUsage || !strings.HasPrefix(errs, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errs, tc.want)
		}
		if strings.Contains(errs, `"h"?`) || strings.Contains(errs, "No help topic") {
			t.Errorf("%v: %s", tc.args, errs)
		}
	}
}

// TestIndexSubcommandsHelp: index status, build and compact describe what
// they do and show examples (issue 13: 3).
func TestIndexSubcommandsHelp(t *testing.T) {
	for sub, wants := range map[string][]string{
		"status":  {"STATE", "current:", "stale:", "DELETED", "tombstones", "GENERATION", "--json prints"},
		"build":   {"-m M", "2 to 128 (default 16)", "(default 200)", "(default 0.95)", "--target-recall R", "--quantize=false", "Searches go on", "stored"},
		"compact": {"tombstone", "a fifth of its nodes", "Run compact sooner", "--model"},
	} {
		out, _, code := run(t, tempDB(t), "", "index", sub, "--help")
		if code != command.ExitOK || !strings.Contains(out, "\nDESCRIPTION:\n") || !regexp.MustCompile(`Examples:\n(      clipvec index .*\n)*      clipvec index `+sub).MatchString(out) {
			t.Errorf("index %s --help: exit %d, no description or examples:\n%s", sub, code, out)
		}
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("index %s --help does not say %q", sub, w)
			}
		}
	}
}

// TestVersion: --version and clipvec version print the version, the
// commit (or that it is unknown, as under go run and in tests) and Go's
// version (issue 13: 4).
func TestVersion(t *testing.T) {
	db := tempDB(t)
	want := regexp.MustCompile(`^clipvec version \S+ \((commit [0-9a-f]{7}(-dirty)?(, \S+)?|commit unknown); ` +
		regexp.QuoteMeta(runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) + `\)\n$`)
	a, _, code := run(t, db, "", "--version")
	if code != command.ExitOK || !want.MatchString(a) {
		t.Errorf("--version: exit %d: %q", code, a)
	}
	b, _, code := run(t, db, "", "version")
	if code != command.ExitOK || b != a {
		t.Errorf("version: exit %d: %q, want %q", code, b, a)
	}
	if _, errs, code := run(t, db, "", "version", "x"); code != command.ExitUsage || !strings.Contains(errs, `clipvec version: unexpected argument "x"`) {
		t.Errorf("version x: exit %d %s", code, errs)
	}
	// A test binary records no commit; -ldflags -X sets the version.
	if got := command.VersionString(); !strings.HasPrefix(got, "devel (commit unknown; go") {
		t.Errorf("version of a test binary: %q", got)
	}
	restore := command.SetVersion("v1.4.0")
	defer restore()
	if got := command.VersionString(); !strings.HasPrefix(got, "v1.4.0 (") {
		t.Errorf("version set by -ldflags: %q", got)
	}
}

// TestHelpFits walks every command's help: within 80 columns, no
// defaults that say nothing, every flag shown with two dashes (issue 13:
// 6, 7, 10).
func TestHelpFits(t *testing.T) {
	db := tempDB(t)
	useless := regexp.MustCompile(`\(default: (0|false|""|0s)\)`)
	app := command.New(strings.NewReader(""), io.Discard, io.Discard)
	app.Setup()
	for _, p := range append([][]string{nil}, commandPaths(t)...) {
		name := strings.Join(append([]string{"clipvec"}, p...), " ")
		out, errs, code := run(t, db, "", append(p, "--help")...)
		if code != command.ExitOK || errs != "" || !strings.HasPrefix(out, "NAME:\n   "+name+" - ") {
			t.Errorf("%s --help: exit %d %s\n%s", name, code, errs, out)
			continue
		}
		for i, line := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(line); n > 80 {
				t.Errorf("%s --help: line %d is %d columns: %q", name, i+1, n, line)
			}
		}
		if m := useless.FindString(out); m != "" {
			t.Errorf("%s --help says %s", name, m)
		}
		if strings.Contains(out, " [ --") || regexp.MustCompile(`(?m)^   -[a-z][a-z]`).MatchString(out) {
			t.Errorf("%s --help: a flag shown urfave's way:\n%s", name, out)
		}
		// Every flag is in the options, with its value's placeholder.
		opts := out[strings.LastIndex(out, "OPTIONS:\n"):]
		for _, f := range flagsOf(app, p) {
			for _, n := range f.Names() {
				dashed := "--" + n
				if len(n) == 1 {
					dashed = "-" + n
				}
				if !regexp.MustCompile(`(?m)^   (-\S+, )*` + regexp.QuoteMeta(dashed) + `[ ,\n]`).MatchString(opts) {
					t.Errorf("%s --help does not list %s:\n%s", name, dashed, opts)
				}
			}
		}
	}
	out, _, _ := run(t, db, "", "search", "--help")
	for _, want := range []string{
		"   --modality MODALITY    only results of this MODALITY (repeatable)\n",
		"   --scope SCOPE          only results of this SCOPE: clip (default), video\n",
		"or any\n                          (repeatable)\n",
		"   -k, --limit N          number of results (default: 10)\n",
		"   --threads N            exact scans use N goroutines (default: all cores)\n",
		"   --include-self         keep the query clip (or video) in the results\n",
		"   --query-modality MODALITY\n                          the query clip's or video's MODALITY",
		"flag's value shows in ps and shell history)\n                          [$TWELVELABS_API_KEY]\n",
		"server [$TWELVELABS_BASE_URL]\n",
		"(honouring Retry-After; 0: never)\n                          (default: 3)\n",
		"   -h, --help             show help\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("search --help lacks %q:\n%s", want, out)
		}
	}
	// A default that is not a zero value is shown, at the end of the row.
	if row := regexp.MustCompile(`(?m)^   --agg AGG +\S.*\n( {10,}\S.*\n)*`).FindString(out); !strings.Contains(row, "(default:") ||
		!strings.HasSuffix(row, "\"max\")\n") {
		t.Errorf("search --help: --agg: %q", row)
	}
	out, _, _ = run(t, db, "", "--help")
	// The variable a flag is read from ends its row.
	if row := regexp.MustCompile(`(?m)^   --db FILE +\S.*\n( {10,}\S.*\n)*`).FindString(out); !strings.HasSuffix(row, " [$CLIPVEC_DB]\n") {
		t.Errorf("--help: --db: %q", row)
	}
}

// flagsOf returns the flags of the command at path (the app's for nil).
func flagsOf(app *cli.App, path []string) []cli.Flag {
	flags, cmds := app.Flags, app.Commands
	for _, name := range path {
		for _, c := range cmds {
			if c.Name == name {
				flags, cmds = c.Flags, c.Subcommands
				break
			}
		}
	}
	var out []cli.Flag
	for _, f := range flags {
		if f.Names()[0] != "help" {
			out = append(out, f)
		}
	}
	return out
}

// TestHelpText: a description's lines too long for the width are
// wrapped: prose filled again as a paragraph, a row of columns under its
// second column, a command with backslashes so that it still pastes into
// a shell; lines that fit are left as they are.
func TestHelpText(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		width      int
		want       string
	}{
		{"Fits", "a b c\n   x  y\n", 20, "a b c\n   x  y\n"},
		{"Prose", "one two three four five six\nseven eight\n\nnine", 20,
			"one two three four\nfive six seven eight\n\nnine\n"},
		{"Columns", "   --like X    the clip of X at a time\n               of the video\n   --video V   a whole video", 30,
			"   --like X    the clip of X\n               at a time of\n               the video\n   --video V   a whole video\n"},
		{"Command", "   clipvec search --like v@1 --modality visual -k 20", 30,
			"   clipvec search --like v@1 \\\n       --modality visual -k \\\n       20\n"},
		{"CommandQuoted", `   clipvec search --text "a dog catching a frisbee" -k 3`, 40,
			"   clipvec search --text \\\n       \"a dog catching a frisbee\" -k 3\n"},
		{"CommandLongQuote", `   duckdb -c "SELECT video_id, start_sec FROM 'clips.parquet' LIMIT 5"`, 40,
			"   duckdb -c \"SELECT video_id, \\\n       start_sec FROM 'clips.parquet' \\\n       LIMIT 5\"\n"},
		{"Comment", "   clipvec serve     # HTTP API and a web page on :8377", 40,
			"   clipvec serve     # HTTP API and a\n                       web page on :8377\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := command.WriteText(tc.text, tc.width)
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			for _, l := range strings.Split(got, "\n") {
				if utf8.RuneCountInString(l) > tc.width {
					t.Errorf("line %q is wider than %d", l, tc.width)
				}
			}
		})
	}
}

// TestFlagErrors: a mistyped or misused flag is a usage error that names
// the command and the flag as typed, with two dashes (issue 13: 8).
func TestFlagErrors(t *testing.T) {
	db := tempDB(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "--foo"}, "clipvec search: unknown flag --foo\n(see clipvec search --help)\n"},
		{[]string{"search", "-foo"}, "clipvec search: unknown flag --foo\n"},
		{[]string{"search", "--limt", "3"}, "clipvec search: unknown flag --limt; did you mean --limit?\n"},
		{[]string{"search", "-x"}, "clipvec search: unknown flag -x\n"},
		{[]string{"search", "--like-vido", "v"}, `clipvec search: unknown flag --like-vido; did you mean --like-video?` + "\n"},
		{[]string{"search", "-k"}, "clipvec search: flag -k needs a value\n"},
		{[]string{"search", "--limit", "x"}, `clipvec search: invalid value "x" for flag --limit: want a whole number` + "\n"},
		{[]string{"search", "-k", "99999999999999999999"}, `clipvec search: invalid value "99999999999999999999" for flag -k: out of range` + "\n"},
		{[]string{"search", "--json=maybe"}, `clipvec search: invalid value "maybe" for flag --json: want true or false` + "\n"},
		{[]string{"index", "build", "--ef-construction", "1.5"}, `clipvec index build: invalid value "1.5" for flag --ef-construction: want a whole number` + "\n"},
		{[]string{"bench", "upstream", "--iou", "high"}, `clipvec bench upstream: invalid value "high" for flag --iou: want a number` + "\n"},
		{[]string{"--nope", "search"}, "clipvec: unknown flag --nope\n(see clipvec --help)\n"},
		{[]string{"search", "-k", "3", "--limit", "4"}, "clipvec search: --limit and -k are the same flag: give it once\n"},
	} {
		out, errs, code := run(t, db, "", tc.args...)
		if code != command.ExitUsage || !strings.HasPrefix(errs, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errs, tc.want)
		}
	}
}

// TestJSONErrors: with --json an error is one line of JSON on stderr, with
// the same exit code; stdout keeps what the command printed (issue 13: 9).
func TestJSONErrors(t *testing.T) {
	db := tempDB(t)
	if _, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json")); code != command.ExitOK {
		t.Fatalf("import: %s", errs)
	}
	type jsonError struct {
		Error struct {
			Code    string
			Message string
			Exit    int
		}
	}
	for _, tc := range []struct {
		name      string
		args      []string
		code      int
		word, msg string
		stdout    bool // the command prints its result before failing
	}{
		{"UsageFlag", []string{"search", "--foo", "--json"}, command.ExitUsage, "usage", "search: unknown flag --foo", false},
		{"UsageCommand", []string{"show", "--json"}, command.ExitUsage, "usage", `unknown command "show"`, false},
		{"UsageAction", []string{"search", "--json"}, command.ExitUsage, "usage", "give exactly one of", false},
		{"NotFound", []string{"search", "--like-video", "nope", "--json"}, command.ExitNotFound, "not_found", "nope", false},
		{"NotFoundJSONTrue", []string{"search", "--json=true", "--like-video", "nope"}, command.ExitNotFound, "not_found", "nope", false},
		{"InvalidInput", []string{"import", "--json", filepath.Join(fixtures, "embed_task_status.json")}, command.ExitInvalidInput, "invalid_input", "not ready", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(t, db, "", tc.args...)
			var je jsonError
			if err := json.Unmarshal([]byte(errs), &je); err != nil || strings.Count(errs, "\n") != 1 {
				t.Fatalf("exit %d: stderr is not one line of JSON (%v): %q", code, err, errs)
			}
			if code != tc.code || je.Error.Exit != tc.code || je.Error.Code != tc.word || !strings.Contains(je.Error.Message, tc.msg) ||
				strings.HasPrefix(je.Error.Message, "clipvec") {
				t.Errorf("exit %d, error %+v; want exit %d, code %q, a message saying %q", code, je.Error, tc.code, tc.word, tc.msg)
			}
			if !tc.stdout && out != "" {
				t.Errorf("stdout: %q", out)
			}
			if tc.stdout && !json.Valid([]byte(out)) {
				t.Errorf("stdout is not one JSON document: %q", out)
			}
		})
	}
	// Without --json (or with --json=false, or --json as another flag's
	// value) errors are for people.
	for _, args := range [][]string{
		{"search", "--like-video", "nope"},
		{"search", "--like-video", "nope", "--json=false"},
		{"search", "--text", "--json", "--like-video", "nope"},
	} {
		_, errs, code := run(t, db, "", args...)
		if code == command.ExitOK || strings.HasPrefix(errs, "{") || !strings.HasPrefix(errs, "clipvec: ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	// Interrupted: the search finds its context canceled.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := command.Run(ctx, []string{"clipvec", "--db", db, "search", "--like-video", "663e16ac4d11aff765088b3a", "--json"}, strings.NewReader(""), &out, &errb)
	if code != command.ExitInterrupted || errb.String() != `{"error":{"code":"interrupted","message":"interrupted","exit":130}}`+"\n" {
		t.Errorf("interrupted: exit %d, stderr %q", code, errb.String())
	}
}

// termBuffer is a terminal of n columns that keeps what is written.
type termBuffer struct {
	bytes.Buffer
	n int
}

func (t *termBuffer) Columns() int { return t.n }

// TestHelpWidth: on a terminal, help is wrapped to its width, from 40 to
// 100 columns; elsewhere to 80 (issue 13: 6).
func TestHelpWidth(t *testing.T) {
	for _, tc := range []struct{ columns, widest, min int }{{60, 60, 50}, {30, 40, 35}, {130, 100, 90}, {100, 100, 90}} {
		out := &termBuffer{n: tc.columns}
		var errb bytes.Buffer
		if code := command.Run(context.Background(), []string{"clipvec", "search", "--help"}, strings.NewReader(""), out, &errb); code != command.ExitOK {
			t.Fatalf("exit %d %s", code, errb.String())
		}
		widest := 0
		for _, l := range strings.Split(out.String(), "\n") {
			widest = max(widest, utf8.RuneCountInString(l))
		}
		if widest > tc.widest || widest < tc.min {
			t.Errorf("%d columns: the widest line is %d, want %d to %d", tc.columns, widest, tc.min, tc.widest)
		}
	}
}
