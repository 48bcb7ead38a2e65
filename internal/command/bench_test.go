package command_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// benchFixture serves an index that /search ranks as the benchmark's
// ranking says, points clipvec at it, and fetches it into a database.
func benchFixture(t *testing.T) (*twelvelabstest.Server, string, *twelvelabstest.Index, string) {
	t.Helper()
	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(20),
		twelvelabstest.WithSearchRanking(twelvelabstest.BenchmarkSearchRanking()))
	t.Cleanup(srv.Close)
	upstreamEnv(t, srv, twelvelabstest.DefaultAPIKey)
	db := tempDB(t)
	ix := srv.Catalogue.Indexes[0]
	if _, errs, code := run(t, db, "", "fetch", "index", "--quiet", ix.ID); code != command.ExitOK {
		t.Fatalf("fetch index: %s", errs)
	}
	return srv, db, ix, t.TempDir()
}

// topicQueries are the first n topics' descriptions.
func topicQueries(n int) []string {
	var out []string
	for _, topic := range twelvelabstest.Topics()[:n] {
		out = append(out, topic.Description)
	}
	return out
}

// TestBenchUpstreamCommand: clipvec bench upstream against the fake
// server writes its report, --replay prints the same JSON offline, and
// mistakes exit with their codes.
func TestBenchUpstreamCommand(t *testing.T) {
	srv, db, ix, dir := benchFixture(t)
	queries := filepath.Join(dir, "queries.txt")
	lines := topicQueries(4)
	lines = append(lines, `{"text": "a surfer riding a big ocean wave", "search_options": ["visual"], "group_by": "video"}`)
	os.WriteFile(queries, []byte("# four topics and one grouped query\n"+strings.Join(lines, "\n")+"\n"), 0o644)
	report := filepath.Join(dir, "report")

	out, errs, code := run(t, db, "", "bench", "upstream", "--index", ix.ID, "--queries", queries, "--report", report, "--json")
	if code != command.ExitOK {
		t.Fatalf("bench: exit %d: %s", code, errs)
	}
	var rep struct {
		Summary struct {
			RecallAtK      map[string]struct{ Mean, Lo, Hi float64 } `json:"recall_at_k"`
			NDCGAtK        map[string]json.RawMessage                `json:"ndcg_at_k"`
			RBO            struct{ Mean float64 }                    `json:"rbo"`
			VideoRecallAtK map[string]json.RawMessage                `json:"video_recall_at_k"`
		}
		Queries []struct {
			RecallAtK map[string]float64 `json:"recall_at_k"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	for _, k := range []string{"1", "5", "10", "50"} {
		if _, ok := rep.Summary.RecallAtK[k]; !ok || rep.Summary.NDCGAtK[k] == nil || rep.Summary.VideoRecallAtK[k] == nil {
			t.Errorf("summary lacks k %s: %s", k, out)
		}
	}
	if r := rep.Summary.RecallAtK["10"]; r.Mean <= 0 || r.Mean >= 1 || len(rep.Queries) != 5 || rep.Summary.RBO.Mean <= 0 {
		t.Errorf("summary %+v, %d queries", rep.Summary, len(rep.Queries))
	}
	for _, f := range []string{"report.md", "recall.svg", "ranks.svg", "bench.json", "upstream.jsonl", "local.jsonl", "index.json"} {
		if _, err := os.Stat(filepath.Join(report, f)); err != nil {
			t.Error(err)
		}
	}

	// Offline: no server, no key; the same JSON.
	srv.Close()
	t.Setenv("TWELVELABS_API_KEY", "")
	again, errs, code := run(t, db, "", "bench", "upstream", "--replay", report, "--json")
	if code != command.ExitOK || again != out {
		t.Errorf("replay: exit %d %s\nfirst:\n%s\nreplay:\n%s", code, errs, out, again)
	}
	human, _, code := run(t, db, "", "bench", "upstream", "--replay", report, "-k", "5")
	if code != command.ExitOK || !strings.Contains(human, "recall@5") || !strings.Contains(human, "GRAPH VS UPSTREAM") {
		t.Errorf("human output: exit %d\n%s", code, human)
	}
	for _, line := range strings.Split(human, "\n") {
		if len([]rune(line)) > 80 {
			t.Errorf("a line over 80 columns: %q", line)
		}
	}

	t.Run("Mistakes", func(t *testing.T) {
		empty := filepath.Join(dir, "empty.txt")
		os.WriteFile(empty, []byte("\n\n"), 0o644)
		for _, tc := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"bench", "upstream", "--queries", queries}, command.ExitUsage, "--index"},
			{[]string{"bench", "upstream", "--replay", report, "--model", "marengo2.7"}, command.ExitUsage, "not comparable"},
			{[]string{"bench", "upstream", "--replay", filepath.Join(dir, "nothing")}, command.ExitNotFound, "nothing"},
			{[]string{"bench", "upstream", "--index", ix.ID, "--queries", empty}, command.ExitInvalidInput, "no queries"},
			{[]string{"bench", "upstream", "--index", ix.ID, "--queries", queries}, command.ExitFailure, "TWELVELABS_API_KEY"},
		} {
			_, errs, code := run(t, db, "", tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("%v: exit %d, want %d and %q:\n%s", tc.args, code, tc.code, tc.want, errs)
			}
		}
	})
}

// TestBenchUpstreamKilledResumes SIGKILLs a bench run while its fourth
// search hangs, then runs it again with the same --report: the three
// queries recorded are not searched again, and the report is whole.
func TestBenchUpstreamKilledResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	srv, db, ix, dir := benchFixture(t)
	queries := filepath.Join(dir, "queries.txt")
	os.WriteFile(queries, []byte(strings.Join(topicQueries(6), "\n")+"\n"), 0o644)
	report := filepath.Join(dir, "report")

	// Three searches are answered; the fourth hangs until the kill.
	hang := srv.Inject(twelvelabstest.Fault{Endpoint: twelvelabstest.EndpointSearch, Skip: 3, Delay: 10 * time.Minute})
	args, _ := json.Marshal([]string{"clipvec", "--db", db, "bench", "upstream", "--index", ix.ID, "--queries", queries, "--report", report})
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childArgsEnv+"="+string(args))
	var childOut bytes.Buffer
	child.Stdout, child.Stderr = &childOut, &childOut
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill() })
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	deadline := time.Now().Add(2 * time.Minute) // a hang guard, not a speed limit
	for srv.Count(twelvelabstest.EndpointSearch) < 4 {
		select {
		case err := <-exited:
			t.Fatalf("the child exited before the kill: %v\n%s", err, childOut.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child did not get going\n%s", childOut.String())
		}
	}
	child.Process.Signal(syscall.SIGKILL)
	<-exited
	hang.Remove()

	recorded, _ := os.ReadFile(filepath.Join(report, "upstream.jsonl"))
	if n := strings.Count(string(recorded), "\n"); n != 3 {
		t.Fatalf("after the kill %d queries are recorded, want 3", n)
	}
	srv.ResetRequests()
	out, errs, code := run(t, db, "", "bench", "upstream", "--index", ix.ID, "--queries", queries, "--report", report, "--json")
	if code != command.ExitOK {
		t.Fatalf("resumed: exit %d: %s", code, errs)
	}
	if n := srv.Count(twelvelabstest.EndpointSearch); n != 3 {
		t.Errorf("the resumed run searched %d times, want 3 (the queries not recorded)", n)
	}
	var rep struct{ Queries []json.RawMessage }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Queries) != 6 {
		t.Fatalf("resumed report: %v, %d queries", err, len(rep.Queries))
	}
}
