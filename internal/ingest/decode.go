package ingest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/clipvec/clipvec/internal/vecmath"
)

// Containers: the arrays of a document that hold segments.
const (
	cV1Segments    byte = iota // video_embedding.segments (embed task v1)
	cV12Embeddings             // video_embeddings (v1.2, mid-2024)
	cAssetSegments             // embedding.video_embedding.segments (indexed asset, legacy video)
	cV2Data                    // data (embed-v2 task or sync response)
	cSyncAudio                 // audio_embedding.segments (v1 POST /embed)
	cRecord                    // a clipvec JSONL segment record
	cParquetRow                // a row of a clipvec Parquet file
)

var containerPath = [...]string{
	cV1Segments:    "video_embedding.segments",
	cV12Embeddings: "video_embeddings",
	cAssetSegments: "embedding.video_embedding.segments",
	cV2Data:        "data",
	cSyncAudio:     "audio_embedding.segments",
	cRecord:        "",
	cParquetRow:    "",
}

// pending is a decoded segment whose vector is already checked and
// normalised, waiting for its document's model and video to be known.
type pending struct {
	container        byte
	index, line      int
	option, scope    string
	start, end, norm float64
	hasStart, hasEnd bool
	vec              []float32
	raw              []byte // scratch for reading vec back from a spool
}

// Decode reads every document in r — one JSON response, a JSON array of
// them, or a stream of them such as clipvec's JSONL export — and hands the
// segments and video metadata to h. It holds one segment at a time in
// memory (plus a read buffer), whatever the input's size.
//
// Errors about the input are *Error values naming opts.Name, the record
// and, where known, its line; errors from h are returned unchanged.
func Decode(ctx context.Context, r io.Reader, opts Options, h Handler) (Stats, error) {
	d := &decoder{ctx: ctx, s: newScanner(r), opts: opts, h: h, dims: map[string]int{}}
	defer d.spool.close()
	defer d.s.release()
	err := d.run()
	return d.stats, err
}

type decoder struct {
	ctx   context.Context
	s     *scanner
	opts  Options
	h     Handler
	stats Stats
	dims  map[string]int // model → vector length in this input
	// declared holds the spaces a clipvec JSONL header declared: then a
	// record must be in one of them (dims is not used for records).
	declared map[Space]bool
	spool    spool
	vec      []float32 // scratch for the vector being read
	seg      Segment   // scratch handed to the handler
	rowVideo string    // the video_id column of the Parquet row being delivered
	jsonl    bool      // the input is a stream of clipvec records
	// rowDims: the input (a Parquet file with a dim column) gives each
	// row's dimension, which its checks use instead of dims.
	rowDims bool
	doc     *document
}

// document is what one top-level JSON object has said so far.
type document struct {
	prefix string // record-name prefix: "" or "[3]." or "document 2: "
	line   int

	keys []string // the first few top-level keys, for "unrecognised shape"

	id, assetID        string
	model, engine      string
	embModel           string // embedding.model_name (indexed assets)
	status             string
	hasStatus          bool
	shape              uint16 // which containers were seen
	v2Meta             bool   // top-level metadata object seen
	embeddingDimension int
	video              Video

	errCode, errMessage string
	isError             bool
	failure             string // a failed embed-v2 task's error.message

	listItems, searchItems int
	queries                int      // text and image embeddings seen (a v1 /embed response)
	queryKinds             []string // their kinds: "text", "image", "text or image"
	pageInfo               bool
	delivered, spooled     int

	// clipvec JSONL record fields
	typ, format     string
	spaces          []Space
	version         int
	recVideoID      string
	recOption       string
	recScope        string
	recStart        float64
	recEnd          float64
	recHasStart     bool
	recHasEnd       bool
	recNorm         float64
	recHasNorm      bool
	recSourceKind   string
	recSourceID     string
	recVector       []float32
	recHasVector    bool
	recVectorErr    error
	recHasVideoMeta bool
}

func (d *decoder) run() error {
	s := d.s
	for n := 0; ; n++ {
		c, ok := s.peek()
		if !ok {
			if s.rerr != nil {
				return d.fileError(s.errorf(""))
			}
			if n == 0 {
				return d.fileError(fmt.Errorf("%w: the file is empty", ErrNoVectors))
			}
			return nil
		}
		if err := d.ctx.Err(); err != nil {
			return err
		}
		switch c {
		case '{':
			prefix := ""
			if n > 0 && !d.jsonl {
				prefix = fmt.Sprintf("document %d: ", n+1)
			}
			if err := d.document(prefix); err != nil {
				return err
			}
		case '[':
			if n > 0 {
				return d.fileError(s.errorf("found another array after the first document"))
			}
			if err := d.array(); err != nil {
				return err
			}
		default:
			return d.fileError(s.errorf("found %s, want a JSON object or array (is this a JSON file?)", describe(c)))
		}
	}
}

