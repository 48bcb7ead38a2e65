package command

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/internal/mirror"
	"github.com/clipvec/clipvec/internal/mirror/weaviate"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func syncCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "sync",
		Usage: "copy the database into a distributed vector engine, incrementally",
		Description: `clipvec stays the place embeddings are imported, fetched and checked; sync
pushes what changed since the last sync into a cluster that serves them
past one machine. Engines: weaviate.`,
		Subcommands: []*cli.Command{syncWeaviateCommand(e)},
	}
}

func syncWeaviateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "weaviate",
		Usage:     "copy the database into a Weaviate cluster, incrementally",
		ArgsUsage: " ",
		Description: `Each embedding space (model/dimension) is one collection, named
PREFIX_model_dim (Clipvec_marengo3_0_512), created when missing with no
vectorizer, cosine distance, --shards shards and --replication replicas.
Each segment is one object: its unit vector and its properties
(segment_id, video_id, modality, scope, start, end, model, norm,
source_kind, source_id), under an id made of the database's id and the
segment's, so a re-imported segment overwrites its object.

Only what changed since the last sync to the same cluster and prefix is
sent: segments deleted since are deleted, segments written since are
upserted in batches of --batch, oldest first, --parallel batches in
flight. As batches are acknowledged the database records how far the
cluster has got, so a sync that is killed or loses the network sends at
most the batches that were in flight again when run again; run the same
command. Writes are acknowledged by a quorum of each object's
replicas (QUORUM; --consistency ALL waits for every replica), and a sync
starts only when every node of the cluster is healthy: Weaviate
acknowledges writes without the replicas of a node that is down.
Collections with more than one replica are created with asynchronous
replication, so a replica that missed writes catches up once its node is
back.

--verify then compares the cluster with the database: counts per space
(every node must be up), and --verify-sample objects per space read back
and compared, vectors bit for bit and every property (0: every object,
which also finds objects the database does not hold). Any difference
exits with code 1.

--full forgets what was recorded for this cluster and sends every segment
again, and deletes the object of every segment ever deleted (the
database's deletion log is kept forever). A collection found missing is
filled again from the start by itself.

Examples:
   clipvec sync weaviate --url http://127.0.0.1:8080
   clipvec sync weaviate --url http://127.0.0.1:8080 --shards 3 --replication 2 --verify
   clipvec sync weaviate --url https://cluster.example --collection Clips --json`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "url", Usage: "the cluster's `URL` (http://127.0.0.1:8080)", EnvVars: []string{"WEAVIATE_URL"}},
			&cli.StringFlag{Name: "api-key", Usage: "send `KEY` as a bearer token", EnvVars: []string{"WEAVIATE_API_KEY"}},
			&cli.StringFlag{Name: "collection", Value: weaviate.DefaultPrefix, Usage: "collection name `PREFIX`"},
			&cli.IntFlag{Name: "shards", Value: 1, Usage: "shards of a new collection: `N`"},
			&cli.IntFlag{Name: "replication", Value: 1, Usage: "replication factor of a new collection: `N`"},
			&cli.IntFlag{Name: "batch", Value: mirror.DefaultBatch, Usage: "segments per request: `N` (1 to 10000)"},
			&cli.IntFlag{Name: "parallel", Value: mirror.DefaultParallel, Usage: "upsert requests in flight at once: `N`"},
			&cli.StringFlag{Name: "consistency", Value: weaviate.WriteConsistency, Usage: "write consistency `LEVEL`: QUORUM or ALL"},
			&cli.BoolFlag{Name: "full", Usage: "send every segment again, whatever was recorded"},
			&cli.BoolFlag{Name: "verify", Usage: "then compare the cluster with the database"},
			&cli.IntFlag{Name: "verify-sample", Value: 1000, Usage: "objects per space --verify reads back: `N` (0: all)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar, no summary"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
		},
		Action: func(c *cli.Context) error { return syncWeaviate(c, e) },
	}
}

// syncOutput is what sync weaviate --json prints.
type syncOutput struct {
	*mirror.Result
	SegmentsPerSecond float64              `json:"segments_per_second"`
	Verify            []mirror.SpaceReport `json:"verify,omitempty"`
}

