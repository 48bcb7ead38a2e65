package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/clipvec/clipvec/internal/rawview"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// columns holds, for every node of a space's graph (indexed by node id),
// what searches filter on and hits report: the store's segment id, the
// video, modality, scope, times, provenance and norm. Short strings are
// interned in small tables.
type columns struct {
	seg    []int64
	video  []int32  // index into videos
	option []uint8  // index into options
	scope  []uint8  // index into scopes
	kind   []uint8  // index into kinds
	source []uint32 // index into sources
	start  []float64
	end    []float64
	norm   []float64

	videos  []string
	options []string
	scopes  []string
	kinds   []string
	sources []string

	videoIdx  map[string]int32
	optionIdx map[string]uint8
	scopeIdx  map[string]uint8
	kindIdx   map[string]uint8
	sourceIdx map[string]uint32

	// optionCount and scopeCount count nodes (dead ones included) per
	// option and scope index: upper bounds on what a filter lets through.
	optionCount [256]int
	scopeCount  [256]int

	// videoNodes lists each video's nodes (dead ones included), for
	// scanning a small set of allowed videos exactly. It is built on
	// first use (loading a million-node snapshot should not pay for it),
	// then kept up by add.
	videoNodesOnce sync.Once
	videoNodes     [][]uint32
}

// nodesOf returns the nodes of video index v. Safe under the index's
// read lock: the first call builds the lists once.
func (c *columns) nodesOf(v int) []uint32 {
	c.videoNodesOnce.Do(func() {
		nodes := make([][]uint32, len(c.videos))
		for node, v := range c.video {
			nodes[v] = append(nodes[v], uint32(node))
		}
		c.videoNodes = nodes
	})
	return c.videoNodes[v]
}

func newColumns() *columns {
	c := &columns{}
	c.index()
	return c
}

// index rebuilds the lookup maps from the tables.
func (c *columns) index() {
	c.videoIdx = make(map[string]int32, len(c.videos))
	for i, v := range c.videos {
		c.videoIdx[v] = int32(i)
	}
	c.optionIdx = intern8(c.options)
	c.scopeIdx = intern8(c.scopes)
	c.kindIdx = intern8(c.kinds)
	c.sourceIdx = make(map[string]uint32, len(c.sources))
	for i, s := range c.sources {
		c.sourceIdx[s] = uint32(i)
	}
	for i := range c.option {
		c.optionCount[c.option[i]]++
		c.scopeCount[c.scope[i]]++
	}
}

// countUpTo returns an upper bound on the rows rf lets through, from the
// option and scope counts.
func (c *columns) countUpTo(rf *rowFilter) int {
	bound := c.len()
	if rf.optionOK != nil {
		n := 0
		for i, ok := range rf.optionOK {
			if ok {
				n += c.optionCount[i]
			}
		}
		bound = min(bound, n)
	}
	if rf.scopeOK != nil {
		n := 0
		for i, ok := range rf.scopeOK {
			if ok {
				n += c.scopeCount[i]
			}
		}
		bound = min(bound, n)
	}
	return bound
}

func intern8(names []string) map[string]uint8 {
	m := make(map[string]uint8, len(names))
	for i, s := range names {
		m[s] = uint8(i)
	}
	return m
}

func (c *columns) len() int { return len(c.seg) }

var errTooMany = errors.New("more than 255 distinct options, scopes or source kinds in one space")

func id8(m map[string]uint8, names *[]string, s string) (uint8, error) {
	if i, ok := m[s]; ok {
		return i, nil
	}
	if len(*names) == math.MaxUint8 {
		return 0, errTooMany
	}
	i := uint8(len(*names))
	m[s] = i
	*names = append(*names, s)
	return i, nil
}

// add appends a row for the next node.
func (c *columns) add(s *sqlite.Segment) error {
	v, ok := c.videoIdx[s.VideoID]
	if !ok {
		v = int32(len(c.videos))
		c.videoIdx[s.VideoID] = v
		c.videos = append(c.videos, s.VideoID)
		if c.videoNodes != nil {
			c.videoNodes = append(c.videoNodes, nil)
		}
	}
	o, err := id8(c.optionIdx, &c.options, s.Option)
	if err != nil {
		return err
	}
	sc, err := id8(c.scopeIdx, &c.scopes, s.Scope)
	if err != nil {
		return err
	}
	k, err := id8(c.kindIdx, &c.kinds, s.SourceKind)
	if err != nil {
		return err
	}
	src, ok := c.sourceIdx[s.SourceID]
	if !ok {
		src = uint32(len(c.sources))
		c.sourceIdx[s.SourceID] = src
		c.sources = append(c.sources, s.SourceID)
	}
	if c.videoNodes != nil {
		c.videoNodes[v] = append(c.videoNodes[v], uint32(len(c.seg)))
	}
	c.optionCount[o]++
	c.scopeCount[sc]++
	c.seg = append(c.seg, s.ID)
	c.video = append(c.video, v)
	c.option = append(c.option, o)
	c.scope = append(c.scope, sc)
	c.kind = append(c.kind, k)
	c.source = append(c.source, src)
	c.start = append(c.start, s.Start)
	c.end = append(c.end, s.End)
	c.norm = append(c.norm, s.Norm)
	return nil
}

