package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// Exit codes. Scripts can tell a typo from a missing video from bad data.
const (
	ExitOK           = 0
	ExitFailure      = 1 // an internal or I/O failure
	ExitUsage        = 2 // bad flags or arguments, or a question that cannot be answered as asked
	ExitNotFound     = 3 // a video, segment, file or space that does not exist
	ExitInvalidInput = 4 // import rejected a file (bad JSON, unknown shape, bad vectors, not ready)
	ExitInterrupted  = 130
)

// usageError marks a mistake in how clipvec was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// ExitCode maps an error from Run's commands to the process exit code.
func ExitCode(err error) int {
	var ue usageError
	switch {
	case err == nil, warningOnly(err):
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ue), errors.Is(err, clipvec.ErrInvalidQuery):
		return ExitUsage
	case errors.Is(err, clipvec.ErrInvalidInput):
		return ExitInvalidInput
	case errors.Is(err, clipvec.ErrNotFound), errors.Is(err, os.ErrNotExist):
		return ExitNotFound
	}
	return ExitFailure
}

// warningOnly reports whether err says nothing but that writes which
// committed could not bring the search graphs up to date: the command
// did what it was asked, and the next search catches up.
func warningOnly(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs := j.Unwrap()
		for _, e := range errs {
			if !warningOnly(e) {
				return false
			}
		}
		return len(errs) > 0
	}
	var w *clipvec.IndexNotSavedError
	return errors.As(err, &w)
}

// env carries the process's streams to the commands: commands never touch
// os.Stdout or os.Stderr themselves.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	bar            *progressBar // the run's progress bar, once drawn on
}

// Run runs clipvec with args (args[0] is the program name) and returns the
// exit code. Errors are printed to stderr: as a line for people, or, when
// the command line asked for --json, as one line of JSON,
// {"error":{"code":"not_found","message":"...","exit":3}} (see
// [errorCode]). Stdout is left to the command: a command that fails after
// printing its result (import and fetch report each file's or object's
// failure in it) leaves one JSON document there.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	app := newApp(e)
	err := app.RunContext(ctx, args)
	if e.bar != nil {
		e.bar.done() // an interrupted command's bar, say
	}
	if err == nil {
		err, _ = app.Metadata[helpErrorKey].(error)
	}
	path, asJSON := app.Name, jsonRequested(args)
	if ae, ok := err.(actionError); ok {
		err, path, asJSON = ae.err, ae.path, ae.json
	}
	code := ExitCode(err)
	switch {
	case err == nil:
	case warningOnly(err):
		fmt.Fprintf(stderr, "clipvec: warning: %s\n", visibleLines(err.Error()))
	default:
		line := "clipvec: " + err.Error()
		var ce commandError
		if errors.As(err, &ce) {
			path, line = ce.path, ce.Error()
		}
		if errors.Is(err, context.Canceled) {
			line = "clipvec: interrupted"
		}
		if asJSON {
			msg := strings.TrimPrefix(strings.TrimPrefix(line, "clipvec: "), "clipvec ")
			b, _ := json.Marshal(jsonError{Error: jsonErrorBody{Code: errorCode(code), Message: msg, Exit: code}})
			fmt.Fprintf(stderr, "%s\n", b)
			break
		}
		fmt.Fprintln(stderr, visibleLines(line))
		if code == ExitUsage {
			fmt.Fprintf(stderr, "(see %s --help)\n", path)
		}
	}
	return code
}

