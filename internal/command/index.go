package command

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

func indexCommand(e *env) *cli.Command {
	modelFlag := &cli.StringFlag{Name: "model", Usage: "only this `MODEL`'s spaces"}
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print as JSON"}
	return &cli.Command{
		Name:  "index",
		Usage: "inspect, build and compact the search graphs",
		Description: fmt.Sprintf(`Each embedding space has an HNSW graph, saved beside the database in
DB.index/ as a snapshot stamped with the database generation it reflects.
Imports and deletes keep it in step; a search catches up with any write it
missed, or rebuilds it if the snapshot is missing, damaged or "stale" (not
this database's: another database's, or ahead of a restored copy). These
commands do that work, or show it, explicitly.

Graph parameters are stored in the database (clipvec index build -m ...):
   M               neighbours per node (2·M on the bottom layer)  default %d
   efConstruction  candidates considered per insert               default %d
   target recall   the recall@10 a search aims at: each graph
                   calibrates the ef that reaches it              default %g
   ef              or else a fixed ef for every search
   quantize        walk the graph on int8 copies, rerank float32  default on
A search's --ef overrides both.

Examples:
   clipvec index status
   clipvec index build                    # rebuild every space's graph
   clipvec index build --target-recall 0.99
   clipvec index build -m 32 --ef-construction 400
   clipvec index compact --model marengo3.0   # drop tombstones`,
			clipvec.DefaultIndexParams.M, clipvec.DefaultIndexParams.EfConstruction, clipvec.DefaultTargetRecall),
		Subcommands: []*cli.Command{
			{
				Name:  "status",
				Usage: "show each space's graph: state, nodes, tombstones, snapshot",
				Description: `Shows the graph parameters stored in the database, then each embedding
space's graph as its snapshot's header describes it (the graphs are not
loaded: status is quick at any size):

   STATE       current: the snapshot reflects the database as it is now;
               behind: segments written or deleted since, which the next
               search, import or sync applies; missing: no snapshot yet;
               stale: another database's, or ahead of a restored copy;
               unreadable: damaged. The next search builds a missing graph
               and rebuilds a stale or unreadable one (or: index build).
   NODES       nodes in the graph, tombstones included
   DELETED     tombstones: nodes of deleted or replaced segments, which
               searches walk past without returning (index compact drops
               them; a catch-up does past a fifth of the nodes)
   EF          the ef a search without --ef uses on this graph: the one
               calibrated for the target recall, or the fixed one
   RECALL      its estimated recall@10, measured against exact answers
               on held-out queries when the graph was calibrated ("-":
               not calibrated for the target yet; the next search is)
   SIZE        the size of its snapshot (in DB.index/, beside the
               database; --json names each file)
   GENERATION  the database generation the snapshot reflects, "of" the
               database's current one

--json prints {"params": {...}, "spaces": [...]}, each space with its
state, nodes, deleted, generation, store_generation, snapshot,
snapshot_bytes, the parameters its graph was built with, ef, recall
and its calibration: the queries it used and the recall of every ef it
tried.

Examples:
   clipvec index status
   clipvec index status --json`,
				Flags: []cli.Flag{jsonFlag},
				Action: func(c *cli.Context) error {
					db, err := openReadDB(c)
					if err != nil {
						return err
					}
					defer db.Close()
					st, err := db.IndexStatus(c.Context)
					if err != nil {
						return err
					}
					params, err := db.IndexParams(c.Context)
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return writeJSON(e.stdout, map[string]any{"params": params, "spaces": st})
					}
					fmt.Fprintf(e.stdout, "parameters: M %d, efConstruction %d, %s, quantize %v\n\n",
						params.M, params.EfConstruction, efSetting(params), params.Quantize)
					if len(st) == 0 {
						fmt.Fprintln(e.stdout, "no spaces (import some embeddings first)")
						return nil
					}
					t := newTable(e.stdout, "SPACE", "STATE", "NODES", "DELETED", "EF", "RECALL", "SIZE", "GENERATION")
					var notes []string
					snapDirs := map[string]bool{}
					for _, s := range st {
						ef, recall := "-", "-"
						if s.Ef > 0 {
							ef = fmt.Sprint(s.Ef)
						}
						if s.Recall > 0 {
							recall = fmt.Sprintf("%.3f", s.Recall)
						}
						t.row(s.Space.String(), string(s.State), count(int64(s.Nodes)), count(int64(s.Deleted)), ef, recall,
							bytesHuman(s.SnapshotBytes), fmt.Sprintf("%d of %d", s.Generation, s.StoreGeneration))
						snapDirs[filepath.Dir(s.Snapshot)] = true
						if s.Problem != "" {
							notes = append(notes, fmt.Sprintf("%s is %s: %s; the next search rebuilds it", s.Space, s.State, s.Problem))
						}
					}
					if err := t.flush(); err != nil {
						return err
					}
					for _, d := range slices.Sorted(maps.Keys(snapDirs)) {
						fmt.Fprintf(e.stdout, "\nsnapshots in %s (--json names each file)\n", visible(d))
					}
					if len(notes) > 0 {
						fmt.Fprintln(e.stdout)
					}
					for _, n := range notes {
						fmt.Fprintln(e.stdout, visible(n))
					}
					return nil
				},
			},
			{
				Name:  "build",
				Usage: "rebuild the graphs from the database, with new parameters if given",
				Description: fmt.Sprintf(`Rebuilds each space's graph (or only --model's) from the vectors in the
database and saves its snapshot. Searches go on meanwhile, on the old
graph, until the new one replaces it.

A search builds a missing graph, and rebuilds a stale or unreadable one,
by itself; build does it now instead, and it is how graph parameters
change. Parameters given are checked, used for this build and, once its
graphs are saved, stored in the database for every later build and
compaction of every space (a build that fails leaves the stored ones as
they were); those not given keep their stored values (index status):

   -m M                 neighbours per node, 2 to 128 (default %d): more
                        finds more of the true top k, for more memory and
                        a slower build
   --ef-construction N  candidates per insert, M to 4096 (default %d): a
                        better graph, built more slowly
   --target-recall R    the recall@10 searches without --ef aim at, %g
                        to %g (default %g): each graph calibrates the
                        smallest ef that reaches it, on held-out queries
                        against exact answers, when it is built and
                        again when it has doubled in size
   --ef N               or a fixed ef for searches without --ef, 1 to
                        65536, calibrating nothing
   --quantize=false     walk the graph on the float32 vectors alone; by
                        default it walks int8 copies and re-ranks in
                        float32 from 128 dimensions up (faster searches
                        and builds, about 25%% more memory)

Examples:
   clipvec index build
   clipvec index build --model marengo3.0
   clipvec index build -m 32 --ef-construction 400
   clipvec index build --target-recall 0.99      # rebuilds too
   clipvec index build --ef 200                  # a fixed ef
   clipvec index build --quantize=false`,
					clipvec.DefaultIndexParams.M, clipvec.DefaultIndexParams.EfConstruction,
					clipvec.MinTargetRecall, clipvec.MaxTargetRecall, clipvec.DefaultTargetRecall),
				Flags: []cli.Flag{
					modelFlag,
					&cli.IntFlag{Name: "m", Usage: "neighbours per node `M` (stored for later builds too)"},
					&cli.IntFlag{Name: "ef-construction", Usage: "insert candidate list `N` (stored)"},
					&cli.Float64Flag{Name: "target-recall", Usage: "recall@10 `R` searches aim at; ef is calibrated per graph (stored)"},
					&cli.IntFlag{Name: "ef", Usage: "a fixed search candidate list `N` instead of a target (stored)"},
					&cli.BoolFlag{Name: "quantize", Usage: "walk the graph on int8 copies (--quantize=false: float32 only; stored)"},
					jsonFlag,
				},
				Action: func(c *cli.Context) error {
					db, err := openExistingDB(c)
					if err != nil {
						return err
					}
					defer db.Close()
					params, err := db.IndexParams(c.Context)
					if err != nil {
						return err
					}
					changed := false
					for name, dst := range map[string]*int{"m": &params.M, "ef-construction": &params.EfConstruction} {
						if c.IsSet(name) {
							*dst, changed = c.Int(name), true
						}
					}
					switch {
					case c.IsSet("ef") && c.IsSet("target-recall"):
						return usagef("index build: --ef fixes the ef; --target-recall calibrates it: give one or the other")
					case c.IsSet("ef"):
						params.EfSearch, params.TargetRecall, changed = c.Int("ef"), 0, true
					case c.IsSet("target-recall"):
						params.EfSearch, params.TargetRecall, changed = 0, c.Float64("target-recall"), true
					}
					if c.IsSet("quantize") {
						params.Quantize, changed = c.Bool("quantize"), true
					}
					return runIndexOp(c, e, db, "built", func() error {
						if !changed {
							return db.BuildIndex(c.Context, c.String("model"), nil)
						}
						// Stored only once the graphs built with them are saved.
						err := db.BuildIndexWith(c.Context, c.String("model"), params, nil)
						if errors.Is(err, clipvec.ErrInvalidQuery) {
							return usageError{err}
						}
						return err
					})
				},
			},
			{
				Name:  "compact",
				Usage: "rebuild the graphs from their live nodes, dropping tombstones",
				Description: `Deleting a video, or importing a segment again, leaves its old node in the
graph as a tombstone: searches walk past it without returning it, which
costs them time, not correctness. Compact rebuilds each space's graph
(or only --model's) from the vectors of its live nodes, with the stored
parameters, and saves it; searches go on meanwhile, on the old graph.

A search, import or delete that catches a graph up compacts it by itself
once a fifth of its nodes are tombstones. Run compact sooner after
deleting or replacing many segments (index status shows DELETED), to
have searches at full speed again and a smaller snapshot, or when
nothing is searching, so that no search pays for the compaction later.

Examples:
   clipvec index status                          # DELETED: tombstones
   clipvec index compact
   clipvec index compact --model marengo3.0`,
				Flags: []cli.Flag{modelFlag, jsonFlag},
				Action: func(c *cli.Context) error {
					db, err := openExistingDB(c)
					if err != nil {
						return err
					}
					defer db.Close()
					return runIndexOp(c, e, db, "compacted", func() error {
						return db.CompactIndex(c.Context, c.String("model"), nil)
					})
				},
			},
		},
	}
}

// runIndexOp runs a build or compaction of db's graphs with a progress
// bar, and says what it did.
func runIndexOp(c *cli.Context, e *env, db *clipvec.DB, verb string, op func() error) error {
	tally := e.watchIndex(c, db)
	start := time.Now()
	err := op()
	e.progressBar(c).done()
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, tally.report(time.Since(start)))
	}
	fmt.Fprintf(e.stdout, "%s %s\n", verb, tally.summary(time.Since(start)))
	return nil
}

// indexProgress draws graph builds on a progress bar.
func indexProgress(pb *progressBar) clipvec.IndexProgress {
	return func(sp clipvec.Space, done, total int) {
		frac := 1.0
		if total > 0 {
			frac = float64(done) / float64(total)
		}
		pb.show(status{what: "indexing " + sp.String(), short: "indexing", frac: frac,
			count: countOf(done, total) + " segments", items: done})
	}
}

// efSetting says how searches without --ef choose their ef.
func efSetting(p clipvec.IndexParams) string {
	if p.EfSearch > 0 {
		return fmt.Sprintf("ef %d (fixed)", p.EfSearch)
	}
	return fmt.Sprintf("target recall@10 %g", p.TargetRecall)
}
