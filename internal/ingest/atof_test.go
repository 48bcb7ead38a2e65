package ingest

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// fastFloat32 must agree bit for bit with strconv whenever it answers.
func TestFastFloat32MatchesStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	check := func(s string) {
		got, ok := fastFloat32([]byte(s))
		want, err := strconv.ParseFloat(s, 32)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("fastFloat32(%q) = %v, strconv fails: %v", s, got, err)
		}
		if math.Float32bits(got) != math.Float32bits(float32(want)) {
			t.Fatalf("fastFloat32(%q) = %v (%#x), strconv %v (%#x)", s, got, math.Float32bits(got), float32(want), math.Float32bits(float32(want)))
		}
	}
	for _, s := range []string{"0", "-0", "1", "-0.060086973", "0.016479108", "1e-5", "1.5E+3", "123456789012345678", "0.1", "3.4028235e38", "1e-45", "7.006492e-46"} {
		check(s)
	}
	hits := 0
	for i := 0; i < 300000; i++ {
		f := float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(12)-8)))
		for _, s := range []string{
			strconv.FormatFloat(float64(f), 'g', -1, 32),
			strconv.FormatFloat(float64(f), 'f', 9, 64),
			strconv.FormatFloat(r.Float64()-0.5, 'g', r.IntN(17)+1, 64),
		} {
			check(s)
			if _, ok := fastFloat32([]byte(s)); ok {
				hits++
			}
		}
	}
	if hits < 600000 {
		t.Errorf("fast path taken %d times of 900000: too rarely to matter", hits)
	}
	for _, s := range []string{"", "-", ".5", "5.", "1e", "--1", "1x", "0x10", "1e+"} {
		if _, ok := fastFloat32([]byte(s)); ok {
			t.Errorf("fastFloat32(%q) accepted a malformed number", s)
		}
	}
}