// array decodes a top-level array: of documents, or a bare vector.
func (d *decoder) array() error {
	s := d.s
	if err := s.enter(); err != nil { // '['
		return d.fileError(err)
	}
	for i := 0; ; i++ {
		ok, err := s.elem(i == 0)
		if err != nil {
			return d.fileError(err)
		}
		if !ok {
			if i == 0 {
				return d.fileError(fmt.Errorf("%w: the file is an empty array", ErrNoVectors))
			}
			return nil
		}
		c, _ := s.peek()
		if c == '-' || (c >= '0' && c <= '9') {
			return d.fileError(fmt.Errorf("%w: the file is a bare vector (a JSON array of numbers), not segments; "+
				"search with it as a query vector instead", ErrQueryVectors))
		}
		if c != '{' {
			return d.fileError(s.errorf("array element %d is %s, want an object", i, describe(c)))
		}
		if err := d.document(fmt.Sprintf("[%d].", i)); err != nil {
			return err
		}
	}
}

func (d *decoder) fileError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{File: d.opts.Name, Err: err}
}

// docError is an error about the current document as a whole.
func (d *decoder) docError(err error) error {
	rec := strings.TrimSuffix(strings.TrimSuffix(d.doc.prefix, "."), ": ")
	if rec == "" && !d.jsonl {
		return &Error{File: d.opts.Name, Err: err}
	}
	if d.jsonl {
		rec = fmt.Sprintf("line %d", d.doc.line)
		return &Error{File: d.opts.Name, Record: rec, Err: err}
	}
	return &Error{File: d.opts.Name, Record: rec, Line: d.doc.line, Err: err}
}

// recordError reports a bad segment: fatal, or skipped under SkipInvalid.
func (d *decoder) recordError(container byte, index, line int, err error) error {
	e := &Error{File: d.opts.Name, Line: line, Err: err}
	e.Record = recordName(d.doc.prefix, container, index, line)
	if container == cRecord {
		e.Line = 0
	}
	if !d.opts.SkipInvalid {
		return e
	}
	d.stats.Skipped++
	if d.opts.Invalid != nil {
		d.opts.Invalid(e)
	}
	return nil
}

func (d *decoder) document(prefix string) error {
	s := d.s
	doc := &document{prefix: prefix, line: s.line}
	d.doc = doc
	d.stats.Documents++
	if err := s.enter(); err != nil { // '{'
		return d.fileError(err)
	}
	for first := true; ; first = false {
		k, ok, err := s.key(first)
		if err != nil {
			return d.fileError(err)
		}
		if !ok {
			break
		}
		key := string(k)
		if len(doc.keys) < 12 {
			doc.keys = append(doc.keys, brief(key))
		}
		if err := d.member(doc, key); err != nil {
			return d.fileError(err)
		}
	}
	return d.finish(doc)
}

// member decodes the value of one top-level key.
func (d *decoder) member(doc *document, key string) (err error) {
	s := d.s
	switch key {
	case "_id":
		doc.id, err = s.identOrNull()
	case "asset_id":
		doc.assetID, err = s.identOrNull()
	case "model_name", "model": // upstream and clipvec export v1; export v2
		doc.model, err = s.identOrNull()
	case "engine_name":
		doc.engine, err = s.identOrNull()
	case "status":
		doc.status, err = s.stringOrNull()
		doc.hasStatus = true
	case "video_embedding":
		err = d.videoEmbedding(cV1Segments)
	case "video_embeddings":
		doc.shape |= 1 << cV12Embeddings
		err = d.segmentArray(cV12Embeddings)
	case "embedding":
		c, _ := s.peek()
		switch c {
		case '{':
			err = d.assetEmbedding()
		case '[':
			doc.recHasVector = true
			doc.recVector, err = s.float32s(doc.recVector)
			if recordProblem(err) {
				doc.recVectorErr, err = err, nil
			}
		default:
			err = s.skip()
		}
	case "data":
		err = d.data()
	case "metadata":
		err = d.metadata(doc)
	case "system_metadata":
		err = d.systemMetadata(doc)
	case "user_metadata":
		doc.video.UserMetadata, err = d.userMetadata()
	case "hls":
		err = d.hls(doc)
	case "audio_embedding":
		err = d.syncEmbedding(doc, "audio")
	case "text_embedding", "image_embedding":
		err = d.syncEmbedding(doc, strings.TrimSuffix(key, "_embedding"))
	case "error":
		err = d.errorObject(doc)
	case "code":
		doc.isError = true
		doc.errCode, err = d.scalarString()
	case "error_code":
		doc.isError = true
		doc.errCode, err = d.scalarString()
	case "message":
		doc.errMessage, err = d.scalarString()
	case "search_pool":
		doc.searchItems++
		err = s.skip()
	case "page_info":
		doc.pageInfo = true
		err = s.skip()
	// clipvec JSONL records
	case "type":
		doc.typ, err = s.stringOrNull()
	case "format":
		doc.format, err = s.stringOrNull()
	case "spaces":
		err = d.eachElement(func(i int) error {
			if i == MaxSpaces {
				return s.limitf("the header declares more than %d spaces", MaxSpaces)
			}
			var sp Space
			err := d.object(func(key string) error {
				switch key {
				case "model", "model_name": // version 2, 1
					m, err := s.identOrNull()
					sp.Model = CanonicalModel(m)
					return err
				case "dim":
					v, _, err := s.numberOrNull()
					sp.Dim = int(v)
					return err
				}
				return s.skip()
			})
			doc.spaces = append(doc.spaces, sp)
			return err
		})
	case "version":
		var v float64
		v, _, err = s.numberOrNull()
		doc.version = int(v)
	case "video_id":
		doc.recVideoID, err = s.identOrNull()
	case "modality", "embedding_option": // clipvec export version 2, 1
		doc.recOption, err = s.identOrNull()
	case "scope", "embedding_scope":
		doc.recScope, err = s.identOrNull()
	case "start", "start_sec":
		doc.recStart, doc.recHasStart, err = s.numberOrNull()
	case "end", "end_sec":
		doc.recEnd, doc.recHasEnd, err = s.numberOrNull()
	case "norm":
		doc.recNorm, doc.recHasNorm, err = s.numberOrNull()
	case "source_kind":
		doc.recSourceKind, err = s.identOrNull()
	case "source_id":
		doc.recSourceID, err = s.identOrNull()
	case "filename":
		doc.recHasVideoMeta = true
		doc.video.Filename, err = s.stringOrNull()
	case "thumbnail_url":
		doc.recHasVideoMeta = true
		doc.video.ThumbnailURL, err = s.stringOrNull()
	case "duration", "fps", "width", "height":
		doc.recHasVideoMeta = true
		err = d.videoNumber(&doc.video, key)
	default:
		err = s.skip()
	}
	return err
}

