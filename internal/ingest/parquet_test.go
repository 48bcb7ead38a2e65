package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/vecmath"
)

// parquetInput is what a test writes with a ParquetWriter: segments, each
// with its store id and video.
type parquetInput struct {
	segs   []ingest.Segment
	ids    []int64
	videos []*ingest.Video
}

// unitVector is a random unit vector of dim values.
func unitVector(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	if _, err := vecmath.Normalize(v); err != nil {
		panic(err)
	}
	return v
}

// sampleParquetInput is 3 videos (one without metadata) with clips of
// two modalities in marengo3.0/512, and a marengo3.5/256 whole-video
// vector for the last video.
func sampleParquetInput() parquetInput {
	r := rand.New(rand.NewPCG(7, 7))
	in := parquetInput{}
	videos := []*ingest.Video{
		{ID: "vid-a", Filename: "a.mp4", Duration: 18.5, FPS: 29.97002997002997, Width: 1280, Height: 720,
			UserMetadata: []byte(`{"category":"surf","rating":9.3}`), ThumbnailURL: "data:image/svg+xml,<svg/>"},
		nil,
		{ID: "vid-c", Filename: "c.mp4"},
	}
	ids := []string{"vid-a", "vid-b", "vid-c"}
	id := int64(100)
	for i, vid := range ids {
		for c := 0; c < 3; c++ {
			for _, opt := range []string{"audio", "visual"} {
				in.segs = append(in.segs, ingest.Segment{VideoID: vid, Model: "marengo3.0", Option: opt, Scope: "clip",
					Start: 6 * float64(c), End: 6*float64(c) + 5.966666, SourceKind: ingest.SourceEmbedTaskV1, SourceID: "task-" + vid,
					Norm: 0.5 + float64(c), Vector: unitVector(r, 512)})
				in.ids = append(in.ids, id)
				in.videos = append(in.videos, videos[i])
				id++
			}
		}
	}
	in.segs = append(in.segs, ingest.Segment{VideoID: "vid-c", Model: "marengo3.5", Option: "visual", Scope: "video",
		Start: 0, End: 18, SourceKind: ingest.SourceEmbedTaskV2, SourceID: "task2", Norm: 1, Vector: unitVector(r, 256)})
	in.ids = append(in.ids, id)
	in.videos = append(in.videos, videos[2])
	return in
}

