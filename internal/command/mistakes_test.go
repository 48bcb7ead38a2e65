package command_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clipvec/clipvec/internal/command"
	"github.com/clipvec/clipvec/internal/ingest"
)

// Videos of the built-in sample.
const (
	surfing01 = "6821ac34a9d4f4fb30f4fb30" // surfing-01.mp4, 72.6 s, clips to 72 s
	cooking01 = "6821ad59a9d4f4fb30f4fe21" // cooking-01.mp4
	cooking02 = "6821bf9ca9d4f4fb30f515a9" // cooking-02.mp4
	surfing05 = "6821f7b8a9d4f4fb30f55950" // surfing-05.mp4
	queries   = "../../testdata/sample/queries.json"
)

type check struct {
	name string
	args []string
	code int
	msg  string // in stderr (or, for exit 0, stdout)
}

func runChecks(t *testing.T, db, stdin string, checks []check) {
	t.Helper()
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(t, db, stdin, tc.args...)
			where := errs
			if tc.code == command.ExitOK {
				where = out
			}
			if code != tc.code || !strings.Contains(where, tc.msg) {
				t.Errorf("clipvec %s: exit %d\n%s%s\nwant exit %d saying %q", strings.Join(tc.args, " "), code, out, errs, tc.code, tc.msg)
			}
		})
	}
}

// TestMistakesSayWhatIsThere: a filter naming a modality, scope or video
// that is not there is an error listing what is (issue 13: 2).
func TestMistakesSayWhatIsThere(t *testing.T) {
	db := sampleDB(t)
	like := []string{"search", "--like", surfing01 + "@12"}
	rec := []string{"recommend", "--like-video", surfing01}
	with := func(base []string, more ...string) []string { return append(append([]string(nil), base...), more...) }
	const (
		vis    = `--modality "vis": the space marengo3.0/512 holds audio, transcription, visual`
		noSuch = `: no such video (36 videos; list them with clipvec videos)`
	)
	runChecks(t, db, "", []check{
		{"SearchModality", with(like, "--modality", "vis"), command.ExitUsage, "search: " + vis},
		{"SearchVideo", with(like, "--video", "nope"), command.ExitNotFound, `search: --video "nope"` + noSuch},
		{"SearchExcludeVideo", with(like, "--exclude-video", "nope"), command.ExitNotFound, `search: --exclude-video "nope"` + noSuch},
		{"SearchLikeVideo", []string{"search", "--like-video", "nope"}, command.ExitNotFound, `search: --like-video "nope"` + noSuch},
		{"SearchLike", []string{"search", "--like", "nope@3"}, command.ExitNotFound, `search: --like "nope@3": no such video "nope" (36 videos`},
		{"SearchVectorVideo", []string{"search", "--vector", queries + "#surfing", "--video", "nope"}, command.ExitNotFound, `--video "nope"` + noSuch},
		{"RecommendModality", with(rec, "--modality", "vis"), command.ExitUsage, "recommend: " + vis},
		{"RecommendVideo", with(rec, "--video", "nope"), command.ExitNotFound, `recommend: --video "nope"` + noSuch},
		{"RecommendExcludeVideo", with(rec, "--exclude-video", "nope"), command.ExitNotFound, `recommend: --exclude-video "nope"` + noSuch},
		{"RecommendLikeVideo", []string{"recommend", "--like-video", "nope"}, command.ExitNotFound, `recommend: --like-video "nope"` + noSuch},
		{"RecommendUnlikeVideo", with(rec, "--unlike-video", "nope"), command.ExitNotFound, `recommend: --unlike-video "nope"` + noSuch},
		{"RecommendAllClipsModality", []string{"recommend", "--all-clips", "--modality", "vis", "-o", "-"}, command.ExitUsage, "recommend: " + vis},
		{"RecommendAllClipsQueryModality", []string{"recommend", "--all-clips", "--query-modality", "smell", "-o", "-"}, command.ExitUsage,
			`recommend: --query-modality "smell": the space marengo3.0/512 holds audio, transcription, visual`},
		{"OKWhatIsThere", with(like, "--modality", "audio", "--video", surfing05, "--exclude-video", cooking01, "-k", "3"), command.ExitOK, "surfing-05.mp4"},
	})

	t.Run("ScopeTheSpaceLacks", func(t *testing.T) {
		db := tempDB(t)
		path := handExport(t, handVideo{id: "wholeonly", file: "w.mp4", duration: 30, model: "marengo3.0", whole: true})
		if _, errs, code := run(t, db, "", "import", path); code != command.ExitOK {
			t.Fatalf("import: %s", errs)
		}
		runChecks(t, db, "[1, 2, 3, 4]", []check{
			{"Default", []string{"search", "--vector", "-"}, command.ExitUsage,
				"search: the space marengo3.0/4 holds whole-video vectors only, no clips: add --scope video (or --scope any)"},
			{"Given", []string{"search", "--vector", "-", "--scope", "clip"}, command.ExitUsage,
				`search: --scope "clip": the space marengo3.0/4 holds whole-video vectors only, no clips`},
			{"OK", []string{"search", "--vector", "-", "--scope", "video"}, command.ExitOK, "w.mp4"},
		})
	})
}

