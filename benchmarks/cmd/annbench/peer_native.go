package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// nativeFlags are the flags hnswlib_native.cpp is compiled with: the
// strongest build of hnswlib this machine can make (space_ip.h picks its
// AVX-512 kernel only when __AVX512F__ is defined, which -march=native
// does on a CPU that has it).
var nativeFlags = []string{"-O3", "-march=native", "-std=c++17", "-pthread"}

const nativeInstall = "install with: apt-get install -y g++ libhnswlib-dev"

// hnswlibNativeCommand compiles benchmarks/peers/hnswlib_native.cpp
// against the hnswlib headers under c.hnswlibInclude with c.cxx, unless
// the cache already holds a binary built from the same source, headers,
// compiler and target, and runs it.
func hnswlibNativeCommand(ctx context.Context, c *config, log io.Writer) (*peerCommand, string, error) {
	cxx, err := exec.LookPath(c.cxx)
	if err != nil {
		return nil, fmt.Sprintf("no C++ compiler: %v; %s", err, nativeInstall), nil
	}
	header := filepath.Join(c.hnswlibInclude, "hnswlib", "hnswalg.h")
	if !exists(header) {
		return nil, fmt.Sprintf("no hnswlib headers: %s does not exist; %s", header, nativeInstall), nil
	}
	src, err := peerFile(c.peersDir, "hnswlib_native.cpp")
	if err != nil {
		return nil, "", err
	}
	b, err := nativeBuild(ctx, cxx, c.hnswlibInclude, src)
	if err != nil {
		return nil, "", err
	}
	bin := filepath.Join(c.cache, "hnswlib-native-"+b.hash[:16])
	how := "reused"
	if !exists(bin) {
		fmt.Fprintf(log, "  hnswlib-native: compiling %s\n", strings.Join(b.args(src, bin+".tmp"), " "))
		start := time.Now()
		if err := b.compile(ctx, src, bin); err != nil {
			return nil, "", err
		}
		how = fmt.Sprintf("compiled in %.1f s", time.Since(start).Seconds())
	}
	version := "hnswlib headers in " + filepath.Join(c.hnswlibInclude, "hnswlib")
	if c.hnswlibInclude == "/usr/include" {
		if out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Version}", "libhnswlib-dev").Output(); err == nil && len(out) > 0 {
			version += " (Debian libhnswlib-dev " + string(out) + ")"
		}
	}
	version += "; " + b.compiler + "; " + strings.Join(append([]string{filepath.Base(cxx)}, nativeFlags...), " ")
	note := fmt.Sprintf("driver %s: %s, cached at %s (keyed by a hash of the source, the hnswlib headers, the compiler and its -march=native target)",
		filepath.Base(src), how, bin)
	return &peerCommand{argv: []string{bin}, version: version, notes: []string{note}}, "", nil
}

// nativeBuilder is one compiler and include directory, and the hash of
// everything the binary depends on.
type nativeBuilder struct {
	cxx, include string
	compiler     string // first line of cxx --version
	hash         string // hex SHA-256
}

// nativeBuild describes the build of src: the compiler's version, and a
// hash of the source, the flags, the compiler (path and version), the
// macros -march=native defines on this machine (so a binary is never
// reused on a CPU it was not built for) and the hnswlib headers.
func nativeBuild(ctx context.Context, cxx, include, src string) (*nativeBuilder, error) {
	b := &nativeBuilder{cxx: cxx, include: include}
	h := sha256.New()
	add := func(label string, data []byte) {
		fmt.Fprintf(h, "%s %d\n", label, len(data))
		h.Write(data)
	}
	code, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", src, err)
	}
	add("source", code)
	add("flags", []byte(strings.Join(nativeFlags, " ")))
	path, err := filepath.EvalSymlinks(cxx)
	if err != nil {
		path = cxx
	}
	add("compiler", []byte(path))
	ver, err := exec.CommandContext(ctx, cxx, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("run %s --version: %w", cxx, err)
	}
	add("version", ver)
	b.compiler, _, _ = strings.Cut(strings.TrimSpace(string(ver)), "\n")
	macros, err := exec.CommandContext(ctx, cxx, "-march=native", "-std=c++17", "-E", "-dM", "-x", "c++", os.DevNull).Output()
	if err != nil {
		return nil, fmt.Errorf("run %s -march=native -E -dM: %w", cxx, err)
	}
	lines := strings.Split(string(macros), "\n")
	slices.Sort(lines)
	add("macros", []byte(strings.Join(lines, "\n")))
	headers, err := filepath.Glob(filepath.Join(include, "hnswlib", "*.h"))
	if err != nil {
		return nil, err
	}
	slices.Sort(headers)
	for _, f := range headers {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		add(filepath.Base(f), data)
	}
	b.hash = hex.EncodeToString(h.Sum(nil))
	return b, nil
}

func (b *nativeBuilder) args(src, out string) []string {
	args := append([]string{b.cxx}, nativeFlags...)
	if b.include != "/usr/include" {
		args = append(args, "-I", b.include)
	}
	return append(args, "-o", out, src)
}

// compile builds src into bin: into a temporary file beside it, renamed
// into place, so a binary at bin is always whole.
func (b *nativeBuilder) compile(ctx context.Context, src, bin string) error {
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return fmt.Errorf("compile %s: %w", src, err)
	}
	f, err := os.CreateTemp(filepath.Dir(bin), filepath.Base(bin)+".*.tmp")
	if err != nil {
		return fmt.Errorf("compile %s: %w", src, err)
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	args := b.args(src, tmp)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 2000 {
			msg = "…" + msg[len(msg)-2000:]
		}
		return fmt.Errorf("compile %s: %s: %v: %s", src, strings.Join(args, " "), err, msg)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("compile %s: %w", src, err)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return fmt.Errorf("compile %s: %w", src, err)
	}
	return nil
}