func (in parquetInput) write(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := ingest.NewParquetWriter(&buf, ingest.Space{Model: "marengo3.0", Dim: 512}, ingest.Space{Model: "marengo3.5", Dim: 256})
	for i := range in.segs {
		if err := w.WriteSegment(in.ids[i], &in.segs[i], in.videos[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodeParquet(t testing.TB, name string, b []byte, opts ingest.Options) (*collector, ingest.Stats, error) {
	t.Helper()
	opts.Name = name
	c := &collector{}
	st, err := ingest.DecodeParquet(context.Background(), bytes.NewReader(b), int64(len(b)), opts, c)
	return c, st, err
}

func TestParquetRoundTrip(t *testing.T) {
	in := sampleParquetInput()
	b := in.write(t)
	if !bytes.HasPrefix(b, []byte(ingest.ParquetMagic)) || !bytes.HasSuffix(b, []byte(ingest.ParquetMagic)) {
		t.Fatal("the file does not start and end with PAR1")
	}
	c, st, err := decodeParquet(t, "x.parquet", b, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Segments, len(in.segs); got != want || len(c.segs) != want {
		t.Fatalf("decoded %d segments (%d handed on), want %d", got, len(c.segs), want)
	}
	for i, got := range c.segs {
		want := in.segs[i]
		if got.VideoID != want.VideoID || got.Model != want.Model || got.Option != want.Option || got.Scope != want.Scope ||
			got.Start != want.Start || got.End != want.End || got.Norm != want.Norm ||
			got.SourceKind != want.SourceKind || got.SourceID != want.SourceID {
			t.Fatalf("row %d: got %+v, want %+v", i, got, want)
		}
		if len(got.Vector) != len(want.Vector) {
			t.Fatalf("row %d: %d values, want %d", i, len(got.Vector), len(want.Vector))
		}
		for j := range got.Vector {
			if math.Float32bits(got.Vector[j]) != math.Float32bits(want.Vector[j]) {
				t.Fatalf("row %d value %d: %x, want %x", i, j, got.Vector[j], want.Vector[j])
			}
		}
	}
	// One video record per video with metadata, before its segments.
	if got, want := len(c.videos), 2; got != want {
		t.Fatalf("%d videos, want %d: %+v", got, want, c.videos)
	}
	a := c.videos[0]
	if a.ID != "vid-a" || a.Filename != "a.mp4" || a.Duration != 18.5 || a.FPS != 29.97002997002997 || a.Width != 1280 || a.Height != 720 ||
		string(a.UserMetadata) != `{"category":"surf","rating":9.3}` || a.ThumbnailURL != "data:image/svg+xml,<svg/>" {
		t.Errorf("video a: %+v", a)
	}
	if cv := c.videos[1]; cv.ID != "vid-c" || cv.Filename != "c.mp4" || cv.Duration != 0 || cv.UserMetadata != nil {
		t.Errorf("video c: %+v", cv)
	}
}

// The file's schema is the documented one, column by column.
func TestParquetSchema(t *testing.T) {
	b := sampleParquetInput().write(t)
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, field := range f.Schema().Fields() {
		got = append(got, field.Name())
	}
	want := "segment_id video_id model dim modality scope start end norm source_kind source_id " +
		"filename duration fps width height user_metadata thumbnail_url embedding"
	if strings.Join(got, " ") != want {
		t.Errorf("columns %s\nwant    %s", strings.Join(got, " "), want)
	}
	if leaf, ok := f.Schema().Lookup("embedding", "list", "element"); !ok || leaf.Node.Type().Kind() != parquet.Float {
		t.Errorf("embedding is not a LIST<FLOAT>: %v", f.Schema())
	}
	if v, ok := f.Lookup(ingest.ParquetMetadataKey); !ok ||
		v != `{"format":"clipvec","version":2,"spaces":[{"model":"marengo3.0","dim":512},{"model":"marengo3.5","dim":256}]}` {
		t.Errorf("key-value metadata %q, %v", v, ok)
	}
	if got, want := f.NumRows(), int64(len(sampleParquetInput().segs)); got != want {
		t.Errorf("%d rows, want %d", got, want)
	}
}

// Rows past the row group limit start new row groups.
func TestParquetRowGroups(t *testing.T) {
	var buf bytes.Buffer
	w := ingest.NewParquetWriter(&buf)
	vec := make([]float32, 4)
	vec[0] = 1
	n := ingest.ParquetRowGroupRows + 10
	for i := 0; i < n; i++ {
		s := ingest.Segment{VideoID: fmt.Sprintf("v%d", i/100), Model: "m", Scope: "clip", Start: float64(i % 100), End: float64(i%100 + 1),
			SourceKind: "file", SourceID: "f", Norm: 1, Vector: vec}
		if err := w.WriteSegment(int64(i), &s, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.RowGroups()); got != 2 {
		t.Errorf("%d row groups, want 2", got)
	}
	_, st, err := decodeParquet(t, "big.parquet", b, ingest.Options{})
	if err != nil || st.Segments != n {
		t.Fatalf("decoded %d segments, %v; want %d", st.Segments, err, n)
	}
}

// foreignRow is a Parquet file someone else wrote: no video_id, no
// model_name.
type foreignRow struct {
	ID     int64     `parquet:"id"`
	Vector []float32 `parquet:"vector,list"`
}

// mistypedRow has clipvec's columns, but embedding holds integers.
type mistypedRow struct {
	VideoID   string  `parquet:"video_id"`
	ModelName string  `parquet:"model_name"`
	Embedding []int64 `parquet:"embedding,list"`
}

// handRow is a minimal hand-made file: doubles, no norm, no dim.
type handRow struct {
	VideoID   string    `parquet:"video_id"`
	ModelName string    `parquet:"model_name"`
	StartSec  *float64  `parquet:"start_sec,optional"`
	EndSec    *float64  `parquet:"end_sec,optional"`
	Embedding []float64 `parquet:"embedding,list"`
}

// handDimRow names each row's dimension.
type handDimRow struct {
	VideoID   string    `parquet:"video_id"`
	ModelName string    `parquet:"model_name"`
	Dim       int64     `parquet:"dim"`
	Embedding []float32 `parquet:"embedding,list"`
}

func writeRows[T any](t testing.TB, rows []T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sampleWith is the sample input, changed.
func sampleWith(change func(in *parquetInput)) parquetInput {
	in := sampleParquetInput()
	change(&in)
	return in
}

func TestDecodeParquetRejects(t *testing.T) {
	good := sampleParquetInput().write(t)
	f0 := 0.5
	f6 := 6.0
	for _, tc := range []struct {
		name string
		body []byte
		want error
		msg  string
	}{
		{"ErrSyntaxTruncated", good[:len(good)-100], ingest.ErrSyntax, `unreadable Parquet: the file does not end with "PAR1" (is it truncated?)`},
		{"ErrBadParquetNotParquet", []byte(`{"video_id":"x"}`), ingest.ErrBadParquet, `unreadable Parquet: not a Parquet file (it does not start with "PAR1")`},
		{"ErrParquetLayoutForeign", writeRows(t, []foreignRow{{ID: 1, Vector: []float32{1, 2}}}), ingest.ErrParquetLayout,
			"bad.parquet: unrecognised Parquet layout: no column video_id, model, embedding"},
		{"ErrParquetLayoutMistyped", writeRows(t, []mistypedRow{{VideoID: "v", ModelName: "m", Embedding: []int64{1, 2}}}), ingest.ErrParquetLayout,
			"column embedding is LIST<INT64"},
		{"ErrDimensionMismatch", sampleWith(func(in *parquetInput) { in.segs[3].Vector = in.segs[3].Vector[:511] }).write(t),
			ingest.ErrDimensionMismatch, "bad.parquet: row 3: vector has 511 values, want 512"},
		{"ErrDimensionMismatchDimColumn", writeRows(t, []handDimRow{{VideoID: "v", ModelName: "m", Dim: 3, Embedding: []float32{1, 2}}}),
			ingest.ErrDimensionMismatch, "bad.parquet: row 0: dimension mismatch: vector has 2 values, and the row's dim says 3"},
		{"ErrNotFinite", sampleWith(func(in *parquetInput) { in.segs[4].Vector[7] = float32(math.NaN()) }).write(t),
			vecmath.ErrNotFinite, "bad.parquet: row 4: "},
		{"ErrBadTime", writeRows(t, []handRow{{VideoID: "v", ModelName: "m", StartSec: &f6, EndSec: &f0, Embedding: []float64{1, 2}}}),
			ingest.ErrBadTime, "bad.parquet: row 0: bad segment time: end 0.5 is before start 6"},
		{"ErrNoVectorsEmpty", writeRows(t, []handRow{}), ingest.ErrNoVectors, "has no rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := decodeParquet(t, "bad.parquet", tc.body, ingest.Options{})
			var e *ingest.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *ingest.Error wrapping %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "bad.parquet: ") {
				t.Errorf("message %q, want it to name the file and say %q", err, tc.msg)
			}
		})
	}
	t.Run("SkipInvalid", func(t *testing.T) {
		in := sampleWith(func(in *parquetInput) { in.segs[4].Vector[7] = float32(math.NaN()) })
		var invalid []string
		c, st, err := decodeParquet(t, "bad.parquet", in.write(t), ingest.Options{SkipInvalid: true,
			Invalid: func(e *ingest.Error) { invalid = append(invalid, e.Error()) }})
		if err != nil || st.Skipped != 1 || len(c.segs) != len(in.segs)-1 || len(invalid) != 1 || !strings.Contains(invalid[0], "row 4") {
			t.Fatalf("%d segments, stats %+v, invalid %q, err %v", len(c.segs), st, invalid, err)
		}
	})
}

// A hand-made file with only the required columns imports like a
// hand-written JSONL file: doubles are made float32 and normalised, the
// source is the file.
func TestDecodeParquetHandMade(t *testing.T) {
	start, end := 1.0, 2.5
	b := writeRows(t, []handRow{
		{VideoID: "v", ModelName: "Marengo-retrieval-2.7", StartSec: &start, EndSec: &end, Embedding: []float64{3, 4}},
		{VideoID: "v", ModelName: "marengo2.7", StartSec: &end, EndSec: &end, Embedding: []float64{0, 2}},
	})
	c, st, err := decodeParquet(t, "hand.parquet", b, ingest.Options{})
	if err != nil || st.Segments != 2 {
		t.Fatalf("%+v, %v", st, err)
	}
	s := c.segs[0]
	if s.Model != "marengo2.7" || s.Scope != "clip" || s.Start != 1 || s.End != 2.5 || s.Norm != 5 ||
		s.Vector[0] != 0.6 || s.Vector[1] != 0.8 || s.SourceKind != ingest.SourceFile || s.SourceID != "hand.parquet" {
		t.Errorf("segment %+v", s)
	}
	// Without a dim column, the first vector of a model sets its length.
	b = writeRows(t, []handRow{
		{VideoID: "v", ModelName: "m", StartSec: &start, EndSec: &end, Embedding: []float64{3, 4}},
		{VideoID: "v", ModelName: "m", StartSec: &end, EndSec: &end, Embedding: []float64{1, 2, 3}},
	})
	if _, _, err := decodeParquet(t, "hand.parquet", b, ingest.Options{}); !errors.Is(err, ingest.ErrDimensionMismatch) ||
		!strings.Contains(err.Error(), "row 1: vector has 3 values, want 2") {
		t.Errorf("err = %v, want a dimension mismatch at row 1", err)
	}
}

// Open recognises Parquet by its magic bytes whatever the name, and by
// its name whatever the bytes; Reader.Decode reads it from a file, from
// a stream (spooled) and gzipped.
func TestReaderDecodesParquet(t *testing.T) {
	in := sampleParquetInput()
	b := in.write(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "export.bin")
	if err := os.WriteFile(plain, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(b)
	zw.Close()
	gzPath := filepath.Join(dir, "export.parquet.gz")
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		open func() (*ingest.Reader, error)
	}{
		{"OKFile", func() (*ingest.Reader, error) { return ingest.Open(plain, nil) }},
		{"OKStream", func() (*ingest.Reader, error) { return ingest.NewReader(onlyReader{bytes.NewReader(b)}, -1, "-") }},
		{"OKBytesReader", func() (*ingest.Reader, error) { return ingest.NewReader(bytes.NewReader(b), -1, "body") }},
		{"OKGzip", func() (*ingest.Reader, error) { return ingest.Open(gzPath, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if !r.Parquet {
				t.Fatal("not recognised as Parquet")
			}
			c := &collector{}
			st, err := r.Decode(context.Background(), ingest.Options{Name: tc.name}, c)
			if err != nil || st.Segments != len(in.segs) {
				t.Fatalf("%+v, %v", st, err)
			}
		})
	}
	t.Run("ErrBadParquetByName", func(t *testing.T) {
		path := filepath.Join(dir, "not.parquet")
		if err := os.WriteFile(path, []byte(`{"video_id":"v"}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := ingest.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		_, err = r.Decode(context.Background(), ingest.Options{Name: path}, &collector{})
		if !errors.Is(err, ingest.ErrBadParquet) || !strings.Contains(err.Error(), "not a Parquet file") {
			t.Fatalf("err = %v", err)
		}
	})
}

// onlyReader hides everything but Read (a pipe, say).
type onlyReader struct{ r *bytes.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// Expand finds .parquet files in directories.
func TestExpandFindsParquet(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.parquet", "b.jsonl", "c.PARQUET", "d.parquet.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := ingest.Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	if strings.Join(got, " ") != "a.parquet b.jsonl c.PARQUET" {
		t.Errorf("found %v", got)
	}
}

func TestNPYWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.npy")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := ingest.NewNPYWriter(f, 3)
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]float32{{1, -2, 0.5}, {float32(math.Inf(1)), 0, 3e-8}}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write([]float32{1}); err == nil {
		t.Error("a row of the wrong length was written")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hlen := int(binary.LittleEndian.Uint16(b[8:10]))
	header := string(b[10 : 10+hlen])
	if string(b[:8]) != "\x93NUMPY\x01\x00" || (10+hlen)%64 != 0 || !strings.HasSuffix(header, "\n") {
		t.Fatalf("bad preamble %q, header length %d", b[:10], hlen)
	}
	if want := "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"; strings.TrimRight(header, " \n") != want {
		t.Errorf("header %q, want %q", header, want)
	}
	data := b[10+hlen:]
	if len(data) != 2*3*4 {
		t.Fatalf("%d data bytes, want 24", len(data))
	}
	for i, r := range rows {
		for j, x := range r {
			if got := binary.LittleEndian.Uint32(data[4*(3*i+j):]); got != math.Float32bits(x) {
				t.Errorf("[%d,%d] = %x, want %x", i, j, got, math.Float32bits(x))
			}
		}
	}
}