func syncWeaviate(c *cli.Context, e *env) error {
	if c.NArg() > 0 {
		return usagef("sync weaviate: unexpected argument %q", c.Args().First())
	}
	rawURL := c.String("url")
	if rawURL == "" {
		return usagef("sync weaviate: --url is required (the cluster, such as http://127.0.0.1:8080)")
	}
	level := strings.ToUpper(c.String("consistency"))
	switch {
	case c.Int("shards") < 1:
		return usagef("sync weaviate: --shards %d: want 1 or more", c.Int("shards"))
	case c.Int("replication") < 1:
		return usagef("sync weaviate: --replication %d: want 1 or more", c.Int("replication"))
	case c.Int("batch") < 1 || c.Int("batch") > 10000:
		// 10,000 is Weaviate's default QUERY_MAXIMUM_RESULTS, the most a
		// batch delete matches.
		return usagef("sync weaviate: --batch %d: want 1 to 10000", c.Int("batch"))
	case c.Int("parallel") < 1 || c.Int("parallel") > 64:
		return usagef("sync weaviate: --parallel %d: want 1 to 64", c.Int("parallel"))
	case c.Int("verify-sample") < 0:
		return usagef("sync weaviate: --verify-sample %d: want 0 (all) or more", c.Int("verify-sample"))
	case level != "QUORUM" && level != "ALL":
		return usagef("sync weaviate: --consistency %s: want QUORUM or ALL (ONE could lose a write the database records as sent)", c.String("consistency"))
	}
	client, err := weaviate.New(rawURL)
	if err != nil {
		return usagef("sync weaviate: --url: %v", err)
	}
	client.APIKey = c.String("api-key")

	path, err := dbPath(c)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sync weaviate: %w: no database at %s to sync (import into it first, or name another with --db)", clipvec.ErrNotFound, visible(path))
	}
	unlock, err := mirror.Lock(path)
	if err != nil {
		return fmt.Errorf("sync weaviate: %w", err)
	}
	defer unlock()
	db, err := openDB(c)
	if err != nil {
		return err
	}
	defer db.Close()
	store, err := db.StoreID(c.Context)
	if err != nil {
		return err
	}
	t := weaviate.NewTarget(client, store, c.String("collection"))
	// An existing collection keeps its settings; they are compared with
	// the flags only when the flags were given.
	t.Shards, t.Replication, t.Consistency = 0, 0, level
	if c.IsSet("shards") {
		t.Shards = c.Int("shards")
	}
	if c.IsSet("replication") {
		t.Replication = c.Int("replication")
	}
	if c.Bool("full") {
		if _, err := db.ForgetMirror(c.Context, t.Name()); err != nil {
			return err
		}
	}

	// Weaviate acknowledges writes with a replica's node down, leaving
	// that replica without them: sync only into a whole cluster.
	if _, err := t.Healthy(c.Context); err != nil {
		var ne net.Error
		if errors.As(err, &ne) {
			return fmt.Errorf("sync weaviate: cannot reach the cluster at %s (is it running? scripts/weaviate-cluster start runs one here): %w", client.URL(), err)
		}
		return fmt.Errorf("sync weaviate: %w: Weaviate would acknowledge writes without the replicas on it; sync once every node is back", err)
	}

	pb := e.progressBar(c)
	defer pb.done()
	start := time.Now()
	res, err := mirror.Sync(c.Context, db, t, mirror.Options{
		Batch:    c.Int("batch"),
		Parallel: c.Int("parallel"),
		Progress: func(p mirror.Progress) {
			done, total := p.Deleted+p.Upserted, p.ToDelete+p.ToUpsert
			rate := float64(p.TotalUpserted+p.TotalDeleted) / time.Since(start).Seconds()
			eta := ""
			if left := total - done; rate > 0 && left > 0 {
				eta = ", " + (time.Duration(float64(left)/rate) * time.Second).Round(time.Second).String() + " left"
			}
			pb.update("sync %s %s %s of %s segments, %.0f/s%s", p.Space, bar(float64(done)/float64(max(total, 1)), 20),
				count(int64(done)), count(int64(total)), rate, eta)
		},
	})
	pb.done()
	for _, sr := range res.Spaces {
		for _, n := range sr.Collection.Notes {
			fmt.Fprintf(e.stderr, "sync weaviate: note: %s\n", visible(n))
		}
	}
	if err != nil {
		if res.Upserted+res.Deleted > 0 {
			fmt.Fprintf(e.stderr, "sync weaviate: stopped after %s upserted and %s deleted, all recorded: run the same command again to continue\n",
				count(int64(res.Upserted)), count(int64(res.Deleted)))
		}
		return err
	}
	out := syncOutput{Result: res}
	if secs := res.Elapsed.Seconds(); secs > 0 {
		out.SegmentsPerSecond = float64(res.Upserted+res.Deleted) / secs
	}
	if !c.Bool("json") && !c.Bool("quiet") {
		printSync(e, &out)
	}

	var verr error
	if c.Bool("verify") {
		if _, err := t.Healthy(c.Context); err != nil {
			return fmt.Errorf("sync weaviate: --verify counts every shard, which needs every node up: %w", err)
		}
		out.Verify, verr = mirror.Verify(c.Context, db, t, mirror.VerifyOptions{Sample: c.Int("verify-sample"), Seed: 1})
		if verr != nil && !errors.Is(verr, mirror.ErrMismatch) {
			return verr
		}
		if !c.Bool("json") {
			printVerify(e, out.Verify)
		}
	}
	if c.Bool("json") {
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	}
	return verr
}

