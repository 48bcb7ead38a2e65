package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/clipvec/clipvec/benchmarks/ann"
)

// runMethod measures one method in a child process of its own and returns
// its result, with peak RSS from the child's rusage. A method that fails
// or cannot run comes back with Error or Skipped set: the others still
// run.
func runMethod(ctx context.Context, c *config, self string, ds *dataset, method string, log io.Writer) *methodResult {
	fail := func(err error) *methodResult { return &methodResult{Method: method, Error: err.Error()} }
	if err := os.MkdirAll(c.cache, 0o755); err != nil {
		return fail(err)
	}
	work, err := os.MkdirTemp(c.cache, "work-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(work)
	spec := childSpec{
		Method: method, Base: ds.info.BasePath, Query: ds.info.QueryPath,
		N: ds.info.N, Queries: ds.info.Queries, K: c.k, Efs: c.efs,
		M: c.m, EfConstruction: c.efConstruction, Threads: c.threads, Seed: c.seed,
		Build1: c.build1, ExactQueries: c.exactQueries, Runs: c.runs, WorkDir: work,
	}
	var cmd *exec.Cmd
	var pc *peerCommand
	if p, ok := peers[method]; ok {
		var skip string
		pc, skip, err = p.command(ctx, c, log)
		switch {
		case err != nil:
			return fail(err)
		case skip != "":
			return &methodResult{Method: method, Skipped: skip}
		}
		cmd = exec.CommandContext(ctx, pc.argv[0], append(pc.argv[1:], peerArgs(&spec)...)...)
	} else {
		b, _ := json.Marshal(spec)
		specPath := filepath.Join(work, "spec.json")
		if err := os.WriteFile(specPath, b, 0o644); err != nil {
			return fail(err)
		}
		cmd = exec.CommandContext(ctx, self, childFlag, specPath)
	}
	var stdout bytes.Buffer
	tail := &tailWriter{w: log}
	cmd.Stdout, cmd.Stderr = &stdout, tail
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start).Seconds()
	if err != nil {
		return fail(fmt.Errorf("%s child: %v: %s", method, err, strings.TrimSpace(tail.String())))
	}
	var res methodResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return fail(fmt.Errorf("%s child printed no result: %v", method, err))
	}
	if res.Method != method {
		return fail(fmt.Errorf("%s child reported method %q", method, res.Method))
	}
	if res.Skipped != "" || res.Error != "" {
		return &res
	}
	if pc != nil {
		if pc.version != "" {
			res.Version = pc.version
		}
		res.Notes = append(slices.Clip(pc.notes), res.Notes...)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.PeakRSSBytes = int64(ru.Maxrss) * 1024 // kilobytes on Linux
	}
	if res.ChildSeconds == 0 {
		res.ChildSeconds = wall
	}
	n := float64(ds.info.N)
	if res.Build1Seconds > 0 {
		res.Build1PerSec = n / res.Build1Seconds
	}
	if res.BuildAllSeconds > 0 {
		res.BuildAllPerSec = n / res.BuildAllSeconds
	}
	return &res
}

// scoreRecall fills each point's recall from its ids and drops the ids.
func scoreRecall(res *methodResult, truth [][]int32, k int) {
	for i := range res.Points {
		p := &res.Points[i]
		if len(p.IDs) > 0 {
			p.Recall = ann.MeanRecall(p.IDs, truth[:len(p.IDs)], k)
		}
		p.IDs = nil
	}
}

// tailWriter passes a child's stderr through and keeps its last lines for
// the error message if the child fails.
type tailWriter struct {
	w   io.Writer
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-2048:]
	}
	return t.w.Write(p)
}

func (t *tailWriter) String() string { return string(t.buf) }
