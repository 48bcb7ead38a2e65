package ann

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrIDXFormat is wrapped by every error about a malformed IDX file.
var ErrIDXFormat = errors.New("malformed IDX file")

// idxImagesMagic opens an IDX file of unsigned-byte images: two zero
// bytes, the element type 0x08 (unsigned byte), then 3 dimensions.
const idxImagesMagic = 0x00000803

// maxIDXBytes bounds the pixels a header may declare, so that a corrupt
// header fails with an error instead of a huge allocation. Fashion-MNIST's
// training set is 47 MB.
const maxIDXBytes = 1 << 31

// Images is a stack of greyscale images read from an IDX file: Count
// images of Rows × Cols unsigned bytes, each row-major, one after another
// in Pixels. It is read-only once read and safe for concurrent readers.
type Images struct {
	Path              string
	Count, Rows, Cols int
	Pixels            []byte
}

// Dim returns the number of pixels of one image.
func (im Images) Dim() int { return im.Rows * im.Cols }

// Image returns the pixels of image i, sharing im's storage.
func (im Images) Image(i int) []byte {
	d := im.Dim()
	return im.Pixels[i*d : (i+1)*d : (i+1)*d]
}

// Matrix returns the first n images (all of them if n ≤ 0 or n > Count)
// as rows of Dim float32 pixel values, 0 to 255.
func (im Images) Matrix(n int) Matrix {
	if n <= 0 || n > im.Count {
		n = im.Count
	}
	m := Matrix{Dim: im.Dim(), Data: make([]float32, n*im.Dim())}
	for i, p := range im.Pixels[:n*im.Dim()] {
		m.Data[i] = float32(p)
	}
	return m
}

// ReadIDXImages reads an IDX file of unsigned-byte images (magic
// 0x00000803, then the count, rows and columns as big-endian uint32, then
// the pixels), gzip-compressed or not: a gzip stream is recognised by its
// own magic bytes. It checks that the file holds exactly the pixels its
// header declares and, for gzip, the stream's checksum. Errors name the
// file; those about its contents wrap [ErrIDXFormat].
func ReadIDXImages(path string) (Images, error) { return readIDX(path, true) }

// ReadIDXHeader reads and checks the header of an IDX file of images as
// [ReadIDXImages] does, and returns its Count, Rows and Cols without
// reading the pixels (Pixels is nil). For an uncompressed file it also
// checks the file's size; a compressed one is only checked to the end by
// ReadIDXImages.
func ReadIDXHeader(path string) (Images, error) { return readIDX(path, false) }

func readIDX(path string, withPixels bool) (Images, error) {
	im := Images{Path: path}
	f, err := os.Open(path)
	if err != nil {
		return im, fmt.Errorf("read IDX: %w", err)
	}
	defer f.Close()
	malformed := func(format string, args ...any) error {
		return fmt.Errorf("read IDX %s: %w: %s", path, ErrIDXFormat, fmt.Sprintf(format, args...))
	}
	br := bufio.NewReaderSize(f, 1<<16)
	var r io.Reader = br
	compressed := "" // for errors: says the sizes are after decompression
	if sig, err := br.Peek(2); err == nil && sig[0] == 0x1f && sig[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return im, malformed("gzip header: %v", err)
		}
		defer zr.Close()
		r = zr
		compressed = " (decompressed)"
	}
	var head [16]byte
	if n, err := io.ReadFull(r, head[:]); err != nil {
		return im, malformed("truncated header: %d of 16 bytes%s (%v)", n, compressed, err)
	}
	if magic := binary.BigEndian.Uint32(head[0:]); magic != idxImagesMagic {
		return im, malformed("magic 0x%08x, want 0x%08x (unsigned-byte images, 3 dimensions)", magic, idxImagesMagic)
	}
	count := binary.BigEndian.Uint32(head[4:])
	rows := binary.BigEndian.Uint32(head[8:])
	cols := binary.BigEndian.Uint32(head[12:])
	if count == 0 || rows == 0 || cols == 0 {
		return im, malformed("header declares %d images of %d × %d pixels: want each positive", count, rows, cols)
	}
	// Each factor is below 2^32 and the product of the last two is checked
	// before the third multiplies it, so nothing overflows a uint64.
	size := uint64(rows) * uint64(cols)
	if size > maxIDXBytes || size*uint64(count) > maxIDXBytes {
		return im, malformed("header declares %d images of %d × %d pixels, more than this reader's limit of %d bytes", count, rows, cols, maxIDXBytes)
	}
	size *= uint64(count)
	if compressed == "" {
		st, err := f.Stat()
		if err != nil {
			return im, fmt.Errorf("read IDX %s: %w", path, err)
		}
		switch have := uint64(st.Size()) - 16; {
		case have < size:
			return im, malformed("truncated: %d of %d bytes of pixels (%d images of %d × %d)", have, size, count, rows, cols)
		case have > size:
			return im, malformed("trailing data: %d bytes after the %d bytes of pixels the header declares", have-size, size)
		}
	}
	im.Count, im.Rows, im.Cols = int(count), int(rows), int(cols)
	if !withPixels {
		return im, nil
	}
	pixels := make([]byte, size)
	n, err := io.ReadFull(r, pixels)
	if err == nil {
		// Read on to the end: finding more means trailing data, and
		// reaching it makes gzip check its CRC.
		var one [1]byte
		var extra int
		extra, err = io.ReadFull(r, one[:])
		switch {
		case extra > 0:
			return Images{Path: path}, malformed("trailing data after the %d bytes of pixels%s the header declares", size, compressed)
		case err == io.EOF:
			err = nil
		}
	}
	switch {
	case n == len(pixels) && errors.Is(err, io.ErrUnexpectedEOF):
		return Images{Path: path}, malformed("truncated: the compressed stream ends before its checksum")
	case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
		return Images{Path: path}, malformed("truncated: %d of %d bytes of pixels%s (%d images of %d × %d)", n, size, compressed, count, rows, cols)
	case err != nil:
		return Images{Path: path}, malformed("after %d of %d bytes of pixels%s: %v", n, size, compressed, err)
	}
	im.Pixels = pixels
	return im, nil
}