// scalarString reads a string or a number as a string (error codes come
// as both).
func (d *decoder) scalarString() (string, error) {
	c, ok := d.s.peek()
	if !ok {
		return "", d.s.unexpectedEOF()
	}
	if c == '"' || c == 'n' {
		return d.s.stringOrNull()
	}
	if c == '-' || (c >= '0' && c <= '9') {
		v, err := d.s.number()
		return strconv.FormatFloat(v, 'f', -1, 64), err
	}
	return "", d.s.skip()
}

func (d *decoder) videoNumber(v *Video, key string) error {
	x, ok, err := d.s.numberOrNull()
	if err != nil || !ok {
		return err
	}
	switch key {
	case "duration":
		v.Duration = x
	case "fps":
		v.FPS = x
	case "width":
		v.Width = int(x)
	case "height":
		v.Height = int(x)
	}
	return nil
}

func (d *decoder) userMetadata() ([]byte, error) {
	if isNull, err := d.s.null(); err != nil || isNull {
		return nil, err
	}
	c, _ := d.s.peek()
	if c != '{' {
		return nil, d.s.skip()
	}
	raw, err := d.s.raw("user_metadata")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	// Metadata is shown, not matched: invalid UTF-8 (only possible
	// inside its strings) is made valid like a file name's.
	return bytes.ToValidUTF8(buf.Bytes(), []byte("\uFFFD")), nil
}

// object iterates the members of an object value (null is an empty one).
func (d *decoder) object(fn func(key string) error) error {
	s := d.s
	if isNull, err := s.null(); err != nil || isNull {
		return err
	}
	if err := s.open('{'); err != nil {
		return err
	}
	for first := true; ; first = false {
		k, ok, err := s.key(first)
		if err != nil || !ok {
			return err
		}
		if err := fn(string(k)); err != nil {
			return err
		}
	}
}

// videoEmbedding reads {"segments": [...], "metadata": {...}}.
func (d *decoder) videoEmbedding(container byte) error {
	doc := d.doc
	return d.object(func(key string) error {
		switch key {
		case "segments":
			doc.shape |= 1 << container
			return d.segmentArray(container)
		case "metadata":
			return d.object(func(key string) error { return d.inputMetadata(&doc.video, key) })
		}
		return d.s.skip()
	})
}

// inputMetadata reads one key of an embed task's metadata.
func (d *decoder) inputMetadata(v *Video, key string) error {
	switch key {
	case "input_filename":
		name, err := d.s.stringOrNull()
		if name != "" {
			v.Filename = name
		}
		return err
	case "input_url":
		url, err := d.s.stringOrNull()
		if url != "" && v.Filename == "" {
			v.Filename = url
		}
		return err
	case "duration":
		return d.videoNumber(v, key)
	}
	return d.s.skip()
}

