package command_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// TestReadCommandsNeedADatabase: a command that reads (or changes, but
// brings nothing to add) given a path where there is no database says
// so, exits 3 and creates nothing; import still creates one.
func TestReadCommandsNeedADatabase(t *testing.T) {
	for _, args := range [][]string{
		{"stats"}, {"videos"}, {"search", "--like-video", "v"}, {"export"}, {"recommend", "--like-video", "v"},
		{"index", "status"}, {"index", "build"}, {"index", "compact"}, {"queries"}, {"queries", "--clear"}, {"delete", "v"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "sub", "c.db")
			out, errs, code := run(t, db, "", args...)
			want := fmt.Sprintf("clipvec: no database at %s (create one with clipvec import, or clipvec quickstart --into %s)\n", db, db)
			if code != command.ExitNotFound || errs != want || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 3 and %q", code, out, errs, want)
			}
			onlyEntries(t, dir)
		})
	}
	db := filepath.Join(t.TempDir(), "sub", "c.db")
	if out, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json")); code != command.ExitOK {
		t.Fatalf("import into a new database: exit %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("import created no database: %v", err)
	}
}

// readOnlyDB imports the sample and removes its graph snapshot, so that
// a search has a graph to build.
func readOnlyDB(t *testing.T) (db, index string) {
	t.Helper()
	db = sampleDB(t)
	index = db + ".index"
	if err := os.RemoveAll(index); err != nil {
		t.Fatal(err)
	}
	return db, index
}

// checkReadOnlyReads runs the read commands on db, which this process
// cannot write: each works; a search says once that its graph is built
// in memory and not saved, and saves none; a write says why it fails.
func checkReadOnlyReads(t *testing.T, db, index, why string) {
	t.Helper()
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stats"}, "segments:   1,284"},
		{[]string{"videos", "--json"}, `"video_id"`},
		{[]string{"export"}, `{"type":"header"`},
		{[]string{"index", "status"}, "missing"},
		{[]string{"queries"}, "no cached queries"},
		{[]string{"search", "--vector", "../../testdata/sample/queries.json#surfing", "--scope", "any"}, "surfing-"},
		{[]string{"recommend", "--like-video", "6821ac34a9d4f4fb30f4fb30", "--scope", "any"}, "SCORE"},
	} {
		out, errs, code := run(t, db, "", tc.args...)
		if code != command.ExitOK || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d, want 0 and %q in\n%s%s", tc.args, code, tc.want, out, errs)
			continue
		}
		note := "clipvec: note: " + why
		switch tc.args[0] {
		case "search", "recommend":
			if strings.Count(errs, note) != 1 || !strings.Contains(errs, "builds it in memory, and does not save it") {
				t.Errorf("%v: stderr %q, want the note once: %q", tc.args, errs, note)
			}
		default:
			if strings.Contains(errs, "note") {
				t.Errorf("%v: stderr %q, want no note (reading costs nothing more)", tc.args, errs)
			}
		}
	}
	if _, err := os.Stat(index); !os.IsNotExist(err) {
		t.Errorf("a read-only search saved its graph: %v", err)
	}
	for _, args := range [][]string{{"delete", "6821ac34a9d4f4fb30f4fb30"}, {"import", filepath.Join(fixtures, "embed_task_retrieve.json")}} {
		_, errs, code := run(t, db, "", args...)
		if code != command.ExitFailure || errs != "clipvec: "+why+"\n" && !strings.HasPrefix(errs, "clipvec: "+why+" (") {
			t.Errorf("%v: exit %d, stderr %q; want 1 saying %q", args, code, errs, why)
		}
	}
	if after, _ := os.ReadFile(db); string(after) != string(before) {
		t.Error("the database file changed")
	}
}

// TestReadOnlyDatabase: the read commands read a database this process
// cannot write. The open failure is injected (root writes anything);
// TestReadOnlyDatabaseFile and TestReadOnlyDatabaseDir do it for real.
func TestReadOnlyDatabase(t *testing.T) {
	db, index := readOnlyDB(t)
	why := "open database " + db + ": the file is read-only for this user (permission denied)"
	defer command.SetOpenRW(func(_ context.Context, path string) (*clipvec.DB, error) {
		return nil, notWritable("open database " + path + ": the file is read-only for this user (permission denied)")
	})()
	checkReadOnlyReads(t, db, index, why)
}

// notWritable is an error as clipvec.Open returns for a read-only file.
type notWritable string

func (e notWritable) Error() string        { return string(e) }
func (e notWritable) Is(target error) bool { return target == clipvec.ErrNotWritable }

func notRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		t.Skip("root writes read-only files and directories: TestReadOnlyDatabase injects the failure instead")
	}
}

func TestReadOnlyDatabaseFile(t *testing.T) {
	notRoot(t)
	db, index := readOnlyDB(t)
	if err := os.Chmod(db, 0o444); err != nil {
		t.Fatal(err)
	}
	checkReadOnlyReads(t, db, index, "open database "+db+": the file is read-only for this user (permission denied)")
	// Reading it left nothing beside it: made writable again, it takes
	// an import.
	onlyEntries(t, filepath.Dir(db), filepath.Base(db))
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json")); code != command.ExitOK {
		t.Errorf("import once writable again: exit %d\n%s%s", code, out, errs)
	}
}

func TestReadOnlyDatabaseDir(t *testing.T) {
	notRoot(t)
	db, index := readOnlyDB(t)
	dir := filepath.Dir(db)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	checkReadOnlyReads(t, db, index, "open database "+db+": its directory "+dir+" is read-only for this user")
	_, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json"))
	if code != command.ExitFailure || !strings.Contains(errs, "its directory "+dir+" is read-only for this user") {
		t.Errorf("import: exit %d, stderr %q", code, errs)
	}
}

// TestReadOnlyTextQueryNotKept: a text embedded upstream for a search of
// a database opened read-only cannot be kept in its cache, and the
// search says so rather than "now cached"; asked again, it is embedded
// again.
func TestReadOnlyTextQueryNotKept(t *testing.T) {
	const key = "tlk_readonly_5e1f0a9c3b7d2e64"
	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(2), twelvelabstest.WithAPIKey(key))
	defer srv.Close()
	upstreamEnv(t, srv, key)
	db, _ := readOnlyDB(t)
	defer command.SetOpenRW(func(_ context.Context, path string) (*clipvec.DB, error) {
		return nil, notWritable("open database " + path + ": the file is read-only for this user (permission denied)")
	})()
	for range 2 {
		out, errs, code := run(t, db, "", "search", "--text", "waves at dawn", "-k", "1")
		if code != command.ExitOK || !strings.Contains(out, "not cached: the database is read-only") || strings.Contains(out, "now cached") {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
	}
}
