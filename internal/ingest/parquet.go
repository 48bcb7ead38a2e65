package ingest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/format"

	"github.com/clipvec/clipvec/internal/vecmath"
)

// ParquetMagic starts (and ends) every Parquet file.
const ParquetMagic = "PAR1"

// ParquetMetadataKey is the key of the footer's key-value metadata entry
// that marks a file as clipvec's Parquet export. Its value is a JSON
// object like a JSONL export's header, declaring the spaces of the rows:
//
//	{"format":"clipvec","version":2,"spaces":[{"model":"marengo3.0","dim":512}]}
const ParquetMetadataKey = "clipvec"

// Row groups end at ParquetRowGroupRows rows or ParquetRowGroupBytes of
// vector data, whichever comes first: 64k rows of 512-d vectors make
// 128 MiB, the row group size Parquet's own documentation suggests and
// what DuckDB and Spark split work by. The writer holds one row group,
// compressed, in memory.
const (
	ParquetRowGroupRows  = 64 << 10
	ParquetRowGroupBytes = 128 << 20
)

// MaxParquetFooter is the largest Parquet footer (the file's schema and
// row group index) DecodeParquet reads. A clipvec export's is about 4 kB
// plus 2 kB per row group.
const MaxParquetFooter = 64 << 20

// parquetRow is one row of clipvec's Parquet export: a segment, with its
// video's metadata repeated on each of its rows (dictionary-encoded, so
// the repetition costs next to nothing). The column names are the JSONL
// format's keys, those of search results; a version 1 file's (model_name,
// embedding_option, embedding_scope, start_sec, end_sec) are read too.
type parquetRow struct {
	SegmentID       int64    `parquet:"segment_id"`
	VideoID         string   `parquet:"video_id,dict"`
	ModelName       string   `parquet:"model,dict"`
	Dim             int32    `parquet:"dim"`
	EmbeddingOption string   `parquet:"modality,dict"`
	EmbeddingScope  string   `parquet:"scope,dict"`
	StartSec        float64  `parquet:"start"`
	EndSec          float64  `parquet:"end"`
	Norm            float64  `parquet:"norm"`
	SourceKind      string   `parquet:"source_kind,dict"`
	SourceID        string   `parquet:"source_id,dict"`
	Filename        *string  `parquet:"filename,optional,dict"`
	Duration        *float64 `parquet:"duration,optional"`
	FPS             *float64 `parquet:"fps,optional"`
	Width           *int32   `parquet:"width,optional"`
	Height          *int32   `parquet:"height,optional"`
	UserMetadata    *string  `parquet:"user_metadata,optional,dict"`
	ThumbnailURL    *string  `parquet:"thumbnail_url,optional,dict"`
	// Embedding is LIST<FLOAT>: the stored unit vector, bit for bit.
	Embedding []float32 `parquet:"embedding,list"`
}

// ParquetWriter writes clipvec's Parquet export: one row per segment,
// columns as in parquetRow, compressed with zstd, data pages of format
// version 1 (what every reader reads; pyarrow writes them by default).
// Rows are buffered and handed to the encoder in batches; row groups end
// as ParquetRowGroupRows says, so memory stays bounded whatever the
// number of rows.
//
// A ParquetWriter is not safe for concurrent use.
type ParquetWriter struct {
	pw        *parquet.GenericWriter[parquetRow]
	rows      []parquetRow
	groupRows int
	groupSize int64
	// the current video's columns, shared by its rows
	video *Video
	meta  parquetRow
}

// parquetBatch is how many rows are handed to the encoder at once.
const parquetBatch = 256

