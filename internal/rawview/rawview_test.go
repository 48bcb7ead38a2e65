package rawview_test

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/clipvec/clipvec/internal/rawview"
)

func TestRoundTrip(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("big-endian machine")
	}
	f := []float32{1.5, -2, float32(math.Inf(1))}
	b := rawview.Bytes(f)
	if len(b) != 12 || binary.LittleEndian.Uint32(b[4:]) != math.Float32bits(-2) {
		t.Fatalf("bytes % x", b)
	}
	if back := rawview.As[float32](b); !slices.Equal(back, f) || &back[0] != &f[0] {
		t.Fatalf("aligned view %v (aliases: %v)", back, &back[0] == &f[0])
	}
	// Misaligned bytes come back as an equal copy.
	buf := make([]byte, 13)
	copy(buf[1:], b)
	if back := rawview.As[float32](buf[1:]); !slices.Equal(back, f) {
		t.Fatalf("misaligned view %v", back)
	}
	if rawview.Bytes([]uint64(nil)) != nil || rawview.As[uint64]([]byte{1, 2, 3}) == nil {
		t.Error("empty cases: Bytes must be nil, As never nil")
	}
}
