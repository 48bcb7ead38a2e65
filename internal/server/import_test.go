package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

const fixtures = "../../testdata/twelvelabs"

// cookingFile is a sample export of one video (39 segments), plain JSON.
var cookingFile = filepath.Join(sampleExports, "02-cooking-01.embed-v2-task.json")

func videoCount(t testing.TB, db *clipvec.DB) int {
	t.Helper()
	vs, err := db.Videos(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(vs)
}

func generation(t testing.TB, db *clipvec.DB) int64 {
	t.Helper()
	st, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Generation
}

func TestImport(t *testing.T) {
	db := emptyDB(t)
	_, c := start(t, db, server.Options{})
	body := readFile(t, cookingFile)

	var ir importResult
	c.ok(c.do("POST", "/v1/import", body), &ir)
	if ir.File != "upload" || ir.Imported != 39 || ir.Replaced != 0 || ir.Warning != "" || len(ir.Spaces) != 1 {
		t.Fatalf("import: %+v", ir)
	}
	st, err := db.IndexStatus(context.Background())
	if err != nil || len(st) != 1 || st[0].State != clipvec.IndexCurrent || st[0].Nodes != 39 {
		t.Fatalf("the graph after an import: %+v %v", st, err)
	}
	c.ok(c.do("POST", "/v1/import?name=again.json", body), &ir)
	if ir.File != "again.json" || ir.Imported != 0 || ir.Replaced != 0 || ir.Unchanged != 39 {
		t.Errorf("import again: %+v", ir)
	}

	t.Run("Gzip", func(t *testing.T) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(readFile(t, filepath.Join(sampleExports, "04-city-timelapse-01.embed-task.json")))
		zw.Close()
		var ir importResult
		c.ok(c.do("POST", "/v1/import", gz.Bytes(), "Content-Type", "application/gzip"), &ir)
		if ir.Imported == 0 {
			t.Errorf("gzip: %+v", ir)
		}
	})

	before := generation(t, db)
	// The last segment's vector is bad: the file is rejected after its
	// other segments were decoded, and none of them is stored.
	i := bytes.LastIndex(body, []byte(`"embedding": [`))
	badLast := append(append(append([]byte{}, body[:i]...), `"embedding": ["x", `...), body[i+len(`"embedding": [`):]...)
	for name, tc := range map[string]struct {
		query  string
		body   []byte
		status int
		code   string
		field  string
		msg    string
	}{
		"UnknownShape":  {"", []byte(`{"foo":1}`), 400, server.CodeInvalidInput, "", "unrecognised JSON shape"},
		"Empty":         {"", nil, 400, server.CodeInvalidInput, "", "empty"},
		"Truncated":     {"?name=half.json", body[:len(body)/2], 400, server.CodeInvalidInput, "", "half.json"},
		"BadLastVector": {"", badLast, 400, server.CodeInvalidInput, "", ""},
		"QueryVectors":  {"?video_id=v", readFile(t, filepath.Join(fixtures, "embed_v2_sync_text.json")), 400, server.CodeInvalidInput, "", "query"},
		"Dim":           {"?dim=256", body, 400, server.CodeInvalidInput, "", "256"},
		"DimType":       {"?dim=big", body, 400, server.CodeBadRequest, "dim", "integer"},
		"SkipType":      {"?skip_invalid=sure", body, 400, server.CodeBadRequest, "skip_invalid", "true or false"},
		"UnknownParam":  {"?videoid=x", body, 400, server.CodeBadRequest, "videoid", "unknown query parameter"},
		"NameTooLong":   {"?name=" + strings.Repeat("n", 1025), body, 400, server.CodeBadRequest, "name", "1024"},
		"BadGzipHeader": {"", []byte{0x1f, 0x8b, 0, 0}, 400, server.CodeInvalidInput, "", "gzip"},
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, c.do("POST", "/v1/import"+tc.query, tc.body), tc.status, tc.code, tc.field, tc.msg)
			if g := generation(t, db); g != before {
				t.Errorf("a rejected import wrote: generation %d, was %d", g, before)
			}
		})
	}

	t.Run("NamedVideo", func(t *testing.T) {
		var ir importResult
		c.ok(c.do("POST", "/v1/import?video_id=clip7", readFile(t, filepath.Join(fixtures, "embed_v2_sync_video_clip.json"))), &ir)
		if ir.Imported != 3 {
			t.Errorf("%+v", ir)
		}
		if _, err := db.Video(context.Background(), "clip7"); err != nil {
			t.Error(err)
		}
	})
	t.Run("NoIndex", func(t *testing.T) {
		var ir importResult
		c.ok(c.do("POST", "/v1/import?no_index=true", readFile(t, filepath.Join(sampleExports, "06-mountain-biking-01.indexed-asset.json"))), &ir)
		st, _ := db.IndexStatus(context.Background())
		for _, s := range st {
			if s.Space.Dim == 512 && s.State != clipvec.IndexBehind {
				t.Errorf("no_index: the graph is %s, want behind", s.State)
			}
		}
	})
}

