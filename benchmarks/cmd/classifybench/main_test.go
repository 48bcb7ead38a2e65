package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/sample"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func generator(t testing.TB, topics int) *sample.Generator {
	t.Helper()
	p := sample.DefaultParams()
	p.Topics = topics
	g, err := sample.NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

func TestMakeClasses(t *testing.T) {
	g := generator(t, 20)
	classes, vectors := makeClasses(g, 4)
	t.Run("Deterministic", func(t *testing.T) {
		again, againVecs := makeClasses(generator(t, 20), 4)
		if !slices.EqualFunc(classes, again, func(a, b clipvec.Class) bool {
			return a.Name == b.Name && slices.Equal(a.Prompts, b.Prompts)
		}) {
			t.Fatalf("classes differ between two generators of the same params:\n%v\n%v", classes, again)
		}
		for text, v := range vectors {
			if !slices.Equal(v, againVecs[text]) {
				t.Fatalf("prompt %q: vectors differ between two generators of the same params", text)
			}
		}
	})
	t.Run("OneClassPerTopic", func(t *testing.T) {
		if got, want := len(classes), 20; got != want {
			t.Fatalf("%d classes, want %d", got, want)
		}
		for i, topic := range g.Topics() {
			if got := classes[i].Name; got != topic {
				t.Errorf("class %d is %q, want the topic %q", i, got, topic)
			}
			if got, want := len(classes[i].Prompts), 4; got != want {
				t.Errorf("class %q has %d prompts, want %d", topic, got, want)
			}
		}
		if got, want := len(vectors), 20*4; got != want {
			t.Fatalf("%d distinct prompts, want %d (every prompt text unique)", got, want)
		}
	})
	t.Run("VariantsOfTheTopicQuery", func(t *testing.T) {
		for _, cl := range classes {
			for n, text := range cl.Prompts {
				if !slices.Equal(vectors[text], g.QueryVariant(cl.Name, n)) {
					t.Errorf("prompt %q: not QueryVariant(%q, %d)", text, cl.Name, n)
				}
			}
			if slices.Equal(vectors[cl.Prompts[0]], vectors[cl.Prompts[1]]) {
				t.Errorf("class %q: prompts 1 and 2 have the same vector", cl.Name)
			}
		}
		// A prompt is nearer the other prompts of its class than those
		// of another class.
		a0, a1, b0 := vectors[classes[0].Prompts[0]], vectors[classes[0].Prompts[1]], vectors[classes[1].Prompts[0]]
		if same, other := cosine(a0, a1), cosine(a0, b0); !(same > other) {
			t.Errorf("cosine within a class %.3f, across classes %.3f: want within > across", same, other)
		}
	})
}

func TestHandRolledCompare(t *testing.T) {
	c := &clipvec.Classification{
		Classes: []clipvec.ClassInfo{
			{Name: "a", Thresholds: map[string]float64{"visual": 0.5, "audio": 0.3}},
			{Name: "b", Thresholds: map[string]float64{"visual": 0.5, "audio": 0.3}},
		},
		Videos: []clipvec.VideoClasses{
			{VideoID: "v1", Classes: []clipvec.VideoClass{{Name: "a", Score: 0.6}}},
			{VideoID: "v2", Classes: []clipvec.VideoClass{}},
		},
	}
	hit := func(video, modality string, score float32) clipvec.Hit {
		return clipvec.Hit{Segment: clipvec.Segment{VideoID: video, Modality: modality}, Score: score}
	}
	classOf := []int{0, 0, 1}
	t.Run("OK", func(t *testing.T) {
		h := newHandRolled(c, classOf)
		// v1: a holds on its visual clips (best 0.6), not on its audio
		// one (0.2 < 0.3); b does not (0.4 < 0.5). v2: nothing holds.
		h.add(0, []clipvec.Hit{hit("v1", "visual", 0.6), hit("v1", "audio", 0.2), hit("v2", "visual", 0.45)})
		h.add(1, []clipvec.Hit{hit("v1", "visual", 0.55), hit("v2", "audio", 0.29)})
		h.add(2, []clipvec.Hit{hit("v1", "visual", 0.4), hit("v2", "visual", 0.1)})
		ck := h.compare(c, 3)
		if ck.HandRolledAgree != 2 || ck.HandRolledVideos != 2 || ck.HandRolledClasses != 2 {
			t.Fatalf("agree %d of %d videos over %d classes, want 2 of 2 over 2", ck.HandRolledAgree, ck.HandRolledVideos, ck.HandRolledClasses)
		}
	})
	t.Run("HoldsWhereClassifyDoesNot", func(t *testing.T) {
		h := newHandRolled(c, classOf)
		h.add(0, []clipvec.Hit{hit("v1", "visual", 0.6)})
		h.add(2, []clipvec.Hit{hit("v2", "audio", 0.35)}) // b holds on v2 by hand
		if ck := h.compare(c, 3); ck.HandRolledAgree != 1 {
			t.Fatalf("agree on %d videos, want 1 (v2 differs)", ck.HandRolledAgree)
		}
	})
	t.Run("ScoreDiffers", func(t *testing.T) {
		h := newHandRolled(c, classOf)
		h.add(0, []clipvec.Hit{hit("v1", "visual", 0.61)})
		ck := h.compare(c, 3)
		if ck.HandRolledAgree != 1 || math.Abs(ck.MaxScoreDiff-0.01) > 1e-6 {
			t.Fatalf("agree %d, largest difference %g: want 1 (v1 differs) and 0.01", ck.HandRolledAgree, ck.MaxScoreDiff)
		}
	})
	t.Run("UncoveredClassIgnored", func(t *testing.T) {
		h := newHandRolled(c, classOf)
		h.add(0, []clipvec.Hit{hit("v1", "visual", 0.6)})
		// Prompt 2 (class b) was not searched: b's holding is unknown
		// by hand, and not compared.
		ck := h.compare(c, 2)
		if ck.HandRolledAgree != 2 || ck.HandRolledClasses != 1 {
			t.Fatalf("agree %d over %d classes, want 2 over 1", ck.HandRolledAgree, ck.HandRolledClasses)
		}
	})
}

