package clipvec_test

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// assetID is the id of indexed_asset_retrieve.json (and of
// video_retrieve.json, which reuses it).
const assetID = "61e17be5777e6caec646fa07"

// assetThumbnail is the first of indexed_asset_retrieve.json's
// hls.thumbnail_urls.
const assetThumbnail = "https://d2cp8xx7n5vxnu.cloudfront.net/6298aa0b535db125bf6e1d10/64902a28fb01304dd47be3cb/thumbnails/c924f34a-144e-41df-bf2a-c693703fa134.0000001.jpg"

// thumbnailOf returns the stored thumbnail of a video, read by both
// db.Video and db.Videos (which must agree).
func thumbnailOf(t testing.TB, db *clipvec.DB, id string) string {
	t.Helper()
	ctx := context.Background()
	v, err := db.Video(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := db.Videos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range vs {
		if w.ID == id && w.ThumbnailURL != v.ThumbnailURL {
			t.Errorf("video %s: Videos says thumbnail %q, Video says %q", id, w.ThumbnailURL, v.ThumbnailURL)
		}
	}
	return v.ThumbnailURL
}

func importPath(t testing.TB, db *clipvec.DB, path string, opts clipvec.ImportOptions) {
	t.Helper()
	if _, err := db.Import(context.Background(), []string{path}, opts); err != nil {
		t.Fatal(err)
	}
}

func TestVideoThumbnail(t *testing.T) {
	ctx := context.Background()

	t.Run("OKIndexedAsset", func(t *testing.T) {
		db := openDB(t)
		importPath(t, db, filepath.Join(fixtures, "indexed_asset_retrieve.json"), clipvec.ImportOptions{})
		if got := thumbnailOf(t, db, assetID); got != assetThumbnail {
			t.Errorf("thumbnail %q, want the first hls thumbnail %q", got, assetThumbnail)
		}
		v, err := db.Video(ctx, assetID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"thumbnail_url":"`+assetThumbnail+`"`) {
			t.Errorf("JSON %s has no thumbnail_url", b)
		}
	})

	t.Run("OKNoneStaysEmpty", func(t *testing.T) {
		db := openDB(t)
		importPath(t, db, filepath.Join(fixtures, "embed_task_retrieve.json"), clipvec.ImportOptions{})
		if got := thumbnailOf(t, db, "663e16ac4d11aff765088b3a"); got != "" {
			t.Errorf("an embed task gave thumbnail %q, want none", got)
		}
		v, _ := db.Video(ctx, "663e16ac4d11aff765088b3a")
		if b, _ := json.Marshal(v); strings.Contains(string(b), "thumbnail_url") {
			t.Errorf("JSON of a video without a thumbnail: %s", b)
		}
	})

	// An import that names no thumbnail keeps the stored one, as it keeps
	// every field it does not name; one that names another replaces it.
	t.Run("OKKeptOnReimport", func(t *testing.T) {
		db := openDB(t)
		importPath(t, db, filepath.Join(fixtures, "indexed_asset_retrieve.json"), clipvec.ImportOptions{})
		// An embed task filed under the same video: another shape, with a
		// file name but no thumbnail.
		importPath(t, db, filepath.Join(fixtures, "embed_task_retrieve.json"), clipvec.ImportOptions{VideoID: assetID})
		v, err := db.Video(ctx, assetID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Filename != "01.mp4" {
			t.Fatalf("the second import did not update the video: %+v", v)
		}
		if got := thumbnailOf(t, db, assetID); got != assetThumbnail {
			t.Errorf("thumbnail %q after an import naming none, want %q kept", got, assetThumbnail)
		}
		// A clipvec video line without one keeps it too.
		line := `{"type":"video","video_id":"` + assetID + `","filename":"renamed.mp4"}` + "\n" +
			`{"video_id":"` + assetID + `","model_name":"marengo3.0","start_sec":0,"end_sec":1,"embedding":[1,0,0]}` + "\n"
		if _, err := db.ImportReader(ctx, "line.jsonl", strings.NewReader(line), clipvec.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := thumbnailOf(t, db, assetID); got != assetThumbnail {
			t.Errorf("thumbnail %q after a video line naming none, want %q kept", got, assetThumbnail)
		}
		line = strings.Replace(line, `"filename":"renamed.mp4"`, `"thumbnail_url":"https://example.com/new.jpg"`, 1)
		if _, err := db.ImportReader(ctx, "line.jsonl", strings.NewReader(line), clipvec.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if got, want := thumbnailOf(t, db, assetID), "https://example.com/new.jpg"; got != want {
			t.Errorf("thumbnail %q after a video line naming another, want %q", got, want)
		}
	})

	// Export writes it on the video's line; import reads it back, from a
	// file and from a stream (which is staged before it is written).
	t.Run("OKExportRoundTrip", func(t *testing.T) {
		src := openDB(t)
		importPath(t, src, filepath.Join(fixtures, "indexed_asset_retrieve.json"), clipvec.ImportOptions{})
		importPath(t, src, filepath.Join(fixtures, "embed_task_retrieve.json"), clipvec.ImportOptions{})
		exp := export(t, src)
		if !strings.Contains(exp, `"thumbnail_url":"`+assetThumbnail+`"`) {
			t.Fatalf("the export names no thumbnail:\n%s", exp)
		}
		if n := strings.Count(exp, `"thumbnail_url"`); n != 1 {
			t.Errorf("the export names %d thumbnails, want 1 (the embed task has none)", n)
		}
		for name, r := range map[string]func() io.Reader{
			"reader": func() io.Reader { return strings.NewReader(exp) },
			"stream": func() io.Reader { return io.MultiReader(strings.NewReader(exp)) },
		} {
			dst := openDB(t)
			if _, err := dst.ImportReader(ctx, "export.jsonl", r(), clipvec.ImportOptions{}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := thumbnailOf(t, dst, assetID); got != assetThumbnail {
				t.Errorf("%s: thumbnail %q after the round trip, want %q", name, got, assetThumbnail)
			}
			if got := thumbnailOf(t, dst, "663e16ac4d11aff765088b3a"); got != "" {
				t.Errorf("%s: the embed task's video got thumbnail %q", name, got)
			}
			if again := export(t, dst); again != exp {
				t.Errorf("%s: export → import → export differs", name)
			}
		}
	})
}