// TestLikeAtTheEnd: the last clip of a video answers for a time up to
// the video's duration; past it, the message agrees with itself (issue
// 13: 2).
func TestLikeAtTheEnd(t *testing.T) {
	db := sampleDB(t)
	const last = "visual clip 1:06.0–1:12.0 (66–72 s) of video " + surfing01
	runChecks(t, db, "", []check{
		{"EndOfLastClip", []string{"search", "--like", surfing01 + "@72"}, command.ExitOK, last},
		{"Duration", []string{"search", "--like", surfing01 + "@72.6"}, command.ExitOK, last},
		{"Clock", []string{"search", "--like", surfing01 + "@1:12.3"}, command.ExitOK, last},
		{"PastTheEnd", []string{"search", "--like", surfing01 + "@72.7"}, command.ExitNotFound,
			"video " + surfing01 + " has no clip at 72.7s (its clips cover 0–72 s of its 72.6 s)"},
	})
}

// TestVideoReferences: a VIDEO is an id, a unique id prefix of 4 or more
// characters, or a file name, wherever one is taken (issue 13: 5.1).
func TestVideoReferences(t *testing.T) {
	db := sampleDB(t)
	t.Run("Search", func(t *testing.T) {
		for _, args := range [][]string{
			{"--like", "6821ac34@24"},
			{"--like", "surfing-01.mp4@24"},
			{"--like-video", "6821ac"},
			{"--like-video", "surfing-01.mp4"},
		} {
			out, errs, code := run(t, db, "", append(append([]string{"search"}, args...), "--json")...)
			var res struct {
				Query struct {
					VideoID string `json:"video_id"`
					Clip    struct {
						VideoID string `json:"video_id"`
					}
				}
			}
			if code != command.ExitOK || json.Unmarshal([]byte(out), &res) != nil || res.Query.VideoID+res.Query.Clip.VideoID != surfing01 {
				t.Errorf("search %v: exit %d %s\n%.300s", args, code, errs, out)
			}
		}
	})
	t.Run("Filters", func(t *testing.T) {
		out, errs, code := run(t, db, "", "search", "--like", surfing01+"@24", "--video", "surfing-05.mp4", "--video", "6821bf9c",
			"--group-by", "video", "--json")
		ids := hitVideos(t, out)
		if code != command.ExitOK || len(ids) != 2 || !ids[surfing05] || !ids[cooking02] {
			t.Errorf("--video by file name and prefix: exit %d %s %v", code, errs, ids)
		}
		out, errs, code = run(t, db, "", "search", "--like", surfing01+"@24", "--other-videos", "--exclude-video", "surfing-05.mp4",
			"--group-by", "video", "-k", "40", "--json")
		ids = hitVideos(t, out)
		if code != command.ExitOK || len(ids) != 34 || ids[surfing05] {
			t.Errorf("--exclude-video by file name: exit %d %s, %d videos", code, errs, len(ids))
		}
	})
	t.Run("Recommend", func(t *testing.T) {
		out, errs, code := run(t, db, "", "recommend", "--like-video", "surfing-01.mp4", "--unlike-video", "6821ad59",
			"--exclude-video", "surfing-05.mp4", "--group-by", "video", "-k", "40", "--json")
		var res struct {
			Query struct{ Positive, Negative []string }
		}
		ids := hitVideos(t, out)
		if code != command.ExitOK || json.Unmarshal([]byte(out), &res) != nil || len(res.Query.Positive) != 1 || res.Query.Positive[0] != surfing01 ||
			len(res.Query.Negative) != 1 || res.Query.Negative[0] != cooking01 || ids[surfing05] || len(ids) != 33 {
			t.Errorf("recommend: exit %d %s\n%.300s", code, errs, out)
		}
	})
	runChecks(t, db, "", []check{
		{"AmbiguousPrefix", []string{"search", "--like-video", "6821"}, command.ExitUsage,
			`search: --like-video "6821": the ids of 36 videos start with it (` + surfing01 + ` surfing-01.mp4, ` + cooking01 + ` cooking-01.mp4, `},
		{"AmbiguousPrefixAdvice", []string{"search", "--like", "6821@3"}, command.ExitUsage, `and 31 more): give more of the id (clipvec videos lists them)`},
		{"PrefixTooShort", []string{"search", "--like-video", "682"}, command.ExitNotFound, `no such video (36 videos`},
		{"NotFoundVideos", []string{"videos", "nope"}, command.ExitNotFound, `videos: "nope": no such video (36 videos; list them with clipvec videos)`},
		{"NotFoundDelete", []string{"delete", surfing01, "nope"}, command.ExitNotFound, `delete: "nope": no such video`},
		{"NothingDeleted", []string{"videos", surfing01}, command.ExitOK, "surfing-01.mp4"},
	})
	t.Run("AmbiguousFileName", func(t *testing.T) {
		db := tempDB(t)
		path := handExport(t, handVideo{id: "aaaa1111", file: "same.mp4", duration: 12, model: "marengo3.0"},
			handVideo{id: "bbbb2222", file: "same.mp4", duration: 12, model: "marengo3.0"})
		if _, errs, code := run(t, db, "", "import", path); code != command.ExitOK {
			t.Fatalf("import: %s", errs)
		}
		runChecks(t, db, "", []check{
			{"Search", []string{"search", "--like-video", "same.mp4"}, command.ExitUsage,
				`search: --like-video "same.mp4": 2 videos have that file name (aaaa1111, bbbb2222): give a video id`},
			{"Delete", []string{"delete", "same.mp4"}, command.ExitUsage, `delete: "same.mp4": 2 videos have that file name`},
			{"NothingDeleted", []string{"videos"}, command.ExitOK, "bbbb2222"},
		})
	})
	t.Run("Delete", func(t *testing.T) {
		db := sampleDB(t)
		out, errs, code := run(t, db, "", "delete", "surfing-01.mp4", surfing01, "6821ad59")
		if want := "deleted 2 videos (78 segments): " + surfing01 + ", " + cooking01; code != command.ExitOK || !strings.Contains(out, want) {
			t.Fatalf("delete: exit %d %s%s, want %q", code, out, errs, want)
		}
		out, _, _ = run(t, db, "", "videos")
		if strings.Contains(out, surfing01) || strings.Contains(out, cooking01) || !strings.Contains(out, cooking02) {
			t.Errorf("videos after delete:\n%s", out)
		}
	})
}

