package weaviate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// cli runs clipvec in-process on database db.
func cli(t *testing.T, db string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = command.Run(context.Background(), append([]string{"clipvec", "--db", db}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func searchJSON(t *testing.T, db string, args ...string) *clipvec.Result {
	t.Helper()
	out, errs, code := cli(t, db, append([]string{"search", "--json"}, args...)...)
	if code != command.ExitOK {
		t.Fatalf("search %v: exit %d: %s", args, code, errs)
	}
	var res clipvec.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("search %v: %v", args, err)
	}
	return &res
}

// remoteCase is a local question asked of the cluster too.
type remoteCase struct {
	args []string
	// keep says whether a hit may be returned under the case's filter.
	keep func(h clipvec.Hit) bool
}

// TestSearchRemote asks the cluster (3 nodes, 3 shards, replication 2)
// what the local exact scan answers, over every filter, then again with
// a node down, and from an empty local database.
func TestSearchRemote(t *testing.T) {
	url, nodes := startCluster(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "sample.db")
	if _, errs, code := cli(t, db, "import", sampleExports); code != command.ExitOK {
		t.Fatalf("import: %s", errs)
	}
	const prefix = "RemoteTest"
	if _, errs, code := cli(t, db, "sync", "weaviate", "--url", url, "--collection", prefix, "--shards", "3", "--replication", "2"); code != command.ExitOK {
		t.Fatalf("sync: %s", errs)
	}
	remote := []string{"--remote", url, "--collection", prefix}

	// Clips drawn at random, asked with each filter.
	cdb, err := clipvec.OpenReadOnly(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	videos, err := cdb.Videos(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(11, 12))
	var cases []remoteCase
	for i := range 24 {
		v := videos[r.IntN(len(videos))]
		segs, err := cdb.VideoSegments(context.Background(), v.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		var clips []clipvec.Segment
		for _, s := range segs {
			if s.Scope == clipvec.ScopeClip {
				clips = append(clips, s)
			}
		}
		s := clips[r.IntN(len(clips))]
		like := []string{"--like", fmt.Sprintf("%s@%g", s.VideoID, (s.Start+s.End)/2), "--query-modality", s.Modality}
		other := videos[(i+5)%len(videos)].ID
		switch i % 6 {
		case 0:
			cases = append(cases, remoteCase{like, func(h clipvec.Hit) bool { return h.Scope == clipvec.ScopeClip }})
		case 1:
			cases = append(cases, remoteCase{append(like, "--modality", "audio", "--modality", "transcription"),
				func(h clipvec.Hit) bool { return h.Modality == "audio" || h.Modality == "transcription" }})
		case 2:
			cases = append(cases, remoteCase{append(like, "--from", "20", "--to", "45"),
				func(h clipvec.Hit) bool { return h.End > 20 && h.Start < 45 }})
		case 3:
			cases = append(cases, remoteCase{append(like, "--other-videos", "--exclude-video", other),
				func(h clipvec.Hit) bool { return h.VideoID != s.VideoID && h.VideoID != other }})
		case 4:
			cases = append(cases, remoteCase{append(like, "--video", other, "--video", s.VideoID, "--scope", "any"),
				func(h clipvec.Hit) bool { return h.VideoID == other || h.VideoID == s.VideoID }})
		case 5:
			cases = append(cases, remoteCase{[]string{"--like-video", s.VideoID, "--scope", "video", "--group-by", "video"},
				func(h clipvec.Hit) bool { return h.Scope == clipvec.ScopeVideo && h.VideoID != s.VideoID }})
		}
	}
	cdb.Close()

	check := func(t *testing.T, localDB string, extra ...string) {
		t.Helper()
		var sum float64
		for _, c := range cases {
			want := searchJSON(t, db, append(slices.Clone(c.args), "--exact")...)
			got := searchJSON(t, localDB, slices.Concat(c.args, remote, extra)...)
			if got.Method != clipvec.MethodRemote {
				t.Fatalf("%v: method %s", c.args, got.Method)
			}
			scores := map[int64]float32{}
			for _, h := range want.Hits {
				scores[h.ID] = h.Score
			}
			found := 0
			for _, h := range got.Hits {
				if !c.keep(h) {
					t.Errorf("%v: hit %d (%s %s %s %g–%g) breaks the filter", c.args, h.ID, h.VideoID, h.Modality, h.Scope, h.Start, h.End)
				}
				if s, ok := scores[h.ID]; ok {
					found++
					if math.Abs(float64(s-h.Score)) > 1e-4 {
						t.Errorf("%v: segment %d scores %.6f in the cluster, %.6f locally", c.args, h.ID, h.Score, s)
					}
				}
			}
			if len(want.Hits) > 0 {
				sum += float64(found) / float64(len(want.Hits))
			} else {
				sum++
			}
		}
		if recall := sum / float64(len(cases)); recall < 0.95 {
			t.Errorf("recall@10 against local exact %.4f over %d queries, want ≥ 0.95", recall, len(cases))
		} else {
			t.Logf("recall@10 against local exact: %.4f over %d queries", recall, len(cases))
		}
	}
	t.Run("AllNodes", func(t *testing.T) { check(t, db) })
	t.Run("FromAnEmptyLocalDatabase", func(t *testing.T) {
		// The clip and the video are read from the cluster's copy; there
		// is no local database.
		empty := filepath.Join(dir, "empty.db")
		for _, c := range cases[:6] {
			want := searchJSON(t, db, slices.Concat(c.args, remote)...)
			got := searchJSON(t, empty, slices.Concat(c.args, remote)...)
			if len(got.Hits) != len(want.Hits) {
				t.Fatalf("%v: %d hits from an empty database, %d from the full one", c.args, len(got.Hits), len(want.Hits))
			}
			for i := range got.Hits {
				if got.Hits[i].ID != want.Hits[i].ID {
					t.Fatalf("%v: hit %d is %d from an empty database, %d from the full one", c.args, i, got.Hits[i].ID, want.Hits[i].ID)
				}
			}
		}
		// None at all: search --remote needs none, and makes none.
		if _, err := os.Stat(empty); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("search --remote created %s: %v", empty, err)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		for _, args := range [][]string{
			append([]string{"--like", "x@1", "--exact"}, remote...),
			append([]string{"--like", "x@1", "--ef", "50"}, remote...),
			append([]string{"--like-video", "x", "--agg", "mean"}, remote...),
			append([]string{"--like", "x@1", "--consistency", "SOME"}, remote...),
		} {
			if _, errs, code := cli(t, db, append([]string{"search"}, args...)...); code != command.ExitUsage {
				t.Errorf("%v: exit %d (%s), want 2", args, code, errs)
			}
		}
	})
	t.Run("OneNodeDown", func(t *testing.T) {
		nodes.Stop(t, 2) // back when the test ends
		check(t, db, "--consistency", "ONE")
	})
}
