package faults_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/benchmarks/faults"
)

// TestKillsAndConcurrentProcesses runs a few trials of every kind: each
// writing command killed at a random moment (the first of each runs to
// the end), then each beside reader processes, with the store and the
// searches checked against SQLite after every one. cmd/faultstress runs
// the same at scale.
func TestKillsAndConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds clipvec and runs it some 100 times")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "clipvec")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/clipvec/clipvec/cmd/clipvec").CombinedOutput(); err != nil {
		t.Fatalf("build clipvec: %v\n%s", err, out)
	}
	var log strings.Builder
	rep, err := faults.Run(context.Background(), faults.Config{Binary: bin, Dir: dir, Kills: 16, Concurrent: 5,
		Videos: 64, Clips: 20, Dim: 32, Seed: 1, Log: &log})
	t.Log("\n" + log.String())
	if err != nil {
		t.Fatal(err)
	}
	kills := 0
	for _, n := range rep.Kills {
		kills += n
	}
	if kills == 0 || rep.ReaderRuns == 0 || len(rep.Concurrent) != 5 {
		t.Fatalf("the trials did not do what they say: %+v", rep)
	}
	t.Logf("%+v", rep)
}
