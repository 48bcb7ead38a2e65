package clipvec_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// formatsDB is a database of several spaces (marengo3.0/512 synthetic
// clips in 3 modalities, the API fixtures: 2.6, 2.7, 3.0 and 3.5 vectors,
// video metadata, user_metadata, a thumbnail).
func formatsDB(t testing.TB) *clipvec.DB {
	t.Helper()
	db := openDB(t)
	dir := t.TempDir()
	synth{seed: 5, model: "marengo3.0", dim: 512, videos: 4, clips: 5, options: []string{"visual", "audio", "transcription"}}.write(t, filepath.Join(dir, "a.jsonl"))
	if _, err := db.Import(context.Background(), []string{filepath.Join(dir, "a.jsonl"), filepath.Join(fixtures, "indexed_asset_retrieve.json"),
		filepath.Join(fixtures, "embed_task_retrieve.json"), filepath.Join(fixtures, "legacy")}, clipvec.ImportOptions{NoIndex: true}); err != nil {
		t.Fatal(err)
	}
	return db
}

func exportParquet(t testing.TB, db *clipvec.DB, path string, opts clipvec.ExportOptions) clipvec.ExportStats {
	t.Helper()
	var buf bytes.Buffer
	st, err := db.ExportParquet(context.Background(), &buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return st
}

// Parquet export → import into a fresh database → JSONL export is the
// original's JSONL export, byte for byte: vectors, norms, times,
// provenance and video metadata all survive. So does a Parquet file read
// from a directory, from standard input, and through ImportReader.
func TestParquetRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := formatsDB(t)
	want := export(t, src)
	dir := t.TempDir()
	path := filepath.Join(dir, "all.parquet")
	st := exportParquet(t, src, path, clipvec.ExportOptions{})
	stats, _ := src.Stats(ctx)
	if st.Segments != stats.Segments || st.Videos == 0 {
		t.Fatalf("exported %+v, the database holds %d segments", st, stats.Segments)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		imp  func(db *clipvec.DB) error
	}{
		{"OKFile", func(db *clipvec.DB) error {
			_, err := db.Import(ctx, []string{path}, clipvec.ImportOptions{})
			return err
		}},
		{"OKDirectory", func(db *clipvec.DB) error {
			sum, err := db.Import(ctx, []string{dir}, clipvec.ImportOptions{})
			if err == nil && len(sum.Files) != 1 {
				err = fmt.Errorf("imported %d files, want the one .parquet", len(sum.Files))
			}
			return err
		}},
		{"OKStdin", func(db *clipvec.DB) error {
			_, err := db.Import(ctx, []string{"-"}, clipvec.ImportOptions{Stdin: onlyReader{bytes.NewReader(body)}})
			return err
		}},
		{"OKImportReader", func(db *clipvec.DB) error {
			_, err := db.ImportReader(ctx, "upload", bytes.NewReader(body), clipvec.ImportOptions{})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := openDB(t)
			if err := tc.imp(dst); err != nil {
				t.Fatal(err)
			}
			if got := export(t, dst); got != want {
				t.Errorf("JSONL export after the Parquet round trip differs (%d bytes, want %d)\n%s", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

// onlyReader hides everything but Read: a pipe.
type onlyReader struct{ r *bytes.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n got %.300s\nwant %.300s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(la), len(lb))
}

// The selection flags select the same segments in every format.
func TestExportFormatsSelect(t *testing.T) {
	ctx := context.Background()
	src := formatsDB(t)
	for _, opts := range []clipvec.ExportOptions{
		{Model: "marengo2.7"},
		{Videos: []string{"video-001", "61e17be5777e6caec646fa07"}},
		{Videos: []string{"video-002"}, Model: "Marengo-retrieval-3.0"},
	} {
		t.Run(fmt.Sprint(opts), func(t *testing.T) {
			var jsonl bytes.Buffer
			want, err := src.Export(ctx, &jsonl, opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "sel.parquet")
			if got := exportParquet(t, src, path, opts); got.Segments != want.Segments || got.Videos != want.Videos {
				t.Errorf("parquet: %+v, jsonl: %+v", got, want)
			}
			dst := openDB(t)
			if _, err := dst.Import(ctx, []string{path}, clipvec.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := export(t, dst); got != jsonl.String() && !sameSegments(got, jsonl.String()) {
				t.Errorf("the selection differs\n%s", firstDiff(got, jsonl.String()))
			}
			st, err := src.ExportNPY(ctx, filepath.Join(t.TempDir(), "npy"), opts)
			if err != nil || st.Segments != want.Segments || st.Videos != want.Videos {
				t.Errorf("npy: %+v, %v; jsonl: %+v", st, err, want)
			}
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := src.ExportParquet(ctx, &bytes.Buffer{}, clipvec.ExportOptions{Videos: []string{"nope"}})
		if !errors.Is(err, clipvec.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
}

// sameSegments compares the video and segment lines of two JSONL
// exports, in any order: the header of a selection declares the spaces
// of the whole database, and a selection of videos comes in the order
// asked for.
func sameSegments(a, b string) bool {
	la, lb := strings.Split(a, "\n")[1:], strings.Split(b, "\n")[1:]
	slices.Sort(la)
	slices.Sort(lb)
	return slices.Equal(la, lb)
}

// npyMatrix is a parsed .npy file.
type npyMatrix struct {
	rows, dim int
	data      []byte
}

// readNPY parses a float32 .npy file as the format's spec says, checking
// its preamble and header.
func readNPY(t testing.TB, path string) npyMatrix {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" || b[6] != 1 || b[7] != 0 {
		t.Fatalf("%s: bad magic or version %q", path, b[:min(len(b), 8)])
	}
	hlen := int(binary.LittleEndian.Uint16(b[8:10]))
	if (10+hlen)%64 != 0 || len(b) < 10+hlen || b[10+hlen-1] != '\n' {
		t.Fatalf("%s: header of %d bytes is not padded to 64 and ended by a newline", path, hlen)
	}
	header := strings.TrimRight(string(b[10:10+hlen]), " \n")
	var m npyMatrix
	if _, err := fmt.Sscanf(header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", &m.rows, &m.dim); err != nil {
		t.Fatalf("%s: header %q: %v", path, header, err)
	}
	m.data = b[10+hlen:]
	if len(m.data) != 4*m.rows*m.dim {
		t.Fatalf("%s: %d data bytes, want %d × %d × 4", path, len(m.data), m.rows, m.dim)
	}
	return m
}

// row is row i of m.
func (m npyMatrix) row(i int) []float32 {
	v := make([]float32, m.dim)
	for j := range v {
		v[j] = math.Float32frombits(binary.LittleEndian.Uint32(m.data[4*(i*m.dim+j):]))
	}
	return v
}

// The npy export holds, per space, every segment's stored vector bit for
// bit, and its sidecar line i describes row i: checked against the
// database's own segments, found by id.
func TestExportNPY(t *testing.T) {
	ctx := context.Background()
	db := formatsDB(t)
	dir := filepath.Join(t.TempDir(), "arrays")
	st, err := db.ExportNPY(ctx, dir, clipvec.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]clipvec.Segment{}
	videos, err := db.Videos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range videos {
		segs, err := db.VideoSegments(ctx, v.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range segs {
			byID[s.ID] = s
		}
	}
	var manifest struct {
		Format  string             `json:"format"`
		Version int                `json:"version"`
		Spaces  []clipvec.NPYSpace `json:"spaces"`
	}
	b, err := os.ReadFile(filepath.Join(dir, clipvec.NPYManifest))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil || manifest.Format != "clipvec-npy" || manifest.Version != 1 {
		t.Fatalf("manifest %s: %v", b, err)
	}
	spaces, _ := db.Spaces(ctx)
	if len(manifest.Spaces) != len(spaces) || len(st.Files) != 2*len(spaces)+1 {
		t.Fatalf("manifest lists %d spaces, files %v; the database has %d", len(manifest.Spaces), st.Files, len(spaces))
	}
	seen := 0
	for i, sp := range manifest.Spaces {
		if sp.Model != spaces[i].Model || sp.Dim != spaces[i].Dim || sp.Rows != int64(spaces[i].Segments) {
			t.Errorf("manifest space %+v, database %+v", sp, spaces[i])
		}
		if want := fmt.Sprintf("%s_%d.npy", sp.Model, sp.Dim); sp.Vectors != want {
			t.Errorf("vectors file %s, want %s", sp.Vectors, want)
		}
		m := readNPY(t, filepath.Join(dir, sp.Vectors))
		if m.rows != int(sp.Rows) || m.dim != sp.Dim {
			t.Fatalf("%s: shape (%d, %d), want (%d, %d)", sp.Vectors, m.rows, m.dim, sp.Rows, sp.Dim)
		}
		f, err := os.Open(filepath.Join(dir, sp.RowsFile))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		n := 0
		for ; sc.Scan(); n++ {
			var line struct {
				Row       int     `json:"row"`
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
			}
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("%s line %d: %v", sp.RowsFile, n+1, err)
			}
			s, ok := byID[line.SegmentID]
			if line.Row != n || !ok {
				t.Fatalf("%s line %d: row %d, segment %d (known: %v)", sp.RowsFile, n+1, line.Row, line.SegmentID, ok)
			}
			if line.VideoID != s.VideoID || line.Model != s.Model || line.Dim != len(s.Vector) || line.Option != s.Modality ||
				line.Scope != s.Scope || line.Start != s.Start || line.End != s.End || line.Norm != s.Norm ||
				line.Kind != string(s.Source.Kind) || line.SourceID != s.Source.ID {
				t.Fatalf("%s line %d: %+v, the database has %+v", sp.RowsFile, n+1, line, s)
			}
			for j, x := range m.row(n) {
				if math.Float32bits(x) != math.Float32bits(s.Vector[j]) {
					t.Fatalf("%s row %d value %d: %x, the database has %x", sp.Vectors, n, j, x, s.Vector[j])
				}
			}
			seen++
		}
		f.Close()
		if n != m.rows {
			t.Errorf("%s has %d lines, the matrix %d rows", sp.RowsFile, n, m.rows)
		}
	}
	if seen != len(byID) || seen != st.Segments {
		t.Errorf("%d rows in all, %d segments in the database, %d exported", seen, len(byID), st.Segments)
	}
	// No temporary file is left.
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(st.Files) {
		t.Errorf("%d entries in the directory, %d files written", len(entries), len(st.Files))
	}
}

// A Parquet file that is truncated, foreign, or has a bad row is rejected
// whole, naming the file and the problem: the database, its generation
// included, is as before.
func TestParquetRejectedFileChangesNothing(t *testing.T) {
	ctx := context.Background()
	db := formatsDB(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	exportParquet(t, db, good, clipvec.ExportOptions{})
	body, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	before := export(t, db)
	st0, _ := db.Stats(ctx)

	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// badRows is a clipvec Parquet file whose last row is bad.
	badRows := func(name string, bad func(s *ingest.Segment)) string {
		var buf bytes.Buffer
		w := ingest.NewParquetWriter(&buf, ingest.Space{Model: "marengo3.0", Dim: 4})
		vec := []float32{0.5, 0.5, 0.5, 0.5}
		for i := range 600 {
			s := ingest.Segment{VideoID: "new-video", Model: "marengo3.0", Option: "visual", Scope: "clip",
				Start: float64(i), End: float64(i + 1), SourceKind: "file", SourceID: "x", Norm: 1, Vector: vec}
			if i == 599 {
				s.Vector = append([]float32(nil), vec...)
				bad(&s)
			}
			if err := w.WriteSegment(int64(i), &s, &ingest.Video{ID: "new-video", Filename: "new.mp4"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return write(name, buf.Bytes())
	}
	for _, tc := range []struct {
		name string
		path string
		want error
		msg  string
	}{
		{"ErrSyntaxTruncated", write("truncated.parquet", body[:len(body)*2/3]), ingest.ErrSyntax,
			`truncated.parquet: unreadable Parquet: the file does not end with "PAR1" (is it truncated?)`},
		{"ErrUnknownShapeForeign", write("foreign.parquet", foreignParquet(t)), ingest.ErrUnknownShape,
			"foreign.parquet: unrecognised Parquet layout: no column video_id, model,"},
		{"ErrDimensionMismatch", badRows("dim.parquet", func(s *ingest.Segment) { s.Vector = s.Vector[:3] }), clipvec.ErrDimensionMismatch,
			"dim.parquet: row 599: vector has 3 values, want 4"},
		{"ErrNotFinite", badRows("nan.parquet", func(s *ingest.Segment) { s.Vector[2] = float32(math.NaN()) }), clipvec.ErrNotFinite,
			"nan.parquet: row 599: vector value 2 is NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := db.Import(ctx, []string{tc.path}, clipvec.ImportOptions{})
			if !errors.Is(err, tc.want) || !errors.Is(err, clipvec.ErrInvalidInput) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v saying %q", err, tc.want, tc.msg)
			}
			if sum.Rejected != 1 || sum.Imported != 0 {
				t.Errorf("summary %+v, want 1 rejected file, 0 imported", sum)
			}
			if after := export(t, db); after != before {
				t.Error("a rejected file changed the database")
			}
			if st, _ := db.Stats(ctx); st.Generation != st0.Generation {
				t.Errorf("generation %d, want %d", st.Generation, st0.Generation)
			}
		})
	}
}

// foreignRow is a row of another program's Parquet file: an id and a
// vector, nothing clipvec needs.
type foreignRow struct {
	ID     int64     `parquet:"id"`
	Vector []float32 `parquet:"vector,list"`
}

func foreignParquet(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[foreignRow](&buf)
	if _, err := w.Write([]foreignRow{{ID: 1, Vector: []float32{1, 0}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestExportVersion1StillImports: files of the first export format (keys
// model_name, embedding_option, embedding_scope, start_sec, end_sec),
// committed in testdata/export-v1, import as they did, and export again
// in version 2 with the keys of search results (issue 13: 5).
func TestExportVersion1StillImports(t *testing.T) {
	ctx := context.Background()
	ref := openDB(t)
	if _, err := ref.Import(ctx, []string{filepath.Join(fixtures, "embed_task_retrieve.json")}, clipvec.ImportOptions{NoIndex: true}); err != nil {
		t.Fatal(err)
	}
	want := export(t, ref)
	for _, name := range []string{"embed_task.jsonl", "embed_task.parquet"} {
		t.Run(name, func(t *testing.T) {
			db := openDB(t)
			sum, err := db.Import(ctx, []string{filepath.Join("..", "..", "testdata", "export-v1", name)}, clipvec.ImportOptions{NoIndex: true})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Imported != 7 {
				t.Errorf("imported %d segments, want 7", sum.Imported)
			}
			if got := export(t, db); got != want {
				t.Errorf("export after importing %s:\n%s\nwant\n%s", name, got, want)
			}
		})
	}
	for _, key := range []string{`"version":2`, `"model":"marengo3.0"`, `"modality":"audio"`, `"scope":"clip"`, `"start":0`, `"end":6`} {
		if !strings.Contains(want, key) {
			t.Errorf("the export lacks %s:\n%s", key, want)
		}
	}
	if strings.Contains(want, "embedding_option") || strings.Contains(want, "start_sec") {
		t.Errorf("the export still uses version 1 keys:\n%s", want)
	}
}
