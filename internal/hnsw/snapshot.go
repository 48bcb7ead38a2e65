package hnsw

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/clipvec/clipvec/internal/atomicfile"
	"github.com/clipvec/clipvec/internal/rawview"
)

// Snapshot file format, version 2. All integers little-endian.
//
//	offset 0   magic "CLIPVHNS"
//	       8   version      uint32 (2)
//	      12   header size  uint32 (H)
//	      16   header       H bytes: the fixed header (see header), then
//	                        the owner's length uint32 (L) and L bytes
//	  16 + H   header CRC   uint32 (CRC-32C of the header)
//	  20 + H   padding to 8
//	then sections until the end section:
//	           id           uint32
//	           flags        uint32 (0)
//	           size         uint64 (S)
//	           payload      S bytes, then padding to 8
//	           CRC          uint32 (CRC-32C of the payload), padding uint32
//
// The end section has id 0 and an 8-byte payload: the number of sections
// before it, so a file cut at a section boundary is caught.
//
// The owner is the caller's stamp (Meta.Owner: the engine records which
// database, which of its states and which embedding space the graph was
// built from), in the header so ReadInfo reads it without the sections.
// Version 1 is version 2 without the owner (H is the fixed header alone);
// it still loads, with an empty owner.
//
// Section payloads are the graph's arrays as they are in memory
// (vectors, links, ...), aligned to 8 bytes, so Load reads the file with
// one read and points the arrays at the buffer without parsing a value.
// Sections with ids of 1000 and up belong to the caller (Save's extra):
// the engine stores the columns it filters on there, so one file holds
// everything a space needs.
const (
	magic         = "CLIPVHNS"
	formatVersion = 2
	firstUserID   = 1000
	// MaxOwnerBytes bounds Meta.Owner, and with it the header a reader
	// must take in before it can check anything.
	MaxOwnerBytes = 16 << 10
	crcChunk      = 4 << 20
)