func TestImportLimits(t *testing.T) {
	db := emptyDB(t)
	_, c := start(t, db, server.Options{MaxImportBytes: 64 << 10})
	wantError(t, c.do("POST", "/v1/import", readFile(t, cookingFile)), 413, server.CodeTooLarge, "", "65536 bytes")

	// A small gzip that inflates past 8 times the limit.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"data":[`))
	zw.Write(bytes.Repeat([]byte(" "), 1<<20))
	zw.Close()
	if gz.Len() > 64<<10 {
		t.Fatalf("the gzip bomb is %d bytes", gz.Len())
	}
	wantError(t, c.do("POST", "/v1/import?video_id=v", gz.Bytes()), 413, server.CodeTooLarge, "", "inflates")
	if n := videoCount(t, db); n != 0 {
		t.Errorf("%d videos after rejected imports", n)
	}
}

func TestImportReadOnly(t *testing.T) {
	t.Run("Option", func(t *testing.T) {
		db := emptyDB(t)
		_, c := start(t, db, server.Options{ReadOnly: true})
		wantError(t, c.do("POST", "/v1/import", readFile(t, cookingFile)), 403, server.CodeReadOnly, "", "read-only")
		var st struct {
			ReadOnly bool `json:"read_only"`
		}
		c.ok(c.do("GET", "/v1/stats", nil), &st)
		if !st.ReadOnly {
			t.Error("stats: read_only false")
		}
	})
	t.Run("Database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ro.db")
		ctx := context.Background()
		db, err := clipvec.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Import(ctx, []string{cookingFile}, clipvec.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		ro, err := clipvec.OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		_, c := start(t, ro, server.Options{})
		wantError(t, c.do("POST", "/v1/import", readFile(t, filepath.Join(sampleExports, "04-city-timelapse-01.embed-task.json"))), 403, server.CodeReadOnly, "", "read-only")
		var res result
		c.ok(c.do("POST", "/v1/search", clipvec.Query{LikeVideo: cooking, IncludeSelf: true}), &res)
		if len(res.Hits) == 0 {
			t.Error("a read-only database does not answer searches")
		}
	})
}

// TestImportIndexNotSaved: when the graphs cannot be saved after the
// data committed, the import stands and the answer is a 200 with a
// warning.
func TestImportIndexNotSaved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.db")
	db, err := clipvec.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A file where the snapshots' directory goes: no snapshot can be
	// written, whoever runs the test (root included).
	os.RemoveAll(path + ".index")
	if err := os.WriteFile(path+".index", []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, c := start(t, db, server.Options{})
	var ir importResult
	c.ok(c.do("POST", "/v1/import", readFile(t, cookingFile)), &ir)
	if ir.Imported != 39 || !strings.Contains(ir.Warning, "committed") {
		t.Fatalf("import: %+v", ir)
	}
	var res result
	c.ok(c.do("POST", "/v1/search", clipvec.Query{LikeVideo: cooking, IncludeSelf: true, K: 3}), &res)
	if len(res.Hits) != 3 {
		t.Errorf("search after the warning: %+v", res)
	}
}
