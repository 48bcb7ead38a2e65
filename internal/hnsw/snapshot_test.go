package hnsw_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clipvec/clipvec/internal/atomicfile"
	"github.com/clipvec/clipvec/internal/hnsw"
)

func sameResults(t testing.TB, a, b *hnsw.Graph, queries []float32, dim int) {
	t.Helper()
	for i := 0; i < len(queries)/dim; i++ {
		q := queries[i*dim : (i+1)*dim]
		ra, rb := a.Search(q, 10, 50, nil, nil), b.Search(q, 10, 50, nil, nil)
		if len(ra) != len(rb) {
			t.Fatalf("query %d: %d vs %d results", i, len(ra), len(rb))
		}
		for j := range ra {
			if ra[j] != rb[j] {
				t.Fatalf("query %d: %+v vs %+v", i, ra[j], rb[j])
			}
		}
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, quant := range []bool{false, true} {
		t.Run(map[bool]string{false: "Float32", true: "Quantized"}[quant], func(t *testing.T) {
			const n, dim = 1200, 24
			vecs := clustered(31, n, dim, 8)
			g := build(t, vecs, dim, 2, hnsw.Config{Seed: 7, M: 12, EfConstruction: 80, EfSearch: 33, Quantize: quant})
			g.Delete(5)
			g.Delete(700)
			path := filepath.Join(t.TempDir(), "g.hnsw")
			extra := []hnsw.Section{{ID: 1000, Data: []byte("columns")}, {ID: 1001, Data: []byte{1, 2, 3}}}
			owner := []byte(`{"store":7}`)
			if err := g.Save(path, hnsw.Meta{Generation: 42, Owner: owner}, extra...); err != nil {
				t.Fatal(err)
			}
			back, meta, ext, err := hnsw.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			gen := meta.Generation
			if !bytes.Equal(meta.Owner, owner) {
				t.Errorf("owner %q, want %q", meta.Owner, owner)
			}
			info, err := hnsw.ReadInfo(path)
			if err != nil || info.Generation != 42 || !bytes.Equal(info.Owner, owner) || info.Nodes != n {
				t.Errorf("ReadInfo: %+v, %v", info, err)
			}
			if gen != 42 || back.Len() != n || back.Deleted() != 2 || back.Config() != g.Config() || back.Dim() != dim {
				t.Fatalf("loaded gen %d, %d nodes, %d deleted, config %+v", gen, back.Len(), back.Deleted(), back.Config())
			}
			if len(ext) != 2 || string(ext[0].Data) != "columns" || ext[1].ID != 1001 || !bytes.Equal(ext[1].Data, []byte{1, 2, 3}) {
				t.Fatalf("extra sections %+v", ext)
			}
			queries := clustered(32, 40, dim, 8)
			sameResults(t, g, back, queries, dim)
			if !back.IsDeleted(700) || back.IsDeleted(701) {
				t.Error("tombstones not restored")
			}
			// A loaded graph keeps growing.
			more := clustered(33, 300, dim, 8)
			if _, err := back.InsertBatch(context.Background(), more, labels(300), 2, nil); err != nil {
				t.Fatal(err)
			}
			if back.Len() != n+300 {
				t.Fatalf("Len after insert = %d", back.Len())
			}
			if r := meanRecall(back, append(vecs[:n*dim:n*dim], more...), queries, dim, 10, 150,
				func(id uint32) bool { return id != 5 && id != 700 }); r < 0.95 {
				t.Errorf("recall after loading and growing = %.3f", r)
			}
		})
	}
}

func TestSnapshotEmptyGraph(t *testing.T) {
	g, _ := hnsw.New(8, hnsw.Config{})
	path := filepath.Join(t.TempDir(), "e.hnsw")
	if err := g.Save(path, hnsw.Meta{Generation: 1}); err != nil {
		t.Fatal(err)
	}
	back, _, _, err := hnsw.Load(path)
	if err != nil || back.Len() != 0 {
		t.Fatalf("%v %v", back, err)
	}
	if _, err := back.Insert(make8(), 1); err != nil {
		t.Fatal(err)
	}
}

func make8() []float32 { return []float32{1, 0, 0, 0, 0, 0, 0, 0} }

func TestSnapshotCorruption(t *testing.T) {
	const n, dim = 300, 8
	g := build(t, clustered(34, n, dim, 4), dim, 1, hnsw.Config{Seed: 1, M: 4})
	path := filepath.Join(t.TempDir(), "c.hnsw")
	if err := g.Save(path, hnsw.Meta{Generation: 3}); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	decode := func(b []byte) error {
		aligned := make([]uint64, (len(b)+7)/8)
		buf := bytesView(aligned)[:len(b)]
		copy(buf, b)
		_, _, _, err := hnsw.Decode(buf)
		return err
	}
	if err := decode(good); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mod  func([]byte) []byte
	}{
		{"Empty", func(b []byte) []byte { return nil }},
		{"BadMagic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"Truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"TruncatedAtEnd", func(b []byte) []byte { return b[:len(b)-24] }},
		{"FlippedVectorBit", func(b []byte) []byte { b[200] ^= 0x10; return b }},
		{"FlippedHeaderBit", func(b []byte) []byte { b[20] ^= 1; return b }},
		{"TrailingBytes", func(b []byte) []byte { return append(b, make([]byte, 8)...) }},
		// A version 2 header read as version 1: its size is not the fixed
		// header's.
		{"Version1Size", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 1); return b }},
		{"OwnerLengthPastHeader", func(b []byte) []byte {
			hlen := binary.LittleEndian.Uint32(b[12:])
			binary.LittleEndian.PutUint32(b[16+hlen-4:], 99)
			return b
		}},
		{"HugeHeader", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[12:], 1<<31); return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mod(append([]byte(nil), good...))
			if err := decode(b); !errors.Is(err, hnsw.ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
	t.Run("ErrVersion", func(t *testing.T) {
		b := append([]byte(nil), good...)
		binary.LittleEndian.PutUint32(b[8:], 3)
		if err := decode(b); !errors.Is(err, hnsw.ErrVersion) {
			t.Fatalf("err = %v, want ErrVersion", err)
		}
	})
}

