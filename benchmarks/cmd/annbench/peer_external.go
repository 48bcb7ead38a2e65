package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// peer is a method measured by a program other than this binary: a Python
// script, or a C++ driver annbench compiles. Every peer program takes the
// flags of [peerArgs] and prints one methodResult as JSON on stdout,
// progress on stderr.
type peer struct {
	// command finds or builds the peer's program. It returns skip, and no
	// command, when the peer cannot run on this machine: skip says what is
	// missing and the apt-get line that installs it. An error is a peer
	// that should run and cannot (a source file missing, a failed
	// compile).
	command func(ctx context.Context, c *config, log io.Writer) (cmd *peerCommand, skip string, err error)
}

// peerCommand is a peer program ready to run.
type peerCommand struct {
	argv []string // program and its leading arguments; peerArgs follow
	// version, when set, replaces the version the program reports (the
	// parent knows the compiler and the package versions).
	version string
	notes   []string // added before the program's own notes
}

// peers are the methods run by other programs, by method name.
var peers = map[string]peer{
	"hnswlib":        {command: hnswlibPythonCommand},
	"hnswlib-native": {command: hnswlibNativeCommand},
	"faiss-hnsw":     {command: faissCommand("flat")},
	"faiss-hnsw-sq8": {command: faissCommand("sq8")},
}

// peerArgs are the flags every peer program takes: the child spec's
// values.
func peerArgs(spec *childSpec) []string {
	efs := make([]string, len(spec.Efs))
	for i, ef := range spec.Efs {
		efs[i] = strconv.Itoa(ef)
	}
	return []string{
		"--base", spec.Base, "--query", spec.Query,
		"--n", strconv.Itoa(spec.N), "--queries", strconv.Itoa(spec.Queries), "--k", strconv.Itoa(spec.K),
		"--ef", strings.Join(efs, ","), "--m", strconv.Itoa(spec.M), "--efc", strconv.Itoa(spec.EfConstruction),
		"--threads", strconv.Itoa(spec.Threads), "--seed", strconv.FormatUint(spec.Seed, 10),
		"--build1", strconv.FormatBool(spec.Build1), "--runs", strconv.Itoa(spec.Runs), "--work-dir", spec.WorkDir,
	}
}

// hnswlibPythonCommand runs benchmarks/peers/hnswlib_bench.py under
// Debian's Python hnswlib module.
func hnswlibPythonCommand(ctx context.Context, c *config, _ io.Writer) (*peerCommand, string, error) {
	script, err := peerFile(c.peersDir, "hnswlib_bench.py")
	if err != nil {
		return nil, "", err
	}
	if skip := pythonImports(ctx, c.python, "hnswlib", "python3-hnswlib python3-numpy"); skip != "" {
		return nil, skip, nil
	}
	return &peerCommand{argv: []string{c.python, script}}, "", nil
}

// faissCommand runs benchmarks/peers/faiss_bench.py with one index type.
func faissCommand(index string) func(context.Context, *config, io.Writer) (*peerCommand, string, error) {
	return func(ctx context.Context, c *config, _ io.Writer) (*peerCommand, string, error) {
		script, err := peerFile(c.peersDir, "faiss_bench.py")
		if err != nil {
			return nil, "", err
		}
		if skip := pythonImports(ctx, c.python, "faiss", "python3-faiss python3-numpy"); skip != "" {
			return nil, skip, nil
		}
		return &peerCommand{argv: []string{c.python, script, "--index", index}}, "", nil
	}
}

// pythonImports checks that python can import module and numpy; when it
// cannot, it returns why and the packages that provide them.
func pythonImports(ctx context.Context, python, module, packages string) string {
	out, err := exec.CommandContext(ctx, python, "-c", "import "+module+", numpy").CombinedOutput()
	if err == nil {
		return ""
	}
	msg := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:] // the exception line of a traceback
	}
	if msg != "" {
		msg = ": " + msg
	}
	return fmt.Sprintf("%s cannot import %s and numpy (%v%s); install with: apt-get install -y %s (and pass -python /usr/bin/python3)",
		python, module, err, msg, packages)
}

// peerFile finds a file of benchmarks/peers: in dir when it is set, else
// relative to the working directory (the repository root), else beside
// this source file (go run from elsewhere in the checkout).
func peerFile(dir, name string) (string, error) {
	if dir != "" {
		p := filepath.Join(dir, name)
		if !exists(p) {
			return "", fmt.Errorf("find peer program: %s does not exist (-peers %s)", p, dir)
		}
		return p, nil
	}
	rel := filepath.Join("benchmarks", "peers", name)
	if exists(rel) {
		return rel, nil
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), "..", "..", "peers", name)
		if exists(p) {
			return p, nil
		}
	}
	return "", errors.New("find peer program: cannot find " + rel + ": run from the repository root or pass -peers DIR")
}