const (
	secEnd = iota
	secVectors
	secLabels
	secLevels
	secLinks0
	secUpper
	secDead
	secQVectors
	secQScale
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// littleEndian: sections hold arrays exactly as they are in memory, which
// is the file's byte order only on little-endian machines (amd64, arm64).
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// ErrCorrupt is wrapped by every error Load returns for a file that is
// not a valid snapshot (truncated, bit flips, wrong magic, inconsistent
// counts). A corrupt snapshot is never partly loaded.
var ErrCorrupt = errors.New("corrupt snapshot")

// ErrVersion is returned for a snapshot written by a newer format.
var ErrVersion = errors.New("unsupported snapshot version")

// header is the fixed part of a snapshot.
type header struct {
	Dim            uint32
	M              uint32
	EfConstruction uint32
	EfSearch       uint32
	Seed           uint64
	Quantize       uint32
	Entry          uint32
	Top            uint32
	_              uint32
	Count          uint64
	Deleted        uint64
	Generation     int64
}

// Meta is what a snapshot records besides the graph: the generation of
// the store it reflects, and its owner's stamp, opaque to this package
// (at most MaxOwnerBytes).
type Meta struct {
	Generation int64
	Owner      []byte
}

// Section is a caller's block of bytes stored in a snapshot.
type Section struct {
	ID   uint32 // 1000 or more
	Data []byte
}

// Save writes the graph and extra to path atomically: to a temporary file
// in the same directory, synced, renamed over path, and the directory
// synced, so a crash leaves either the old file or the new one. Inserts
// and deletes wait while it writes; searches do not.
func (g *Graph) Save(path string, meta Meta, extra ...Section) (err error) {
	if !littleEndian {
		return errors.New("save snapshot: snapshots are little-endian and this machine is not")
	}
	if len(meta.Owner) > MaxOwnerBytes {
		return fmt.Errorf("save snapshot: owner stamp of %d bytes, at most %d", len(meta.Owner), MaxOwnerBytes)
	}
	for _, s := range extra {
		if s.ID < firstUserID {
			return fmt.Errorf("save snapshot: section id %d is reserved (use %d or more)", s.ID, firstUserID)
		}
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	g.mu.RLock()
	defer g.mu.RUnlock()

	err = atomicfile.Write(path, func(f io.Writer) error {
		w := &snapWriter{w: bufio.NewWriterSize(f, 4<<20)}
		w.graph(g, meta, extra)
		if w.err != nil {
			return w.err
		}
		return w.w.Flush()
	})
	if err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	return nil
}

type snapWriter struct {
	w   *bufio.Writer
	n   int64
	err error
	pad [8]byte
}

func (w *snapWriter) write(b []byte) {
	if w.err != nil {
		return
	}
	var n int
	n, w.err = w.w.Write(b)
	w.n += int64(n)
}

func (w *snapWriter) align() {
	if r := w.n % 8; r != 0 {
		w.write(w.pad[:8-r])
	}
}

func (w *snapWriter) u32(v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	w.write(b[:])
}

func (w *snapWriter) u64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	w.write(b[:])
}

func (w *snapWriter) section(id uint32, payload []byte) {
	w.u32(id)
	w.u32(0)
	w.u64(uint64(len(payload)))
	w.write(payload)
	w.align()
	for off := 0; off < len(payload); off += crcChunk {
		w.u32(crc32.Checksum(payload[off:min(off+crcChunk, len(payload))], castagnoli))
	}
	w.align()
}

// chunkCount is the number of CRCs after a section of size bytes.
func chunkCount(size int) int { return (size + crcChunk - 1) / crcChunk }

func (w *snapWriter) graph(g *Graph, meta Meta, extra []Section) {
	n := int(g.count.Load())
	ep, top := g.entryPoint()
	h := header{
		Dim: uint32(g.dim), M: uint32(g.m), EfConstruction: uint32(g.cfg.EfConstruction), EfSearch: uint32(g.cfg.EfSearch),
		Seed: g.cfg.Seed, Entry: ep, Top: uint32(top), Count: uint64(n), Deleted: uint64(g.deleted.Load()), Generation: meta.Generation,
	}
	if g.cfg.Quantize {
		h.Quantize = 1
	}
	hb := make([]byte, binary.Size(h), binary.Size(h)+4+len(meta.Owner))
	binary.Encode(hb, binary.LittleEndian, h)
	hb = binary.LittleEndian.AppendUint32(hb, uint32(len(meta.Owner)))
	hb = append(hb, meta.Owner...)
	w.write([]byte(magic))
	w.u32(formatVersion)
	w.u32(uint32(len(hb)))
	w.write(hb)
	w.u32(crc32.Checksum(hb, castagnoli))
	w.align()

	sections := 0
	sec := func(id uint32, b []byte) {
		w.section(id, b)
		sections++
	}
	sec(secVectors, rawview.Bytes(g.vecs[:n*g.dim]))
	sec(secLabels, rawview.Bytes(g.labels[:n]))
	sec(secLevels, g.levels[:n])
	// Save holds writeMu, which every writer of links holds shared: the
	// lists cannot change while they are written, so they need no copy.
	sec(secLinks0, rawview.Bytes(g.links0[:n*(g.m0+1)]))
	size := 0
	for i := 0; i < n; i++ {
		size += len(g.upper[i])
	}
	upper := make([]uint32, 0, size)
	for i := 0; i < n; i++ {
		upper = append(upper, g.upper[i]...)
	}
	sec(secUpper, rawview.Bytes(upper))
	sec(secDead, rawview.Bytes(g.dead[:(n+63)/64]))
	if g.cfg.Quantize {
		sec(secQVectors, rawview.Bytes(g.qvecs[:n*g.dim]))
		sec(secQScale, rawview.Bytes(g.qscale[:n]))
	}
	for _, s := range extra {
		sec(s.ID, s.Data)
	}
	var end [8]byte
	binary.LittleEndian.PutUint64(end[:], uint64(sections))
	w.section(secEnd, end[:])
}

// Load maps a snapshot into memory (on Linux; elsewhere it reads the
// file with one read) and points the graph's arrays at it (no per-vector
// parsing), after checking every CRC, on all cores, and that every count,
// level and link is in range: a damaged file gives an error wrapping
// ErrCorrupt, never a panic or a graph that could crash a search. It
// returns the snapshot's Meta and the caller's sections (copies).
func Load(path string) (g *Graph, meta Meta, extra []Section, err error) {
	f, info, err := openRegular(path)
	if err != nil {
		return nil, Meta{}, nil, err
	}
	defer f.Close()
	size := info.Size()
	if size > math.MaxInt-8 {
		return nil, Meta{}, nil, fmt.Errorf("load snapshot %s: %w: size %d", path, ErrCorrupt, size)
	}
	buf, release, err := mapFile(f, size)
	if err != nil {
		return nil, Meta{}, nil, fmt.Errorf("load snapshot %s: %w", path, err)
	}
	g, meta, extra, err = Decode(buf)
	if err != nil {
		release()
		return nil, Meta{}, nil, fmt.Errorf("load snapshot %s: %w", path, err)
	}
	meta.Owner = bytes.Clone(meta.Owner)
	// The caller's sections are copied out, so the graph holds the only
	// references into the buffer, which is released when the graph is
	// garbage.
	for i := range extra {
		extra[i].Data = append([]byte(nil), extra[i].Data...)
	}
	g.buffer = &buffer{release: release}
	runtime.SetFinalizer(g.buffer, func(b *buffer) { b.release() })
	return g, meta, extra, nil
}

// ErrNotRegular is returned for a snapshot path that holds something
// other than a regular file (a FIFO, a device, a directory).
var ErrNotRegular = errors.New("not a regular file")

// openRegular opens path for reading without blocking (a FIFO put where
// a snapshot belongs would block an open, and a read, until a writer
// came) and refuses anything but a regular file.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("snapshot %s: %w (%s)", path, ErrNotRegular, info.Mode().Type())
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// buffer owns the memory a loaded graph's arrays point into.
type buffer struct{ release func() }

// readFile reads a whole file into an 8-byte-aligned buffer (where
// mapping is not available).
func readFile(f *os.File, size int64) ([]byte, func(), error) {
	backing := make([]uint64, (size+7)/8)
	adviseHuge(backing)
	buf := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(backing))), len(backing)*8)[:size]
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, nil, err
	}
	return buf, func() {}, nil
}

