package command

import (
	"fmt"
	"strconv"

	"github.com/urfave/cli/v2"
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

Examples:
   clipvec queries
   clipvec queries --json --vectors > queries.json
   clipvec queries --clear`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the list as JSON"},
			&cli.BoolFlag{Name: "vectors", Usage: "with --json, include each vector"},
			&cli.BoolFlag{Name: "clear", Usage: "empty the cache"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("queries: unexpected argument %q", c.Args().First())
			}
			open := openReadDB
			if c.Bool("clear") {
				open = openExistingDB
			}
			db, err := open(c)
			if err != nil {
				return err
			}
			defer db.Close()
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