func printSync(e *env, out *syncOutput) {
	res := out.Result
	fmt.Fprintf(e.stdout, "sync: %s\n", visible(res.Target))
	t := newTable(e.stdout, "SPACE", "COLLECTION", "UPSERTED", "DELETED", "GENERATION")
	for _, sr := range res.Spaces {
		col := sr.Collection.Name
		if sr.Collection.Created {
			col += " (created)"
		}
		gens := fmt.Sprint(sr.Generation)
		if sr.From.Generation != sr.Generation || sr.From.AfterID != 0 {
			gens = fmt.Sprintf("%d → %d", sr.From.Generation, sr.Generation)
		}
		t.row(sr.Space.String(), col, count(int64(sr.Upserted)), count(int64(sr.Deleted)), gens)
	}
	t.flush()
	if res.Upserted+res.Deleted == 0 {
		fmt.Fprintf(e.stdout, "up to date: nothing changed since the last sync (%s)\n", res.Elapsed.Round(time.Millisecond))
		return
	}
	fmt.Fprintf(e.stdout, "synced %s segments (%s upserted, %s deleted) in %s: %.0f segments/s\n",
		count(int64(res.Upserted+res.Deleted)), count(int64(res.Upserted)), count(int64(res.Deleted)),
		res.Elapsed.Round(time.Millisecond), out.SegmentsPerSecond)
}

func printVerify(e *env, reports []mirror.SpaceReport) {
	for _, r := range reports {
		if r.MismatchCount == 0 {
			fmt.Fprintf(e.stdout, "verify %s: %s objects, %s segments; %s compared, all equal\n", r.Space,
				count(int64(r.Remote)), count(int64(r.Local)), count(int64(r.Compared)))
			continue
		}
		fmt.Fprintf(e.stdout, "verify %s: %s objects, %s segments; %s compared: %s differences\n", r.Space,
			count(int64(r.Remote)), count(int64(r.Local)), count(int64(r.Compared)), count(int64(r.MismatchCount)))
		for _, m := range r.Mismatches {
			if m.SegmentID != 0 {
				fmt.Fprintf(e.stdout, "   segment %d: %s\n", m.SegmentID, visible(m.Problem))
			} else {
				fmt.Fprintf(e.stdout, "   %s\n", visible(m.Problem))
			}
		}
		if r.MismatchCount > len(r.Mismatches) {
			fmt.Fprintf(e.stdout, "   ... and %s more\n", count(int64(r.MismatchCount-len(r.Mismatches))))
		}
	}
}
