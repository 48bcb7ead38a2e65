package twelvelabs_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

func TestLenientDecoding(t *testing.T) {
	t.Run("OK/UnknownAndNullFields", func(t *testing.T) {
		body := `{"_id":"a","status":"ready","created_at":"","updated_at":null,"brand_new":{"x":[1,2]},
			"data":[{"embedding":[1,2],"embedding_option":null,"embedding_scope":null,"start_sec":null,"end_sec":null,"future":true}],
			"metadata":{"input_type":"video","embedding_scopes":["local"],"novel":1}}`
		var task twelvelabs.EmbedV2Task
		if err := json.Unmarshal([]byte(body), &task); err != nil {
			t.Fatal(err)
		}
		if task.ID != "a" || !task.CreatedAt.IsZero() || !task.UpdatedAt.IsZero() || task.Data[0].StartSec != nil || task.Metadata.EmbeddingScopes[0] != "local" {
			t.Errorf("decoded %+v", task)
		}
	})
	t.Run("OK/OddTimes", func(t *testing.T) {
		var a twelvelabs.IndexedAsset
		if err := json.Unmarshal([]byte(`{"_id":"x","created_at":"yesterday","indexed_at":12345,"updated_at":"2024-01-16T07:59:40.879Z","transcription":null}`), &a); err != nil {
			t.Fatal(err)
		}
		if !a.CreatedAt.IsZero() || a.CreatedAt.Raw != "yesterday" || a.IndexedAt.Raw != "12345" || a.Transcription != nil {
			t.Errorf("decoded %+v", a)
		}
		if want := time.Date(2024, 1, 16, 7, 59, 40, 879e6, time.UTC); !a.UpdatedAt.Equal(want) {
			t.Errorf("updated_at %v, want %v", a.UpdatedAt, want)
		}
		b, err := json.Marshal(a.UpdatedAt)
		if err != nil || string(b) != `"2024-01-16T07:59:40.879Z"` {
			t.Errorf("re-encoded %s, %v", b, err)
		}
	})
	t.Run("OK/Scores", func(t *testing.T) {
		for body, want := range map[string]twelvelabs.Score{`85.08`: 85.08, `"85.08"`: 85.08, `" 7 "`: 7, `null`: 0, `""`: 0} {
			var s twelvelabs.Score
			if err := json.Unmarshal([]byte(body), &s); err != nil || s != want {
				t.Errorf("score %s decoded as %v, %v; want %v", body, s, err, want)
			}
		}
	})
	t.Run("ErrScoreNotNumber", func(t *testing.T) {
		var s twelvelabs.Score
		if err := json.Unmarshal([]byte(`"high"`), &s); err == nil {
			t.Error("a non-numeric score decoded")
		}
	})
}
