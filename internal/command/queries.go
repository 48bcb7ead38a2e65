package command

import (
	"cmp"
	"fmt"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

func queriesCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "queries",
		Usage: "list the cached text and image query embeddings",
		Description: `search --text and search --image embed their query upstream once, with the
model (and dimension) of the space searched, and keep the vector in the
database, keyed by model, dimension, kind and input (the text, the image
URL, or the SHA-256 of a local image). Asked again, the query costs no
request and works offline. This lists that cache.

--add FILE puts embeddings made elsewhere in the cache, all or none: what
queries --json --vectors printed in another database (embed on a machine
with a key, search or classify on one without), or a JSON array of
{"text": ..., "vector": [...]} such as testdata/sample/queries.json, for
the space --model names (default: the database's one space).

Examples:
   clipvec queries
   clipvec queries --json --vectors > queries.json
   clipvec --db other.db queries --add queries.json
   clipvec queries --add testdata/sample/queries.json
   clipvec queries --clear`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the list as JSON"},
			&cli.BoolFlag{Name: "vectors", Usage: "with --json, include each vector"},
			&cli.BoolFlag{Name: "clear", Usage: "empty the cache"},
			&cli.StringFlag{Name: "add", Usage: "add the query embeddings in JSON `FILE` to the cache (- for stdin)"},
			&cli.StringFlag{Name: "model", Usage: "with --add: the space's `MODEL` for entries that name none"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("queries: unexpected argument %q", c.Args().First())
			}
			if c.String("add") != "" && c.Bool("clear") {
				return usagef("queries: give --add FILE or --clear, not both")
			}
			open := openReadDB
			if c.Bool("clear") || c.String("add") != "" {
				open = openExistingDB
			}
			db, err := open(c)
			if err != nil {
				return err
			}
			defer db.Close()
			if path := c.String("add"); path != "" {
				return e.addQueries(c, db, path)
			}
			if c.Bool("clear") {
				n, err := db.ClearQueries(c.Context)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return writeJSON(e.stdout, map[string]int{"cleared": n})
				}
				fmt.Fprintf(e.stdout, "cleared %s\n", plural(n, "cached query"))
				return nil
			}
			qs, err := db.CachedQueries(c.Context, c.Bool("vectors"))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, qs)
			}
			if len(qs) == 0 {
				fmt.Fprintln(e.stdout, `no cached queries (search --text "..." or --image adds them)`)
				return nil
			}
			t := newTable(e.stdout, "SPACE", "KIND", "QUERY", "CACHED")
			for _, q := range qs {
				input := q.Input
				if q.Label != "" && q.Label != q.Input {
					input = q.Label + " (" + q.Input[:min(len(q.Input), 19)] + "…)"
				}
				if q.Kind == "text" {
					input = strconv.Quote(input)
				}
				t.row(fmt.Sprintf("%s/%d", q.Model, q.Dim), q.Kind, input, q.CreatedAt.Local().Format("2006-01-02 15:04"))
			}
			return t.flush()
		},
	}
}

// queryEntry is an entry of a queries --add file: a query cache entry as
// queries --json --vectors prints it, or a {"text", "vector"} (with
// anything else, such as the sample's "topic", ignored).
type queryEntry struct {
	Model     string    `json:"model"`
	Dim       int       `json:"dim"`
	Kind      string    `json:"kind"`
	Input     string    `json:"input"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	Text      string    `json:"text"`
	Vector    []float32 `json:"vector"`
}

func (e *env) addQueries(c *cli.Context, db *clipvec.DB, path string) error {
	var entries []queryEntry
	name, why, decodeErr, err := readJSONInput(path, e.stdin, &entries, false)
	switch {
	case err != nil:
		return usagef("queries: --add: %v", err)
	case why != "":
		return &worded{fmt.Sprintf("queries: --add %s: %s: want a JSON array of what queries --json --vectors prints, or of {\"text\": ..., \"vector\": [...]}", visible(name), why),
			fmt.Errorf("%w: %v", clipvec.ErrInvalidInput, decodeErr)}
	}
	if len(entries) == 0 {
		return usagef("queries: --add %s: no entries in the file", visible(name))
	}
	qs := make([]clipvec.CachedQuery, len(entries))
	var sp *clipvec.Space
	for i, en := range entries {
		q := clipvec.CachedQuery{Model: en.Model, Dim: en.Dim, Kind: en.Kind, Input: en.Input, Label: en.Label,
			CreatedAt: en.CreatedAt, Vector: en.Vector}
		if en.Text != "" && q.Input == "" {
			q.Kind, q.Input = cmp.Or(q.Kind, clipvec.QueryText), en.Text
		}
		if q.Model == "" {
			if sp == nil {
				s, err := db.QuerySpace(c.Context, c.String("model"))
				if err != nil {
					return fmt.Errorf("queries: --add %s: entry %d names no model: %w", visible(name), i+1, err)
				}
				sp = &s
			}
			q.Model = sp.Model
			if q.Dim == 0 {
				q.Dim = sp.Dim
			}
		}
		qs[i] = q
	}
	if err := db.AddQueries(c.Context, qs); err != nil {
		return fmt.Errorf("queries: --add %s: %w", visible(name), err)
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, map[string]int{"added": len(qs)})
	}
	what := "1 query"
	if len(qs) != 1 {
		what = count(int64(len(qs))) + " queries"
	}
	fmt.Fprintf(e.stdout, "added %s to the cache from %s\n", what, visible(name))
	return nil
}
