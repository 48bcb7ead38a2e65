package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clipvec/clipvec/benchmarks/ann"
)

// fmnistDefaultDir is where Debian's dataset-fashion-mnist installs the
// IDX files.
const fmnistDefaultDir = "/usr/share/datasets/fashion-mnist"

// The Fashion-MNIST files annbench reads: 60,000 training images (the
// base) and 10,000 test images (the queries), 28 × 28 unsigned bytes each.
const (
	fmnistTrain = "train-images-idx3-ubyte.gz"
	fmnistTest  = "t10k-images-idx3-ubyte.gz"
	fmnistApt   = "apt-get install -y dataset-fashion-mnist"
)

// fmnistPCADims maps each Fashion-MNIST dataset of -data to the dimension
// PCA projects it to, 0 for the raw pixels.
var fmnistPCADims = map[string]int{"fmnist": 0, "fmnist96": 96}

// provenance says where a real dataset came from and what was done to it;
// the report carries it in its dataset info.
type provenance struct {
	Source  string       `json:"source"`
	Files   []sourceFile `json:"files"`
	Base    string       `json:"base"`
	Queries string       `json:"queries"`
	Vectors string       `json:"vectors"`
	PCA     *pcaInfo     `json:"pca,omitempty"`
}

// sourceFile is one input file of a real dataset.
type sourceFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Images int    `json:"images"`
	Rows   int    `json:"rows"`
	Cols   int    `json:"cols"`
}

// pcaInfo describes the projection of a dataset to fewer dimensions.
type pcaInfo struct {
	From          int       `json:"from_dim"`
	Dims          int       `json:"dims"`
	FittedOn      string    `json:"fitted_on"`
	Method        string    `json:"method"`
	VarianceKept  float64   `json:"variance_kept"`
	TotalVariance float64   `json:"total_variance"`
	Variances     []float64 `json:"variances"`
}

// summary is the report's one-line account of p.
func (p *provenance) summary() string {
	s := fmt.Sprintf("%s; base: %s; queries: %s; %s", p.Source, p.Base, p.Queries, p.Vectors)
	if p.PCA != nil {
		s += fmt.Sprintf("; PCA %d → %d fitted on %s keeps %.2f%% of the variance",
			p.PCA.From, p.PCA.Dims, p.PCA.FittedOn, 100*p.PCA.VarianceKept)
	}
	return s
}

// fmnistFiles returns the paths of Fashion-MNIST's training and test
// images in dir (gzipped as Debian ships them, or already decompressed),
// or an error that says how to install them.
func fmnistFiles(dir string) (train, test string, err error) {
	find := func(name string) (string, error) {
		for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, strings.TrimSuffix(name, ".gz"))} {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			} else if !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("fashion-mnist: %w", err)
			}
		}
		return "", fmt.Errorf("fashion-mnist: %s not found (nor its decompressed %s): install with: %s, or point -fmnist-dir at the directory that holds %s and %s",
			filepath.Join(dir, name), strings.TrimSuffix(name, ".gz"), fmnistApt, fmnistTrain, fmnistTest)
	}
	if train, err = find(fmnistTrain); err != nil {
		return "", "", err
	}
	if test, err = find(fmnistTest); err != nil {
		return "", "", err
	}
	return train, test, nil
}