// NewParquetWriter returns a ParquetWriter on w, declaring in the footer
// the spaces the rows are in (as WriteHeader does): a reader then
// rejects a row of any other. Call Close to write the footer; without it
// the file is unreadable.
func NewParquetWriter(w io.Writer, spaces ...Space) *ParquetWriter {
	meta := append([]byte(nil), `{"format":"clipvec","version":`...)
	meta = strconv.AppendInt(meta, FormatVersion, 10)
	if len(spaces) > 0 {
		meta = append(meta, `,"spaces":[`...)
		for i, sp := range spaces {
			if i > 0 {
				meta = append(meta, ',')
			}
			meta = append(meta, `{"model":`...)
			meta = appendJSONString(meta, sp.Model)
			meta = append(meta, `,"dim":`...)
			meta = strconv.AppendInt(meta, int64(sp.Dim), 10)
			meta = append(meta, '}')
		}
		meta = append(meta, ']')
	}
	meta = append(meta, '}')
	pw := parquet.NewGenericWriter[parquetRow](w,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		parquet.DataPageVersion(1),
		parquet.CreatedBy("clipvec", strconv.Itoa(FormatVersion), ""),
		parquet.KeyValueMetadata(ParquetMetadataKey, string(meta)),
	)
	return &ParquetWriter{pw: pw, rows: make([]parquetRow, 0, parquetBatch)}
}

// WriteSegment adds a row for segment s, whose store id is id, of video v
// (nil: no metadata). s.Vector is copied.
func (w *ParquetWriter) WriteSegment(id int64, s *Segment, v *Video) error {
	if v != w.video {
		w.video = v
		w.meta = parquetRow{}
		if v != nil {
			w.meta = parquetRow{Filename: optString(v.Filename), Duration: optFloat(v.Duration), FPS: optFloat(v.FPS),
				Width: optInt(v.Width), Height: optInt(v.Height), UserMetadata: optString(string(v.UserMetadata)),
				ThumbnailURL: optString(v.ThumbnailURL)}
		}
	}
	n := len(w.rows)
	w.rows = w.rows[:n+1]
	r := &w.rows[n]
	vec := append(r.Embedding[:0], s.Vector...) // reuse the slot's buffer
	*r = w.meta
	r.SegmentID, r.VideoID, r.ModelName, r.Dim = id, s.VideoID, s.Model, int32(len(s.Vector))
	r.EmbeddingOption, r.EmbeddingScope = s.Option, s.Scope
	r.StartSec, r.EndSec, r.Norm = s.Start, s.End, s.Norm
	r.SourceKind, r.SourceID = s.SourceKind, s.SourceID
	r.Embedding = vec
	w.groupRows++
	w.groupSize += 4 * int64(len(vec))
	if len(w.rows) == cap(w.rows) {
		return w.flush()
	}
	return nil
}

// flush hands the buffered rows to the encoder, and ends the row group
// when it is full.
func (w *ParquetWriter) flush() error {
	if len(w.rows) > 0 {
		if _, err := w.pw.Write(w.rows); err != nil {
			return fmt.Errorf("write parquet rows: %w", err)
		}
		w.rows = w.rows[:0]
	}
	if w.groupRows >= ParquetRowGroupRows || w.groupSize >= ParquetRowGroupBytes {
		if err := w.pw.Flush(); err != nil {
			return fmt.Errorf("write parquet row group: %w", err)
		}
		w.groupRows, w.groupSize = 0, 0
	}
	return nil
}