// FuzzDecode: no input makes Decode panic, and whatever it accepts can be
// searched safely.
func FuzzDecode(f *testing.F) {
	const n, dim = 60, 4
	g := build(f, clustered(35, n, dim, 3), dim, 1, hnsw.Config{Seed: 1, M: 3})
	path := filepath.Join(f.TempDir(), "f.hnsw")
	if err := g.Save(path, hnsw.Meta{Generation: 1}); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Add(good[:100])
	f.Fuzz(func(t *testing.T, b []byte) {
		aligned := make([]uint64, (len(b)+7)/8)
		buf := bytesView(aligned)[:len(b)]
		copy(buf, b)
		back, _, _, err := hnsw.Decode(buf)
		if err != nil {
			return
		}
		q := []float32{0.5, 0.5, 0.5, 0.5}
		back.Search(q, 5, 20, nil, nil)
		back.Insert(q, 1)
		back.Search(q, 5, 20, nil, nil)
	})
}

// TestSnapshotV1Forever loads the committed version-1 snapshot: every
// future clipvec must read it (or say the format is too old, not crash).
func TestSnapshotV1Forever(t *testing.T) {
	g, meta, extra, err := hnsw.Load("testdata/v1-small.hnsw")
	if err != nil {
		t.Fatal(err)
	}
	gen := meta.Generation
	if len(meta.Owner) != 0 {
		t.Errorf("a version 1 snapshot has no owner, got %q", meta.Owner)
	}
	if gen != 17 || g.Len() != 200 || g.Dim() != 16 || g.Deleted() != 1 || len(extra) != 1 || string(extra[0].Data) != "clipvec v1 test section" {
		t.Fatalf("v1 snapshot: gen %d, %d nodes, dim %d, %d deleted, extra %v", gen, g.Len(), g.Dim(), g.Deleted(), extra)
	}
	vecs := clustered(36, 200, 16, 5)
	// Node 3's own vector finds node 3 first, label 1003.
	res := g.Search(vecs[3*16:4*16], 3, 50, nil, nil)
	if len(res) != 3 || res[0].ID != 3 || res[0].Label != 1003 {
		t.Fatalf("search in the v1 snapshot: %+v", res)
	}
	if !g.IsDeleted(199) {
		t.Error("node 199 should be deleted in the v1 snapshot")
	}
}

