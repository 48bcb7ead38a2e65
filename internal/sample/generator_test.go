package sample_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/sample"
)

// collect returns every segment of every video of g, generating the
// videos in the given order.
func collect(tb testing.TB, g *sample.Generator, order []int) map[string][]sample.Segment {
	tb.Helper()
	videos := g.Videos()
	out := make(map[string][]sample.Segment, len(videos))
	for _, i := range order {
		v := videos[i]
		err := g.EachSegment(v, func(s sample.Segment) error {
			out[v.ID] = append(out[v.ID], s)
			return nil
		})
		if err != nil {
			tb.Fatalf("EachSegment(%s): %v", v.ID, err)
		}
	}
	return out
}

func segmentsEqual(a, b []sample.Segment) bool {
	return slices.EqualFunc(a, b, func(x, y sample.Segment) bool {
		return x.Option == y.Option && x.Scope == y.Scope && x.Start == y.Start && x.End == y.End &&
			slices.Equal(x.Vector, y.Vector)
	})
}

func TestGeneratorDeterministic(t *testing.T) {
	p := sample.DefaultParams()
	p.Videos = 12
	g1, g2 := newGenerator(t, p), newGenerator(t, p)
	forward := make([]int, p.Videos)
	for i := range forward {
		forward[i] = i
	}
	backward := slices.Clone(forward)
	slices.Reverse(backward)

	t.Run("OK", func(t *testing.T) {
		v1, v2 := g1.Videos(), g2.Videos()
		for i := range v1 {
			a, b := v1[i], v2[i]
			if a.ID != b.ID || a.Topic != b.Topic || a.Filename != b.Filename || a.Duration != b.Duration ||
				a.Clips != b.Clips || !slices.Equal(a.Options, b.Options) || !a.CreatedAt.Equal(b.CreatedAt) {
				t.Fatalf("video %d differs between two generators: %+v, %+v", i, a, b)
			}
		}
		s1, s2 := collect(t, g1, forward), collect(t, g2, backward)
		for _, v := range v1 {
			if !segmentsEqual(s1[v.ID], s2[v.ID]) {
				t.Errorf("video %s: segments differ between generators or generation orders", v.ID)
			}
		}
		for _, topic := range g1.Topics() {
			if !slices.Equal(g1.Query(topic), g2.Query(topic)) {
				t.Errorf("query %q differs between generators", topic)
			}
		}
	})
	t.Run("OtherSeedDiffers", func(t *testing.T) {
		q := p
		q.Seed++
		g3 := newGenerator(t, q)
		v1, v3 := g1.Videos(), g3.Videos()
		if v1[0].ID == v3[0].ID {
			t.Errorf("seeds %d and %d give the same first id %s", p.Seed, q.Seed, v1[0].ID)
		}
		s1, s3 := collect(t, g1, []int{0}), collect(t, g3, []int{0})
		if a, b := s1[v1[0].ID], s3[v3[0].ID]; len(a) > 0 && len(b) > 0 && slices.Equal(a[0].Vector, b[0].Vector) {
			t.Error("two seeds give the same first vector")
		}
		if slices.Equal(g1.Query("surfing"), g3.Query("surfing")) {
			t.Error("two seeds give the same query")
		}
	})
}