// Close writes the rows still buffered, the last row group and the footer.
// It does not close the underlying writer.
func (w *ParquetWriter) Close() error {
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.pw.Close(); err != nil {
		return fmt.Errorf("write parquet footer: %w", err)
	}
	return nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optFloat(x float64) *float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func optInt(x int) *int32 {
	if x <= 0 || x > math.MaxInt32 {
		return nil
	}
	v := int32(x)
	return &v
}

// Parquet column kinds the reader accepts.
const (
	colString = iota // BYTE_ARRAY
	colFloat         // DOUBLE, FLOAT, INT32 or INT64, read as float64
	colInt           // INT32 or INT64
	colVector        // a list of FLOAT or DOUBLE
)

// parquetColumn is a column the reader knows: its name, what it must hold
// and whether a file must have it.
type parquetColumn struct {
	name     string
	kind     int
	required bool
	v1       string // the name in version 1 files, if another
}

// The columns DecodeParquet reads, in parquetRow's order. Only video_id,
// model and embedding are required, as only they are in a JSONL
// segment record; a missing column reads as null everywhere.
var parquetColumns = []parquetColumn{
	{"segment_id", colInt, false, ""},
	{"video_id", colString, true, ""},
	{"model", colString, true, "model_name"},
	{"dim", colInt, false, ""},
	{"modality", colString, false, "embedding_option"},
	{"scope", colString, false, "embedding_scope"},
	{"start", colFloat, false, "start_sec"},
	{"end", colFloat, false, "end_sec"},
	{"norm", colFloat, false, ""},
	{"source_kind", colString, false, ""},
	{"source_id", colString, false, ""},
	{"filename", colString, false, ""},
	{"duration", colFloat, false, ""},
	{"fps", colFloat, false, ""},
	{"width", colInt, false, ""},
	{"height", colInt, false, ""},
	{"user_metadata", colString, false, ""},
	{"thumbnail_url", colString, false, ""},
	{"embedding", colVector, true, ""},
}

// Indexes into parquetColumns.
const (
	pcSegmentID = iota
	pcVideoID
	pcModel
	pcDim
	pcOption
	pcScope
	pcStart
	pcEnd
	pcNorm
	pcSourceKind
	pcSourceID
	pcFilename
	pcDuration
	pcFPS
	pcWidth
	pcHeight
	pcUserMetadata
	pcThumbnail
	pcEmbedding
	pcCount
)

// ErrParquetLayout: a Parquet file that is not in clipvec's layout (a
// column missing or of another type). It is ErrUnknownShape.
var ErrParquetLayout = &kindOf{"unrecognised Parquet layout", ErrUnknownShape}

// parquetLayout maps the file's leaf columns to parquetColumns.
type parquetLayout struct {
	leaf   [pcCount]int // file column index, -1 when absent
	maxDef [pcCount]int
	byLeaf []int // file column index → parquetColumns index, -1: ignored
}

// describeParquetType renders a leaf's type for messages: "INT64",
// "BYTE_ARRAY (STRING)", "LIST<DOUBLE>".
func describeParquetType(n parquet.Node, repeated bool) string {
	s := n.Type().Kind().String()
	if lt := n.Type().LogicalType(); lt != nil {
		s += " (" + strings.TrimSuffix(strings.TrimPrefix(lt.String(), "&"), "{}") + ")"
	}
	if repeated {
		s = "LIST<" + s + ">"
	}
	return s
}

func layoutOf(schema *parquet.Schema) (*parquetLayout, error) {
	l := &parquetLayout{}
	for i := range l.leaf {
		l.leaf[i] = -1
	}
	paths := schema.Columns()
	l.byLeaf = make([]int, len(paths))
	for i, path := range paths {
		l.byLeaf[i] = -1
		for c, col := range parquetColumns {
			if path[0] != col.name && (col.v1 == "" || path[0] != col.v1) {
				continue
			}
			leaf, ok := schema.Lookup(path...)
			if !ok {
				break
			}
			if l.leaf[c] >= 0 {
				return nil, fmt.Errorf("%w: column %s has several fields, want one value or one list", ErrParquetLayout, col.name)
			}
			repeated := leaf.MaxRepetitionLevel > 0
			kind := leaf.Node.Type().Kind()
			ok = false
			switch col.kind {
			case colString:
				ok = !repeated && kind == parquet.ByteArray
			case colFloat:
				ok = !repeated && (kind == parquet.Double || kind == parquet.Float || kind == parquet.Int32 || kind == parquet.Int64)
			case colInt:
				ok = !repeated && (kind == parquet.Int32 || kind == parquet.Int64)
			case colVector:
				ok = leaf.MaxRepetitionLevel == 1 && (kind == parquet.Float || kind == parquet.Double)
			}
			if !ok {
				want := map[int]string{colString: "a string (BYTE_ARRAY)", colFloat: "a number (DOUBLE)",
					colInt: "an integer (INT32 or INT64)", colVector: "LIST<FLOAT>"}[col.kind]
				return nil, fmt.Errorf("%w: column %s is %s, want %s", ErrParquetLayout, col.name, describeParquetType(leaf.Node, repeated), want)
			}
			l.leaf[c], l.maxDef[c], l.byLeaf[i] = i, leaf.MaxDefinitionLevel, c
			break
		}
	}
	var missing []string
	for c, col := range parquetColumns {
		if col.required && l.leaf[c] < 0 {
			missing = append(missing, col.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: no column %s (is this a clipvec export? clipvec needs video_id, model and embedding)", ErrParquetLayout, strings.Join(missing, ", "))
	}
	return l, nil
}

// countingReaderAt counts the bytes read through it into a Counter, and
// keeps the first error of the file system, so that a failing disk is
// told apart from a bad file (whose offsets may be anything).
type countingReaderAt struct {
	r   io.ReaderAt
	n   *Counter
	err error
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	if c.n != nil {
		c.n.n.Add(int64(n))
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && c.err == nil {
		c.err = err
	}
	return n, err
}

// DecodeParquet reads a Parquet file in clipvec's layout (see
// ParquetWriter) of size bytes from r and hands its segments and videos
// to h, as Decode does a JSONL export: the same checks (vector length,
// finite values, times, identifiers, limits), Options and Stats. A file
// that is not Parquet, is truncated, or lacks a column clipvec needs is
// an *Error; a bad row is a record error ("row 14", counting from 0),
// skipped under Options.SkipInvalid.
//
// A video's metadata (the filename, duration, fps, width, height,
// user_metadata and thumbnail_url columns) is taken from the first row of
// each run of its rows, and handed to h before that row's segment.
// segment_id is not imported: the database numbers its segments itself.
// A dim column, when there is one, is the length each row's vector must
// have; without one, the first vector of each model sets it, as in a
// JSON response.
func DecodeParquet(ctx context.Context, r io.ReaderAt, size int64, opts Options, h Handler) (Stats, error) {
	return decodeParquet(ctx, &countingReaderAt{r: r}, size, opts, h)
}

func decodeParquet(ctx context.Context, r *countingReaderAt, size int64, opts Options, h Handler) (st Stats, err error) {
	d := &decoder{ctx: ctx, opts: opts, h: h, dims: map[string]int{}, doc: &document{}}
	d.stats.Documents = 1
	pr := &parquetRows{d: d}
	defer func() {
		// The Parquet library panics on some malformed files: that is a
		// bad file, not a crash. A panic of the handler's is not ours to
		// hide.
		if p := recover(); p != nil {
			if pr.inHandler {
				panic(p)
			}
			st, err = d.stats, &Error{File: opts.Name, Err: fmt.Errorf("%w: malformed file (%v)", ErrBadParquet, p)}
		}
	}()
	fileErr := func(err error) error {
		if r.err != nil {
			return fmt.Errorf("read %s: %w", opts.Name, r.err)
		}
		return &Error{File: opts.Name, Err: err}
	}
	// The footer's length is in the file's last 8 bytes, and the library
	// allocates that much before reading it: a corrupt length would ask
	// for gigabytes.
	if tail := make([]byte, 8); size >= 12 && readFull(r, tail, size-8) && string(tail[4:]) == ParquetMagic {
		if n := int64(binary.LittleEndian.Uint32(tail)); n > size-12 || n > MaxParquetFooter {
			return d.stats, fileErr(fmt.Errorf("%w: the footer says it has %d bytes, in a file of %d (at most %d are read)", ErrBadParquet, n, size, MaxParquetFooter))
		}
	}
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		head, tail := make([]byte, 4), make([]byte, 4)
		switch {
		case size < 4:
		case readFull(r, head, 0) && string(head) != ParquetMagic:
			return d.stats, fileErr(fmt.Errorf("%w: not a Parquet file (it does not start with %q)", ErrBadParquet, ParquetMagic))
		case readFull(r, tail, size-4) && string(tail) != ParquetMagic:
			return d.stats, fileErr(fmt.Errorf("%w: the file does not end with %q (is it truncated?)", ErrBadParquet, ParquetMagic))
		}
		return d.stats, fileErr(fmt.Errorf("%w: %w (is the file truncated?)", ErrBadParquet, err))
	}
	if v, ok := f.Lookup(ParquetMetadataKey); ok {
		var meta struct {
			Version int `json:"version"`
			Spaces  []struct {
				Model   string `json:"model"`
				ModelV1 string `json:"model_name"`
				Dim     int    `json:"dim"`
			} `json:"spaces"`
		}
		if err := json.Unmarshal([]byte(v), &meta); err != nil {
			return d.stats, fileErr(fmt.Errorf("%w: the footer's %q metadata: %w", ErrParquetLayout, ParquetMetadataKey, err))
		}
		switch {
		case meta.Version > FormatVersion:
			return d.stats, fileErr(fmt.Errorf("%w: clipvec Parquet version %d is newer than this clipvec reads (%d)", ErrParquetLayout, meta.Version, FormatVersion))
		case len(meta.Spaces) > MaxSpaces:
			return d.stats, fileErr(fmt.Errorf("%w: the footer declares %d spaces, more than %d", ErrTooLarge, len(meta.Spaces), MaxSpaces))
		case len(meta.Spaces) > 0:
			d.declared = map[Space]bool{}
			for _, sp := range meta.Spaces {
				d.declared[Space{CanonicalModel(cmp.Or(sp.Model, sp.ModelV1)), sp.Dim}] = true
			}
		}
	}
	layout, err := layoutOf(f.Schema())
	if err != nil {
		return d.stats, fileErr(err)
	}
	if err := checkChunks(f.Metadata()); err != nil {
		return d.stats, fileErr(err)
	}
	d.rowDims = layout.leaf[pcDim] >= 0
	pr.layout = layout
	base := int64(0)
	for _, rg := range f.RowGroups() {
		if err := pr.rowGroup(rg, base); err != nil {
			var he handlerError
			var e *Error
			switch {
			case errors.As(err, &he):
				return d.stats, he.err
			case errors.As(err, &e):
				return d.stats, err
			}
			return d.stats, fileErr(fmt.Errorf("%w: rows %d–%d: %w", ErrBadParquet, base, base+rg.NumRows()-1, err))
		}
		base += rg.NumRows()
	}
	if d.stats.Segments == 0 && d.stats.Skipped == 0 {
		return d.stats, fileErr(fmt.Errorf("%w: the Parquet file has no rows", ErrNoVectors))
	}
	return d.stats, nil
}

// checkChunks refuses column chunks compressed otherwise than with
// snappy, gzip or zstd (what pyarrow, Polars, DuckDB and Spark write): the
// library's LZ4 decoder doubles its buffer without end on a corrupt page,
// which no error stops.
func checkChunks(meta *format.FileMetaData) error {
	for _, rg := range meta.RowGroups {
		for _, c := range rg.Columns {
			switch c.MetaData.Codec {
			case format.Uncompressed, format.Snappy, format.Gzip, format.Zstd:
			default:
				return fmt.Errorf("%w: column %s is compressed with %s; clipvec reads snappy, gzip and zstd",
					ErrParquetLayout, strings.Join(c.MetaData.PathInSchema, "."), c.MetaData.Codec)
			}
		}
	}
	return nil
}

// readFull reads len(b) bytes at off, and reports whether it could.
func readFull(r io.ReaderAt, b []byte, off int64) bool {
	n, err := r.ReadAt(b, off)
	return n == len(b) && (err == nil || err == io.EOF)
}

// handlerError carries an error from the Handler (or the context) out of
// the row loop unchanged.
type handlerError struct{ err error }

func (e handlerError) Error() string { return e.err.Error() }

// parquetRows turns a file's rows into segments.
type parquetRows struct {
	d      *decoder
	layout *parquetLayout
	buf    []parquet.Row
	// the row being assembled
	str       [pcCount][]byte
	num       [pcCount]float64
	has       [pcCount]bool
	vec       []float32
	vecErr    error
	lastVideo string
	inHandler bool // the handler is running (see decodeParquet)
}

func (pr *parquetRows) rowGroup(rg parquet.RowGroup, base int64) error {
	rows := rg.Rows()
	defer rows.Close()
	if pr.buf == nil {
		pr.buf = make([]parquet.Row, 64)
	}
	index := base
	for {
		n, err := rows.ReadRows(pr.buf)
		for i := 0; i < n; i++ {
			if err := pr.row(pr.buf[i], index); err != nil {
				return err
			}
			index++
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// row decodes one row (index counts from the file's first row).
func (pr *parquetRows) row(row parquet.Row, index int64) error {
	l := pr.layout
	pr.has = [pcCount]bool{}
	pr.vec, pr.vecErr = pr.vec[:0], nil
	vecValues := 0
	for _, v := range row {
		col := v.Column()
		if col < 0 || col >= len(l.byLeaf) || l.byLeaf[col] < 0 {
			continue
		}
		c := l.byLeaf[col]
		if c == pcEmbedding {
			vecValues++
			if v.IsNull() {
				if v.DefinitionLevel() == l.maxDef[c]-1 && l.maxDef[c] >= 3 {
					// an element that is null, in a list of optional elements
					if pr.vecErr == nil {
						pr.vecErr = &valueError{index: len(pr.vec), what: "null"}
					}
					pr.vec = append(pr.vec, 0)
				}
				continue
			}
			if len(pr.vec) >= MaxDim {
				pr.vecErr = &longVectorError{n: vecValues}
				continue
			}
			x := v.Float()
			if v.Kind() == parquet.Double {
				x = float32(v.Double())
			}
			pr.vec = append(pr.vec, x)
			pr.has[c] = true
			continue
		}
		if v.IsNull() {
			continue
		}
		pr.has[c] = true
		switch parquetColumns[c].kind {
		case colString:
			pr.str[c] = append(pr.str[c][:0], v.ByteArray()...)
		case colFloat, colInt:
			switch v.Kind() {
			case parquet.Double:
				pr.num[c] = v.Double()
			case parquet.Float:
				pr.num[c] = float64(v.Float())
			case parquet.Int32:
				pr.num[c] = float64(v.Int32())
			default:
				pr.num[c] = float64(v.Int64())
			}
		}
	}
	if index%256 == 0 {
		if err := pr.d.ctx.Err(); err != nil {
			return handlerError{err}
		}
	}
	return pr.segment(index)
}

// str returns a string column of the row ("" when null or absent).
func (pr *parquetRows) strOf(c int) string {
	if !pr.has[c] {
		return ""
	}
	return string(pr.str[c])
}

// segment checks the assembled row and hands it on, as record does a
// JSONL segment line.
func (pr *parquetRows) segment(index int64) error {
	d := pr.d
	idx := int(index)
	if pr.vecErr != nil {
		return pr.rowError(idx, pr.vecErr)
	}
	for _, c := range []int{pcVideoID, pcModel, pcOption, pcScope, pcSourceKind, pcSourceID, pcFilename, pcUserMetadata, pcThumbnail} {
		if len(pr.str[c]) > MaxString && pr.has[c] {
			return pr.rowError(idx, fmt.Errorf("%s is %w: longer than %d bytes", parquetColumns[c].name, ErrTooLarge, MaxString))
		}
	}
	p := pending{container: cParquetRow, index: idx, option: pr.strOf(pcOption), scope: pr.strOf(pcScope),
		start: pr.num[pcStart], end: pr.num[pcEnd], hasStart: pr.has[pcStart], hasEnd: pr.has[pcEnd]}
	if p.scope == "" {
		p.scope = "clip"
	}
	if len(pr.vec) == 0 {
		return pr.rowError(idx, fmt.Errorf("%w: row has no embedding", ErrMissingField))
	}
	if err := vecmath.Validate(pr.vec); err != nil {
		return pr.rowError(idx, err)
	}
	// As in a JSONL record: a unit vector with its norm (what clipvec
	// writes) keeps its bits; anything else is normalised here.
	if norm := pr.num[pcNorm]; pr.has[pcNorm] && norm > 0 && !math.IsInf(norm, 0) && vecmath.IsUnit(pr.vec, 1e-4) {
		p.norm = norm
	} else {
		norm, err := vecmath.Normalize(pr.vec)
		if err != nil {
			return pr.rowError(idx, err)
		}
		p.norm = norm
	}
	p.vec = pr.vec
	model := CanonicalModel(firstNonEmpty(pr.strOf(pcModel), d.opts.Model))
	videoID := firstNonEmpty(d.opts.VideoID, pr.strOf(pcVideoID))
	if model == "" {
		return pr.rowError(idx, fmt.Errorf("%w: row has no model, and none was given", ErrNoModel))
	}
	if videoID == "" {
		return pr.rowError(idx, fmt.Errorf("%w: row has no video_id, and none was given", ErrNoVideo))
	}
	kind, sourceID := pr.strOf(pcSourceKind), pr.strOf(pcSourceID)
	if kind == "" {
		kind, sourceID = SourceFile, d.opts.Name
	}
	if err := checkIdents(model, videoID, kind, sourceID); err != nil {
		return pr.rowError(idx, err)
	}
	if d.rowDims {
		if !pr.has[pcDim] {
			return pr.rowError(idx, fmt.Errorf("%w: row has no dim", ErrMissingField))
		}
		if want := pr.num[pcDim]; float64(len(p.vec)) != want {
			return pr.rowError(idx, fmt.Errorf("%w: vector has %d values, and the row's dim says %v", ErrDimensionMismatch, len(p.vec), want))
		}
	}
	if videoID != pr.lastVideo {
		// Before the video's first segment, as a JSONL export's video
		// line is.
		pr.lastVideo = videoID
		if v, ok := pr.video(videoID); ok {
			pr.inHandler = true
			err := d.h.Video(v)
			pr.inHandler = false
			if err != nil {
				return handlerError{err}
			}
		}
	}
	pr.inHandler = true
	d.rowVideo = pr.strOf(pcVideoID)
	err := d.deliverAs(&p, model, videoID, kind, sourceID)
	pr.inHandler = false
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return err
		}
		return handlerError{err}
	}
	return nil
}

// video is the row's video metadata, if it has any.
func (pr *parquetRows) video(id string) (*Video, bool) {
	any := false
	for _, c := range []int{pcFilename, pcDuration, pcFPS, pcWidth, pcHeight, pcUserMetadata, pcThumbnail} {
		any = any || pr.has[c]
	}
	if !any {
		return nil, false
	}
	v := &Video{ID: id, Filename: strings.ToValidUTF8(pr.strOf(pcFilename), "\uFFFD"),
		ThumbnailURL: strings.ToValidUTF8(pr.strOf(pcThumbnail), "\uFFFD")}
	if x := pr.num[pcDuration]; pr.has[pcDuration] && x > 0 && !math.IsInf(x, 0) {
		v.Duration = x
	}
	if x := pr.num[pcFPS]; pr.has[pcFPS] && x > 0 && !math.IsInf(x, 0) {
		v.FPS = x
	}
	if x := pr.num[pcWidth]; pr.has[pcWidth] && x > 0 && x <= math.MaxInt32 {
		v.Width = int(x)
	}
	if x := pr.num[pcHeight]; pr.has[pcHeight] && x > 0 && x <= math.MaxInt32 {
		v.Height = int(x)
	}
	if um := pr.str[pcUserMetadata]; pr.has[pcUserMetadata] && len(um) > 0 && um[0] == '{' {
		// As in JSON input: an object, compacted, its bad UTF-8 made
		// valid; anything else is ignored.
		var buf bytes.Buffer
		if json.Compact(&buf, um) == nil {
			v.UserMetadata = bytes.ToValidUTF8(buf.Bytes(), []byte("\uFFFD"))
		}
	}
	return v, true
}

// rowError reports a bad row, as recordError does a bad record.
func (pr *parquetRows) rowError(index int, err error) error {
	return pr.d.recordError(cParquetRow, index, 0, err)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
