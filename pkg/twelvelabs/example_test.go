package twelvelabs_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/clipvec/clipvec/pkg/twelvelabs"
	"github.com/clipvec/clipvec/pkg/twelvelabs/twelvelabstest"
)

// Embed a video with a v1 task and read its segments. The fake server
// stands in for the API; against the real one, create the client with
// twelvelabs.NewClient(apiKey).
func Example() {
	srv := twelvelabstest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	id, err := c.CreateEmbedTask(ctx, twelvelabs.EmbedTaskRequest{
		ModelName: twelvelabs.ModelMarengo30,
		VideoURL:  "https://example.com/dog-frisbee.mp4",
		Scopes:    []string{twelvelabs.ScopeClip, twelvelabs.ScopeVideo},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.WaitForTask(ctx, id); err != nil {
		log.Fatal(err)
	}
	task, err := c.RetrieveEmbedTask(ctx, id, twelvelabs.OptionVisual)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range task.Segments()[:2] {
		fmt.Printf("%s %s %g–%g s: %d values\n", s.EmbeddingOption, s.EmbeddingScope, s.StartOffsetSec, s.EndOffsetSec, len(s.Float))
	}
	// Output:
	// visual clip 0–6 s: 512 values
	// visual clip 6–12 s: 512 values
}

// Walk every indexed asset of an index, page by page.
func ExampleClient_ListIndexedAssets() {
	srv := twelvelabstest.NewServer(twelvelabstest.WithVideos(7))
	defer srv.Close()
	c := srv.Client()

	it := c.ListIndexedAssets(context.Background(), srv.Catalogue.Indexes[0].ID, twelvelabs.ListAssetsParams{PageLimit: 3, SortOption: "asc"})
	for it.Next() {
		a := it.Item()
		fmt.Println(a.SystemMetadata.Filename, a.Status)
	}
	if err := it.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// snowboard-01.mp4 ready
	// surfing-01.mp4 ready
	// dog-frisbee-01.mp4 ready
	// concert-01.mp4 ready
	// soccer-01.mp4 ready
	// space-station-01.mp4 ready
	// birds-lake-01.mp4 indexing
}

// Tell API errors apart with errors.Is and errors.As.
func ExampleAPIError() {
	srv := twelvelabstest.NewServer()
	defer srv.Close()

	_, err := srv.Client().GetEmbedV2Task(context.Background(), "64f8d2c7e4a1b37f8a9c5d12")
	var apiErr *twelvelabs.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, twelvelabs.IsNotFound(err))
	}
	fmt.Println(err)
	// Output:
	// 404 NOT_FOUND true
	// get embed-v2 task 64f8d2c7e4a1b37f8a9c5d12: twelvelabs API: 404 Not Found: NOT_FOUND: Task 64f8d2c7e4a1b37f8a9c5d12 not found
}
