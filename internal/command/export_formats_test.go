package command_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func TestExportFormats(t *testing.T) {
	db := sampleDB(t)
	want, errs, code := run(t, db, "", "export")
	if code != command.ExitOK {
		t.Fatalf("export: code %d %s", code, errs)
	}
	dir := t.TempDir()

	t.Run("OKParquetByExtension", func(t *testing.T) {
		path := filepath.Join(dir, "all.parquet")
		out, errs, code := run(t, db, "", "export", "-o", path)
		if code != command.ExitOK || out != "exported 1,284 segments of 36 videos\n" {
			t.Fatalf("code %d, %q %s", code, out, errs)
		}
		if b, _ := os.ReadFile(path); !bytes.HasPrefix(b, []byte("PAR1")) {
			t.Fatalf("%s is not Parquet", path)
		}
		other := tempDB(t)
		if out, errs, code := run(t, other, "", "import", path); code != command.ExitOK || !strings.Contains(out, "imported 1,284") {
			t.Fatalf("import: code %d %s%s", code, out, errs)
		}
		if got, _, _ := run(t, other, "", "export"); got != want {
			t.Error("export → parquet → import → export differs from the first export")
		}
	})
	t.Run("OKParquetStdout", func(t *testing.T) {
		out, errs, code := run(t, db, "", "export", "--format", "parquet", "--model", "marengo3.0", "--json")
		if code != command.ExitOK || !strings.HasPrefix(out, "PAR1") || !strings.HasSuffix(out, "PAR1") || !strings.Contains(errs, `"segments": 1284`) {
			t.Fatalf("code %d, %d bytes, stderr %s", code, len(out), errs)
		}
	})
	t.Run("OKNPY", func(t *testing.T) {
		path := filepath.Join(dir, "arrays")
		out, errs, code := run(t, db, "", "export", "--format", "npy", "-o", path, "--json")
		if code != command.ExitOK {
			t.Fatalf("code %d %s", code, errs)
		}
		var st clipvec.ExportStats
		if err := json.Unmarshal([]byte(out), &st); err != nil || st.Segments != 1284 || len(st.Files) != 3 {
			t.Fatalf("%s: %v", out, err)
		}
		for _, name := range []string{"marengo3.0_512.npy", "marengo3.0_512.jsonl", "manifest.json"} {
			if _, err := os.Stat(filepath.Join(path, name)); err != nil {
				t.Error(err)
			}
		}
		if info, _ := os.Stat(filepath.Join(path, "marengo3.0_512.npy")); info == nil || info.Size() != 128+1284*512*4 {
			t.Errorf("the matrix is not 128 + 1284 × 512 × 4 bytes: %v", info)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"UsageUnknownFormat", []string{"--format", "csv"}, `unknown --format "csv": want jsonl, parquet or npy`},
		{"UsageNPYWithoutDir", []string{"--format", "npy"}, "--format npy writes a directory of files: name it with -o DIR"},
		{"UsageNPYOnAFile", []string{"--format", "npy", "-o", filepath.Join(dir, "all.parquet")}, "is not a directory"},
		{"UsageParquetGzip", []string{"--format", "parquet", "-o", filepath.Join(dir, "x.parquet.gz")}, "compressed already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(t, db, "", append([]string{"export"}, tc.args...)...)
			if code != command.ExitUsage || !strings.Contains(errs, tc.msg) || out != "" {
				t.Errorf("code %d, stdout %q, stderr %q; want %d saying %q", code, out, errs, command.ExitUsage, tc.msg)
			}
		})
	}
	t.Run("HelpTeachesFormats", func(t *testing.T) {
		out, _, _ := run(t, db, "", "export", "--help")
		for _, s := range []string{"--format FORMAT", "jsonl (the default)", "parquet (the default when -o FILE ends in .parquet)",
			"LIST<FLOAT>", "npy: -o names a directory", "clipvec export --format parquet -o clips.parquet", "clipvec export --format npy -o arrays/"} {
			if !strings.Contains(out, s) {
				t.Errorf("export --help does not say %q", s)
			}
		}
	})
}