func hitVideos(t *testing.T, out string) map[string]bool {
	t.Helper()
	var res struct {
		Hits []struct {
			VideoID string `json:"video_id"`
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%.300s", err, out)
	}
	ids := map[string]bool{}
	for _, h := range res.Hits {
		ids[h.VideoID] = true
	}
	return ids
}

// TestTuningFlags: flags that would mean nothing are refused, naming
// the flag (issue 13: 5.2).
func TestTuningFlags(t *testing.T) {
	db := sampleDB(t)
	search := []string{"search", "--like", surfing01 + "@12"}
	rec := []string{"recommend", "--like-video", surfing01}
	with := func(base []string, more ...string) []string { return append(append([]string(nil), base...), more...) }
	const graph = "--ef tunes the graph search; --exact does not use the graph"
	runChecks(t, db, "", []check{
		{"EfZero", with(search, "--ef", "0"), command.ExitUsage, "search: --ef 0: want a positive number (leave --ef out for the database's default"},
		{"EfNegative", with(search, "--ef", "-3"), command.ExitUsage, "search: --ef -3: want a positive number"},
		{"ThreadsNegative", with(search, "--threads", "-1"), command.ExitUsage, "search: --threads -1: want a positive number"},
		{"ThreadsZero", with(search, "--threads", "0"), command.ExitUsage, "search: --threads 0: want a positive number"},
		{"ExactWithEf", with(search, "--exact", "--ef", "50"), command.ExitUsage, "search: " + graph},
		{"AggWithoutGroup", with(search, "--agg", "mean"), command.ExitUsage, "search: --agg scores videos: add --group-by video"},
		{"AggMaxWithoutGroup", with(search, "--agg", "max"), command.ExitUsage, "search: --agg scores videos"},
		{"OKAggWithGroup", with(search, "--agg", "mean", "--group-by", "video", "-k", "2"), command.ExitOK, "MATCHES"},
		{"OKAggLikeVideo", []string{"search", "--like-video", surfing01, "--agg", "mean", "-k", "2"}, command.ExitOK, "MATCHES"},
		{"OKEf", []string{"search", "--vector", queries + "#surfing", "--ef", "50", "--scope", "any", "-k", "2"}, command.ExitOK, "HNSW graph, ef 50"},
		{"OKThreads", with(search, "--threads", "1", "--exact", "-k", "2"), command.ExitOK, "compared exactly"},
		{"RecommendEfZero", with(rec, "--ef", "0"), command.ExitUsage, "recommend: --ef 0: want a positive number"},
		{"RecommendThreadsNegative", with(rec, "--threads", "-2"), command.ExitUsage, "recommend: --threads -2: want a positive number"},
		{"RecommendExactWithEf", with(rec, "--exact", "--ef", "50"), command.ExitUsage, "recommend: " + graph},
		{"RecommendAllExactWithEf", []string{"recommend", "--all-videos", "--exact", "--ef", "50", "-o", "-"}, command.ExitUsage, "recommend: " + graph},
	})
}

// TestTimesForPeople: human output shows times as m:ss.s (and seconds
// where there is room); tables fit 80 columns; JSON keeps seconds
// (issue 13: 5.2).
func TestTimesForPeople(t *testing.T) {
	db := sampleDB(t)
	out, errs, code := run(t, db, "", "search", "--like", surfing01+"@24", "--modality", "visual", "--other-videos", "-k", "3")
	if code != command.ExitOK {
		t.Fatalf("search: %d %s", code, errs)
	}
	for _, want := range []string{
		"query: visual clip 0:24.0–0:30.0 (24–30 s) of video " + surfing01,
		"1  0.6557  " + surfing05 + "  1:02.3–1:08.6  visual    surfing-05.mp4",
		"2  0.6536  " + surfing05 + "  1:43.1–1:48.5  visual    surfing-05.mp4",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("search output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = run(t, db, "", "search", "--like", surfing01+"@24", "--modality", "visual", "--other-videos", "-k", "3", "--json")
	var res struct {
		Hits []struct{ Start, End float64 }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Hits) != 3 || res.Hits[0].Start != 62.2955667 || res.Hits[1].End != 108.475033 {
		t.Errorf("search --json: want times in seconds, as stored: %v %+v", err, res.Hits)
	}
	out, _, _ = run(t, db, "", "videos")
	if !strings.Contains(out, surfing01+"  surfing-01.mp4          1:12.6 (72.6)    39") {
		t.Errorf("videos: want DURATION 1:12.6 (72.6):\n%s", out)
	}

	t.Run("Hours", func(t *testing.T) {
		db := tempDB(t)
		path := handExport(t, handVideo{id: "long", file: "long.mp4", duration: 3730.25, model: "marengo3.0", at: 3723.4})
		if _, errs, code := run(t, db, "", "import", path); code != command.ExitOK {
			t.Fatalf("import: %s", errs)
		}
		out, _, _ := run(t, db, "", "videos", "long")
		for _, want := range []string{"duration: 1:02:10.3 (3730.25)", "1:02:03.4 (3723.4)  1:02:09.4 (3729.4)"} {
			if !strings.Contains(out, want) {
				t.Errorf("videos long lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("Fits80Columns", func(t *testing.T) {
		for _, args := range [][]string{
			{"search", "--like", surfing01 + "@24"},
			{"search", "--like", surfing01 + "@24", "--scope", "any", "--modality", "transcription", "--include-self"},
			{"search", "--like-video", cooking01},
			{"search", "--like-video", cooking01, "--scope", "any", "--query-modality", "transcription", "--agg", "mean"},
			{"search", "--vector", queries + "#surfing", "--group-by", "video", "-k", "40"},
			{"search", "--vector", queries + "#surfing", "--scope", "any", "-k", "40"},
			{"recommend", "--like-video", surfing01, "--group-by", "video", "--scope", "any", "-k", "20"},
			{"recommend", "--like-video", surfing01, "--modality", "transcription", "--scope", "any", "-k", "20"},
			{"videos"},
			{"videos", "mountain-biking-02.mp4"},
		} {
			out, errs, code := run(t, db, "", args...)
			if code != command.ExitOK {
				t.Fatalf("%v: exit %d %s", args, code, errs)
			}
			// The table: after the blank line of search and recommend.
			table := out
			if _, after, ok := strings.Cut(out, "\n\n"); ok {
				table = after
			}
			for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
				if n := utf8.RuneCountInString(line); n > 80 {
					t.Errorf("%v: a line of %d columns:\n%s", args, n, line)
				}
			}
			if args[0] == "search" && !strings.Contains(table, "FILE") {
				t.Errorf("%v: no FILE column:\n%s", args, out)
			}
		}
	})
}

// TestVideosVideo: clipvec videos VIDEO lists one video's segments
// (issue 13: 5.2).
func TestVideosVideo(t *testing.T) {
	db := sampleDB(t)
	for _, ref := range []string{surfing01, "6821ac34", "surfing-01.mp4"} {
		out, errs, code := run(t, db, "", "videos", ref)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != command.ExitOK || len(lines) != 4+1+1+39 {
			t.Fatalf("videos %s: exit %d %s\n%s", ref, code, errs, out)
		}
		for _, want := range []string{"video:    " + surfing01, "file:     surfing-01.mp4", "duration: 1:12.6 (72.6)",
			"segments: 39 of marengo3.0/512", "START        END            MODALITY       SCOPE",
			"1:06.0 (66)  1:12.0 (72)    visual         clip", "0:00.0 (0)   1:12.6 (72.6)  visual         video"} {
			if !strings.Contains(out, want) {
				t.Errorf("videos %s lacks %q:\n%s", ref, want, out)
			}
		}
	}
	out, errs, code := run(t, db, "", "videos", "--json", "6821ac")
	var res struct {
		Video struct {
			ID       string `json:"video_id"`
			Duration float64
		}
		Segments []struct {
			VideoID  string `json:"video_id"`
			Start    float64
			End      float64
			Modality string
			Scope    string
			Vector   []float32
		}
	}
	if code != command.ExitOK || json.Unmarshal([]byte(out), &res) != nil || res.Video.ID != surfing01 || res.Video.Duration != 72.6 || len(res.Segments) != 39 {
		t.Fatalf("videos --json: exit %d %s\n%.400s", code, errs, out)
	}
	for _, s := range res.Segments {
		if s.VideoID != surfing01 || s.End <= s.Start || s.Modality == "" || s.Vector != nil {
			t.Errorf("segment %+v", s)
		}
	}
	runChecks(t, db, "", []check{
		{"Two", []string{"videos", surfing01, cooking01}, command.ExitUsage, "videos: give one VIDEO, or none to list them all"},
		{"FlagAfter", []string{"videos", surfing01, "--json"}, command.ExitUsage, "put flags first"},
	})
}

// handVideo is a video of 4-d vectors: clips of 6 s to its duration, of
// visual and audio, or one whole-video vector; at, if set, adds a clip
// there.
type handVideo struct {
	id, file, model string
	duration, at    float64
	whole           bool
}

// handExport writes videos as a clipvec JSONL file and returns its path.
func handExport(t *testing.T, videos ...handVideo) string {
	t.Helper()
	var buf bytes.Buffer
	w := ingest.NewWriter(&buf)
	n := 0
	seg := func(v handVideo, modality, scope string, start, end float64) {
		n++
		s := ingest.Segment{VideoID: v.id, Model: v.model, Option: modality, Scope: scope, Start: start, End: end,
			SourceKind: "file", SourceID: "hand", Vector: []float32{1, float32(n), float32(n % 5), 2}}
		if err := w.WriteSegment(&s); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range videos {
		if err := w.WriteVideo(&ingest.Video{ID: v.id, Filename: v.file, Duration: v.duration}); err != nil {
			t.Fatal(err)
		}
		if v.whole {
			seg(v, "visual", "video", 0, v.duration)
			continue
		}
		for s := 0.0; s+6 <= v.duration && s < 60; s += 6 {
			seg(v, "visual", "clip", s, s+6)
			seg(v, "audio", "clip", s, s+6)
		}
		if v.at > 0 {
			seg(v, "visual", "clip", v.at, v.at+6)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hand.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestZeroQueryVector: a query vector of zeros has no direction to compare
// by: exit 2, like every other query that cannot be answered (issue 13:
// 2), with the library's or the server's words for it.
func TestZeroQueryVector(t *testing.T) {
	db := sampleDB(t)
	zeros := filepath.Join(t.TempDir(), "zeros.json")
	if err := os.WriteFile(zeros, []byte("["+strings.Repeat("0,", 511)+"0]"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, json := range []bool{false, true} {
		args := []string{"search", "--vector", zeros}
		if json {
			args = append(args, "--json")
		}
		out, errs, code := run(t, db, "", args...)
		if code != command.ExitUsage || out != "" || !strings.Contains(errs, "vector is all zeros") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 saying the vector is all zeros", args, code, out, errs)
		}
	}
}