func TestGeneratorSegments(t *testing.T) {
	p := sample.DefaultParams()
	p.Topics, p.Videos, p.Dim = 14, 30, 64
	g := newGenerator(t, p)
	ids := map[string]bool{}
	for _, v := range g.Videos() {
		if len(v.ID) != 24 || strings.Trim(v.ID, "0123456789abcdef") != "" || ids[v.ID] {
			t.Errorf("video id %q: want 24 lowercase hex characters, unique", v.ID)
		}
		ids[v.ID] = true
		if want := v.Topic + "-"; !strings.HasPrefix(v.Filename, want) || !strings.HasSuffix(v.Filename, ".mp4") {
			t.Errorf("video %s: filename %q, want %s….mp4", v.ID, v.Filename, want)
		}
		if uint32(v.CreatedAt.Unix()) != parseHex(v.ID[:8]) {
			t.Errorf("video %s: id timestamp is not created_at %v", v.ID, v.CreatedAt)
		}
		n := 0
		err := g.EachSegment(v, func(s sample.Segment) error {
			n++
			if len(s.Vector) != p.Dim {
				t.Fatalf("video %s: vector of %d values, want %d", v.ID, len(s.Vector), p.Dim)
			}
			var sq float64
			for _, x := range s.Vector {
				sq += float64(x) * float64(x)
			}
			if l := math.Sqrt(sq); l < 0.45 || l > 1.55 {
				t.Errorf("video %s: vector norm %.3f, want 0.5 to 1.5", v.ID, l)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != v.SegmentCount() {
			t.Errorf("video %s: %d segments, SegmentCount says %d", v.ID, n, v.SegmentCount())
		}
	}
	if got, want := g.Topics()[13], "topic-0013"; got != want {
		t.Errorf("topic 13 is %q, want %q", got, want)
	}
}

func parseHex(s string) uint32 {
	var n uint32
	for _, c := range s {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= uint32(c - '0')
		case c >= 'a' && c <= 'f':
			n |= uint32(c-'a') + 10
		}
	}
	return n
}

func TestEachSegmentErr(t *testing.T) {
	p := sample.DefaultParams()
	p.Videos = 3
	g := newGenerator(t, p)
	v := g.Videos()[1]

	t.Run("ErrUnknownVideo", func(t *testing.T) {
		other := v
		other.ID = "000000000000000000000000"
		err := g.EachSegment(other, func(sample.Segment) error { return nil })
		if !errors.Is(err, sample.ErrUnknownVideo) {
			t.Errorf("EachSegment(foreign video) = %v, want ErrUnknownVideo", err)
		}
		if err := g.EachSegment(sample.Video{}, func(sample.Segment) error { return nil }); !errors.Is(err, sample.ErrUnknownVideo) {
			t.Errorf("EachSegment(Video{}) = %v, want ErrUnknownVideo", err)
		}
	})
	t.Run("StopsAtCallbackError", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := g.EachSegment(v, func(sample.Segment) error {
			n++
			if n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 3 {
			t.Errorf("EachSegment = %v after %d calls, want the callback's error after 3", err, n)
		}
	})
}

func TestQueryUnknownTopic(t *testing.T) {
	g := newGenerator(t, sample.DefaultParams())
	if q := g.Query("no-such-topic"); q != nil {
		t.Errorf("Query(unknown) = %d values, want nil", len(q))
	}
	if q := g.QueryVariant("surfing", -1); q != nil {
		t.Errorf("QueryVariant(surfing, -1) = %d values, want nil", len(q))
	}
	if g.QueryText("no-such-topic") != "" {
		t.Error("QueryText(unknown) is not empty")
	}
	if slices.Equal(g.QueryVariant("surfing", 0), g.QueryVariant("surfing", 1)) {
		t.Error("query variants 0 and 1 are equal")
	}
}

func TestNewGeneratorErrInvalidParams(t *testing.T) {
	cases := map[string]func(*sample.Params){
		"Dim":               func(p *sample.Params) { p.Dim = 0 },
		"Topics":            func(p *sample.Params) { p.Topics = 0 },
		"Videos":            func(p *sample.Params) { p.Videos = -1 },
		"Clips":             func(p *sample.Params) { p.MinClips, p.MaxClips = 5, 4 },
		"ClipSeconds":       func(p *sample.Params) { p.ClipSeconds = 1 },
		"VariableClips":     func(p *sample.Params) { p.VariableClipMin, p.VariableClipMax = 9, 4 },
		"NoOptions":         func(p *sample.Params) { p.Options = nil },
		"RepeatedOption":    func(p *sample.Params) { p.Options = []string{"visual", "visual"} },
		"TranscriptionRate": func(p *sample.Params) { p.TranscriptionRate = 2 },
		"Persistence":       func(p *sample.Params) { p.Persistence = 1 },
		"NegativeWeight":    func(p *sample.Params) { p.Noise = -0.1 },
		"NaNWeight":         func(p *sample.Params) { p.TopicWeight = math.NaN() },
		"NoModel":           func(p *sample.Params) { p.ModelName = "" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			p := sample.DefaultParams()
			mutate(&p)
			if _, err := sample.NewGenerator(p); !errors.Is(err, sample.ErrInvalidParams) {
				t.Errorf("NewGenerator = %v, want ErrInvalidParams", err)
			}
		})
	}
}

// TestWriteExportRemovesStale checks that rewriting an export with fewer
// videos removes the files of the videos that are gone, and nothing else.
func TestWriteExportRemovesStale(t *testing.T) {
	dir := t.TempDir()
	p := sample.DefaultParams()
	p.Videos, p.Dim = 6, 16
	ctx := context.Background()
	if err := sample.WriteExport(ctx, dir, newGenerator(t, p)); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(dir, "notes.json")
	if err := os.WriteFile(keep, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Videos = 2
	g := newGenerator(t, p)
	if err := sample.WriteExport(ctx, dir, g); err != nil {
		t.Fatal(err)
	}
	want := []string{"notes.json"}
	for _, v := range g.Videos() {
		want = append(want, sample.ExportName(v))
	}
	slices.Sort(want)
	if got := listFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("files after rewriting = %q, want %q", got, want)
	}
}

func TestWriteExportCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := sample.DefaultParams()
	p.Videos = 2
	if err := sample.WriteExport(ctx, t.TempDir(), newGenerator(t, p)); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteExport(canceled) = %v, want context.Canceled", err)
	}
}

// BenchmarkEachSegment measures generating the segments of one
// benchmark-sized dataset's video (512-d, 5 to 20 clips, 3 options).
func BenchmarkEachSegment(b *testing.B) {
	p := sample.DefaultParams()
	p.Videos, p.Topics = 1000, 100
	g := newGenerator(b, p)
	videos := g.Videos()
	b.ReportAllocs()
	segments := 0
	for i := 0; b.Loop(); i++ {
		err := g.EachSegment(videos[i%len(videos)], func(sample.Segment) error {
			segments++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(segments)/b.Elapsed().Seconds(), "segments/s")
}

// TestVideosFor: the video count VideosFor gives makes about the
// segments asked for.
func TestVideosFor(t *testing.T) {
	for _, want := range []int{2000, 20_000, 100_000} {
		p := sample.DefaultParams()
		p.Topics = 20
		p.Videos = sample.VideosFor(p, want)
		g := newGenerator(t, p)
		n := 0
		for _, v := range g.Videos() {
			n += v.SegmentCount()
		}
		if d := float64(n-want) / float64(want); d < -0.05 || d > 0.05 {
			t.Errorf("%d segments asked: %d videos make %d", want, p.Videos, n)
		}
	}
	if got := sample.VideosFor(sample.DefaultParams(), 1); got != 1 {
		t.Errorf("1 segment asked: %d videos, want at least 1", got)
	}
}
