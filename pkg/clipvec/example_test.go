package clipvec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// exampleDB opens a new database holding the built-in sample: 36
// synthetic videos of 8 topics, named like "surfing-03.mp4".
func exampleDB(ctx context.Context) (db *clipvec.DB, cleanup func()) {
	dir, err := os.MkdirTemp("", "clipvec-example-")
	if err != nil {
		log.Fatal(err)
	}
	db, err = clipvec.Open(ctx, filepath.Join(dir, "clips.db"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := db.Import(ctx, []string{"../../testdata/sample/exports"}, clipvec.ImportOptions{}); err != nil {
		log.Fatal(err)
	}
	return db, func() { db.Close(); os.RemoveAll(dir) }
}

// videoByFile finds a sample video's id by its file name.
func videoByFile(ctx context.Context, db *clipvec.DB, name string) string {
	videos, err := db.Videos(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range videos {
		if v.Filename == name {
			return v.ID
		}
	}
	log.Fatalf("no video %s", name)
	return ""
}

// "More like this": the clips nearest one clip, from other videos.
func ExampleDB_Search() {
	ctx := context.Background()
	db, cleanup := exampleDB(ctx)
	defer cleanup()

	res, err := db.Search(ctx, clipvec.Query{
		Like:              &clipvec.SegmentRef{VideoID: videoByFile(ctx, db, "surfing-01.mp4"), At: 10},
		ExcludeQueryVideo: true,
		K:                 3,
		Filter:            clipvec.Filter{Scopes: []string{clipvec.ScopeClip}},
		Exact:             true,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range res.Hits {
		fmt.Printf("%s %s %.0f–%.0f s\n", h.Filename, h.Modality, h.Start, h.End)
	}
	// Output:
	// surfing-04.mp4 visual 6–12 s
	// surfing-05.mp4 visual 62–69 s
	// surfing-04.mp4 visual 12–18 s
}

// Videos like a user's watch history, unlike what they skipped, spread
// across videos by MMR.
func ExampleDB_Recommend() {
	ctx := context.Background()
	db, cleanup := exampleDB(ctx)
	defer cleanup()

	res, err := db.Recommend(ctx, clipvec.RecommendQuery{
		Positive: []string{videoByFile(ctx, db, "surfing-01.mp4"), videoByFile(ctx, db, "surfing-02.mp4")},
		Negative: []string{videoByFile(ctx, db, "cooking-01.mp4")},
		GroupBy:  clipvec.GroupByVideo,
		K:        4,
		Lambda:   0.7,
		Filter:   clipvec.Filter{Scopes: []string{clipvec.ScopeClip}},
		Exact:    true,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range res.Hits {
		fmt.Println(h.Filename)
	}
	// Output:
	// surfing-03.mp4
	// surfing-05.mp4
	// surfing-04.mp4
	// concert-03.mp4
}

// Many queries at once: exact ones share passes over the vectors.
func ExampleDB_SearchBatch() {
	ctx := context.Background()
	db, cleanup := exampleDB(ctx)
	defer cleanup()

	var qs []clipvec.Query
	for _, name := range []string{"cooking-01.mp4", "basketball-01.mp4", "no-such-video"} {
		id := name
		if name != "no-such-video" {
			id = videoByFile(ctx, db, name)
		}
		qs = append(qs, clipvec.Query{LikeVideo: id, GroupBy: clipvec.GroupByVideo, K: 2, Exact: true,
			Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeClip}}})
	}
	results, err := db.SearchBatch(ctx, qs)
	if err != nil {
		log.Fatal(err)
	}
	for i, r := range results {
		if r.Err != nil {
			fmt.Printf("query %d: not found\n", i)
			continue
		}
		fmt.Printf("query %d: %s, %s\n", i, r.Result.Hits[0].Filename, r.Result.Hits[1].Filename)
	}
	// Output:
	// query 0: cooking-03.mp4, cooking-02.mp4
	// query 1: basketball-03.mp4, basketball-04.mp4
	// query 2: not found
}

// Classify the sample's videos into topics described by text. The
// prompts' vectors come from the query cache: here the sample's own
// queries.json, added with AddQueries; with a TwelveLabs key,
// db.Embedder = upstream.Embedder(client) embeds new prompts once.
func ExampleDB_Classify() {
	ctx := context.Background()
	db, cleanup := exampleDB(ctx)
	defer cleanup()

	data, err := os.ReadFile("../../testdata/sample/queries.json")
	if err != nil {
		log.Fatal(err)
	}
	var queries []struct {
		Topic, Text string
		Vector      []float32
	}
	if err := json.Unmarshal(data, &queries); err != nil {
		log.Fatal(err)
	}
	var cache []clipvec.CachedQuery
	for _, q := range queries {
		cache = append(cache, clipvec.CachedQuery{Model: "marengo3.0", Kind: clipvec.QueryText, Input: q.Text, Vector: q.Vector})
	}
	if err := db.AddQueries(ctx, cache); err != nil {
		log.Fatal(err)
	}

	res, err := db.Classify(ctx, clipvec.ClassifyQuery{
		Classes: []clipvec.Class{
			{Name: "sports", Prompts: []string{"a surfer riding a big wave", "a basketball player dunking in a packed arena"}},
			{Name: "music", Prompts: []string{"a band playing on stage in front of a crowd"}},
		},
		Videos: []string{videoByFile(ctx, db, "surfing-02.mp4"), videoByFile(ctx, db, "concert-02.mp4"), videoByFile(ctx, db, "cooking-02.mp4")},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range res.Videos {
		fmt.Printf("%s:", v.Filename)
		for _, c := range v.Classes {
			fmt.Printf(" %s (over %.0f%% of it, best at %.0fs)", c.Name, 100*c.DurationRatio, c.Clips[0].Start)
		}
		if len(v.Classes) == 0 {
			fmt.Print(" no class")
		}
		fmt.Println()
	}
	// Output:
	// surfing-02.mp4: sports (over 91% of it, best at 44s)
	// cooking-02.mp4: no class
	// concert-02.mp4: music (over 100% of it, best at 34s)
}
