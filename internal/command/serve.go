package command

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
)

func serveCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "serve the database over HTTP: a JSON API, metrics, a web page",
		ArgsUsage: " ",
		Description: `Answers searches, recommendations, listings and imports as JSON, serves
a search page at / and Prometheus metrics at /metrics, until interrupted
(Ctrl-C or SIGTERM), then lets the requests in flight finish. The API is
described at /openapi.json:
   POST /v1/search         a query as clipvec search takes it, as JSON
   POST /v1/search/batch   {"queries": [...]}
   POST /v1/recommend      {"positive": [VIDEO...], "negative": [...]}
   GET  /v1/videos, /v1/videos/ID, /v1/videos/ID/segments, /v1/stats
   POST /v1/import         a body in any shape clipvec import reads

It listens on loopback by default. Anything that can reach the address
can search and import, so on another address set a token: clients then
send "Authorization: Bearer TOKEN" (all but /healthz and the page, which
asks for the token itself). Text queries need TWELVELABS_API_KEY, unless
already cached.

Examples:
   clipvec serve --db clips.db
   curl -s localhost:8377/v1/search -d '{"like_video": "VIDEO", "k": 5}'
   CLIPVEC_TOKEN=s3cret clipvec serve --addr 0.0.0.0:8377
   clipvec serve --read-only --db /mnt/ro/clips.db`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "addr", Value: server.DefaultAddr, Usage: "listen on `HOST:PORT` (:0 picks a free port)"},
			&cli.StringFlag{Name: "token", EnvVars: []string{"CLIPVEC_TOKEN"},
				Usage: "require this bearer `TOKEN` (prefer $CLIPVEC_TOKEN: a flag's value shows in ps)"},
			&cli.BoolFlag{Name: "read-only", Usage: "open the database read-only and refuse imports"},
			&cli.IntFlag{Name: "max-k", Value: server.DefaultMaxK, Usage: "a query may ask for at most `N` results"},
			&cli.IntFlag{Name: "max-batch", Value: server.DefaultMaxBatch, Usage: "a batch may hold at most `N` queries"},
			&cli.IntFlag{Name: "max-import-mb", Value: server.DefaultMaxImportBytes >> 20, Usage: "largest import body in `MB` (MiB), held in memory"},
			&cli.DurationFlag{Name: "timeout", Value: server.DefaultRequestTimeout, Usage: "stop a request after `DURATION` (an import: after 10m)"},
			&cli.IntFlag{Name: "threads", Usage: "exact scans use `N` goroutines (default: all cores)"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "log every request on stderr (errors are logged anyway)"},
		}, apiFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("serve: unexpected argument %q: the database is --db FILE", c.Args().First())
			}
			for _, f := range []string{"max-k", "max-batch", "max-import-mb", "threads"} {
				if c.Int(f) < 0 || (f != "threads" && c.Int(f) == 0) {
					return usagef("serve: --%s %d: want a positive number", f, c.Int(f))
				}
			}
			if c.Duration("timeout") <= 0 {
				return usagef("serve: --timeout %s: want a positive duration such as 30s", c.Duration("timeout"))
			}
			cl, err := upstreamClient(c, true)
			if err != nil {
				return err
			}
			db, err := openServeDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			if n := c.Int("threads"); n > 0 {
				db.Threads = n
			}
			db.Embedder = upstream.Embedder(cl)
			st, err := db.Stats(c.Context)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", c.String("addr"))
			if err != nil {
				return usagef("serve: --addr: %v", err)
			}
			level := slog.LevelError
			if c.Bool("verbose") {
				level = slog.LevelInfo
			}
			srv := server.New(db, server.Options{
				Token:          c.String("token"),
				ReadOnly:       c.Bool("read-only"),
				MaxK:           c.Int("max-k"),
				MaxBatch:       c.Int("max-batch"),
				MaxImportBytes: int64(c.Int("max-import-mb")) << 20,
				RequestTimeout: c.Duration("timeout"),
				Version:        version,
				Logger:         slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level})),
			})
			fmt.Fprintf(e.stderr, "clipvec serve: listening on http://%s (database %s, %s videos)\n",
				ln.Addr(), visible(db.Path()), count(int64(st.Videos)))
			if c.String("token") == "" && !loopback(ln.Addr()) {
				fmt.Fprintf(e.stderr, "clipvec serve: warning: no --token, and %s is reachable from other machines\n", ln.Addr())
			}
			start := time.Now()
			if err := srv.Serve(c.Context, ln); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "clipvec serve: stopped after %s\n", time.Since(start).Round(time.Second))
			return nil
		},
	}
}

// openServeDB is openDB, but with --read-only it opens the same path with
// clipvec.OpenReadOnly (a database this process may not write).
func openServeDB(c *cli.Context) (*clipvec.DB, error) {
	if !c.Bool("read-only") {
		return openDB(c)
	}
	path, err := dbPath(c)
	if err != nil {
		return nil, err
	}
	return clipvec.OpenReadOnly(c.Context, path)
}

// loopback reports whether addr accepts connections from this machine
// only.
func loopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
