package ann_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/benchmarks/ann"
)

// idxBytes returns an IDX file: magic, the dimensions big-endian, then
// the pixels.
func idxBytes(magic uint32, dims []uint32, pixels []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(pixels)
	return b.Bytes()
}

func gzipBytes(tb testing.TB, raw []byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func writeBytes(tb testing.TB, path string, b []byte) string {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestReadIDXImages(t *testing.T) {
	dir := t.TempDir()
	// 3 images of 2 × 4 pixels: image i's pixel j is 10·i + j.
	var pixels []byte
	for i := range 3 {
		for j := range 8 {
			pixels = append(pixels, byte(10*i+j))
		}
	}
	good := idxBytes(0x00000803, []uint32{3, 2, 4}, pixels)

	for name, file := range map[string][]byte{"OKGzip": gzipBytes(t, good), "OKUncompressed": good} {
		t.Run(name, func(t *testing.T) {
			path := writeBytes(t, filepath.Join(dir, name+".idx"), file)
			im, err := ann.ReadIDXImages(path)
			if err != nil {
				t.Fatal(err)
			}
			if im.Count != 3 || im.Rows != 2 || im.Cols != 4 || im.Dim() != 8 {
				t.Fatalf("read %d images of %d × %d (dim %d), want 3 of 2 × 4 (dim 8)", im.Count, im.Rows, im.Cols, im.Dim())
			}
			if !bytes.Equal(im.Pixels, pixels) {
				t.Fatalf("pixels %v, want %v", im.Pixels, pixels)
			}
			if got, want := im.Image(2), pixels[16:24]; !bytes.Equal(got, want) {
				t.Errorf("image 2: %v, want %v", got, want)
			}
			m := im.Matrix(2)
			if m.Len() != 2 || m.Dim != 8 {
				t.Fatalf("Matrix(2): %d rows of %d, want 2 of 8", m.Len(), m.Dim)
			}
			if got, want := m.Row(1), []float32{10, 11, 12, 13, 14, 15, 16, 17}; !slices.Equal(got, want) {
				t.Errorf("Matrix(2) row 1: %v, want %v", got, want)
			}
			if got := im.Matrix(0).Len(); got != 3 {
				t.Errorf("Matrix(0) has %d rows, want all 3", got)
			}
		})
	}

	zgood := gzipBytes(t, good)
	// 3 images of 28 × 28 noise, which gzip cannot shrink much: cut in
	// half, its stream ends in the middle of the pixels.
	noise := make([]byte, 3*28*28)
	rng := rand.New(rand.NewPCG(3, 28))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	zbig := gzipBytes(t, idxBytes(0x00000803, []uint32{3, 28, 28}, noise))
	badCRC := slices.Clone(zgood)
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 in gzip's 8-byte trailer
	for _, tc := range []struct {
		name, want string
		file       []byte
	}{
		{"ErrMagic", "magic 0x00000801", gzipBytes(t, idxBytes(0x00000801, []uint32{3, 2, 4}, pixels))},
		{"ErrTwoDimensions", "magic 0x00000802", idxBytes(0x00000802, []uint32{3, 8}, pixels)},
		{"ErrTruncatedHeader", "truncated header: 10 of 16 bytes", good[:10]},
		{"ErrTruncatedPixels", "truncated: 20 of 24 bytes of pixels", gzipBytes(t, good[:16+20])},
		{"ErrTruncatedPixelsUncompressed", "truncated: 23 of 24 bytes of pixels", good[:len(good)-1]},
		{"ErrTruncatedGzipStream", "of 2352 bytes of pixels (decompressed)", zbig[:len(zbig)/2]},
		{"ErrTruncatedGzipTrailer", "ends before its checksum", zgood[:len(zgood)-4]},
		{"ErrTrailingDataUncompressed", "trailing data: 2 bytes after the 24 bytes", append(slices.Clone(good), 0, 0)},
		{"ErrTrailingData", "trailing data after the 24 bytes", gzipBytes(t, append(slices.Clone(good), 0))},
		{"ErrZeroImages", "0 images of 2 × 4", idxBytes(0x00000803, []uint32{0, 2, 4}, nil)},
		{"ErrHugeHeader", "more than this reader's limit", idxBytes(0x00000803, []uint32{1 << 20, 1 << 16, 1 << 16}, pixels)},
		{"ErrChecksum", "checksum", badCRC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeBytes(t, filepath.Join(dir, tc.name+".gz"), tc.file)
			_, err := ann.ReadIDXImages(path)
			if err == nil {
				t.Fatalf("ReadIDXImages(%s) succeeded", tc.name)
			}
			if !errors.Is(err, ann.ErrIDXFormat) {
				t.Errorf("error %q does not wrap ErrIDXFormat", err)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to name %s and say %q", err, path, tc.want)
			}
		})
	}

	t.Run("HeaderOnly", func(t *testing.T) {
		for name, file := range map[string][]byte{"gz": zgood, "raw": good} {
			path := writeBytes(t, filepath.Join(dir, "header."+name), file)
			im, err := ann.ReadIDXHeader(path)
			if err != nil {
				t.Fatal(err)
			}
			if im.Count != 3 || im.Rows != 2 || im.Cols != 4 || im.Pixels != nil || im.Path != path {
				t.Errorf("%s: header %+v, want 3 images of 2 × 4 from %s and no pixels", name, im, path)
			}
		}
		path := writeBytes(t, filepath.Join(dir, "header-truncated"), good[:len(good)-1])
		if _, err := ann.ReadIDXHeader(path); !errors.Is(err, ann.ErrIDXFormat) || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("header of a truncated uncompressed file: %v, want a truncation error", err)
		}
		path = writeBytes(t, filepath.Join(dir, "header-magic.gz"), gzipBytes(t, idxBytes(0x00000801, []uint32{3}, pixels[:3])))
		if _, err := ann.ReadIDXHeader(path); !errors.Is(err, ann.ErrIDXFormat) || !strings.Contains(err.Error(), path) {
			t.Errorf("header of a labels file: %v, want a format error naming %s", err, path)
		}
	})

	t.Run("ErrNotExist", func(t *testing.T) {
		path := filepath.Join(dir, "absent.gz")
		_, err := ann.ReadIDXImages(path)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Fatalf("error %v, want fs.ErrNotExist naming %s", err, path)
		}
	})
}
