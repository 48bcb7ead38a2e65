package ingest_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
)

// TestOwnVideoID: a segment carries the video its input names, whatever
// Options.VideoID files it under: an indexed asset's id, a JSONL or
// Parquet record's video_id; nothing for an embed task (it names only
// itself) or a sync response. A Stage keeps it.
func TestOwnVideoID(t *testing.T) {
	opts := ingest.Options{VideoID: "override"}
	check := func(t *testing.T, c *ingest.Stage, segs []ingest.Segment, want string) {
		t.Helper()
		if len(segs) == 0 {
			t.Fatal("no segments")
		}
		for _, s := range segs {
			if s.VideoID != "override" || s.OwnVideoID != want {
				t.Fatalf("segment %s: video %q, own video %q; want override, %q", brief(s), s.VideoID, s.OwnVideoID, want)
			}
			if err := c.Segment(&s); err != nil {
				t.Fatal(err)
			}
		}
		back := &collector{}
		if err := c.Replay(back); err != nil || len(back.segs) != len(segs) || back.segs[0].OwnVideoID != want {
			t.Errorf("staged: %v, %d segments, own video %q", err, len(back.segs), back.segs[0].OwnVideoID)
		}
	}
	for _, tc := range []struct{ file, want string }{
		{"indexed_asset_retrieve.json", "61e17be5777e6caec646fa07"},
		{"embed_task_retrieve.json", ""},
		{"embed_v2_task.json", ""},
		{"embed_v2_sync_audio_asset.json", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, _, err := decodeFile(t, filepath.Join(fixtures, tc.file), opts)
			if err != nil {
				t.Fatal(err)
			}
			var st ingest.Stage
			defer st.Close()
			check(t, &st, c.segs, tc.want)
		})
	}
	t.Run("JSONL", func(t *testing.T) {
		c, _, err := decodeFile(t, filepath.Join(fixtures, "embed_task_retrieve.json"), ingest.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w := ingest.NewWriter(&buf)
		for i := range c.segs {
			c.segs[i].VideoID = "rec-video"
			if err := w.WriteSegment(&c.segs[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		back, _, err := decodeString(t, "export.jsonl", buf.String(), opts)
		if err != nil {
			t.Fatal(err)
		}
		var st ingest.Stage
		defer st.Close()
		check(t, &st, back.segs, "rec-video")
	})
	t.Run("Parquet", func(t *testing.T) {
		in := sampleParquetInput()
		back, _, err := decodeParquet(t, "p.parquet", in.write(t), opts)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range back.segs {
			if want := in.segs[i].VideoID; s.OwnVideoID != want || s.VideoID != "override" {
				t.Errorf("row %d: video %q, own video %q; want override, %q", i, s.VideoID, s.OwnVideoID, want)
			}
		}
	})
}
