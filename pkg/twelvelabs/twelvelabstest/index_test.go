package twelvelabstest_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// TestRetrieveIndex: GET /indexes/{id} names the index's model and its
// options, in the spec's shape, and answers 404 for an unknown index.
func TestRetrieveIndex(t *testing.T) {
	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(4), twelvelabstest.WithMarengo27Index())
	defer srv.Close()
	c := srv.Client()
	for _, ix := range srv.Catalogue.Indexes {
		got, raw, err := c.RetrieveIndex(context.Background(), ix.ID)
		if err != nil {
			t.Fatal(err)
		}
		ready := 0
		for _, v := range ix.Videos {
			if v.Ready() {
				ready++
			}
		}
		if got.ID != ix.ID || got.Name != ix.Name || len(got.Models) != 1 || got.Models[0].Name != ix.ModelName ||
			len(got.Models[0].Options) == 0 || got.VideoCount != ready || got.TotalDuration <= 0 {
			t.Errorf("index %s: %+v", ix.ID, got)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil || fields["_id"] == nil || fields["models"] == nil {
			t.Errorf("raw body: %s %v", raw, err)
		}
		for _, o := range got.Models[0].Options {
			if o == "visual-text" {
				t.Errorf("model options name /search's options: %v", got.Models[0].Options)
			}
		}
	}
	if _, _, err := c.RetrieveIndex(context.Background(), "000000000000000000000000"); !twelvelabs.IsNotFound(err) {
		t.Errorf("unknown index: %v", err)
	}
}
