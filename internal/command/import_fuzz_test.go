package command_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// maxStderr bounds what a rejected import may print: messages quote a
// short prefix of an input value, never the value (a 1 GB id was echoed
// whole before).
const maxStderr = 64 << 10

// gzipRepeat gzips prefix, n copies of piece, then suffix, without
// holding the copies: a 10-million-deep array is 10 kB of seed.
func gzipRepeat(t testing.TB, prefix, piece string, n int, suffix string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte(prefix))
	chunk := []byte(strings.Repeat(piece, 4096))
	for ; n >= 4096; n -= 4096 {
		zw.Write(chunk)
	}
	zw.Write([]byte(strings.Repeat(piece, n) + suffix))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func v1Task(id, model, vec string) string {
	return `{"_id":"` + id + `","model_name":"` + model + `","status":"ready","video_embedding":{"segments":[` +
		`{"start_offset_sec":0,"end_offset_sec":6,"embedding_option":"visual","float":` + vec + `}]}}`
}

func ones(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("1,", n), ",") + "]" }

// extreme is an input past one of import's limits, and what the CLI must
// say about it.
type extreme struct {
	name string
	data []byte // written as is (gzip is recognised by its magic bytes)
	msg  string
}

func extremes(t testing.TB) []extreme {
	const tail = `,"_id":"t","model_name":"marengo3.0","status":"ready","video_embedding":{"segments":[{"start_offset_sec":0,"end_offset_sec":6,"float":[1,2]}]}}`
	return []extreme{
		// 19 kB of gzip killed import with a stack overflow.
		{"DeepArrays", gzipRepeat(t, `{"a":`, "[", 10_000_000, ""), "nest more than 1000 deep"},
		{"DeepObjects", gzipRepeat(t, `{"a":`, `{"a":`, 1_000_000, ""), "nest more than 1000 deep"},
		// A 2 GB string in an ignored key took 7.1 GB of memory.
		{"HugeIgnoredString", gzipRepeat(t, `{"ignored":"`, "a", 20<<20, `"`+tail), "a string longer than 16 MiB"},
		// A 1 GB _id exited 1 with the id on stderr.
		{"HugeID", gzipRepeat(t, `{"_id":"`, "a", 20<<20, `"`+tail[len(`,"_id":"t"`):]), "a string longer than 16 MiB"},
		{"LongID", []byte(v1Task(strings.Repeat("i", 5000), "marengo3.0", "[1,2]")), "longer than 1024 bytes"},
		{"HugeNumber", gzipRepeat(t, `{"ignored":1`, "0", 1<<20, tail), "number or literal longer than 4096 bytes"},
		{"HugeUserMetadata", gzipRepeat(t, `{"user_metadata":{"k":[`, `"`+strings.Repeat("u", 1000)+`",`, 20_000, `1]}`+tail),
			"user_metadata is longer than 16 MiB"},
		// Every import exited 1 once a 300-character model was in.
		{"LongModelName", []byte(v1Task("t", strings.Repeat("m", 300), "[1,2]")), `model name "mmmmmmmm`},
		// The snapshot loader refuses more than 65,536 dimensions.
		{"HugeDim", []byte(v1Task("t", "marengo3.0", ones(65537))),
			"in.json: video_embedding.segments[0] (line 1): vector has 65537 values, more than 65536"},
		// Invalid UTF-8 became U+FFFD: distinct ids collided.
		{"InvalidUTF8ID", []byte(v1Task("a\xffb", "marengo3.0", "[1,2]")), `video id "a\xffb" is not valid UTF-8`},
		{"LoneSurrogateID", []byte(v1Task(`a\udc00`, "marengo3.0", "[1,2]")), `video id "a\xed\xb0\x80" is not valid UTF-8`},
		{"InvalidUTF8JSONL", []byte(`{"video_id":"v","model_name":"m","start_sec":0,"end_sec":1,"embedding":[1,2]}` + "\n" +
			`{"video_id":"v","model_name":"m` + "\xc3" + `","start_sec":1,"end_sec":2,"embedding":[1,2]}`),
			`in.json: line 2: model name "m\xc3" is not valid UTF-8`},
	}
}

