// Package command is clipvec's command-line interface (urfave/cli/v2):
// one file per command, all writing to the streams Run is given, never to
// os.Stdout directly. Results print as aligned tables for people and, with
// --json, as JSON for machines; progress bars go to stderr, and only when
// it is a terminal.
//
// Run maps errors to exit codes: 0 ok, 1 failure, 2 usage (including
// questions that cannot be answered as asked, such as a vector whose
// dimension no space has), 3 not found, 4 invalid input (an import
// rejected a file), 130 interrupted.
package command
