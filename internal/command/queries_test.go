package command_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// TestQueriesAdd: queries --add takes the sample's queries.json and what
// queries --json --vectors printed in another database, all or nothing.
func TestQueriesAdd(t *testing.T) {
	t.Setenv("TWELVELABS_API_KEY", "")
	a := sampleDB(t)
	out, errs, code := run(t, a, "", "queries", "--add", "../../testdata/sample/queries.json")
	if code != command.ExitOK || out != "added 8 queries to the cache from ../../testdata/sample/queries.json\n" {
		t.Fatalf("exit %d: %q %s", code, out, errs)
	}
	// The cache answers classify with no key.
	if out, errs, code := run(t, a, "", "classify", "--classes", sampleClasses, "--top", "1", "--json"); code != command.ExitOK {
		t.Fatalf("classify from the added cache: exit %d %s", code, errs)
	} else {
		var res classification
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Videos) != 36 || res.Classes[0].Cached != 1 {
			t.Errorf("classify from the added cache: %v %.300s", err, out)
		}
	}

	// Round trip into another database.
	dump, _, _ := run(t, a, "", "queries", "--json", "--vectors")
	file := filepath.Join(t.TempDir(), "q.json")
	if err := os.WriteFile(file, []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	b := sampleDB(t)
	if out, errs, code := run(t, b, "", "queries", "--add", file, "--json"); code != command.ExitOK || strings.Join(strings.Fields(out), "") != `{"added":8}` {
		t.Fatalf("add the dump: exit %d %q %s", code, out, errs)
	}
	if again, _, _ := run(t, b, "", "queries", "--json", "--vectors"); again != dump {
		t.Errorf("the cache after a round trip differs:\n%.300s\nwant\n%.300s", again, dump)
	}

	// Mistakes: nothing is added.
	c := sampleDB(t)
	var entries []map[string]any
	json.Unmarshal([]byte(dump), &entries)
	entries[2]["vector"] = []float32{1, 2, 3}
	short, _ := json.Marshal(entries)
	entries[2]["vector"] = make([]float32, 512)
	zero, _ := json.Marshal(entries)
	for _, m := range []struct {
		name, body string
		code       int
		want       string
	}{
		{"bad JSON", "[\n{\"text\" \"a\"}]", command.ExitInvalidInput, "line 2, column 9"},
		{"an object", `{"text": "a"}`, command.ExitInvalidInput, "the file holds a JSON object: want a JSON array"},
		{"a number vector", `[{"text": "a", "vector": "x"}]`, command.ExitInvalidInput, `entry field "vector" is a JSON string`},
		{"empty", `[]`, command.ExitUsage, "no entries"},
		{"short vector", string(short), command.ExitInvalidInput, "entry 3: invalid input: dimension mismatch: dim 512, and the vector has 3 values"},
		{"zero vector", string(zero), command.ExitInvalidInput, "entry 3"},
		{"no input", `[{"vector": [1, 0]}]`, command.ExitInvalidInput, "entry 1"},
	} {
		path := filepath.Join(t.TempDir(), "bad.json")
		os.WriteFile(path, []byte(m.body), 0o644)
		out, errs, code := run(t, c, "", "queries", "--add", path)
		if code != m.code || !strings.Contains(errs, m.want) || !strings.Contains(errs, "bad.json") {
			t.Errorf("%s: exit %d, %q%s; want exit %d saying %q and the file", m.name, code, out, errs, m.code, m.want)
		}
	}
	if out, _, _ := run(t, c, "", "queries"); !strings.Contains(out, "no cached queries") {
		t.Errorf("refused files added queries:\n%s", out)
	}
}

// TestQuickstartCachesTopics: after quickstart, classify of the sample's
// classes needs no key.
func TestQuickstartCachesTopics(t *testing.T) {
	t.Setenv("TWELVELABS_API_KEY", "")
	t.Chdir("../..")
	path := filepath.Join(t.TempDir(), "qs.db")
	if out, errs, code := run(t, path, "", "quickstart", "--into", path); code != command.ExitOK || !strings.Contains(out, "clipvec classify --classes testdata/sample/classes.json") {
		t.Fatalf("quickstart: exit %d\n%s%s", code, out, errs)
	}
	out, errs, code := run(t, path, "", "classify", "--classes", "testdata/sample/classes.json", "--top", "1")
	if code != command.ExitOK || !strings.Contains(out, "8 classes, 8 prompts: from the query cache") || !strings.Contains(out, "surfing-01.mp4          surfing") {
		t.Errorf("classify after quickstart: exit %d\n%s%s", code, out, errs)
	}
}