// A Parquet file that is not clipvec's is bad input (exit 4), named with
// the column it lacks.
func TestImportForeignParquet(t *testing.T) {
	db := sampleDB(t)
	path := filepath.Join(t.TempDir(), "other.parquet")
	if _, errs, code := run(t, db, "", "export", "-o", path); code != command.ExitOK {
		t.Fatal(errs)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Rename the embedding column in the footer, where names are written
	// after their length (9), keeping the length so that every offset
	// holds: the file is then someone else's layout.
	b = bytes.ReplaceAll(b, []byte("\x09embedding"), []byte("\x09vectorsXX"))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := run(t, tempDB(t), "", "import", path)
	if code != command.ExitInvalidInput || !strings.Contains(errs, "other.parquet: unrecognised Parquet layout: no column embedding") {
		t.Errorf("code %d, %s", code, errs)
	}
}

// duckDBModules is the directory holding node_modules/@duckdb/node-api:
// $CLIPVEC_DUCKDB_NODE_MODULES, else the module's .cache/duckdb. The test
// skips without one, unless CLIPVEC_DUCKDB_TESTS=1 says it must run.
func duckDBModules(t *testing.T) (node, dir string) {
	t.Helper()
	must := os.Getenv("CLIPVEC_DUCKDB_TESTS") == "1"
	missing := func(why string) {
		t.Helper()
		why += " (npm install @duckdb/node-api into a directory and set CLIPVEC_DUCKDB_NODE_MODULES to it)"
		if must {
			t.Fatal("CLIPVEC_DUCKDB_TESTS=1, but " + why)
		}
		t.Skip(why)
	}
	dir = os.Getenv("CLIPVEC_DUCKDB_NODE_MODULES")
	if dir == "" {
		dir, _ = filepath.Abs("../../.cache/duckdb")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api", "package.json")); err != nil {
		missing("no @duckdb/node-api in " + dir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("no node on PATH")
	}
	return node, dir
}

// DuckDB reads the Parquet export: the row count, the column types, the
// vectors' lengths and unit norm, and the first rows value for value
// against what the database holds.
func TestParquetReadByDuckDB(t *testing.T) {
	node, modules := duckDBModules(t)
	db := sampleDB(t)
	path := filepath.Join(t.TempDir(), "sample.parquet")
	if _, errs, code := run(t, db, "", "export", "--format", "parquet", "-o", path); code != command.ExitOK {
		t.Fatal(errs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script, _ := filepath.Abs("../../testdata/duckdb/check_parquet.mjs")
	cmd := exec.CommandContext(ctx, node, script, path, "5")
	cmd.Env = append(os.Environ(), "CLIPVEC_DUCKDB_NODE_MODULES="+modules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.Bytes())
	}
	var got struct {
		Rows    int
		Columns []struct{ Name, Type string }
		Spaces  []struct {
			Model        string `json:"model"`
			Dim          int
			Rows         int
			MinLen       int     `json:"min_len"`
			MaxLen       int     `json:"max_len"`
			MaxUnitError float64 `json:"max_unit_error"`
		}
		Sample []struct {
			SegmentID int64   `json:"segment_id"`
			VideoID   string  `json:"video_id"`
			Model     string  `json:"model"`
			Dim       int     `json:"dim"`
			Option    string  `json:"modality"`
			Scope     string  `json:"scope"`
			Start     float64 `json:"start"`
			End       float64 `json:"end"`
			Norm      float64 `json:"norm"`
			Kind      string  `json:"source_kind"`
			SourceID  string  `json:"source_id"`
			Filename  *string `json:"filename"`
			Duration  *float64
			Embedding []float64
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %.500s", err, out)
	}

	lib, err := clipvec.OpenReadOnly(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	spaces, err := lib.Spaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 1284 || len(got.Spaces) != 1 || got.Spaces[0].Model != spaces[0].Model || got.Spaces[0].Dim != spaces[0].Dim ||
		got.Spaces[0].Rows != spaces[0].Segments || got.Spaces[0].MinLen != 512 || got.Spaces[0].MaxLen != 512 {
		t.Errorf("DuckDB sees %d rows, spaces %+v; the database has %+v", got.Rows, got.Spaces, spaces)
	}
	if e := got.Spaces[0].MaxUnitError; e > 1e-5 {
		t.Errorf("a vector's length is %g from 1", e)
	}
	var types []string
	for _, c := range got.Columns {
		types = append(types, c.Name+" "+c.Type)
	}
	wantTypes := "segment_id BIGINT, video_id VARCHAR, model VARCHAR, dim INTEGER, modality VARCHAR, scope VARCHAR, " +
		"start DOUBLE, end DOUBLE, norm DOUBLE, source_kind VARCHAR, source_id VARCHAR, filename VARCHAR, duration DOUBLE, " +
		"fps DOUBLE, width INTEGER, height INTEGER, user_metadata VARCHAR, thumbnail_url VARCHAR, embedding FLOAT[]"
	if s := strings.Join(types, ", "); s != wantTypes {
		t.Errorf("columns\n %s\nwant\n %s", s, wantTypes)
	}
	if len(got.Sample) != 5 {
		t.Fatalf("%d sample rows, want 5", len(got.Sample))
	}
	for _, row := range got.Sample {
		segs, err := lib.VideoSegments(context.Background(), row.VideoID, true)
		if err != nil {
			t.Fatal(err)
		}
		video, err := lib.Video(context.Background(), row.VideoID)
		if err != nil {
			t.Fatal(err)
		}
		var s *clipvec.Segment
		for i := range segs {
			if segs[i].ID == row.SegmentID {
				s = &segs[i]
			}
		}
		if s == nil {
			t.Fatalf("segment %d of video %s: not in the database", row.SegmentID, row.VideoID)
		}
		if row.Model != s.Model || row.Dim != len(s.Vector) || row.Option != s.Modality || row.Scope != s.Scope || row.Start != s.Start ||
			row.End != s.End || row.Norm != s.Norm || row.Kind != string(s.Source.Kind) || row.SourceID != s.Source.ID ||
			row.Filename == nil || *row.Filename != video.Filename || row.Duration == nil || *row.Duration != video.Duration {
			t.Errorf("DuckDB reads segment %d as %+v, the database has %+v of %+v", row.SegmentID, row, *s, *video)
		}
		if len(row.Embedding) != len(s.Vector) {
			t.Fatalf("segment %d: %d values, want %d", row.SegmentID, len(row.Embedding), len(s.Vector))
		}
		for i, x := range row.Embedding {
			if math.Float32bits(float32(x)) != math.Float32bits(s.Vector[i]) || float64(float32(x)) != x {
				t.Fatalf("segment %d value %d: DuckDB reads %v, the database has %v", row.SegmentID, i, x, s.Vector[i])
			}
		}
	}
}