// TestRunSmall runs the benchmark on a small database, twice: the first
// run makes the cached database and embeds the prompts, the second
// reuses both.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("imports a database")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	args := []string{"-segments", "1500", "-topics", "4", "-rounds", "1", "-exact-prompts", "0", "-batch",
		"-cache", filepath.Join(dir, "cache"), "-json", out}
	read := func(t *testing.T) (report, map[string]any) {
		t.Helper()
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var rep report
		var raw map[string]any
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		return rep, raw
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	rep, raw := read(t)
	for _, key := range []string{"command", "date", "machine", "params", "data", "methods", "ratios", "accuracy", "check"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("the JSON has no %q", key)
		}
	}
	m := rep.Machine
	if m.CPU == "" || m.Cores < 1 || m.LoadBefore == "" || m.LoadAfter == "" || !strings.HasPrefix(m.Go, "go") || m.Commit == "" {
		t.Errorf("machine incomplete: %+v", m)
	}
	if rep.Params.Reused || rep.Data.ImportSeconds <= 0 {
		t.Errorf("first run: reused %v, import seconds %g; want a new database and its import time", rep.Params.Reused, rep.Data.ImportSeconds)
	}
	if rep.Data.Clips == 0 || rep.Data.Clips >= rep.Data.Segments || rep.Data.Videos != rep.Params.Videos {
		t.Errorf("data: %+v", rep.Data)
	}
	var names []string
	for _, mr := range rep.Methods {
		names = append(names, mr.Name)
		if len(mr.RunsMs) != 1 || mr.BestMs <= 0 || mr.MedianMs != mr.BestMs || mr.Scale != 1 {
			t.Errorf("method %s: runs %v, best %g, median %g, scale %g: want one run, scale 1", mr.Name, mr.RunsMs, mr.BestMs, mr.MedianMs, mr.Scale)
		}
	}
	if want := []string{"classify", "exact-all", "graph", "batch-all", "exact-k10"}; !slices.Equal(names, want) {
		t.Errorf("methods %q, want %q", names, want)
	}
	if got, want := len(rep.Ratios), len(rep.Methods)-1; got != want {
		t.Errorf("%d ratios, want %d", got, want)
	}
	ck := rep.Check
	if ck.HandRolledVideos != rep.Data.Videos || ck.HandRolledAgree != ck.HandRolledVideos || ck.HandRolledClasses != 4 {
		t.Errorf("hand-rolled classification agrees on %d of %d videos over %d classes, want all %d over 4",
			ck.HandRolledAgree, ck.HandRolledVideos, ck.HandRolledClasses, rep.Data.Videos)
	}
	if ck.Embedded != 4*3 {
		t.Errorf("embedded %d prompts, want 12 (4 classes × 3, the first time)", ck.Embedded)
	}
	if ck.ExactMethod == "" || ck.GraphVideos == 0 {
		t.Errorf("check: %+v", ck)
	}
	a := rep.Accuracy
	if a.Videos != rep.Data.Videos || a.BestIsTopic > a.Videos || a.BestIsTopic+a.NoClass > a.Videos || a.MeanClasses <= 0 {
		t.Errorf("accuracy: %+v", a)
	}
	if !strings.Contains(stdout.String(), "exact-all") {
		t.Errorf("the table lacks exact-all:\n%s", stdout.String())
	}

	// Again: the cached database and its cached prompts.
	stdout.Reset()
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	again, _ := read(t)
	if !again.Params.Reused || again.Params.CacheDir != rep.Params.CacheDir || again.Data.ImportSeconds != rep.Data.ImportSeconds {
		t.Errorf("second run: reused %v in %s (import %g s), want the first run's %s (import %g s)",
			again.Params.Reused, again.Params.CacheDir, again.Data.ImportSeconds, rep.Params.CacheDir, rep.Data.ImportSeconds)
	}
	if again.Check.Embedded != 0 {
		t.Errorf("second run embedded %d prompts, want 0 (all cached)", again.Check.Embedded)
	}
	if again.Accuracy != rep.Accuracy {
		t.Errorf("second run's accuracy %+v, want the first's %+v", again.Accuracy, rep.Accuracy)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-segments", "10"}, {"-topics", "0"}, {"-prompts", "0"}, {"-rounds", "0"}, {"-graph-k", "0"}, {"-exact-prompts", "-1"}, {"extra"},
	} {
		err := run(context.Background(), append(args, "-cache", t.TempDir(), "-json", ""), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestSizeLabel(t *testing.T) {
	for n, want := range map[int]string{100_000: "100k", 1_000_000: "1000k", 20_400: "20k", 500: "500"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("sizeLabel(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{1, 2, 9}); got != 2 {
		t.Errorf("median of 1 2 9 = %g, want 2", got)
	}
	if got := median([]float64{1, 2, 4, 9}); got != 3 {
		t.Errorf("median of 1 2 4 9 = %g, want 3", got)
	}
}
