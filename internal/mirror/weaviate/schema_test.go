package weaviate

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestCollectionName(t *testing.T) {
	for _, tc := range []struct{ prefix, model, want string }{
		{"", "marengo3.0", "Clipvec_marengo3_0_512"},
		{"team", "marengo3.0", "Team_marengo3_0_512"},
		{"9lives", "a/b c", "C9lives_a_b_c_512"},
	} {
		if got := CollectionName(tc.prefix, tc.model, 512); got != tc.want {
			t.Errorf("CollectionName(%q, %q) = %q, want %q", tc.prefix, tc.model, got, tc.want)
		}
	}
}

func TestObjectID(t *testing.T) {
	a, b := ObjectID(1, 2), ObjectID(1, 3)
	if a == b || a != ObjectID(1, 2) || a == ObjectID(2, 2) {
		t.Fatalf("ids %s %s: want stable and distinct", a, b)
	}
	if len(a) != 36 || a[14] != '5' || !strings.ContainsAny(a[19:20], "89ab") {
		t.Fatalf("%s is not a version 5 UUID", a)
	}
}

// A vector written for a GraphQL query reads back to the same float32s.
func TestFloatsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, 257)
	for i := range v {
		v[i] = float32(r.NormFloat64()) / 10
	}
	v[0], v[1] = math.SmallestNonzeroFloat32, -math.MaxFloat32
	parts := strings.Split(strings.Trim(floats(v), "[]"), ",")
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 32)
		if err != nil || float32(f) != v[i] {
			t.Fatalf("value %d: %q reads %v (%v), want %v", i, p, f, err, v[i])
		}
	}
}
