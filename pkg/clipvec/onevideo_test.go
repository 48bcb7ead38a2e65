package clipvec_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

const sampleExports = "../../testdata/sample/exports"

// splitTask writes the v1 embed task fixture as two tasks of the same
// video, one per option (visual, audio), under new task ids.
func splitTask(t testing.TB, dir string) (visual, audio string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(fixtures, "embed_task_retrieve.json"))
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	for _, option := range []string{"visual", "audio"} {
		var task map[string]any
		if err := json.Unmarshal(body, &task); err != nil {
			t.Fatal(err)
		}
		ve := task["video_embedding"].(map[string]any)
		var kept []any
		for _, s := range ve["segments"].([]any) {
			if s.(map[string]any)["embedding_option"] == option {
				kept = append(kept, s)
			}
		}
		ve["segments"] = kept
		task["_id"] = "task-" + option
		out, err := json.Marshal(task)
		if err != nil {
			t.Fatal(err)
		}
		paths[option] = filepath.Join(dir, option+".json")
		if err := os.WriteFile(paths[option], out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths["visual"], paths["audio"]
}

// TestImportVideoIDRefusesDifferentVideos: ImportOptions.VideoID over
// inputs of different videos (which name different videos, or hold the
// same segment) imports nothing and says which inputs; tasks of one
// video that do not overlap are filed together; MergeVideos merges.
func TestImportVideoIDRefusesDifferentVideos(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	visual, audio := splitTask(t, dir)
	several := filepath.Join(dir, "several.jsonl")
	synth{seed: 3, model: "marengo3.0", dim: 8, videos: 3, clips: 2, options: []string{"visual"}}.write(t, several)
	severalBody, err := os.ReadFile(several)
	if err != nil {
		t.Fatal(err)
	}
	surfing := filepath.Join(sampleExports, "01-surfing-01.embed-task.json.gz")
	city := filepath.Join(sampleExports, "04-city-timelapse-01.embed-task.json")
	basketball := filepath.Join(sampleExports, "03-basketball-01.indexed-asset.json.gz")
	biking := filepath.Join(sampleExports, "06-mountain-biking-01.indexed-asset.json")

	for _, tc := range []struct {
		name  string
		paths []string
		stdin string
		want  []string // in the error
	}{
		{"TwoNamedVideos", []string{basketball, biking}, "", []string{basketball + " names video ", " and " + biking + " names video "}},
		{"OneFileOfSeveralVideos", []string{several}, "", []string{several + " names videos "}},
		{"StdinOfSeveralVideos", []string{"-"}, string(severalBody), []string{"- names videos "}},
		{"TasksThatOverlap", []string{surfing, city}, "", []string{surfing + " and " + city + " both hold the visual clip at 0–6 s of marengo3.0/512",
			"one would replace the other"}},
		{"NamedAndTaskThatOverlap", []string{visual, filepath.Join(fixtures, "embed_task_retrieve.json")}, "",
			[]string{"both hold the visual clip at 0–6 s"}},
	} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			db := openDB(t)
			gen := generationOf(t, db)
			sum, err := db.Import(ctx, tc.paths, clipvec.ImportOptions{VideoID: "x", Stdin: strings.NewReader(tc.stdin)})
			if !errors.Is(err, clipvec.ErrSeveralVideos) {
				t.Fatalf("err = %v, want ErrSeveralVideos", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if st, _ := db.Stats(ctx); st.Segments != 0 || st.Generation != gen || len(sum.Files) != 0 {
				t.Errorf("a refused import wrote: %+v, summary %+v", st, sum)
			}
			// The same inputs, merged on purpose.
			sum, err = db.Import(ctx, tc.paths, clipvec.ImportOptions{VideoID: "x", MergeVideos: true, Stdin: strings.NewReader(tc.stdin)})
			if err != nil || sum.Imported == 0 {
				t.Fatalf("with MergeVideos: %v %+v", err, sum)
			}
			if vs, _ := db.Videos(ctx); len(vs) != 1 || vs[0].ID != "x" {
				t.Errorf("videos %+v, want x only", vs)
			}
		})
	}

	t.Run("OK", func(t *testing.T) {
		// Two tasks of one video (one per option), and standard input
		// holding one video: filed under x together.
		db := openDB(t)
		one := filepath.Join(dir, "one.jsonl")
		synth{seed: 4, model: "marengo3.0", dim: 2, videos: 1, clips: 2, options: []string{"transcription"}}.write(t, one)
		body, err := os.ReadFile(one)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := db.Import(ctx, []string{visual, audio, "-"}, clipvec.ImportOptions{VideoID: "x", Stdin: strings.NewReader(string(body))})
		if err != nil || sum.Imported != 7+2 || sum.Rejected != 0 {
			t.Fatalf("import: %v %+v", err, sum)
		}
		vs, _ := db.Videos(ctx)
		if len(vs) != 1 || vs[0].ID != "x" || vs[0].Segments != 9 {
			t.Errorf("videos %+v, want x with 9 segments", vs)
		}
	})
}
