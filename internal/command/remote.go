package command

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/internal/mirror/weaviate"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// searchRemote answers q with the Weaviate cluster of --remote: the query
// vector comes from the local database (or, for a clip or video it does
// not hold, from the cluster's copy), the filters go to the cluster
// translated, and what cannot be asked of it is refused.
func searchRemote(c *cli.Context, db *clipvec.DB, q clipvec.Query) (*clipvec.Result, error) {
	switch {
	case q.Exact:
		return nil, usagef("search: --exact compares every local vector; the cluster searches its own index: drop --exact or --remote")
	case q.Ef != 0:
		return nil, usagef("search: --ef sets the local graph's effort; the cluster's is its collection's setting: drop --ef or --remote")
	case q.GroupBy == clipvec.GroupByVideo && q.Aggregate == clipvec.AggMean:
		return nil, usagef("search: --agg mean needs every segment's similarity, which the cluster does not return: use --agg max with --remote")
	}
	level := strings.ToUpper(c.String("consistency"))
	if level != weaviate.ConsistencyOne && level != weaviate.ConsistencyQuorum && level != weaviate.ConsistencyAll {
		return nil, usagef("search: --consistency %q: want ONE, QUORUM or ALL", c.String("consistency"))
	}
	cl, err := weaviate.New(c.String("remote"))
	if err != nil {
		return nil, usagef("search: --remote: %v", err)
	}
	videos, err := db.Videos(c.Context)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(videos))
	for _, v := range videos {
		names[v.ID] = v.Filename
	}
	opts := weaviate.SearchOptions{Prefix: c.String("collection"), Consistency: level, Names: names}
	r, err := db.Resolve(c.Context, q)
	if err != nil && (q.Like != nil || q.LikeVideo != "") && errors.Is(err, clipvec.ErrNotFound) {
		// The local database lacks the clip or the video: the cluster's
		// copy of it stands in.
		if r, err = weaviate.Resolve(c.Context, cl, q, opts); err != nil {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	res, err := weaviate.Search(c.Context, cl, r, opts)
	if err != nil {
		return nil, fmt.Errorf("%w (cluster %s)", err, cl.URL())
	}
	return res, nil
}
