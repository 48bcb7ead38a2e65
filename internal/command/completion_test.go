package command_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// completionScript returns the script clipvec completion prints for
// shell, written to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	out, errs, code := run(t, tempDB(t), "", "completion", shell)
	if code != command.ExitOK || errs != "" || out == "" {
		t.Fatalf("completion %s: exit %d %s", shell, code, errs)
	}
	path := filepath.Join(t.TempDir(), "clipvec."+shell)
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBashCompletion sources the bash script in bash --norc and asks it,
// as bash would on TAB, to complete command lines (issue 13: 5).
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script := completionScript(t, "bash")
	dir := t.TempDir()
	for _, f := range []string{"a.json", "ab.json.gz", "b.txt", "sub/c.json"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		words []string // the last is the word being completed
		want  []string
	}{
		{[]string{"se"}, []string{"search", "serve"}},
		{[]string{""}, []string{"bench", "classify", "completion", "delete", "embed", "export", "fetch", "help", "import", "index", "queries",
			"quickstart", "recommend", "search", "serve", "stats", "sync", "version", "videos"}},
		{[]string{"search", "--li"}, []string{"--like", "--like-video", "--limit"}},
		{[]string{"search", "--like", "v@1", "--li"}, []string{"--like", "--like-video", "--limit"}},
		{[]string{"index", ""}, []string{"build", "compact", "status"}},
		{[]string{"index", "build", "--ef"}, []string{"--ef", "--ef-construction"}},
		{[]string{"--db", "x.db", "index", "b"}, []string{"build"}},
		{[]string{"--db", "=", "x.db", "index", "c"}, []string{"compact"}},
		{[]string{"search", "-k", "3", "--ex"}, []string{"--exact", "--exclude-video"}},
		{[]string{"fetch", "t"}, []string{"task"}},
		{[]string{"fetch", "index", "--modality", "visual", "--sc"}, []string{"--scope"}},
		{[]string{"help", "in"}, []string{"index"}},
		{[]string{"help", "index", ""}, []string{"build", "compact", "status"}},
		{[]string{"completion", ""}, []string{"bash", "fish", "zsh"}},
		{[]string{"-"}, []string{"--db", "--help", "--version", "-h", "-v"}},
		// Values: files where a flag or argument is a file, nothing where
		// it is some other value.
		{[]string{"search", "--model", ""}, nil},
		{[]string{"search", "--like", ""}, nil},
		{[]string{"import", filepath.Join(dir, "a")}, []string{filepath.Join(dir, "a.json"), filepath.Join(dir, "ab.json.gz")}},
		{[]string{"import", "--video-id", "v", filepath.Join(dir, "s")}, []string{filepath.Join(dir, "sub")}},
		{[]string{"search", "--vector", filepath.Join(dir, "b")}, []string{filepath.Join(dir, "b.txt")}},
		{[]string{"classify", "--class", "a=b", "--cl"}, []string{"--class", "--classes", "--clips"}},
		{[]string{"classify", "--classes", filepath.Join(dir, "b")}, []string{filepath.Join(dir, "b.txt")}},
		{[]string{"classify", "--class", ""}, nil},
		{[]string{"--db", filepath.Join(dir, "a")}, []string{filepath.Join(dir, "a.json"), filepath.Join(dir, "ab.json.gz")}},
		{[]string{"--db", "=", filepath.Join(dir, "b")}, []string{filepath.Join(dir, "b.txt")}},
		{[]string{"bench", "upstream", "--report", dir + "/"}, []string{filepath.Join(dir, "sub")}},
		{[]string{"delete", ""}, nil},
		{[]string{"search", "--", "--li"}, nil},
	} {
		words := append([]string{"clipvec"}, tc.words...)
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", `source "$1" || exit 9
COMP_WORDS=(`+strings.Join(quoted, " ")+`)
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_clipvec
printf '%s\n' "${COMPREPLY[@]}"`, "bash", script)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", tc.words, err, out)
		}
		got := strings.Fields(string(out))
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("clipvec %s<TAB>: %q, want %q", strings.Join(tc.words, " "), got, tc.want)
		}
	}
}

// TestCompletionScripts: every shell's script names every command, and
// parses in its shell when that shell is installed.
func TestCompletionScripts(t *testing.T) {
	paths := commandPaths(t)
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			script := completionScript(t, shell)
			body, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range paths {
				parent, name := strings.Join(p[:len(p)-1], " "), p[len(p)-1]
				// The parent's commands list the command.
				var list *regexp.Regexp
				switch shell {
				case "bash":
					list = regexp.MustCompile(`'` + regexp.QuoteMeta(parent) + `:commands'\) REPLY='([^']*\s)?` + regexp.QuoteMeta(name) + `[\s']`)
				case "zsh":
					list = regexp.MustCompile(`'` + regexp.QuoteMeta(parent) + `:commands'\) reply=\(.*'` + regexp.QuoteMeta(name) + `:`)
				case "fish":
					list = regexp.MustCompile(`__clipvec_at \\'` + regexp.QuoteMeta(parent) + `\\''.* -a ` + regexp.QuoteMeta(name) + ` -d`)
				}
				if !list.Match(body) {
					t.Errorf("%s script does not offer %q after %q", shell, name, parent)
				}
			}
			if bin, err := exec.LookPath(shell); err != nil && shellsRequired() {
				t.Errorf("%s is not installed, and CLIPVEC_SHELL_TESTS=1 says the test must run it", shell)
			} else if err != nil {
				t.Logf("%s is not installed: the script is not parsed", shell)
			} else if out, err := exec.Command(bin, "-n", script).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, out)
			}
		})
	}
	if _, errs, code := run(t, tempDB(t), "", "completion", "tcsh"); code != command.ExitUsage || !strings.Contains(errs, `unknown shell "tcsh": want bash, zsh or fish`) {
		t.Errorf("completion tcsh: exit %d %s", code, errs)
	}
	if out, _, code := run(t, tempDB(t), "", "completion", "--help"); code != command.ExitOK ||
		!strings.Contains(out, "~/.local/share/bash-completion/completions/clipvec") || !strings.Contains(out, "~/.zfunc/_clipvec") ||
		!strings.Contains(out, "~/.config/fish/completions/clipvec.fish") {
		t.Errorf("completion --help does not say how to install each script:\n%s", out)
	}
}

// TestFishCompletion asks fish itself to complete, when it is installed.
func TestFishCompletion(t *testing.T) {
	fish, err := exec.LookPath("fish")
	if err != nil && shellsRequired() {
		t.Fatal("fish is not installed, and CLIPVEC_SHELL_TESTS=1 says the test must run it")
	} else if err != nil {
		t.Skip("fish is not installed")
	}
	script := completionScript(t, "fish")
	for line, want := range map[string][]string{
		"clipvec se":           {"search", "serve"},
		"clipvec index ":       {"build", "compact", "status"},
		"clipvec search --li":  {"--like", "--like-video", "--limit"},
		"clipvec help index c": {"compact"},
	} {
		out, err := exec.Command(fish, "--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, script, line).CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", line, err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%q<TAB>: %q, want %q", line, got, want)
		}
	}
}

// shellsRequired: CI installs zsh and fish and sets CLIPVEC_SHELL_TESTS=1,
// so that their tests fail rather than skip without them.
func shellsRequired() bool { return os.Getenv("CLIPVEC_SHELL_TESTS") == "1" }