func (d *decoder) assetEmbedding() error {
	doc := d.doc
	return d.object(func(key string) error {
		switch key {
		case "model_name":
			var err error
			doc.embModel, err = d.s.identOrNull()
			return err
		case "video_embedding":
			return d.videoEmbedding(cAssetSegments)
		}
		return d.s.skip()
	})
}

func (d *decoder) metadata(doc *document) error {
	c, _ := d.s.peek()
	if c != '{' {
		return d.s.skip()
	}
	doc.v2Meta = true
	return d.object(func(key string) error {
		if key == "embedding_dimension" {
			v, _, err := d.s.numberOrNull()
			doc.embeddingDimension = int(v)
			return err
		}
		return d.inputMetadata(&doc.video, key)
	})
}

func (d *decoder) systemMetadata(doc *document) error {
	return d.object(func(key string) error {
		switch key {
		case "filename":
			var err error
			doc.video.Filename, err = d.s.stringOrNull()
			return err
		case "duration", "fps", "width", "height":
			return d.videoNumber(&doc.video, key)
		}
		return d.s.skip()
	})
}

// hls reads an indexed asset's (or video's) stream object and keeps the
// first thumbnail URL. The stream is an extra: a value of an unexpected
// type is skipped rather than failing the vectors beside it.
func (d *decoder) hls(doc *document) error {
	s := d.s
	if c, _ := s.peek(); c != '{' {
		return s.skip()
	}
	return d.object(func(key string) error {
		if key != "thumbnail_urls" {
			return s.skip()
		}
		if c, _ := s.peek(); c != '[' {
			return s.skip()
		}
		return d.eachElement(func(int) error {
			if c, _ := s.peek(); c != '"' || doc.video.ThumbnailURL != "" {
				return s.skip()
			}
			var err error
			doc.video.ThumbnailURL, err = s.string()
			return err
		})
	})
}

func (d *decoder) errorObject(doc *document) error {
	c, _ := d.s.peek()
	if c != '{' {
		return d.s.skip()
	}
	return d.object(func(key string) error {
		var err error
		switch key {
		case "code":
			doc.isError = true
			doc.errCode, err = d.scalarString()
		case "message":
			doc.errMessage, err = d.scalarString()
			doc.failure = doc.errMessage
		default:
			err = d.s.skip()
		}
		return err
	})
}

// syncEmbedding reads a v1 POST /embed member: audio segments are video
// segments; text and image ones are query embeddings and are only counted.
func (d *decoder) syncEmbedding(doc *document, kind string) error {
	return d.object(func(key string) error {
		switch key {
		case "segments":
			if kind == "audio" {
				doc.shape |= 1 << cSyncAudio
				return d.segmentArray(cSyncAudio)
			}
			return d.eachElement(func(int) error {
				doc.addQuery(kind)
				return d.s.skip()
			})
		case "metadata":
			if kind == "audio" {
				return d.object(func(key string) error { return d.inputMetadata(&doc.video, key) })
			}
		}
		return d.s.skip()
	})
}

func (d *decoder) eachElement(fn func(i int) error) error {
	s := d.s
	if isNull, err := s.null(); err != nil || isNull {
		return err
	}
	if err := s.open('['); err != nil {
		return err
	}
	for i := 0; ; i++ {
		ok, err := s.elem(i == 0)
		if err != nil || !ok {
			return err
		}
		if err := fn(i); err != nil {
			return err
		}
	}
}

// data reads an embed-v2 "data" array, or the items of a list or search
// response (which carry no vectors and are only counted).
func (d *decoder) data() error {
	return d.eachElement(func(i int) error {
		c, _ := d.s.peek()
		if c != '{' {
			return d.s.skip()
		}
		return d.segmentObject(cV2Data, i)
	})
}

func (d *decoder) segmentArray(container byte) error {
	return d.eachElement(func(i int) error {
		c, _ := d.s.peek()
		if c != '{' {
			return d.s.errorf("%s[%d] is %s, want an object", containerPath[container], i, describe(c))
		}
		return d.segmentObject(container, i)
	})
}