// prepareFmnist makes the dataset name (a key of fmnistPCADims) from the
// Fashion-MNIST files in c.fmnistDir: the first -n training images as the
// base (all 60,000 by default), the test images as queries (all 10,000
// unless -queries is given), as raw pixels or projected by PCA. The
// vectors and their ground truth are cached under c.cache, keyed by the
// input files' SHA-256 and the parameters.
func prepareFmnist(ctx context.Context, c *config, name string, log io.Writer) (*dataset, error) {
	dims := fmnistPCADims[name]
	trainPath, testPath, err := fmnistFiles(c.fmnistDir)
	if err != nil {
		return nil, err
	}
	// Headers only for now: a cached dataset needs no pixels, and this
	// process's peak RSS is a floor under its children's (a child starts
	// on its parent's memory map, and Linux keeps that map's high-water
	// mark across exec): exact on fmnist96 showed 141 MB when the images
	// were read on every run, 34 MB without.
	train, err := ann.ReadIDXHeader(trainPath)
	if err != nil {
		return nil, err
	}
	test, err := ann.ReadIDXHeader(testPath)
	if err != nil {
		return nil, err
	}
	if train.Rows != test.Rows || train.Cols != test.Cols {
		return nil, fmt.Errorf("fashion-mnist: %s holds %d × %d images, %s holds %d × %d",
			trainPath, train.Rows, train.Cols, testPath, test.Rows, test.Cols)
	}
	if dims > train.Dim() {
		return nil, fmt.Errorf("fashion-mnist: %s: PCA to %d dimensions of %d-pixel images", name, dims, train.Dim())
	}
	n := min(c.n, train.Count)
	nq := test.Count
	if c.queriesSet {
		nq = min(c.queries, test.Count)
	}
	var files []sourceFile
	for _, im := range []ann.Images{train, test} {
		sum, err := fileSHA256(im.Path)
		if err != nil {
			return nil, err
		}
		files = append(files, sourceFile{Path: im.Path, SHA256: sum, Images: im.Count, Rows: im.Rows, Cols: im.Cols})
	}

	key, _ := json.Marshal(struct {
		Format      int
		Name        string
		Dims, N, Q  int
		Train, Test string
	}{1, name, dims, n, nq, files[0].SHA256, files[1].SHA256})
	h := sha256.Sum256(key)
	dir := filepath.Join(c.cache, fmt.Sprintf("%s-n%d-q%d-%s", name, n, nq, hex.EncodeToString(h[:6])))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache dir: %w", err)
	}
	info := datasetInfo{
		Name: name, Kind: "fashion-mnist", N: n, Dim: train.Dim(), Queries: nq,
		BasePath:  filepath.Join(dir, "base.fvecs"),
		QueryPath: filepath.Join(dir, "query.fvecs"),
		GTPath:    filepath.Join(dir, fmt.Sprintf("groundtruth-top%d.ivecs", gtDepth)),
		GTDepth:   gtDepth,
		Provenance: &provenance{
			Source:  "Fashion-MNIST (Zalando Research) IDX files from Debian's dataset-fashion-mnist",
			Files:   files,
			Base:    firstOf(n, train),
			Queries: firstOf(nq, test),
			Vectors: fmt.Sprintf("%d pixels (0 to 255) as float32, compared by cosine (annbench scales every vector to unit length)", train.Dim()),
		},
	}
	if dims > 0 {
		info.Dim = dims
		info.Provenance.Vectors = fmt.Sprintf("%d pixels (0 to 255) as float32, centred on the training images' mean and projected onto their %d principal components, compared by cosine (annbench scales every vector to unit length)", train.Dim(), dims)
	}
	// params.json is written last: with it, the vectors are complete, and
	// it holds what the PCA kept.
	paramsPath := filepath.Join(dir, "params.json")
	cached := false
	if exists(info.BasePath) && exists(info.QueryPath) {
		var prev datasetInfo
		if b, err := os.ReadFile(paramsPath); err == nil && json.Unmarshal(b, &prev) == nil && prev.Provenance != nil {
			info.Provenance.PCA = prev.Provenance.PCA
			cached = (dims == 0) == (prev.Provenance.PCA == nil)
		}
	}
	if !cached {
		if train, err = ann.ReadIDXImages(trainPath); err != nil {
			return nil, err
		}
		if test, err = ann.ReadIDXImages(testPath); err != nil {
			return nil, err
		}
		if dims > 0 {
			info.Provenance.PCA, err = writeFmnistPCA(ctx, c, train, test, n, nq, dims, info, log)
		} else {
			err = writeFmnistPixels(train, test, n, nq, info)
		}
		if err != nil {
			return nil, err
		}
		b, _ := json.MarshalIndent(info, "", "  ")
		if err := ann.WriteFileAtomic(paramsPath, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
			return nil, err
		}
	}
	truth, err := groundTruth(ctx, c, info.BasePath, info.QueryPath, info.GTPath, "", nq, log)
	if err != nil {
		return nil, err
	}
	return &dataset{info: info, truth: truth}, nil
}