// Decode builds a graph from a snapshot held in buf, which must be 8-byte
// aligned and is used, not copied: the graph's arrays point into it.
// The Meta's Owner points into buf.
func Decode(buf []byte) (*Graph, Meta, []Section, error) {
	if !littleEndian {
		return nil, Meta{}, nil, errors.New("snapshots are little-endian and this machine is not")
	}
	if len(buf) > 0 && uintptr(unsafe.Pointer(&buf[0]))%8 != 0 {
		return nil, Meta{}, nil, errors.New("decode snapshot: buffer not 8-byte aligned")
	}
	h, err := parseHeader(buf)
	if err != nil {
		return nil, Meta{}, nil, err
	}
	d := &snapReader{buf: buf, off: (h.end + 7) &^ 7}
	cfg := h.config()
	switch {
	case h.Dim == 0 || h.Dim > 1<<16, h.M < 2 || h.M > 256, h.EfConstruction == 0, h.EfSearch == 0, h.Quantize > 1,
		h.Count > 1<<32-2, h.Deleted > h.Count, h.Top > maxLevel:
		return nil, Meta{}, nil, fmt.Errorf("%w: header values out of range", ErrCorrupt)
	}
	g, err := New(int(h.Dim), cfg)
	if err != nil {
		return nil, Meta{}, nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	n, dim := int(h.Count), int(h.Dim)

	secs := map[uint32][]byte{}
	var extra []Section
	count := 0
	for {
		id, payload, err := d.section()
		if err != nil {
			return nil, Meta{}, nil, err
		}
		if id == secEnd {
			if len(payload) != 8 || binary.LittleEndian.Uint64(payload) != uint64(count) {
				return nil, Meta{}, nil, fmt.Errorf("%w: end section does not match %d sections", ErrCorrupt, count)
			}
			if d.off != len(buf) {
				return nil, Meta{}, nil, fmt.Errorf("%w: %d bytes after the end section", ErrCorrupt, len(buf)-d.off)
			}
			if err := d.verify(); err != nil {
				return nil, Meta{}, nil, err
			}
			break
		}
		count++
		if _, dup := secs[id]; dup {
			return nil, Meta{}, nil, fmt.Errorf("%w: section %d twice", ErrCorrupt, id)
		}
		secs[id] = payload
		if id >= firstUserID {
			extra = append(extra, Section{ID: id, Data: payload})
		}
	}
	need := func(id uint32, bytes int) ([]byte, error) {
		b, ok := secs[id]
		if !ok {
			return nil, fmt.Errorf("%w: section %d missing", ErrCorrupt, id)
		}
		if len(b) != bytes {
			return nil, fmt.Errorf("%w: section %d has %d bytes, want %d", ErrCorrupt, id, len(b), bytes)
		}
		return b, nil
	}
	vb, err := need(secVectors, n*dim*4)
	if err != nil {
		return nil, Meta{}, nil, err
	}
	lb, err := need(secLabels, n*8)
	if err != nil {
		return nil, Meta{}, nil, err
	}
	levels, err := need(secLevels, n)
	if err != nil {
		return nil, Meta{}, nil, err
	}
	m0 := 2 * int(h.M)
	kb, err := need(secLinks0, n*(m0+1)*4)
	if err != nil {
		return nil, Meta{}, nil, err
	}
	upperLen := 0
	for _, l := range levels {
		if l > maxLevel {
			return nil, Meta{}, nil, fmt.Errorf("%w: node level %d", ErrCorrupt, l)
		}
		upperLen += int(l) * (int(h.M) + 1)
	}
	ub, err := need(secUpper, upperLen*4)
	if err != nil {
		return nil, Meta{}, nil, err
	}
	db, err := need(secDead, (n+63)/64*8)
	if err != nil {
		return nil, Meta{}, nil, err
	}
	g.vecs = rawview.As[float32](vb)
	g.labels = rawview.As[int64](lb)
	g.levels = levels
	g.links0 = rawview.As[uint32](kb)
	upper := rawview.As[uint32](ub)
	g.dead = rawview.As[uint64](db)
	if cfg.Quantize {
		qb, err := need(secQVectors, n*dim)
		if err != nil {
			return nil, Meta{}, nil, err
		}
		sb, err := need(secQScale, n*4)
		if err != nil {
			return nil, Meta{}, nil, err
		}
		g.qvecs = rawview.As[int8](qb)
		g.qscale = rawview.As[float32](sb)
	}

	// Every link must point at a node, every count fit its list, and the
	// entry point be a node of the top level: a search trusts all three.
	g.upper = make([][]uint32, n)
	off := 0
	for i := 0; i < n; i++ {
		if l := int(levels[i]); l > 0 {
			size := l * (int(h.M) + 1)
			g.upper[i] = upper[off : off+size : off+size]
			off += size
		}
	}
	if err := g.checkLinks(n); err != nil {
		return nil, Meta{}, nil, err
	}
	dead := 0
	for i, w := range g.dead {
		if i == len(g.dead)-1 && n%64 != 0 && w>>(n%64) != 0 {
			return nil, Meta{}, nil, fmt.Errorf("%w: tombstone bits past the last node", ErrCorrupt)
		}
		dead += bits.OnesCount64(w)
	}
	if uint64(dead) != h.Deleted {
		return nil, Meta{}, nil, fmt.Errorf("%w: %d tombstones, header says %d", ErrCorrupt, dead, h.Deleted)
	}
	switch {
	case n == 0 && h.Entry != none:
		return nil, Meta{}, nil, fmt.Errorf("%w: empty graph with an entry point", ErrCorrupt)
	case n > 0 && (h.Entry >= uint32(n) || uint32(levels[h.Entry]) != h.Top):
		return nil, Meta{}, nil, fmt.Errorf("%w: entry point %d", ErrCorrupt, h.Entry)
	}
	g.locks = make([]sync.Mutex, n)
	g.count.Store(int64(n))
	g.deleted.Store(int64(dead))
	g.entry.Store(packEntry(h.Entry, int(h.Top)))
	return g, Meta{Generation: h.Generation, Owner: h.owner}, extra, nil
}

// checkLinks verifies every link list of nodes [0, n).
func (g *Graph) checkLinks(n int) error {
	check := func(list []uint32, node, l int) error {
		cnt := int(list[0])
		if cnt > len(list)-1 {
			return fmt.Errorf("%w: node %d layer %d has %d links, room for %d", ErrCorrupt, node, l, cnt, len(list)-1)
		}
		for _, x := range list[1 : 1+cnt] {
			if int(x) >= n {
				return fmt.Errorf("%w: node %d layer %d links to %d of %d nodes", ErrCorrupt, node, l, x, n)
			}
			if l > 0 && int(g.levels[x]) < l {
				return fmt.Errorf("%w: node %d layer %d links to node %d of level %d", ErrCorrupt, node, l, x, g.levels[x])
			}
		}
		return nil
	}
	for i := 0; i < n; i++ {
		if err := check(g.list(uint32(i), 0), i, 0); err != nil {
			return err
		}
		for l := 1; l <= int(g.levels[i]); l++ {
			if err := check(g.list(uint32(i), l), i, l); err != nil {
				return err
			}
		}
	}
	return nil
}

type snapReader struct {
	buf    []byte
	off    int
	chunks []chunk // every section's chunks, checked together at the end
}

// chunk is a piece of a section and the CRC it must have.
type chunk struct {
	section uint32
	data    []byte
	crc     uint32
}

// section reads the next section's header and payload; its checksums are
// recorded for verify.
func (d *snapReader) section() (uint32, []byte, error) {
	if d.off+16 > len(d.buf) {
		return 0, nil, fmt.Errorf("%w: truncated before a section header at byte %d", ErrCorrupt, d.off)
	}
	id := binary.LittleEndian.Uint32(d.buf[d.off:])
	size := binary.LittleEndian.Uint64(d.buf[d.off+8:])
	start := d.off + 16
	if size > uint64(len(d.buf)-start) {
		return 0, nil, fmt.Errorf("%w: section %d of %d bytes runs past the end", ErrCorrupt, id, size)
	}
	end := start + int(size)
	padded := (end + 7) &^ 7
	crcs := chunkCount(int(size))
	next := (padded + 4*crcs + 7) &^ 7
	if padded > len(d.buf) || next > len(d.buf) {
		return 0, nil, fmt.Errorf("%w: section %d truncated", ErrCorrupt, id)
	}
	payload := d.buf[start:end:end]
	for i := 0; i < crcs; i++ {
		d.chunks = append(d.chunks, chunk{section: id, data: payload[i*crcChunk : min((i+1)*crcChunk, len(payload))],
			crc: binary.LittleEndian.Uint32(d.buf[padded+4*i:])})
	}
	d.off = next
	return id, payload, nil
}

// verify checks every recorded chunk's CRC, on all cores.
func (d *snapReader) verify() error {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(d.chunks)))
	var next atomic.Int64
	var bad atomic.Int64
	bad.Store(-1)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(d.chunks) || bad.Load() >= 0 {
					return
				}
				if crc32.Checksum(d.chunks[i].data, castagnoli) != d.chunks[i].crc {
					bad.CompareAndSwap(-1, int64(i))
				}
			}
		}()
	}
	wg.Wait()
	if i := bad.Load(); i >= 0 {
		return fmt.Errorf("%w: section %d checksum mismatch", ErrCorrupt, d.chunks[i].section)
	}
	return nil
}