// segmentObject reads one segment in any of the upstream spellings (v1
// float/start_offset_sec, v2 embedding/start_sec, v1.2 embedding.float)
// and passes it on; an object without a vector is a list or search item.
func (d *decoder) segmentObject(container byte, index int) error {
	s := d.s
	doc := d.doc
	p := pending{container: container, index: index, line: s.line}
	var hasVector, hasOption, hasScope, listLike, searchLike bool
	var vecErr error
	readVector := func() error {
		hasVector = true
		var err error
		d.vec, err = s.float32s(d.vec)
		if recordProblem(err) {
			vecErr, err = err, nil
		}
		return err
	}
	err := d.object(func(key string) error {
		var err error
		switch key {
		case "float", "embedding":
			c, _ := s.peek()
			if c == '{' { // v1.2: "embedding": {"float": [...]}
				return d.object(func(key string) error {
					if key == "float" {
						return readVector()
					}
					return s.skip()
				})
			}
			if c == 'n' {
				_, err = s.null()
				return err
			}
			return readVector()
		case "embedding_option":
			p.option, err = s.identOrNull()
			hasOption = p.option != ""
		case "embedding_scope":
			p.scope, err = s.identOrNull()
			hasScope = p.scope != ""
		case "start_offset_sec", "start_sec":
			p.start, p.hasStart, err = s.numberOrNull()
		case "end_offset_sec", "end_sec":
			p.end, p.hasEnd, err = s.numberOrNull()
		case "_id", "status", "system_metadata", "metadata", "index_id", "created_at":
			listLike = true
			err = s.skip()
		case "video_id", "rank", "score", "clips", "confidence", "thumbnail_url":
			searchLike = true
			err = s.skip()
		default:
			err = s.skip()
		}
		return err
	})
	if err != nil {
		return err
	}
	if !hasVector {
		switch {
		case searchLike:
			doc.searchItems++
			return nil
		case listLike || container == cV2Data:
			doc.listItems++
			return nil
		}
		return d.recordError(container, index, p.line,
			fmt.Errorf("%w: segment has no vector (%s)", ErrMissingField, vectorKey(container)))
	}
	if container == cV2Data && !hasOption && !hasScope && !p.hasStart && !p.hasEnd {
		// A sync text or image embedding: a query, not a video segment.
		doc.addQuery("text or image")
		return nil
	}
	if container == cV2Data {
		doc.shape |= 1 << cV2Data
	}
	if vecErr != nil {
		return d.recordError(container, index, p.line, vecErr)
	}
	norm, err := vecmath.Normalize(d.vec)
	if err != nil {
		return d.recordError(container, index, p.line, err)
	}
	p.norm, p.vec = norm, d.vec
	if p.scope == "" {
		p.scope = "clip"
	}
	return d.emit(&p)
}

func vectorKey(container byte) string {
	if container == cV2Data {
		return "embedding"
	}
	return "float"
}

// recordName says where a segment was: "line 17" in a JSONL file,
// "video_embedding.segments[3]" (behind a prefix for multi-document
// files) in a response.
func recordName(prefix string, container byte, index, line int) string {
	switch container {
	case cRecord:
		return fmt.Sprintf("line %d", line)
	case cParquetRow:
		return fmt.Sprintf("row %d", index)
	}
	return fmt.Sprintf("%s%s[%d]", prefix, containerPath[container], index)
}

// ready reports whether the document has said enough to deliver segments
// of container now rather than spool them until it ends.
func (d *decoder) ready(container byte) bool {
	doc := d.doc
	hasVideo := d.opts.VideoID != "" || doc.id != ""
	switch container {
	case cV1Segments, cV12Embeddings:
		return hasVideo && (doc.model != "" || doc.engine != "")
	case cAssetSegments:
		return hasVideo && (doc.embModel != "" || doc.model != "") && (doc.hasStatus || doc.assetID != "")
	case cV2Data:
		return hasVideo && doc.id != "" && (d.opts.Model != "" || doc.v2Meta)
	}
	return false
}

func (d *decoder) emit(p *pending) error {
	doc := d.doc
	if doc.hasStatus && doc.status != "ready" {
		return d.notReady(doc)
	}
	if d.ready(p.container) {
		return d.deliver(p)
	}
	doc.spooled++
	return d.spool.add(p)
}

// context resolves the model, video and source of a container's segments
// once the document is complete (or ready says it is).
func (d *decoder) context(p *pending) (model, videoID, kind, sourceID string, err error) {
	doc := d.doc
	videoID = d.opts.VideoID
	if videoID == "" {
		videoID = doc.id
	}
	sourceID = doc.id
	switch p.container {
	case cV1Segments, cV12Embeddings:
		model, kind = cmp.Or(doc.model, doc.engine, d.opts.Model), SourceEmbedTaskV1
	case cAssetSegments:
		model, kind = cmp.Or(doc.embModel, doc.model, d.opts.Model), SourceVideo
		if doc.hasStatus || doc.assetID != "" {
			kind = SourceIndexedAsset
		}
	case cV2Data:
		kind = SourceEmbedTaskV2
		model = V2Model(d.opts.Model, doc.embeddingDimension)
	case cSyncAudio:
		model = cmp.Or(doc.model, d.opts.Model)
	}
	if sourceID == "" {
		kind, sourceID = SourceFile, d.opts.Name
	}
	if videoID == "" {
		videoID = fallbackVideoID(d.opts.Name)
	}
	model = CanonicalModel(model)
	switch {
	case model == "":
		err = fmt.Errorf("%w: the response names no model (model_name), and none was given", ErrNoModel)
	case videoID == "":
		err = fmt.Errorf("%w: the response names no video, and none was given", ErrNoVideo)
	default:
		err = checkIdents(model, videoID, kind, sourceID)
	}
	return model, videoID, kind, sourceID, err
}