// writeFmnistPixels writes the first n training images and nq test images
// as they are, pixel values as float32. A blank image has no direction
// and cannot be compared by cosine: it is an error.
func writeFmnistPixels(train, test ann.Images, n, nq int, info datasetInfo) error {
	write := func(path string, im ann.Images, rows int) error {
		for i := range rows {
			if blank(im.Image(i)) {
				return fmt.Errorf("fashion-mnist: %s: image %d is blank: it has no direction to compare by cosine", im.Path, i)
			}
		}
		return ann.WriteFileAtomic(path, func(w io.Writer) error {
			fw := ann.NewFvecsWriter(w, im.Dim())
			row := make([]float32, im.Dim())
			for i := range rows {
				for j, p := range im.Image(i) {
					row[j] = float32(p)
				}
				if err := fw.Write(row); err != nil {
					return err
				}
			}
			return fw.Flush()
		})
	}
	if err := write(info.BasePath, train, n); err != nil {
		return err
	}
	return write(info.QueryPath, test, nq)
}

// writeFmnistPCA fits a PCA of dims components on all the training images
// (never on the queries), projects the first n of them and the first nq
// test images, writes both and returns what the PCA kept.
func writeFmnistPCA(ctx context.Context, c *config, train, test ann.Images, n, nq, dims int, info datasetInfo, log io.Writer) (*pcaInfo, error) {
	fmt.Fprintf(log, "annbench: fitting a PCA %d → %d on the %s images of %s on %d threads ...\n",
		train.Dim(), dims, commas(float64(train.Count)), train.Path, c.threads)
	start := time.Now()
	all := train.Matrix(0)
	p, err := ann.FitPCA(ctx, all, dims, c.threads)
	if err != nil {
		return nil, fmt.Errorf("fashion-mnist: %s: %w", train.Path, err)
	}
	fmt.Fprintf(log, "annbench: PCA fitted in %.1fs: %d components keep %.2f%% of the variance\n",
		time.Since(start).Seconds(), dims, 100*p.VarianceKept())
	for _, part := range []struct {
		path string
		m    ann.Matrix
	}{{info.BasePath, all.Slice(0, n)}, {info.QueryPath, test.Matrix(nq)}} {
		proj, err := p.Project(ctx, part.m, c.threads)
		if err != nil {
			return nil, err
		}
		err = ann.WriteFileAtomic(part.path, func(w io.Writer) error {
			fw := ann.NewFvecsWriter(w, dims)
			for i := range proj.Len() {
				if err := fw.Write(proj.Row(i)); err != nil {
					return err
				}
			}
			return fw.Flush()
		})
		if err != nil {
			return nil, err
		}
	}
	return &pcaInfo{
		From: train.Dim(), Dims: dims,
		FittedOn:      fmt.Sprintf("the %s images of %s (mean-centred; covariance in float64)", commas(float64(train.Count)), filepath.Base(train.Path)),
		Method:        "eigenvectors of the covariance: Householder tridiagonalisation, then implicit QL (benchmarks/ann.SymmetricEigen)",
		VarianceKept:  p.VarianceKept(),
		TotalVariance: p.TotalVariance,
		Variances:     p.Variances,
	}, nil
}

// firstOf describes the first n images of im.
func firstOf(n int, im ann.Images) string {
	if n == im.Count {
		return fmt.Sprintf("all %s images of %s", commas(float64(n)), filepath.Base(im.Path))
	}
	return fmt.Sprintf("the first %s of the %s images of %s", commas(float64(n)), commas(float64(im.Count)), filepath.Base(im.Path))
}

func blank(pixels []byte) bool {
	for _, p := range pixels {
		if p != 0 {
			return false
		}
	}
	return true
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
