package clipvec_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// ImportReader reads a gzipped body like Import reads a .gz file, and
// the spaces it returns, passed to SyncCommitted as they are, bring the
// graphs up to date.
func TestImportReaderGzipAndSync(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.jsonl")
	synth{seed: 5, model: "marengo3.0", dim: 64, videos: 3, clips: 4, options: []string{"visual"}}.write(t, path)
	plain, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	db := openDB(t)
	res, err := db.ImportReader(ctx, "a.jsonl.gz", bytes.NewReader(gz.Bytes()), clipvec.ImportOptions{})
	if err != nil || res.Imported != 12 || len(res.Spaces) != 1 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if err := db.SyncCommitted(ctx, "import", res.Spaces, nil); err != nil {
		t.Fatal(err)
	}
	st, err := db.IndexStatus(ctx)
	if err != nil || len(st) != 1 || st[0].State != clipvec.IndexCurrent || st[0].Nodes != 12 {
		t.Fatalf("after SyncCommitted with the import's spaces: %+v, %v", st, err)
	}
	if _, err := db.ImportReader(ctx, "bad.gz", bytes.NewReader(gz.Bytes()[:5]), clipvec.ImportOptions{}); err == nil {
		t.Fatal("a truncated gzip header was accepted")
	}
}
