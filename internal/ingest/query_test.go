package ingest_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
)

func TestQueryVector(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name, body, pick string
		want             []float32
		model            string
	}{
		{"BareArray", "[1, 2.5, -3]", "", []float32{1, 2.5, -3}, ""},
		{"VectorField", `{"vector":[0.5,0.25]}`, "", []float32{0.5, 0.25}, ""},
		{"JSONLLine", `{"video_id":"v","model_name":"Marengo-retrieval-2.7","embedding":[1,2]}`, "", []float32{1, 2}, "marengo2.7"},
		{"EmbedV2Text", read("embed_v2_sync_text.json"), "", []float32{0.111, 0.234, -0.567, 0.89}, ""},
		{"EmbedV1Text", read("text_embed_response.json"), "", []float32{-0.042632885, 0.014312328, 0.029209055}, "marengo3.0"},
		{"PickByName", `[{"topic":"a","vector":[1]},{"topic":"b","vector":[2]}]`, "b", []float32{2}, ""},
		{"PickByIndex", `[{"topic":"a","vector":[1]},{"topic":"b","vector":[2]}]`, "0", []float32{1}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vec, model, err := ingest.QueryVector(strings.NewReader(tc.body), tc.pick)
			if err != nil {
				t.Fatal(err)
			}
			if len(vec) != len(tc.want) || model != tc.model {
				t.Fatalf("got %v (model %q), want %v (%q)", vec, model, tc.want, tc.model)
			}
			for i := range vec {
				if vec[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", vec, tc.want)
				}
			}
		})
	}
	for _, tc := range []struct {
		name, body, pick, msg string
	}{
		{"ErrSeveral", `[{"topic":"a","vector":[1]},{"topic":"b","vector":[2]}]`, "", "holds 2 query vectors (a, b): pick one"},
		{"ErrNoSuchPick", `[{"topic":"a","vector":[1]}]`, "z", `no query "z"`},
		{"ErrNotJSON", "nope", "", "invalid JSON"},
		{"ErrNull", "[1, null]", "", "vector value 1 is null"},
		{"ErrTaskWithManySegments", read("embed_v2_task.json"), "", "has 2 embeddings"},
		{"ErrUnknown", `{"a":1}`, "", "want a JSON array of numbers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ingest.QueryVector(strings.NewReader(tc.body), tc.pick)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want it to say %q", err, tc.msg)
			}
		})
	}
	if _, _, err := ingest.QueryVector(strings.NewReader("[]"), ""); err == nil || errors.Is(err, ingest.ErrSyntax) {
		t.Errorf("empty array: %v", err)
	}
}
