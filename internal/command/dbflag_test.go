package command_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// Issue 9: with $CLIPVEC_DB set, "clipvec --db X delete V" deleted V from
// $CLIPVEC_DB's database. --db beats the environment wherever it stands.

// sharedVideo is in both databases of twoDBs (embed_task_retrieve.json's
// video); flagVideo only in the one --db names.
const (
	sharedVideo = "663e16ac4d11aff765088b3a"
	flagVideo   = "flagvid"
)

// twoDBs makes two databases and sets $CLIPVEC_DB to env. Both hold
// sharedVideo; flag holds flagVideo too.
func twoDBs(t *testing.T) (env, flag string) {
	t.Helper()
	dir := t.TempDir()
	env, flag = filepath.Join(dir, "env.db"), filepath.Join(dir, "flag.db")
	inspect(t, env, "import", filepath.Join(fixtures, "embed_task_retrieve.json"))
	inspect(t, flag, "import", filepath.Join(fixtures, "embed_task_retrieve.json"))
	inspect(t, flag, "import", "--video-id", flagVideo, filepath.Join(fixtures, "embed_v2_task.json"))
	t.Setenv("CLIPVEC_DB", env)
	return env, flag
}

// runArgs runs clipvec with exactly args (no --db added).
func runArgs(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := command.Run(context.Background(), append([]string{"clipvec"}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// inspect runs clipvec on the database at path, named by both --db and
// $CLIPVEC_DB so that no precedence is involved, and returns its stdout.
// It leaves $CLIPVEC_DB as it found it.
func inspect(t *testing.T, path string, args ...string) string {
	t.Helper()
	prev, had := os.LookupEnv("CLIPVEC_DB")
	t.Setenv("CLIPVEC_DB", path) // restores the original at cleanup
	defer func() {
		if had {
			os.Setenv("CLIPVEC_DB", prev)
		} else {
			os.Unsetenv("CLIPVEC_DB")
		}
	}()
	out, errs, code := runArgs(t, append([]string{"--db", path}, args...)...)
	if code != command.ExitOK {
		t.Fatalf("clipvec --db %s %v: exit %d\n%s%s", path, args, code, out, errs)
	}
	return out
}

// videosIn lists the videos in the database at path.
func videosIn(t *testing.T, path string) []string {
	t.Helper()
	var vs []struct {
		ID string `json:"video_id"`
	}
	if out := inspect(t, path, "videos", "--json"); json.Unmarshal([]byte(out), &vs) != nil {
		t.Fatalf("videos --json: %s", out)
	}
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	return ids
}

// dbAt returns args with "--db path" after the first at names: 0 puts
// it before the command, 1 after the command's name, 2 after a
// subcommand's.
func dbAt(args []string, at int, path string) []string {
	return slices.Concat(args[:at], []string{"--db", path}, args[at:])
}

// positions is where --db can stand in a command line whose first depth
// arguments are command names.
func positions(depth int) []int {
	p := make([]int, depth+1)
	for i := range p {
		p[i] = i
	}
	return p
}

// TestDBFlagBeatsEnvReads runs each reading command with --db before the
// command and after each command name, $CLIPVEC_DB naming another
// database: the output must be the --db database's.
func TestDBFlagBeatsEnvReads(t *testing.T) {
	env, flag := twoDBs(t)
	for _, tc := range []struct {
		args  []string
		depth int // how many of args are command names
	}{
		{[]string{"videos", "--json"}, 1},
		{[]string{"stats", "--json"}, 1},
		{[]string{"export"}, 1},
		{[]string{"search", "--like-video", flagVideo, "--json"}, 1},
		{[]string{"index", "status", "--json"}, 2},
	} {
		want := inspect(t, flag, tc.args...)
		// The outputs must tell the databases apart, or the test proves nothing.
		if other, _, _ := runArgs(t, append([]string{"--db", env}, tc.args...)...); other == want {
			t.Fatalf("%v: both databases print\n%s", tc.args, want)
		}
		for _, at := range positions(tc.depth) {
			args := dbAt(tc.args, at, flag)
			out, errs, code := runArgs(t, args...)
			if code != command.ExitOK || out != want {
				t.Errorf("clipvec %s: exit %d, %s\ngot:\n%s\nwant (the --db database's):\n%s",
					strings.Join(args, " "), code, errs, out, want)
			}
		}
	}
}

// TestDBFlagBeatsEnvWrites runs each writing command with --db before the
// command and after each command name, $CLIPVEC_DB naming another
// database: the --db database must change, and $CLIPVEC_DB's must not.
func TestDBFlagBeatsEnvWrites(t *testing.T) {
	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(2))
	defer srv.Close()
	upstreamEnv(t, srv, srv.APIKey)
	ix := srv.Catalogue.Indexes[0]
	asset := ix.Videos[0].ID

	for _, tc := range []struct {
		name  string
		args  []string
		depth int
		// changed reports whether the command changed the database at path.
		changed func(t *testing.T, path string) bool
	}{
		{"Delete", []string{"delete", sharedVideo}, 1, func(t *testing.T, path string) bool {
			return !slices.Contains(videosIn(t, path), sharedVideo)
		}},
		{"Import", []string{"import", "--video-id", "new", filepath.Join(fixtures, "embed_v2_task.json")}, 1, func(t *testing.T, path string) bool {
			return slices.Contains(videosIn(t, path), "new")
		}},
		{"IndexBuild", []string{"index", "build", "--m", "24"}, 2, func(t *testing.T, path string) bool {
			return strings.Contains(inspect(t, path, "index", "status"), "M 24,")
		}},
		{"FetchAsset", []string{"fetch", "asset", "--index", ix.ID, "--modality", "visual", asset}, 2, func(t *testing.T, path string) bool {
			return slices.Contains(videosIn(t, path), asset)
		}},
	} {
		for _, at := range positions(tc.depth) {
			t.Run(tc.name+"/"+strings.Join(dbAt(tc.args[:tc.depth], at, "F"), "_"), func(t *testing.T) {
				env, flag := twoDBs(t)
				args := dbAt(tc.args, at, flag)
				out, errs, code := runArgs(t, args...)
				if code != command.ExitOK {
					t.Fatalf("clipvec %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
				}
				if !tc.changed(t, flag) {
					t.Errorf("clipvec %s: the --db database did not change", strings.Join(args, " "))
				}
				if tc.changed(t, env) {
					t.Errorf("clipvec %s: changed $CLIPVEC_DB's database", strings.Join(args, " "))
				}
			})
		}
	}
}

// TestDBPrecedence: without --db, $CLIPVEC_DB is the database; with two,
// the one nearer the end wins; and a --db after the arguments is an
// error, not a video id, so nothing is deleted.
func TestDBPrecedence(t *testing.T) {
	env, flag := twoDBs(t)
	t.Run("EnvWithoutFlag", func(t *testing.T) {
		if got, want := mustRun(t, "videos", "--json"), inspect(t, env, "videos", "--json"); got != want {
			t.Errorf("got:\n%s\nwant $CLIPVEC_DB's:\n%s", got, want)
		}
	})
	t.Run("LastFlagWins", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other.db")
		for _, tc := range []struct{ args, want []string }{
			{[]string{"--db", other, "videos", "--db", flag, "--json"}, []string{"videos", "--json"}},
			{[]string{"--db", other, "index", "--db", other, "status", "--db", flag, "--json"}, []string{"index", "status", "--json"}},
		} {
			if got, want := mustRun(t, tc.args...), inspect(t, flag, tc.want...); got != want {
				t.Errorf("clipvec %s:\n%s\nwant the last --db's:\n%s", strings.Join(tc.args, " "), got, want)
			}
		}
		if _, err := os.Stat(other); !os.IsNotExist(err) {
			t.Errorf("an overridden --db was opened: %v", err)
		}
	})
	t.Run("ErrFlagAfterArgs", func(t *testing.T) {
		_, errs, code := runArgs(t, "delete", sharedVideo, "--db", flag)
		if code != command.ExitUsage || !strings.Contains(errs, "put flags first") {
			t.Errorf("exit %d: %s", code, errs)
		}
		for _, path := range []string{env, flag} {
			if !slices.Contains(videosIn(t, path), sharedVideo) {
				t.Errorf("%s: %s was deleted", path, sharedVideo)
			}
		}
	})
}

// mustRun runs clipvec with args and returns stdout; it fails t unless
// the exit code is 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := runArgs(t, args...)
	if code != command.ExitOK {
		t.Fatalf("clipvec %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}