// generation reads the database's generation through the CLI (0: no
// database yet, as a new one starts).
func generation(t testing.TB, db string) int64 {
	t.Helper()
	if _, err := os.Stat(db); os.IsNotExist(err) {
		return 0
	}
	out, errs, code := run(t, db, "", "stats", "--json")
	var st struct{ Generation int64 }
	if err := json.Unmarshal([]byte(out), &st); code != command.ExitOK || err != nil {
		t.Fatalf("stats: exit %d, %v: %s", code, err, errs)
	}
	return st.Generation
}

// Each input past a limit exits 4 with a short message saying which
// limit, from a file and from standard input alike, and changes nothing.
func TestImportLimits(t *testing.T) {
	db := tempDB(t)
	if _, errs, code := run(t, db, "", "import", filepath.Join(fixtures, "embed_task_retrieve.json")); code != command.ExitOK {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	gen := generation(t, db)
	dir := t.TempDir()
	for _, tc := range extremes(t) {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "in.json")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, arg := range []string{path, "-"} {
				stdin, msg := "", tc.msg
				if arg == "-" {
					stdin, msg = string(tc.data), strings.ReplaceAll(msg, "in.json:", "-:")
				}
				_, errs, code := run(t, db, stdin, "import", arg)
				if code != command.ExitInvalidInput || len(errs) > maxStderr || !strings.Contains(errs, msg) {
					t.Errorf("%s: exit %d, %d bytes of stderr %.400q; want exit 4 saying %q", arg, code, len(errs), errs, msg)
				}
			}
			if got := generation(t, db); got != gen {
				t.Errorf("generation %d, want %d: a rejected import changed the database", got, gen)
			}
		})
	}
}

// FuzzImport runs the CLI's import on any bytes, as a file (gzipped when
// gz is set): it must not crash, must exit 0 or 4, must say why in a
// bounded message, and a rejected input must leave the database's
// generation as it was. The seeds include the extremes above (deep
// nesting, huge strings and ids, long model names, huge vectors, invalid
// UTF-8), generated here rather than committed.
func FuzzImport(f *testing.F) {
	for _, tc := range extremes(f) {
		f.Add(tc.data, false)
	}
	for _, name := range []string{"embed_task_retrieve.json", "embed_v2_task.json", "indexed_asset_retrieve.json", "embed_task_status.json"} {
		b, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte(`{"video_id":"v","model_name":"m","start_sec":0,"end_sec":1,"embedding":[1,2]}`+"\n"+`{"type":"video","video_id":"v","user_metadata":{"a":[{"b":"\ud800"}]}}`), false)
	f.Add([]byte("\x1f\x8b"), false) // a gzip header cut short: exit 1 before, now 4
	// Not t.TempDir: a seed's directory name has a '#', which no
	// database path may.
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, gz bool) {
		dir, err := os.MkdirTemp(base, "in")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		db, path := filepath.Join(dir, "f.db"), filepath.Join(dir, "in.json")
		if gz {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(data)
			zw.Close()
			data = buf.Bytes()
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		gen := generation(t, db)
		_, errs, code := run(t, db, "", "import", "--no-index", path)
		if code != command.ExitOK && code != command.ExitInvalidInput {
			t.Fatalf("exit %d, want 0 or 4: %.2000s", code, errs)
		}
		if len(errs) > maxStderr {
			t.Fatalf("%d bytes of stderr: %.400q", len(errs), errs)
		}
		if code == command.ExitInvalidInput {
			if errs == "" {
				t.Fatal("rejected without saying why")
			}
			if got := generation(t, db); got != gen {
				t.Fatalf("generation %d after a rejected import, want %d", got, gen)
			}
		}
	})
}