// TestSnapshotV2Forever loads the committed version-2 snapshot, with
// its owner stamp.
func TestSnapshotV2Forever(t *testing.T) {
	g, meta, extra, err := hnsw.Load("testdata/v2-small.hnsw")
	if err != nil {
		t.Fatal(err)
	}
	if meta.Generation != 18 || string(meta.Owner) != v2Owner || g.Len() != 200 || g.Dim() != 16 || g.Deleted() != 1 ||
		len(extra) != 1 || string(extra[0].Data) != "clipvec v2 test section" {
		t.Fatalf("v2 snapshot: meta %+v, %d nodes, dim %d, %d deleted, extra %v", meta, g.Len(), g.Dim(), g.Deleted(), extra)
	}
	res := g.Search(clustered(36, 200, 16, 5)[3*16:4*16], 3, 50, nil, nil)
	if len(res) != 3 || res[0].ID != 3 || res[0].Label != 1003 {
		t.Fatalf("search in the v2 snapshot: %+v", res)
	}
}

const v2Owner = `{"store":1234,"token":5678,"space":1,"model":"marengo3.0","dim":16}`

// TestWriteSnapshot regenerates testdata/v2-small.hnsw when
// CLIPVEC_WRITE_SNAPSHOT=1 (only ever for a new committed version; the
// files of older versions are never rewritten).
func TestWriteSnapshot(t *testing.T) {
	if os.Getenv("CLIPVEC_WRITE_SNAPSHOT") != "1" {
		t.Skip("set CLIPVEC_WRITE_SNAPSHOT=1 to rewrite testdata/v2-small.hnsw")
	}
	g := build(t, clustered(36, 200, 16, 5), 16, 1, hnsw.Config{Seed: 11, M: 6, EfConstruction: 40})
	g.Delete(199)
	err := g.Save("testdata/v2-small.hnsw", hnsw.Meta{Generation: 18, Owner: []byte(v2Owner)},
		hnsw.Section{ID: 1000, Data: []byte("clipvec v2 test section")})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotNotRegular: a FIFO where a snapshot belongs is refused at
// once (opening it for reading would block until a writer came).
func TestSnapshotNotRegular(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo.hnsw")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan error, 2)
	go func() {
		_, _, _, err := hnsw.Load(path)
		done <- err
		_, err = hnsw.ReadInfo(path)
		done <- err
	}()
	for _, what := range []string{"Load", "ReadInfo"} {
		select {
		case err := <-done:
			if !errors.Is(err, hnsw.ErrNotRegular) {
				t.Errorf("%s of a FIFO: %v, want ErrNotRegular", what, err)
			}
		case <-time.After(time.Minute): // a hang, not a speed limit
			t.Fatalf("%s of a FIFO blocked", what)
		}
	}
}

// TestOwnerTooLarge: Save refuses an owner stamp past MaxOwnerBytes.
func TestOwnerTooLarge(t *testing.T) {
	g := build(t, clustered(36, 20, 8, 2), 8, 1, hnsw.Config{Seed: 1})
	path := filepath.Join(t.TempDir(), "g.hnsw")
	if err := g.Save(path, hnsw.Meta{Owner: make([]byte, hnsw.MaxOwnerBytes+1)}); err == nil {
		t.Fatal("Save took an owner stamp past MaxOwnerBytes")
	}
	if err := g.Save(path, hnsw.Meta{Owner: make([]byte, hnsw.MaxOwnerBytes)}); err != nil {
		t.Fatal(err)
	}
	if info, err := hnsw.ReadInfo(path); err != nil || len(info.Owner) != hnsw.MaxOwnerBytes {
		t.Fatalf("ReadInfo: %d owner bytes, %v", len(info.Owner), err)
	}
}

// TestKilledSave kills a process in the middle of saving a snapshot over
// an existing one: the old snapshot stays loadable and the leftover
// temporary file is cleaned up.
func TestKilledSave(t *testing.T) {
	if dir := os.Getenv("CLIPVEC_SAVE_CHILD"); dir != "" {
		killedSaveChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "s.hnsw")
	small := build(t, clustered(37, 100, 8, 3), 8, 1, hnsw.Config{Seed: 1})
	if err := small.Save(path, hnsw.Meta{Generation: 1}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledSave$")
	cmd.Env = append(os.Environ(), "CLIPVEC_SAVE_CHILD="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // never leave it running
	// Kill it once its temporary file exists (it writes ~100 MB).
	deadline := time.Now().Add(60 * time.Second)
	for {
		matches, _ := filepath.Glob(filepath.Join(dir, ".s.hnsw.tmp-*"))
		if len(matches) > 0 {
			if info, err := os.Stat(matches[0]); err == nil && info.Size() > 1<<20 {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child never started writing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	back, meta, _, err := hnsw.Load(path)
	if err != nil || meta.Generation != 1 || back.Len() != 100 {
		t.Fatalf("after a killed save: %v (gen %d)", err, meta.Generation)
	}
	atomicfile.TempGrace = 0 // the writer is dead: its file's age does not matter
	if err := atomicfile.CleanTemp(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func killedSaveChild(dir string) {
	const n, dim = 50000, 512
	vecs := clustered(38, n, dim, 10)
	g, _ := hnsw.New(dim, hnsw.Config{M: 4, EfConstruction: 8})
	// The graph's links do not matter here, only the file's size.
	g.InsertBatch(context.Background(), vecs, labels(n), 2, nil)
	for {
		g.Save(filepath.Join(dir, "s.hnsw"), hnsw.Meta{Generation: 2})
	}
}

// fixChecksums rewrites the header and section CRCs of a (mutated)
// snapshot, so the fuzzer reaches the structural checks behind them.
func fixChecksums(b []byte) {
	if len(b) < 20 {
		return
	}
	hlen := int(binary.LittleEndian.Uint32(b[12:]))
	if hlen < 0 || 20+hlen > len(b) {
		return
	}
	binary.LittleEndian.PutUint32(b[16+hlen:], crc32c(b[16:16+hlen]))
	off := (20 + hlen + 7) &^ 7
	for off+16 <= len(b) {
		size := binary.LittleEndian.Uint64(b[off+8:])
		start := off + 16
		if size > uint64(len(b)-start) {
			return
		}
		end := start + int(size)
		padded := (end + 7) &^ 7
		if padded+8 > len(b) {
			return
		}
		binary.LittleEndian.PutUint32(b[padded:], crc32c(b[start:end]))
		off = padded + 8
	}
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }

// FuzzDecodeStructure mutates snapshots behind valid checksums: counts,
// levels, links and entry points out of range must be caught, and any
// graph Decode accepts must survive searches and inserts.
func FuzzDecodeStructure(f *testing.F) {
	const n, dim = 40, 4
	g := build(f, clustered(39, n, dim, 3), dim, 1, hnsw.Config{Seed: 1, M: 2})
	path := filepath.Join(f.TempDir(), "s.hnsw")
	if err := g.Save(path, hnsw.Meta{Generation: 1}); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	f.Add(uint32(0), byte(0), uint32(0))
	f.Add(uint32(600), byte(0xff), uint32(3))
	f.Fuzz(func(t *testing.T, pos uint32, val byte, width uint32) {
		b := append([]byte(nil), good...)
		for i := uint32(0); i <= width%8; i++ {
			if p := int(pos+i) % len(b); p >= 16 {
				b[p] = val
			}
		}
		fixChecksums(b)
		aligned := make([]uint64, (len(b)+7)/8)
		buf := bytesView(aligned)[:len(b)]
		copy(buf, b)
		back, _, _, err := hnsw.Decode(buf)
		if err != nil {
			if !errors.Is(err, hnsw.ErrCorrupt) && !errors.Is(err, hnsw.ErrVersion) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		q := []float32{0.5, 0.5, 0.5, 0.5}
		back.Search(q, 5, 20, nil, nil)
		back.Insert(q, 1)
		back.Search(q, 5, 20, nil, nil)
		back.Exact(q, 3, nil, nil)
	})
}
