package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/benchmarks/ann"
)

// writeIDX writes count images of side × side pixels, gzipped, as
// Fashion-MNIST's files are; pixel(i) returns image i.
func writeIDX(tb testing.TB, path string, count, side int, pixel func(i int) []byte) {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	for _, v := range []uint32{0x00000803, uint32(count), uint32(side), uint32(side)} {
		binary.Write(zw, binary.BigEndian, v)
	}
	for i := range count {
		zw.Write(pixel(i))
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// fakeFmnist writes a small Fashion-MNIST directory: 300 training and 40
// test images of 12 × 12 (144 pixels), each one of 6 random prototypes
// plus noise. Test image 0 is a copy of training image 0.
func fakeFmnist(tb testing.TB, seed uint64) string {
	tb.Helper()
	const side = 12
	dir := tb.TempDir()
	rng := rand.New(rand.NewPCG(seed, 784))
	protos := make([][]byte, 6)
	for p := range protos {
		protos[p] = make([]byte, side*side)
		for i := range protos[p] {
			protos[p][i] = byte(rng.IntN(200))
		}
	}
	image := func(int) []byte {
		im := slices.Clone(protos[rng.IntN(len(protos))])
		for i := range im {
			im[i] += byte(rng.IntN(40))
		}
		return im
	}
	var first []byte
	writeIDX(tb, filepath.Join(dir, fmnistTrain), 300, side, func(i int) []byte {
		im := image(i)
		if i == 0 {
			first = im
		}
		return im
	})
	writeIDX(tb, filepath.Join(dir, fmnistTest), 40, side, func(i int) []byte {
		if i == 0 {
			return first
		}
		return image(i)
	})
	return dir
}

func fmnistConfig(tb testing.TB, dir string) *config {
	tb.Helper()
	c, err := parseFlags([]string{"-fmnist-dir", dir, "-data", "fmnist,fmnist96", "-cache", tb.TempDir(), "-threads", "2"}, io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestFmnistMissing(t *testing.T) {
	dir := t.TempDir()
	_, _, filesErr := fmnistFiles(dir)
	_, flagsErr := parseFlags([]string{"-data", "fmnist96", "-fmnist-dir", dir}, io.Discard)
	for name, err := range map[string]error{"fmnistFiles": filesErr, "parseFlags": flagsErr} {
		if err == nil {
			t.Fatalf("%s on an empty directory succeeded", name)
		}
		if msg := err.Error(); !strings.Contains(msg, "install with: apt-get install -y dataset-fashion-mnist") || !strings.Contains(msg, filepath.Join(dir, fmnistTrain)) {
			t.Errorf("%s: error %q, want it to name %s and say how to install it", name, msg, filepath.Join(dir, fmnistTrain))
		}
	}
}

func TestPrepareFmnist96(t *testing.T) {
	ctx := context.Background()
	dir := fakeFmnist(t, 1)
	c := fmnistConfig(t, dir)
	var log bytes.Buffer
	ds, err := prepareFmnist(ctx, c, "fmnist96", &log)
	if err != nil {
		t.Fatal(err)
	}
	info := ds.info
	// -n (100,000) and -queries (1,000) were not given: all of both files.
	if info.N != 300 || info.Queries != 40 || info.Dim != 96 || info.Name != "fmnist96" {
		t.Fatalf("dataset %s: %d × %d, %d queries; want fmnist96: 300 × 96, 40 queries", info.Name, info.N, info.Dim, info.Queries)
	}
	pv := info.Provenance
	if pv == nil || pv.PCA == nil || len(pv.Files) != 2 {
		t.Fatalf("provenance %+v, want two files and a PCA", pv)
	}
	if pv.PCA.Dims != 96 || pv.PCA.From != 144 || len(pv.PCA.Variances) != 96 || len(pv.Files[0].SHA256) != 64 || pv.Files[0].Images != 300 {
		t.Errorf("provenance %+v, PCA %+v", pv, pv.PCA)
	}
	if kept := pv.PCA.VarianceKept; kept <= 0.5 || kept > 1 {
		t.Errorf("variance kept %v, want above half (6 prototypes dominate) and at most 1", kept)
	}
	if len(ds.truth) != 40 || len(ds.truth[0]) != gtDepth {
		t.Errorf("ground truth: %d rows of %d, want 40 of %d", len(ds.truth), len(ds.truth[0]), gtDepth)
	}

	base, err := ann.ReadFvecs(info.BasePath, 0)
	if err != nil {
		t.Fatal(err)
	}
	queries, err := ann.ReadFvecs(info.QueryPath, 0)
	if err != nil {
		t.Fatal(err)
	}
	if base.Len() != 300 || base.Dim != 96 || queries.Len() != 40 {
		t.Fatalf("files hold %d × %d base and %d queries, want 300 × 96 and 40", base.Len(), base.Dim, queries.Len())
	}
	t.Run("CentredAndProjected", func(t *testing.T) {
		// The base is all the fitted images: each column has mean 0 and
		// the variance the PCA reports for its component.
		for j := range 96 {
			sum, sq := 0.0, 0.0
			for r := range base.Len() {
				v := float64(base.Row(r)[j])
				sum += v
				sq += v * v
			}
			if mean := sum / 300; math.Abs(mean) > 1e-3 {
				t.Errorf("component %d: base mean %g, want 0", j, mean)
			}
			if v, want := sq/300, pv.PCA.Variances[j]; math.Abs(v-want) > 1e-4*pv.PCA.Variances[0] {
				t.Errorf("component %d: base variance %g, PCA says %g", j, v, want)
			}
		}
		// Test image 0 is training image 0: queries are centred with the
		// base's mean and projected the same way.
		if q, b := queries.Row(0), base.Row(0); !slices.Equal(q, b) {
			t.Errorf("query 0 projects to %v, the same image in the base to %v", q[:4], b[:4])
		}
		if got := ds.truth[0][0]; got != 0 {
			t.Errorf("query 0's nearest neighbour is %d, want its copy, base row 0", got)
		}
	})
	t.Run("Cached", func(t *testing.T) {
		var log2 bytes.Buffer
		ds2, err := prepareFmnist(ctx, c, "fmnist96", &log2)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), "fitting a PCA") || strings.Contains(log2.String(), "fitting a PCA") {
			t.Errorf("first run logged %q, second %q: want a fit the first time only", log.String(), log2.String())
		}
		if ds2.info.BasePath != info.BasePath || ds2.info.Provenance.PCA.VarianceKept != pv.PCA.VarianceKept {
			t.Errorf("second run: %s keeping %v, want %s keeping %v", ds2.info.BasePath, ds2.info.Provenance.PCA.VarianceKept, info.BasePath, pv.PCA.VarianceKept)
		}
	})
	t.Run("FewerAndFittedOnAll", func(t *testing.T) {
		c2 := *c
		c2.n, c2.queries, c2.queriesSet = 100, 10, true
		ds2, err := prepareFmnist(ctx, &c2, "fmnist96", io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if ds2.info.N != 100 || ds2.info.Queries != 10 || ds2.info.BasePath == info.BasePath {
			t.Fatalf("-n 100 -queries 10: %d × %d queries in %s, want 100, 10 and a cache dir of their own", ds2.info.N, ds2.info.Queries, ds2.info.BasePath)
		}
		// The PCA is fitted on every training image whatever -n says: the
		// first 100 rows are those of the full base.
		b2, err := ann.ReadFvecs(ds2.info.BasePath, 0)
		if err != nil {
			t.Fatal(err)
		}
		if b2.Len() != 100 || !slices.Equal(b2.Data, base.Slice(0, 100).Data) {
			t.Errorf("-n 100 base: %d rows, not the first 100 of the full base", b2.Len())
		}
	})
	t.Run("KeyedByInput", func(t *testing.T) {
		c2 := *c
		c2.fmnistDir = fakeFmnist(t, 2)
		ds2, err := prepareFmnist(ctx, &c2, "fmnist96", io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if ds2.info.BasePath == info.BasePath {
			t.Errorf("other images share the cache dir %s", filepath.Dir(info.BasePath))
		}
	})
}

func TestPrepareFmnistPixels(t *testing.T) {
	ctx := context.Background()
	dir := fakeFmnist(t, 3)
	c := fmnistConfig(t, dir)
	ds, err := prepareFmnist(ctx, c, "fmnist", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if ds.info.N != 300 || ds.info.Dim != 144 || ds.info.Provenance.PCA != nil {
		t.Fatalf("fmnist: %d × %d, PCA %v; want 300 × 144 and none", ds.info.N, ds.info.Dim, ds.info.Provenance.PCA)
	}
	base, err := ann.ReadFvecs(ds.info.BasePath, 0)
	if err != nil {
		t.Fatal(err)
	}
	train, err := ann.ReadIDXImages(filepath.Join(dir, fmnistTrain))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []int{0, 299} {
		want := make([]float32, 144)
		for i, p := range train.Image(r) {
			want[i] = float32(p)
		}
		if !slices.Equal(base.Row(r), want) {
			t.Errorf("base row %d is not image %d's pixels", r, r)
		}
	}

	t.Run("ErrBlankImage", func(t *testing.T) {
		dir := t.TempDir()
		writeIDX(t, filepath.Join(dir, fmnistTrain), 5, 4, func(i int) []byte {
			im := make([]byte, 16)
			if i != 3 {
				im[i] = 9
			}
			return im
		})
		writeIDX(t, filepath.Join(dir, fmnistTest), 2, 4, func(int) []byte { return bytes.Repeat([]byte{1}, 16) })
		_, err := prepareFmnist(ctx, fmnistConfig(t, dir), "fmnist", io.Discard)
		if err == nil || !strings.Contains(err.Error(), "image 3 is blank") || !strings.Contains(err.Error(), filepath.Join(dir, fmnistTrain)) {
			t.Fatalf("error %v, want it to name %s and its blank image 3", err, filepath.Join(dir, fmnistTrain))
		}
	})
	t.Run("ErrSizesDiffer", func(t *testing.T) {
		dir := t.TempDir()
		writeIDX(t, filepath.Join(dir, fmnistTrain), 5, 4, func(int) []byte { return bytes.Repeat([]byte{1}, 16) })
		writeIDX(t, filepath.Join(dir, fmnistTest), 2, 5, func(int) []byte { return bytes.Repeat([]byte{1}, 25) })
		_, err := prepareFmnist(ctx, fmnistConfig(t, dir), "fmnist", io.Discard)
		if err == nil || !strings.Contains(err.Error(), "4 × 4") || !strings.Contains(err.Error(), "5 × 5") {
			t.Fatalf("error %v, want it to give both image sizes", err)
		}
	})
}
