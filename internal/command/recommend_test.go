package command_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// sampleDB imports the built-in sample (36 videos, 8 topics).
func sampleDB(t testing.TB) string {
	t.Helper()
	db := tempDB(t)
	if out, errs, code := run(t, db, "", "import", "../../testdata/sample/exports"); code != command.ExitOK {
		t.Fatalf("import: %d\n%s%s", code, out, errs)
	}
	return db
}

type neighboursFile struct {
	header string
	lines  []neighboursLine
}

type neighboursLine struct {
	VideoID   string `json:"video_id"`
	SegmentID int64  `json:"segment_id"`
	Hits      []struct {
		VideoID   string  `json:"video_id"`
		Score     float32 `json:"score"`
		SegmentID int64   `json:"segment_id"`
	} `json:"neighbours"`
}

func readNeighbours(t testing.TB, path string) neighboursFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var nf neighboursFile
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if nf.header == "" {
			nf.header = sc.Text()
			continue
		}
		nf.lines = append(nf.lines, neighboursLine{})
		if err := json.Unmarshal(sc.Bytes(), &nf.lines[len(nf.lines)-1]); err != nil {
			t.Fatalf("%s line %d: %v", path, len(nf.lines)+1, err)
		}
	}
	return nf
}

func TestRecommendAllVideos(t *testing.T) {
	db := sampleDB(t)
	out := filepath.Join(t.TempDir(), "n.jsonl")
	if o, errs, code := run(t, db, "", "recommend", "--all-videos", "--top", "4", "--exact", "-o", out); code != command.ExitOK {
		t.Fatalf("recommend: %d\n%s%s", code, o, errs)
	}
	full, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	nf := readNeighbours(t, out)
	if len(nf.lines) != 36 {
		t.Fatalf("%d lines, want 36 videos", len(nf.lines))
	}
	// Each line is what search --like-video --group-by video --exact says.
	cdb, err := clipvec.OpenReadOnly(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()
	for i, l := range nf.lines {
		if i > 0 && l.VideoID <= nf.lines[i-1].VideoID {
			t.Fatalf("line %d: %s after %s", i, l.VideoID, nf.lines[i-1].VideoID)
		}
		res, err := cdb.Search(context.Background(), clipvec.Query{LikeVideo: l.VideoID, K: 4, GroupBy: clipvec.GroupByVideo, Exact: true,
			Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeClip}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != len(l.Hits) {
			t.Fatalf("%s: %d neighbours, want %d", l.VideoID, len(l.Hits), len(res.Hits))
		}
		for j, h := range res.Hits {
			if g := l.Hits[j]; g.VideoID != h.VideoID || g.SegmentID != h.ID || g.Score != h.Score {
				t.Fatalf("%s neighbour %d: %+v, want %s %d %.6f", l.VideoID, j, g, h.VideoID, h.ID, h.Score)
			}
		}
	}

	t.Run("ResumesAfterATornLine", func(t *testing.T) {
		// A kill mid-write leaves 20 lines and half of the 21st.
		lines := bytes.SplitAfter(full, []byte("\n"))
		torn := bytes.Join(lines[:21], nil)
		torn = append(torn, lines[21][:len(lines[21])/2]...)
		path := filepath.Join(t.TempDir(), "n.jsonl")
		if err := os.WriteFile(path, torn, 0o644); err != nil {
			t.Fatal(err)
		}
		o, errs, code := run(t, db, "", "recommend", "--all-videos", "--top", "4", "--exact", "-o", path)
		if code != command.ExitOK || !strings.Contains(errs, "resumed after 20, wrote the neighbours of 16 videos") {
			t.Fatalf("resume: %d\n%s%s", code, o, errs)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, full) {
			t.Fatalf("resumed file differs from an uninterrupted run:\n%s", got)
		}
	})
	t.Run("OtherOptionsRefused", func(t *testing.T) {
		_, errs, code := run(t, db, "", "recommend", "--all-videos", "--top", "5", "--exact", "-o", out)
		if code != command.ExitUsage || !strings.Contains(errs, "written with other options") {
			t.Fatalf("code %d: %s", code, errs)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, full) {
			t.Fatal("a refused run changed the file")
		}
	})
	t.Run("NotANeighboursFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notes.txt")
		os.WriteFile(path, []byte("my notes\n"), 0o644)
		_, errs, code := run(t, db, "", "recommend", "--all-videos", "-o", path)
		if got, _ := os.ReadFile(path); code != command.ExitUsage || string(got) != "my notes\n" || !strings.Contains(errs, "not a neighbours file") {
			t.Fatalf("code %d, file %q: %s", code, got, errs)
		}
	})
}