// checkIdents checks what identifies a segment: the model, the video and,
// when the input gave it (not a file's name), the source.
func checkIdents(model, videoID, kind, sourceID string) error {
	if err := checkIdent("model name", model, MaxName); err != nil {
		return err
	}
	if err := checkIdent("video id", videoID, MaxID); err != nil {
		return err
	}
	if kind == SourceFile {
		return nil
	}
	if err := checkIdent("source kind", kind, MaxName); err != nil {
		return err
	}
	return checkIdent("source id", sourceID, MaxID)
}

// checkIdent rejects an identifier longer than max bytes or not valid
// UTF-8 (which the scanner keeps as written for this check; see
// scanner.ident).
func checkIdent(what, s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("%s %s is %w: longer than %d bytes", what, quote(s), ErrTooLarge, max)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s %s is %w", what, quote(s), ErrInvalidUTF8)
	}
	return nil
}

// fallbackVideoID names the video of a response that carries no id (a sync
// embed response): the file's name without its extensions.
func fallbackVideoID(name string) string {
	if name == "" || name == "-" {
		return ""
	}
	base := filepath.Base(name)
	for _, ext := range []string{".gz", ".json", ".jsonl", ".ndjson"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// CanonicalModel maps the spellings of one model to one name, so that
// "Marengo-retrieval-2.7" (embed endpoints) and "marengo2.7" (index model
// lists) share an embedding space.
//
// A name that is not valid UTF-8 comes back as it is (trimmed): lowering
// it would replace its bad bytes, which the import's checks reject.
func CanonicalModel(name string) string {
	m := strings.TrimSpace(name)
	if !utf8.ValidString(m) {
		return m
	}
	m = strings.ToLower(m)
	if rest, ok := strings.CutPrefix(m, "marengo-retrieval-"); ok {
		return "marengo" + rest
	}
	return m
}

func (d *decoder) deliver(p *pending) error {
	model, videoID, kind, sourceID, err := d.context(p)
	if err != nil {
		return d.docError(err)
	}
	return d.deliverAs(p, model, videoID, kind, sourceID)
}

// ownVideo is the video the input itself names for a segment of
// container, whatever Options.VideoID says: an indexed asset's (or a
// video's) id, a clipvec record's video_id; "" for embed tasks (which
// name only the task) and sync responses (which name nothing).
func (d *decoder) ownVideo(container byte) string {
	switch container {
	case cAssetSegments:
		return d.doc.id
	case cRecord:
		return d.doc.recVideoID
	case cParquetRow:
		return d.rowVideo
	}
	return ""
}

func (d *decoder) deliverAs(p *pending, model, videoID, kind, sourceID string) error {
	// A clipvec export declares its spaces (a JSONL header, a Parquet
	// footer), and a Parquet file's dim column gives each row's.
	declared := (p.container == cRecord || p.container == cParquetRow) && d.declared != nil
	want := d.opts.Dim
	if want == 0 && !declared && (p.container != cParquetRow || !d.rowDims) {
		want = d.dims[model]
	}
	if want != 0 && len(p.vec) != want {
		return d.recordError(p.container, p.index, p.line, &DimensionError{Model: model, Got: len(p.vec), Want: want})
	}
	if declared && !d.declared[Space{model, len(p.vec)}] {
		return d.recordError(p.container, p.index, p.line, &DimensionError{Model: model, Got: len(p.vec), Want: d.declaredDim(model)})
	}
	if err := checkTimes(p); err != nil {
		return d.recordError(p.container, p.index, p.line, err)
	}
	if err := checkIdent("embedding option", p.option, MaxName); err != nil {
		return d.recordError(p.container, p.index, p.line, err)
	}
	if err := checkIdent("embedding scope", p.scope, MaxName); err != nil {
		return d.recordError(p.container, p.index, p.line, err)
	}
	if p.scope == "asset" {
		// Embed API v2's word for the whole video: clipvec has one name
		// for it, so one scope filter finds both; the source kind
		// (embed-task-v2) keeps where it came from.
		p.scope = "video"
	}
	if d.dims[model] == 0 {
		d.dims[model] = len(p.vec)
	}
	seg := &d.seg
	*seg = Segment{
		VideoID: videoID, OwnVideoID: d.ownVideo(p.container), SourceKind: kind, SourceID: sourceID, Model: model,
		Option: p.option, Scope: p.scope, Start: p.start, End: p.end,
		Norm: p.norm, Vector: p.vec, Line: p.line,
	}
	seg.prefix, seg.container, seg.index = d.doc.prefix, p.container, p.index
	if err := d.h.Segment(seg); err != nil {
		return err
	}
	d.doc.delivered++
	d.stats.Segments++
	if d.stats.Segments%256 == 0 {
		if err := d.ctx.Err(); err != nil {
			return err
		}
		if d.opts.Progress != nil {
			d.opts.Progress(d.stats.Segments)
		}
	}
	return nil
}

// declaredDim is a dimension the header declared for model (0: none).
func (d *decoder) declaredDim(model string) int {
	for sp := range d.declared {
		if sp.Model == model {
			return sp.Dim
		}
	}
	return 0
}

// checkTimes fills in the times a whole-video segment may omit and
// rejects impossible ones.
func checkTimes(p *pending) error {
	if !p.hasStart {
		if p.scope == "clip" {
			return fmt.Errorf("%w: clip segment has no start time", ErrBadTime)
		}
		p.start = 0
	}
	if !p.hasEnd {
		if p.scope == "clip" {
			return fmt.Errorf("%w: clip segment has no end time", ErrBadTime)
		}
		p.end = p.start
	}
	switch {
	case p.start != p.start || p.end != p.end || p.start > 1e12 || p.end > 1e12:
		return fmt.Errorf("%w: start %v, end %v", ErrBadTime, p.start, p.end)
	case p.start < 0:
		return fmt.Errorf("%w: start %v is negative", ErrBadTime, p.start)
	case p.end < p.start:
		return fmt.Errorf("%w: end %v is before start %v", ErrBadTime, p.end, p.start)
	}
	return nil
}

func (d *decoder) notReady(doc *document) error {
	what := "the response"
	switch {
	case doc.shape&(1<<cAssetSegments) != 0 || doc.assetID != "" || doc.video.FPS != 0:
		what = "indexed asset " + brief(doc.id)
	case doc.id != "":
		what = "task " + brief(doc.id)
	}
	msg := fmt.Sprintf("%s is %s; retrieve it again once its status is \"ready\"", what, quote(doc.status))
	if doc.status == "failed" {
		msg = fmt.Sprintf("%s failed upstream", what)
		if doc.failure != "" {
			msg += ": " + brief(doc.failure)
		}
	}
	return d.docError(fmt.Errorf("%w: %s", ErrNotReady, msg))
}

// finish ends a document: resolves what it is, delivers spooled segments
// and its video metadata, or says why it has no vectors.
func (d *decoder) finish(doc *document) error {
	if doc.recHasVector || doc.typ == "segment" || doc.typ == "video" || doc.typ == "header" ||
		(doc.recVideoID != "" && doc.shape == 0) {
		d.jsonl = true
		return d.record(doc)
	}
	if doc.hasStatus && doc.status != "ready" && doc.shape != 0 {
		return d.notReady(doc)
	}
	if doc.spooled > 0 {
		var model, videoID, kind, sourceID string
		var resolved byte = 0xff
		err := d.spool.replay(func(p *pending) error {
			if p.container != resolved {
				var err error
				if model, videoID, kind, sourceID, err = d.context(p); err != nil {
					return d.docError(err)
				}
				resolved = p.container
			}
			return d.deliverAs(p, model, videoID, kind, sourceID)
		})
		if err != nil {
			return err
		}
	}
	if doc.delivered > 0 {
		d.stats.QueryEmbeddings += doc.queries
		v := doc.video
		v.ID = d.opts.VideoID
		if v.ID == "" {
			v.ID = cmp.Or(doc.id, fallbackVideoID(d.opts.Name))
		}
		return d.h.Video(&v)
	}
	if doc.shape != 0 && d.stats.Skipped > 0 {
		return nil // every segment was invalid and skipped
	}
	return d.docError(d.whyNoVectors(doc))
}

// whyNoVectors explains a document that yielded no segments.
func (d *decoder) whyNoVectors(doc *document) error {
	switch {
	case doc.isError:
		msg := "the file is an API error response"
		if doc.errCode != "" {
			msg += " (" + brief(doc.errCode) + ")"
		}
		if doc.errMessage != "" {
			msg += ": " + brief(doc.errMessage)
		}
		return fmt.Errorf("%w: %s", ErrNoVectors, msg)
	case doc.hasStatus && doc.status != "ready":
		return d.notReady(doc).(*Error).Err
	case doc.queries > 0:
		return fmt.Errorf("%w: the file holds %s query embedding(s), not video segments; "+
			"search with it as a query vector instead", ErrQueryVectors, strings.Join(doc.queryKinds, " and "))
	case doc.searchItems > 0:
		return fmt.Errorf("%w: the file is a search response; search results carry no vectors", ErrNoVectors)
	case doc.listItems > 0 || doc.pageInfo:
		return fmt.Errorf("%w: the file is a list response (%d items) and list items carry no vectors; "+
			"retrieve each item (an embed task, or an indexed asset with embedding_option) and import that", ErrNoVectors, doc.listItems)
	case doc.shape != 0:
		return fmt.Errorf("%w: the response has an empty segment list", ErrNoVectors)
	case doc.id != "" && (doc.model != "" || doc.hasStatus) && doc.video.Filename != "":
		id := brief(doc.id)
		return fmt.Errorf("%w: embed task %s has no segments in this response: retrieve it with GET /embed/tasks/%s", ErrNoVectors, id, id)
	case doc.id != "" && doc.video.FPS+doc.video.Duration != 0:
		return fmt.Errorf("%w: %s was retrieved without embeddings: retrieve it again with ?embedding_option=visual&embedding_option=audio", ErrNoVectors, brief(doc.id))
	case doc.id != "" && len(doc.keys) <= 4:
		return fmt.Errorf("%w: the file is a create response (id %s); retrieve the task or asset once it is ready and import that", ErrNoVectors, brief(doc.id))
	}
	keys := doc.keys
	if len(keys) == 0 {
		return fmt.Errorf("%w: the document is an empty object", ErrUnknownShape)
	}
	return fmt.Errorf("%w (top-level keys: %s): want an embed task, embed-v2 task or response, indexed asset, video, or clipvec JSONL",
		ErrUnknownShape, strings.Join(keys, ", "))
}

// addQuery counts a text or image embedding of the document: a query,
// not a segment. Only the count and the kinds are kept, however many.
func (doc *document) addQuery(kind string) {
	doc.queries++
	if !slices.Contains(doc.queryKinds, kind) {
		doc.queryKinds = append(doc.queryKinds, kind)
		sort.Strings(doc.queryKinds)
	}
}

// record handles a clipvec JSONL line: a header, a video or a segment.
func (d *decoder) record(doc *document) error {
	switch doc.typ {
	case "header":
		if doc.version > FormatVersion {
			return d.docError(fmt.Errorf("%w: clipvec export version %d is newer than this clipvec reads (%d)", ErrUnknownShape, doc.version, FormatVersion))
		}
		if len(doc.spaces) > 0 {
			d.declared = map[Space]bool{}
			for _, sp := range doc.spaces {
				d.declared[sp] = true
			}
		}
		return nil
	case "video":
		v := doc.video
		v.ID = cmp.Or(d.opts.VideoID, doc.recVideoID)
		if v.ID == "" {
			return d.docError(fmt.Errorf("%w: video record has no video_id", ErrMissingField))
		}
		if err := checkIdent("video id", v.ID, MaxID); err != nil {
			return d.docError(err)
		}
		return d.h.Video(&v)
	case "", "segment":
	default:
		return d.docError(fmt.Errorf("%w: unknown record type %s", ErrUnknownShape, quote(doc.typ)))
	}
	p := pending{container: cRecord, line: doc.line, option: doc.recOption, scope: doc.recScope,
		start: doc.recStart, end: doc.recEnd, hasStart: doc.recHasStart, hasEnd: doc.recHasEnd}
	if p.scope == "" {
		p.scope = "clip"
	}
	if !doc.recHasVector {
		return d.recordError(cRecord, 0, p.line, fmt.Errorf("%w: segment record has no embedding", ErrMissingField))
	}
	if doc.recVectorErr != nil {
		return d.recordError(cRecord, 0, p.line, doc.recVectorErr)
	}
	if err := vecmath.Validate(doc.recVector); err != nil {
		return d.recordError(cRecord, 0, p.line, err)
	}
	// A record written by clipvec export carries its unit vector and the
	// original norm: keep the vector's bits as they are, so an export
	// round-trips exactly. Anything else is normalised here.
	if doc.recHasNorm && doc.recNorm > 0 && vecmath.IsUnit(doc.recVector, 1e-4) {
		p.norm = doc.recNorm
	} else {
		norm, err := vecmath.Normalize(doc.recVector)
		if err != nil {
			return d.recordError(cRecord, 0, p.line, err)
		}
		p.norm = norm
	}
	p.vec = doc.recVector
	model := CanonicalModel(cmp.Or(doc.model, d.opts.Model))
	videoID := cmp.Or(d.opts.VideoID, doc.recVideoID)
	if model == "" {
		return d.recordError(cRecord, 0, p.line, fmt.Errorf("%w: segment record has no model, and none was given", ErrNoModel))
	}
	if videoID == "" {
		return d.recordError(cRecord, 0, p.line, fmt.Errorf("%w: segment record has no video_id, and none was given", ErrNoVideo))
	}
	kind, sourceID := doc.recSourceKind, doc.recSourceID
	if kind == "" {
		kind, sourceID = SourceFile, d.opts.Name
	}
	if err := checkIdents(model, videoID, kind, sourceID); err != nil {
		return d.recordError(cRecord, 0, p.line, err)
	}
	if err := d.deliverAs(&p, model, videoID, kind, sourceID); err != nil {
		return err
	}
	if doc.recHasVideoMeta || doc.video.UserMetadata != nil {
		v := doc.video
		v.ID = videoID
		return d.h.Video(&v)
	}
	return nil
}