// New builds the command-line application.
func New(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	return newApp(&env{stdin: stdin, stdout: stdout, stderr: stderr})
}

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:  "clipvec",
		Usage: "local vector search for TwelveLabs video embeddings",
		Description: `clipvec keeps TwelveLabs embedding segments (a vector per clip, per modality,
plus whole-video vectors) in one SQLite file and answers nearest-neighbour
questions offline: clips like this clip, videos like this video, clips like
this vector. Searching needs no API key and no network; fetch, embed and
search --text reach TwelveLabs (TWELVELABS_API_KEY) when they must, and
text queries are cached so they too work offline afterwards.

Get started:
   clipvec quickstart                    # import a sample, run two searches
   clipvec import exports/               # saved API responses, dirs, .gz, -
   clipvec search --like VIDEO_ID@12     # clips like a video's clip at 12 s
   clipvec search --like-video VIDEO_ID  # videos like a video
   clipvec search --vector q.json --json # clips like a vector, as JSON
   clipvec search --text "a dog catching a frisbee"  # embedded once, cached
   clipvec recommend --like-video A --like-video B   # more like these videos
   clipvec classify --classes FILE       # which classes each video shows
   clipvec serve                         # HTTP API and a web page on :8377
   clipvec videos                        # and stats, export, delete
   clipvec index status                  # the HNSW graphs behind search
   clipvec fetch index IDX               # an index's embeddings (API key)

The database is --db, or $CLIPVEC_DB, or ` + defaultDBHint() + `.

Shell completion for bash, zsh and fish: clipvec completion --help.

Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found, 4 invalid input
(import rejected a file), 130 interrupted. With --json, the error is one
line of JSON on stderr: {"error":{"code":"not_found","message":"...",
"exit":3}}, code one of usage, not_found, invalid_input, failure and
interrupted; stdout holds only what the command printed.`,
		Flags: []cli.Flag{dbFlag(true), cli.HelpFlag},
		Commands: []*cli.Command{
			importCommand(e),
			searchCommand(e),
			recommendCommand(e),
			classifyCommand(e),
			videosCommand(e),
			statsCommand(e),
			exportCommand(e),
			deleteCommand(e),
			indexCommand(e),
			quickstartCommand(e),
			fetchCommand(e),
			embedCommand(e),
			queriesCommand(e),
			benchCommand(e),
			serveCommand(e),
			syncCommand(e),
		},
		Reader:    e.stdin,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		// clipvec's help command and unknown commands are its own
		// (help.go): cli's would offer "h" for any typo.
		HideHelpCommand: true,
		Action:          showCommands,
		CommandNotFound: commandNotFound,
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return flagError(c, err)
		},
		// Errors are printed and mapped to exit codes by Run, not by cli.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	app.Version = versionString()
	for _, c := range app.Commands {
		if c.Name == "quickstart" { // makes its own database
			continue
		}
		withDB(c, app.OnUsageError)
	}
	app.Commands = append(app.Commands, completionCommand(app), versionCommand(app), helpCommand(app))
	for _, c := range app.Commands {
		reportActions(c)
		ownHelp(c, app.OnUsageError)
	}
	return app
}

// ownHelp gives c and its subcommands the app's usage errors, no help
// command of cli's, and, when c is made of subcommands alone, its help
// and unknown commands (clipvec index, clipvec index foo).
func ownHelp(c *cli.Command, onUsage cli.OnUsageErrorFunc) {
	c.OnUsageError = onUsage
	c.HideHelpCommand = true
	if len(c.Subcommands) > 0 && c.Action == nil {
		c.Action = showCommands
	}
	for _, sub := range c.Subcommands {
		ownHelp(sub, onUsage)
	}
}

// withDB gives c and its subcommands --db (accepted before or after a
// command's name: clipvec --db F index status, clipvec index status --db F)
// and the app's usage errors. Their copies do not read $CLIPVEC_DB: see
// [dbFlag].
func withDB(c *cli.Command, onUsage cli.OnUsageErrorFunc) {
	c.OnUsageError = onUsage
	c.Flags = append(c.Flags, dbFlag(false))
	for _, sub := range c.Subcommands {
		withDB(sub, onUsage)
	}
}

// defaultDBPath is where the database lives when neither --db nor
// $CLIPVEC_DB says: the user's data directory (XDG on Linux).
func defaultDBPath() (string, error) {
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "clipvec", "clipvec.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the default database: %w (pass --db)", err)
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Application Support", "clipvec", "clipvec.db"), nil
	}
	return filepath.Join(home, ".local", "share", "clipvec", "clipvec.db"), nil
}

func defaultDBHint() string {
	if runtime.GOOS == "darwin" {
		return "~/Library/Application Support/clipvec/clipvec.db"
	}
	return "$XDG_DATA_HOME/clipvec/clipvec.db (~/.local/share/clipvec/clipvec.db)"
}

// dbFlag returns a --db flag; only the app's, the outermost, falls back
// to $CLIPVEC_DB (fromEnv). cli gives every command its own flag set and
// fills each copy of a flag from its EnvVars, so a command's copy that
// read the environment would hold $CLIPVEC_DB as if it had been given,
// and [openDB], which takes the innermost --db, would prefer it to a
// --db before the command: clipvec --db F delete V deleted V from
// $CLIPVEC_DB's database.
func dbFlag(fromEnv bool) cli.Flag {
	f := &cli.StringFlag{Name: "db", Usage: "database `FILE` (import, fetch and embed create it if missing)"}
	if fromEnv {
		f.EnvVars = []string{"CLIPVEC_DB"}
	} else {
		f.Usage = "database `FILE` (import, fetch and embed create it if missing; default: the --db before the command, else $CLIPVEC_DB)"
	}
	return f
}

// openDB opens the database the flags name: the --db nearest the end of
// the command line, else $CLIPVEC_DB (read by the app's --db only, the
// last in the lineage), else the default. It creates a missing one: for
// the commands that write what they bring (import, fetch, embed).
func openDB(c *cli.Context) (*clipvec.DB, error) {
	path, err := dbPath(c)
	if err != nil {
		return nil, err
	}
	return openRW(c.Context, path)
}

// openRW opens a database for reading and writing (tests replace it to
// see what the read commands do when it fails).
var openRW = clipvec.Open