func TestRecommendAllClips(t *testing.T) {
	db := sampleDB(t)
	o, errs, code := run(t, db, "", "recommend", "--all-clips", "--top", "3", "--other-videos", "--query-modality", "audio", "-o", "-")
	if code != command.ExitOK {
		t.Fatalf("recommend: %d\n%s", code, errs)
	}
	sc := bufio.NewScanner(strings.NewReader(o))
	sc.Buffer(nil, 1<<20)
	n := 0
	last := int64(0)
	for sc.Scan() {
		if n++; n == 1 {
			continue // the header
		}
		var l struct {
			VideoID   string `json:"video_id"`
			SegmentID int64  `json:"segment_id"`
			Modality  string
			Hits      []struct {
				VideoID string `json:"video_id"`
			} `json:"neighbours"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.SegmentID <= last || l.Modality != "audio" || len(l.Hits) != 3 {
			t.Fatalf("line %d: %+v", n, l)
		}
		last = l.SegmentID
		for _, h := range l.Hits {
			if h.VideoID == l.VideoID {
				t.Fatalf("clip %d: a neighbour of its own video", l.SegmentID)
			}
		}
	}
	if n < 100 {
		t.Fatalf("%d lines", n)
	}
}

func TestRecommendOne(t *testing.T) {
	db := sampleDB(t)
	out, _, _ := run(t, db, "", "videos", "--json")
	var videos []struct {
		ID       string `json:"video_id"`
		Filename string
	}
	if err := json.Unmarshal([]byte(out), &videos); err != nil {
		t.Fatal(err)
	}
	topic := func(file string) string { return strings.TrimRight(strings.TrimSuffix(file, ".mp4"), "-0123456789") }
	var surf []string
	for _, v := range videos {
		if topic(v.Filename) == "surfing" {
			surf = append(surf, v.ID)
		}
	}
	o, errs, code := run(t, db, "", "recommend", "--like-video", surf[0], "--like-video", surf[1], "--group-by", "video", "-k", "3", "--json")
	if code != command.ExitOK {
		t.Fatalf("%d: %s", code, errs)
	}
	var res clipvec.Result
	if err := json.Unmarshal([]byte(o), &res); err != nil {
		t.Fatal(err)
	}
	if res.Query.Kind != clipvec.QueryRecommend || len(res.Hits) != 3 {
		t.Fatalf("%+v", res)
	}
	for _, h := range res.Hits {
		if topic(h.Filename) != "surfing" || h.VideoID == surf[0] || h.VideoID == surf[1] {
			t.Errorf("recommended %s (%s) for two surfing videos", h.VideoID, h.Filename)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"recommend"}, "give at least one --like-video"},
		{[]string{"recommend", "--all-videos"}, "add -o FILE.jsonl"},
		{[]string{"recommend", "--like-video", surf[0], "--mmr", "1.5"}, "want a weight in (0, 1]"},
		{[]string{"recommend", "--like-video", surf[0], "--min-score", "x"}, "--min-score"},
		{[]string{"recommend", "--all-videos", "--all-clips", "-o", "-"}, "not both"},
	} {
		if _, errs, code := run(t, db, "", tc.args...); code != command.ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: code %d, %q; want exit 2 saying %q", tc.args, code, errs, tc.want)
		}
	}
}
