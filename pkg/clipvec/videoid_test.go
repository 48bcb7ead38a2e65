package clipvec_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// clipSpec is one segment of a hand-made video: [start, end) of a
// modality (scope clip unless whole).
type clipSpec struct {
	modality   string
	start, end float64
	whole      bool
}

type videoSpec struct {
	id, file string
	duration float64
	clips    []clipSpec
}

// handDB imports videos (4-d vectors of marengo3.0, each a different
// direction) into a new database.
func handDB(t testing.TB, videos ...videoSpec) *clipvec.DB {
	t.Helper()
	var buf bytes.Buffer
	w := ingest.NewWriter(&buf)
	n := 0
	for _, v := range videos {
		if err := w.WriteVideo(&ingest.Video{ID: v.id, Filename: v.file, Duration: v.duration}); err != nil {
			t.Fatal(err)
		}
		for _, c := range v.clips {
			n++
			vec := []float32{1, float32(n), float32(n % 3), float32(len(v.id))}
			seg := ingest.Segment{VideoID: v.id, Model: "marengo3.0", Option: c.modality, Scope: "clip",
				Start: c.start, End: c.end, SourceKind: "file", SourceID: "hand", Vector: vec}
			if c.whole {
				seg.Scope = "video"
			}
			if err := w.WriteSegment(&seg); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hand.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	if _, err := db.Import(context.Background(), []string{path}, clipvec.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return db
}

func clips(modality string, from, to, step float64) []clipSpec {
	var out []clipSpec
	for s := from; s < to; s += step {
		out = append(out, clipSpec{modality: modality, start: s, end: min(s+step, to)})
	}
	return out
}

func TestResolveVideo(t *testing.T) {
	ctx := context.Background()
	one := clips("visual", 0, 6, 6)
	db := handDB(t,
		videoSpec{id: "abcd1234", file: "same.mp4", clips: one},
		videoSpec{id: "abcd5678", file: "same.mp4", clips: one},
		videoSpec{id: "ffff0000", file: "one.mp4", clips: one},
		videoSpec{id: "ab", clips: one},
		videoSpec{id: "x-ffff", file: "ffff", clips: one},
	)
	for _, tc := range []struct {
		name, ref, want string
	}{
		{"OKExactID", "abcd1234", "abcd1234"},
		{"OKExactIDBeforePrefix", "ab", "ab"},
		{"OKFileName", "one.mp4", "ffff0000"},
		{"OKFileNameBeforePrefix", "ffff", "x-ffff"},
		{"OKPrefix", "ffff00", "ffff0000"},
		{"OKPrefixOfMinLength", "abcd5", "abcd5678"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.ResolveVideo(ctx, tc.ref)
			if err != nil || got != tc.want {
				t.Fatalf("ResolveVideo(%q) = %q, %v; want %q", tc.ref, got, err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, ref string
		is        []error
		want      clipvec.VideoRefError
	}{
		{"ErrNotFound", "nope", []error{clipvec.ErrNotFound}, clipvec.VideoRefError{Ref: "nope", Videos: 5}},
		{"ErrNotFoundShortPrefix", "fff", []error{clipvec.ErrNotFound}, clipvec.VideoRefError{Ref: "fff", Videos: 5}},
		{"ErrAmbiguousFileName", "same.mp4", []error{clipvec.ErrAmbiguousVideo, clipvec.ErrInvalidQuery}, clipvec.VideoRefError{
			Ref: "same.mp4", Videos: 5, Total: 2, By: clipvec.ByFilename,
			Matches: []clipvec.VideoMatch{{ID: "abcd1234", Filename: "same.mp4"}, {ID: "abcd5678", Filename: "same.mp4"}}}},
		{"ErrAmbiguousPrefix", "abcd", []error{clipvec.ErrAmbiguousVideo, clipvec.ErrInvalidQuery}, clipvec.VideoRefError{
			Ref: "abcd", Videos: 5, Total: 2, By: clipvec.ByIDPrefix,
			Matches: []clipvec.VideoMatch{{ID: "abcd1234", Filename: "same.mp4"}, {ID: "abcd5678", Filename: "same.mp4"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.ResolveVideo(ctx, tc.ref)
			var re *clipvec.VideoRefError
			if !errors.As(err, &re) || !reflect.DeepEqual(*re, tc.want) {
				t.Fatalf("err = %#v, want %#v", err, tc.want)
			}
			for _, is := range tc.is {
				if !errors.Is(err, is) {
					t.Errorf("%v is not %v", err, is)
				}
			}
			if errors.Is(err, clipvec.ErrNotFound) == errors.Is(err, clipvec.ErrInvalidQuery) {
				t.Errorf("%v: want exactly one of not found and invalid query", err)
			}
		})
	}
	t.Run("ErrInvalidQueryEmpty", func(t *testing.T) {
		if _, err := db.ResolveVideo(ctx, ""); !errors.Is(err, clipvec.ErrInvalidQuery) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ListsAtMostFive", func(t *testing.T) {
		var vs []videoSpec
		for _, id := range []string{"dup1", "dup2", "dup3", "dup4", "dup5", "dup6", "dup7"} {
			vs = append(vs, videoSpec{id: id, file: "clip.mp4", clips: one})
		}
		_, err := handDB(t, vs...).ResolveVideo(ctx, "clip.mp4")
		var re *clipvec.VideoRefError
		if !errors.As(err, &re) || re.Total != 7 || len(re.Matches) != 5 || re.Matches[4].ID != "dup5" ||
			!strings.Contains(err.Error(), `video "clip.mp4" is ambiguous: 7 videos have that file name (dup1, dup2, dup3, dup4, dup5 and 2 more)`) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestFilterNamesWhatIsThere: a filter naming a modality, scope or video
// that is not there is an error that says what is, not an empty answer.
func TestFilterNamesWhatIsThere(t *testing.T) {
	ctx := context.Background()
	db := handDB(t,
		videoSpec{id: "a", file: "a.mp4", duration: 12, clips: append(clips("visual", 0, 12, 6), clips("audio", 0, 12, 6)...)},
		videoSpec{id: "b", file: "b.mp4", duration: 12, clips: append(clips("visual", 0, 12, 6), clips("transcription", 0, 12, 6)...)},
	)
	space := clipvec.Space{Model: "marengo3.0", Dim: 4, Segments: 8, Videos: 2}
	like := &clipvec.SegmentRef{VideoID: "a", At: 1}
	for _, tc := range []struct {
		name string
		flt  clipvec.Filter
		want clipvec.FilterValueError
	}{
		{"ErrInvalidQueryModality", clipvec.Filter{Modalities: []string{"visual", "vis"}},
			clipvec.FilterValueError{Space: space, Field: clipvec.FieldModality, Value: "vis", Have: []string{"audio", "transcription", "visual"}}},
		{"ErrInvalidQueryScope", clipvec.Filter{Scopes: []string{clipvec.ScopeAsset}},
			clipvec.FilterValueError{Space: space, Field: clipvec.FieldScope, Value: "video", Have: []string{"clip"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				var fe *clipvec.FilterValueError
				if !errors.As(err, &fe) || !reflect.DeepEqual(*fe, tc.want) || !errors.Is(err, clipvec.ErrInvalidQuery) {
					t.Errorf("%s: err = %v, want %+v", what, err, tc.want)
				}
			}
			_, err := db.Search(ctx, clipvec.Query{Like: like, Filter: tc.flt})
			check("Search", err)
			_, err = db.Recommend(ctx, clipvec.RecommendQuery{Positive: []string{"a"}, Filter: tc.flt})
			check("Recommend", err)
			err = db.Neighbours(ctx, clipvec.NeighboursQuery{Of: clipvec.NeighboursOfVideos, Filter: tc.flt}, func(*clipvec.Neighbours) error { return nil })
			check("Neighbours", err)
			res, err := db.SearchBatch(ctx, []clipvec.Query{{Like: like, Filter: tc.flt}, {Like: like}})
			if err != nil || len(res) != 2 {
				t.Fatalf("SearchBatch: %v", err)
			}
			check("SearchBatch", res[0].Err)
			if res[1].Err != nil || len(res[1].Result.Hits) == 0 {
				t.Errorf("SearchBatch: the good query: %+v", res[1])
			}
		})
	}
	for _, tc := range []struct {
		name string
		flt  clipvec.Filter
		msg  string
	}{
		{"ErrNotFoundVideo", clipvec.Filter{Videos: []string{"b", "nope"}}, `filter videos: video "nope": no such video (the database has 2)`},
		{"ErrNotFoundExcludeVideo", clipvec.Filter{ExcludeVideos: []string{"nope"}}, `filter exclude videos: video "nope": no such video`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				var re *clipvec.VideoRefError
				if !errors.As(err, &re) || re.Ref != "nope" || !errors.Is(err, clipvec.ErrNotFound) || !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("%s: err = %v, want not found saying %q", what, err, tc.msg)
				}
			}
			_, err := db.Search(ctx, clipvec.Query{Like: like, Filter: tc.flt})
			check("Search", err)
			_, err = db.Recommend(ctx, clipvec.RecommendQuery{Positive: []string{"a"}, Filter: tc.flt})
			check("Recommend", err)
			err = db.Neighbours(ctx, clipvec.NeighboursQuery{Of: clipvec.NeighboursOfClips, Filter: tc.flt}, func(*clipvec.Neighbours) error { return nil })
			check("Neighbours", err)
		})
	}
	t.Run("ErrNotFoundExample", func(t *testing.T) {
		_, err := db.Recommend(ctx, clipvec.RecommendQuery{Positive: []string{"a"}, Negative: []string{"nope"}})
		var re *clipvec.VideoRefError
		if !errors.As(err, &re) || re.Ref != "nope" || !strings.Contains(err.Error(), "negative example") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrInvalidQueryNeighboursModality", func(t *testing.T) {
		err := db.Neighbours(ctx, clipvec.NeighboursQuery{Of: clipvec.NeighboursOfClips, Modality: "smell"}, func(*clipvec.Neighbours) error { return nil })
		var fe *clipvec.FilterValueError
		if !errors.As(err, &fe) || fe.Field != clipvec.FieldQueryModality || fe.Value != "smell" || !errors.Is(err, clipvec.ErrInvalidQuery) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("OKWhatIsThere", func(t *testing.T) {
		res, err := db.Search(ctx, clipvec.Query{Like: like, Filter: clipvec.Filter{Modalities: []string{"transcription"},
			Scopes: []string{clipvec.ScopeClip}, Videos: []string{"b"}, ExcludeVideos: []string{"a"}}})
		if err != nil || len(res.Hits) != 2 {
			t.Fatalf("%+v %v", res, err)
		}
	})
}

// TestLikeAt: the clip at a time is the one whose [start, end) holds it,
// or the last clip from its end to the video's duration; a time with no
// clip says where the clips are, without contradicting itself.
func TestLikeAt(t *testing.T) {
	ctx := context.Background()
	db := handDB(t,
		// 72.6 s, visual clips to 72 s, audio clips to 70 s.
		videoSpec{id: "surf", file: "surf.mp4", duration: 72.6, clips: append(clips("visual", 0, 72, 6), clips("audio", 0, 70, 7)...)},
		// Clips with a gap (6–12 s), from 0 to 18 s of 20.
		videoSpec{id: "gap", duration: 20, clips: []clipSpec{{"visual", 0, 6, false}, {"visual", 12, 18, false}}},
		// Clips from 5 s; duration unknown.
		videoSpec{id: "late", clips: []clipSpec{{"visual", 5, 10, false}}},
		// A whole-video vector only.
		videoSpec{id: "whole", duration: 30, clips: []clipSpec{{"visual", 0, 30, true}}},
	)
	for _, tc := range []struct {
		name       string
		ref        clipvec.SegmentRef
		start, end float64
		modality   string
	}{
		{"OKInside", clipvec.SegmentRef{VideoID: "surf", At: 12}, 12, 18, "visual"},
		{"OKStartOfNext", clipvec.SegmentRef{VideoID: "surf", At: 66}, 66, 72, "visual"},
		{"OKEndOfLast", clipvec.SegmentRef{VideoID: "surf", At: 72}, 66, 72, "visual"},
		{"OKUpToDuration", clipvec.SegmentRef{VideoID: "surf", At: 72.6}, 66, 72, "visual"},
		{"OKLastOfModality", clipvec.SegmentRef{VideoID: "surf", At: 71, Modality: "audio"}, 63, 70, "audio"},
		{"OKLastOfModalityAtEnd", clipvec.SegmentRef{VideoID: "surf", At: 72, Modality: "audio"}, 63, 70, "audio"},
		{"OKEndOfLastNoDuration", clipvec.SegmentRef{VideoID: "late", At: 10}, 5, 10, "visual"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := tc.ref
			res, err := db.Search(ctx, clipvec.Query{Like: &ref, IncludeSelf: true})
			if err != nil {
				t.Fatal(err)
			}
			if c := res.Query.Clip; c == nil || c.Start != tc.start || c.End != tc.end || c.Modality != tc.modality {
				t.Fatalf("query clip %+v, want %s %g–%g", c, tc.modality, tc.start, tc.end)
			}
		})
	}
	for _, tc := range []struct {
		name string
		ref  clipvec.SegmentRef
		msg  string
	}{
		{"ErrNotFoundPastDuration", clipvec.SegmentRef{VideoID: "surf", At: 72.7}, "video surf has no clip at 72.7s (its clips cover 0–72 s of its 72.6 s)"},
		{"ErrNotFoundInGap", clipvec.SegmentRef{VideoID: "gap", At: 8}, "video gap has no clip at 8s (the clips either side are 0–6 s and 12–18 s)"},
		{"ErrNotFoundAtGapEnd", clipvec.SegmentRef{VideoID: "gap", At: 6}, "video gap has no clip at 6s (the clips either side are 0–6 s and 12–18 s)"},
		{"ErrNotFoundPastEnd", clipvec.SegmentRef{VideoID: "gap", At: 21}, "video gap has no clip at 21s (its clips cover 0–18 s of its 20 s)"},
		{"ErrNotFoundBeforeFirst", clipvec.SegmentRef{VideoID: "late", At: 2}, "video late has no clip at 2s (its clips cover 5–10 s)"},
		{"ErrNotFoundPastEndNoDuration", clipvec.SegmentRef{VideoID: "late", At: 10.5}, "video late has no clip at 10.5s (its clips cover 5–10 s)"},
		{"ErrNotFoundNoClips", clipvec.SegmentRef{VideoID: "whole", At: 3}, "video whole has no clip at 3s (it has no clips, only whole-video vectors)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := tc.ref
			_, err := db.Search(ctx, clipvec.Query{Like: &ref})
			if !errors.Is(err, clipvec.ErrNotFound) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v\nwant not found saying %q", err, tc.msg)
			}
		})
	}
}