// openExistingDB is openDB for the commands that change a database but
// have nothing to bring to a new one (delete, index build, queries
// --clear): a missing database is an error, and nothing is created.
func openExistingDB(c *cli.Context) (*clipvec.DB, error) {
	path, err := existingDBPath(c)
	if err != nil {
		return nil, err
	}
	return openRW(c.Context, path)
}

// openReadDB opens the database for a command that only reads it
// (stats, videos, export, index status, queries). A missing database is
// an error, and nothing is created. One this process may not write (a
// read-only file, a directory it cannot create files in, a read-only
// medium) is opened read-only instead: everything reads as usual, but
// graphs without a current snapshot are built in memory and not saved.
func openReadDB(c *cli.Context) (*clipvec.DB, error) { return openRead(c, false) }

// openQueryDB is openReadDB for the commands that search (search,
// recommend), with --threads applied: how many goroutines an exact scan
// uses (0: all cores).
func openQueryDB(c *cli.Context) (*clipvec.DB, error) {
	db, err := openRead(c, true)
	if err != nil {
		return nil, err
	}
	if n := c.Int("threads"); n > 0 {
		db.Threads = n
	}
	return db, nil
}

// openRead is openReadDB; with note, a database opened read-only that
// has a search graph to build says so on stderr, once: that is when
// reading read-only costs time.
func openRead(c *cli.Context, note bool) (*clipvec.DB, error) {
	path, err := existingDBPath(c)
	if err != nil {
		return nil, err
	}
	db, err := openRW(c.Context, path)
	if err == nil || !errors.Is(err, clipvec.ErrNotWritable) {
		return db, err
	}
	ro, rerr := clipvec.OpenReadOnly(c.Context, path)
	if rerr != nil {
		return nil, fmt.Errorf("%w\n(and reading it read-only failed too: %w)", err, rerr)
	}
	if note {
		readOnlyNote(c, ro, err)
	}
	return ro, nil
}

// readOnlyNote tells, on stderr, which search graphs of db (opened
// read-only because of why) will be built in memory and not saved.
func readOnlyNote(c *cli.Context, db *clipvec.DB, why error) {
	st, err := db.IndexStatus(c.Context)
	if err != nil {
		return
	}
	var spaces []string
	for _, s := range st {
		if s.State != clipvec.IndexCurrent {
			spaces = append(spaces, s.Space.String())
		}
	}
	if len(spaces) == 0 {
		return
	}
	fmt.Fprintf(c.App.ErrWriter, "clipvec: note: %s;\n  reading it read-only, a search that needs the graph of %s builds it in memory, and does not save it\n",
		visibleLines(why.Error()), strings.Join(spaces, ", "))
}

// openScratchDB opens an empty database in a new temporary directory,
// for a command that can do without one (search --remote): done, called
// after the database is closed, removes it.
func openScratchDB(c *cli.Context) (*clipvec.DB, func(), error) {
	dir, err := os.MkdirTemp("", "clipvec-scratch-")
	if err != nil {
		return nil, func() {}, err
	}
	done := func() { os.RemoveAll(dir) }
	db, err := clipvec.Open(c.Context, filepath.Join(dir, "clipvec.db"))
	return db, done, err
}

// noDatabaseError: a command that needs a database was given a path
// where there is none. It matches clipvec.ErrNotFound (exit 3).
type noDatabaseError struct{ path string }

func (e noDatabaseError) Error() string {
	return fmt.Sprintf("no database at %s (create one with clipvec import, or clipvec quickstart --into %s)", e.path, e.path)
}

func (e noDatabaseError) Is(target error) bool { return target == clipvec.ErrNotFound }

// existingDBPath is dbPath for the commands that need the database to
// exist: checked without creating anything.
func existingDBPath(c *cli.Context) (string, error) {
	path, err := dbPath(c)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", noDatabaseError{visible(path)}
	case err != nil:
		return "", fmt.Errorf("open database: %w", err)
	case info.IsDir():
		return "", usagef("%s is a directory: --db names the database file (clipvec.db, say)", visible(path))
	}
	return path, nil
}

// dbPath is the database's path: --db (on the command or above it), or
// the default.
func dbPath(c *cli.Context) (string, error) {
	for _, ctx := range c.Lineage() {
		if v := ctx.String("db"); v != "" {
			return v, nil
		}
	}
	return defaultDBPath()
}

// noFlagsAfterArgs catches "clipvec import dir --skip-invalid": flags must
// come before the arguments, or they would be taken as arguments. It
// names the stray flag without its value, which could be the API key.
func noFlagsAfterArgs(c *cli.Context) error {
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") && a != "-" {
			name, _, _ := strings.Cut(a, "=")
			cmd := c.Command.FullName()
			return usagef("%s: flag %s comes after the arguments; put flags first: clipvec %s %s ... ARGS", cmd, name, cmd, name)
		}
	}
	return nil
}
