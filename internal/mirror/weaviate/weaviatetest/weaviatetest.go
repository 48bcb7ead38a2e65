// Package weaviatetest gives tests a real three-node Weaviate cluster on
// loopback, started with scripts/weaviate-cluster once per test binary
// and stopped when its tests end:
//
//	func TestMain(m *testing.M) { os.Exit(weaviatetest.Run(m)) }
//
//	func TestSomething(t *testing.T) {
//		url, stopNode := weaviatetest.Start(t) // skips unless CLIPVEC_WEAVIATE_TESTS=1
//		...
//		stopNode(2) // node 2 is down until the test ends, then back
//	}
//
// Each test binary gets a cluster of its own, in a temporary directory,
// on ports the script's WEAVIATE_PORT_OFFSET moves to a free range (2000,
// 3000, ..., 9000 are tried in turn, under a lock shared by every test
// binary so two packages tested at once never pick the same; 0 and 1000
// are left to clusters started by hand). CLIPVEC_WEAVIATE_PORT_OFFSET
// fixes the offset instead. The script builds weaviate-server into
// .cache/bin when it is missing (about 2 minutes), and stops the cluster
// by itself if the test binary dies without stopping it (a timeout).
//
// Starting takes about 10 to 30 seconds on a 2-core machine. A cluster
// that failed to start fails every test that asks for it, with the
// script's output and the tail of each node's log.
package weaviatetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvEnable must be "1" for Start to start a cluster; otherwise the
// tests that ask for one are skipped.
const EnvEnable = "CLIPVEC_WEAVIATE_TESTS"

// EnvOffset, when set, is the port offset of the cluster (see the
// package documentation).
const EnvOffset = "CLIPVEC_WEAVIATE_PORT_OFFSET"

// cluster is a cluster this process started.
type cluster struct {
	url, dir, script string
	offset           int
}

var (
	mu sync.Mutex
	// inRun: Run is running the tests; the cluster, once started, is
	// stopped when they end.
	inRun    bool
	started  *cluster
	startErr error
)

// Run runs the tests (m.Run), then stops the cluster Start started, if
// it did, and returns m.Run's exit code. Call it from TestMain. The
// cluster's directory (data and logs) is removed when every test passed,
// and kept, and named on stderr, otherwise.
func Run(m *testing.M) int {
	mu.Lock()
	inRun = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	c := started
	mu.Unlock()
	if c != nil {
		if out, err := c.run(context.Background(), "stop"); err != nil {
			fmt.Fprintf(os.Stderr, "weaviatetest: stop the cluster: %v\n%s\n", err, out)
		}
		if code == 0 {
			os.RemoveAll(c.dir)
		} else {
			fmt.Fprintf(os.Stderr, "weaviatetest: the cluster's data and logs are kept in %s\n", c.dir)
		}
	}
	return code
}

// Start returns the URL of node 0 of the test binary's cluster
// ("http://127.0.0.1:10080"), starting it on the first call, and a
// function that stops node i (0, 1 or 2) until t ends, when it is
// started again and the cluster is waited for until healthy. It skips t
// unless CLIPVEC_WEAVIATE_TESTS=1, and fails it when the package's
// TestMain does not call Run.
func Start(t testing.TB) (url string, stopNode func(i int)) {
	t.Helper()
	if os.Getenv(EnvEnable) != "1" {
		t.Skipf("needs a three-node Weaviate cluster: %s=1 starts one with scripts/weaviate-cluster", EnvEnable)
	}
	mu.Lock()
	defer mu.Unlock()
	if !inRun {
		t.Fatal("weaviatetest: the package's TestMain must call weaviatetest.Run, which stops the cluster")
	}
	if started == nil && startErr == nil {
		started, startErr = start()
	}
	if startErr != nil {
		t.Fatal(startErr)
	}
	c := started
	stopNode = func(i int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if out, err := c.run(ctx, "stop-node", strconv.Itoa(i)); err != nil {
			t.Fatalf("stop node %d: %v\n%s", i, err, out)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if out, err := c.run(ctx, "start-node", strconv.Itoa(i)); err != nil {
				t.Errorf("start node %d again: %v\n%s", i, err, out)
			}
		})
	}
	return c.url, stopNode
}

// run runs the script on c's cluster.
func (c *cluster) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.script, append([]string{"--dir", c.dir}, args...)...)
	cmd.Env = append(os.Environ(), "WEAVIATE_PORT_OFFSET="+strconv.Itoa(c.offset))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// start starts a cluster in a new temporary directory, on free ports.
func start() (*cluster, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, fmt.Errorf("weaviatetest: %w", err)
	}
	dir, err := os.MkdirTemp("", "clipvec-weaviate-")
	if err != nil {
		return nil, fmt.Errorf("weaviatetest: %w", err)
	}
	c := &cluster{dir: dir, script: filepath.Join(root, "scripts", "weaviate-cluster")}
	unlock, err := lockPorts(filepath.Join(os.TempDir(), "clipvec-weaviate-ports.lock"))
	if err != nil {
		return nil, fmt.Errorf("weaviatetest: lock the port ranges: %w", err)
	}
	defer unlock()
	if v := os.Getenv(EnvOffset); v != "" {
		if c.offset, err = strconv.Atoi(v); err != nil || c.offset < 0 {
			return nil, fmt.Errorf("weaviatetest: %s=%q is not a port offset", EnvOffset, v)
		}
	} else {
		c.offset = -1
		for off := 2000; off <= 9000; off += 1000 {
			if portsFree(off) {
				c.offset = off
				break
			}
		}
		if c.offset < 0 {
			return nil, errors.New("weaviatetest: no free port range for a cluster (offsets 2000 to 9000 all have ports in use)")
		}
	}
	// Building weaviate-server, when it is missing, takes minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	out, err := c.run(ctx, "--watch", strconv.Itoa(os.Getpid()), "--fresh", "start")
	if err != nil {
		return nil, fmt.Errorf("weaviatetest: start the cluster (scripts/weaviate-cluster --dir %s start, port offset %d): %v\n%s", dir, c.offset, err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	c.url = lines[len(lines)-1]
	if !strings.HasPrefix(c.url, "http://") {
		return nil, fmt.Errorf("weaviatetest: the script printed no URL:\n%s", out)
	}
	return c, nil
}

// portsFree reports whether every port of a cluster at offset is free
// on loopback.
func portsFree(offset int) bool {
	for i := range 3 {
		for _, p := range []int{8080 + i, 50051 + i, 6060 + i, 7100 + 2*i, 7101 + 2*i, 8300 + 2*i, 8301 + 2*i} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+offset))
			if err != nil {
				return false
			}
			l.Close()
		}
	}
	return true
}

// moduleRoot is the directory of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
