package command

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// SetOpenRW replaces how commands open a database for writing, until
// the returned function restores it: tests make it fail as a read-only
// file would, whoever runs them (root writes read-only files).
func SetOpenRW(open func(ctx context.Context, path string) (*clipvec.DB, error)) (restore func()) {
	old := openRW
	openRW = open
	return func() { openRW = old }
}

// SetRedrawEvery sets the least time between two redraws of a progress
// line for the rest of t (tests of this package do not run in parallel).
func SetRedrawEvery(t testing.TB, d time.Duration) {
	old := redrawEvery
	redrawEvery = d
	t.Cleanup(func() { redrawEvery = old })
}

// NoRedrawLimit lets progress bars redraw at every report for the rest of
// t, so that tests see each line a bar would draw.
func NoRedrawLimit(t testing.TB) { SetRedrawEvery(t, 0) }

// ProgressBar is a progress bar, for tests.
type ProgressBar struct{ p *progressBar }

// NewProgressBar returns a progress bar on w.
func NewProgressBar(w io.Writer) ProgressBar { return ProgressBar{newProgressBar(w)} }

// Update draws free text.
func (b ProgressBar) Update(format string, args ...any) { b.p.update(format, args...) }

// Show draws a phase at frac.
func (b ProgressBar) Show(what string, frac float64) { b.p.show(status{what: what, frac: frac}) }

// Done clears the line.
func (b ProgressBar) Done() { b.p.done() }

// StatusLine renders a progress line in max columns (see status).
func StatusLine(what, short, detail, why string, frac float64, count, rate string, max int) string {
	return status{what: what, short: short, detail: detail, why: why, frac: frac, count: count}.line(max, rate)
}

// IndexSummary is the summary of index build or compact that changed
// graphs of nodes (by space) in elapsed.
func IndexSummary(nodes map[string]int, elapsed time.Duration) string {
	return (&indexTally{nodes: nodes}).summary(elapsed)
}

// WriteText is writeText with no indent: a description as help shows it.
func WriteText(text string, width int) string {
	var b strings.Builder
	writeText(&b, text, 0, width)
	return b.String()
}

// VersionString is versionString.
var VersionString = versionString

// SetVersion sets the version -ldflags "-X" would, until restore.
func SetVersion(v string) (restore func()) {
	old := version
	version = v
	return func() { version = old }
}