// Info describes a snapshot without loading it.
type Info struct {
	Config     Config
	Dim        int
	Nodes      int
	Deleted    int
	Generation int64
	// Owner is the caller's stamp (Meta.Owner); empty for a version 1
	// file.
	Owner []byte
	Bytes int64
}

// ReadInfo reads a snapshot's header (checking its CRC, not the
// sections'), for status reports.
func ReadInfo(path string) (Info, error) {
	f, st, err := openRegular(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	buf := make([]byte, 16)
	if _, err := io.ReadFull(f, buf); err != nil {
		return Info{}, fmt.Errorf("read snapshot %s: %w: %v", path, ErrCorrupt, err)
	}
	// The header's size is checked against the largest a writer makes
	// before anything that size is read.
	if hlen := binary.LittleEndian.Uint32(buf[12:]); hlen <= maxHeaderSize {
		buf = append(buf, make([]byte, hlen+4)...)
		if _, err := io.ReadFull(f, buf[16:]); err != nil {
			return Info{}, fmt.Errorf("read snapshot %s: %w: %v", path, ErrCorrupt, err)
		}
	}
	h, err := parseHeader(buf)
	if err != nil {
		return Info{}, fmt.Errorf("read snapshot %s: %w", path, err)
	}
	return Info{
		Config: h.config(),
		Dim:    int(h.Dim), Nodes: int(h.Count), Deleted: int(h.Deleted), Generation: h.Generation,
		Owner: bytes.Clone(h.owner), Bytes: st.Size(),
	}, nil
}

// fixedHeaderSize is the size of the fixed header; a version 2 header
// adds the owner's length and the owner, up to maxHeaderSize.
var (
	fixedHeaderSize = binary.Size(header{})
	maxHeaderSize   = uint32(fixedHeaderSize + 4 + MaxOwnerBytes)
)

// parsedHeader is a header as parseHeader read it.
type parsedHeader struct {
	header
	owner []byte // points into the buffer parsed
	end   int    // where the header's CRC ends
}

// parseHeader checks a snapshot's magic, version, header length and
// header CRC at the start of buf, and decodes the header.
func parseHeader(buf []byte) (parsedHeader, error) {
	var h parsedHeader
	if len(buf) < 16 || string(buf[:8]) != magic {
		return h, fmt.Errorf("%w: not a clipvec graph snapshot", ErrCorrupt)
	}
	v := binary.LittleEndian.Uint32(buf[8:])
	switch {
	case v > formatVersion:
		return h, fmt.Errorf("%w %d (this clipvec reads %d)", ErrVersion, v, formatVersion)
	case v == 0:
		return h, fmt.Errorf("%w: version %d", ErrCorrupt, v)
	}
	hlen := binary.LittleEndian.Uint32(buf[12:])
	if want := uint32(fixedHeaderSize); v == 1 && hlen != want || v == 2 && (hlen < want+4 || hlen > maxHeaderSize) {
		return h, fmt.Errorf("%w: header size %d", ErrCorrupt, hlen)
	}
	h.end = 20 + int(hlen)
	if h.end > len(buf) {
		return h, fmt.Errorf("%w: truncated in the header", ErrCorrupt)
	}
	hb := buf[16 : h.end-4]
	if crc32.Checksum(hb, castagnoli) != binary.LittleEndian.Uint32(buf[h.end-4:]) {
		return h, fmt.Errorf("%w: header checksum mismatch", ErrCorrupt)
	}
	if _, err := binary.Decode(hb[:fixedHeaderSize], binary.LittleEndian, &h.header); err != nil {
		return h, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if v == 2 {
		rest := hb[fixedHeaderSize:]
		if n := binary.LittleEndian.Uint32(rest); uint64(n) != uint64(len(rest)-4) {
			return h, fmt.Errorf("%w: owner of %d bytes in a header with room for %d", ErrCorrupt, n, len(rest)-4)
		}
		h.owner = rest[4:]
	}
	return h, nil
}

// config is the graph configuration a header records.
func (h header) config() Config {
	return Config{M: int(h.M), EfConstruction: int(h.EfConstruction), EfSearch: int(h.EfSearch), Seed: h.Seed, Quantize: h.Quantize == 1}
}