// segment returns node i's row as a segment without its vector.
func (c *columns) segment(i int, model string) sqlite.Segment {
	return sqlite.Segment{ID: c.seg[i], VideoID: c.videos[c.video[i]],
		SourceKind: c.kinds[c.kind[i]], SourceID: c.sources[c.source[i]],
		Model: model, Option: c.options[c.option[i]], Scope: c.scopes[c.scope[i]],
		Start: c.start[i], End: c.end[i], Norm: c.norm[i]}
}

// Encoding (a snapshot section, little-endian): version uint32, padding,
// n uint64; then seg int64[n], start, end, norm float64[n], video
// int32[n], source uint32[n], option, scope, kind uint8[n], padding to 8;
// then the tables videos, options, scopes, kinds, sources, each a uint32
// count and, per string, a uint32 length and its bytes.
const columnsVersion = 1

var errColumns = errors.New("corrupt index columns")

func (c *columns) encode() []byte {
	n := c.len()
	b := make([]byte, 0, 16+n*48+1024)
	b = binary.LittleEndian.AppendUint32(b, columnsVersion)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(n))
	b = append(b, rawview.Bytes(c.seg)...)
	b = append(b, rawview.Bytes(c.start)...)
	b = append(b, rawview.Bytes(c.end)...)
	b = append(b, rawview.Bytes(c.norm)...)
	b = append(b, rawview.Bytes(c.video)...)
	b = append(b, rawview.Bytes(c.source)...)
	b = append(b, c.option...)
	b = append(b, c.scope...)
	b = append(b, c.kind...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	for _, table := range [][]string{c.videos, c.options, c.scopes, c.kinds, c.sources} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(table)))
		for _, s := range table {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
			b = append(b, s...)
		}
	}
	return b
}

// decodeColumns reads encode's output (8-byte aligned; its arrays are
// used in place) for a graph of n nodes, checking every index.
func decodeColumns(b []byte, n int) (*columns, error) {
	if len(b) < 16 || binary.LittleEndian.Uint32(b) != columnsVersion {
		return nil, fmt.Errorf("%w: header", errColumns)
	}
	if got := binary.LittleEndian.Uint64(b[8:]); got != uint64(n) {
		return nil, fmt.Errorf("%w: %d rows for %d nodes", errColumns, got, n)
	}
	off := 16
	take := func(size int) ([]byte, error) {
		if size < 0 || off+size > len(b) {
			return nil, fmt.Errorf("%w: truncated", errColumns)
		}
		s := b[off : off+size : off+size]
		off += size
		return s, nil
	}
	c := &columns{}
	var err error
	var raw []byte
	if raw, err = take(8 * n); err != nil {
		return nil, err
	}
	c.seg = rawview.As[int64](raw)
	for _, dst := range []*[]float64{&c.start, &c.end, &c.norm} {
		if raw, err = take(8 * n); err != nil {
			return nil, err
		}
		*dst = rawview.As[float64](raw)
	}
	if raw, err = take(4 * n); err != nil {
		return nil, err
	}
	c.video = rawview.As[int32](raw)
	if raw, err = take(4 * n); err != nil {
		return nil, err
	}
	c.source = rawview.As[uint32](raw)
	for _, dst := range []*[]uint8{&c.option, &c.scope, &c.kind} {
		if *dst, err = take(n); err != nil {
			return nil, err
		}
	}
	off = (off + 7) &^ 7
	for _, dst := range []*[]string{&c.videos, &c.options, &c.scopes, &c.kinds, &c.sources} {
		raw, err := take(4)
		if err != nil {
			return nil, err
		}
		count := int(binary.LittleEndian.Uint32(raw))
		if count > len(b) {
			return nil, fmt.Errorf("%w: table of %d strings", errColumns, count)
		}
		table := make([]string, count)
		for i := range table {
			raw, err := take(4)
			if err != nil {
				return nil, err
			}
			s, err := take(int(binary.LittleEndian.Uint32(raw)))
			if err != nil {
				return nil, err
			}
			table[i] = string(s)
		}
		*dst = table
	}
	if off != len(b) {
		return nil, fmt.Errorf("%w: %d trailing bytes", errColumns, len(b)-off)
	}
	if len(c.options) > 255 || len(c.scopes) > 255 || len(c.kinds) > 255 {
		return nil, fmt.Errorf("%w: table too long", errColumns)
	}
	for i := 0; i < n; i++ {
		if int(c.video[i]) >= len(c.videos) || c.video[i] < 0 || int(c.option[i]) >= len(c.options) ||
			int(c.scope[i]) >= len(c.scopes) || int(c.kind[i]) >= len(c.kinds) || int(c.source[i]) >= len(c.sources) {
			return nil, fmt.Errorf("%w: row %d points outside a table", errColumns, i)
		}
	}
	c.index()
	return c, nil
}
