package command

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
	"github.com/clipvec/clipvec/pkg/twelvelabs"
)

// apiFlags are the flags of every command that talks to the TwelveLabs
// API. The key's value is never printed: the flag's help shows no
// default, and errors never quote it.
func apiFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "api-key", Usage: "TwelveLabs API `KEY` (prefer the environment variable: a flag's value shows in ps and shell history)",
			EnvVars: []string{"TWELVELABS_API_KEY"}},
		&cli.StringFlag{Name: "base-url", Usage: "TwelveLabs API base `URL`, version included (default " + twelvelabs.DefaultBaseURL + "): a proxy, or a fake server",
			EnvVars: []string{"TWELVELABS_BASE_URL"}},
		&cli.IntFlag{Name: "retries", Value: twelvelabs.DefaultRetryPolicy().MaxRetries,
			Usage: "retry a request that met a 429, a 5xx or a network error up to `N` times (honouring Retry-After; 0: never)"},
	}
}

// openUpstream opens the API client (a key is required) and the
// database, for the commands that write what they fetch.
func openUpstream(c *cli.Context) (*twelvelabs.Client, *clipvec.DB, error) {
	cl, err := upstreamClient(c, false)
	if err != nil {
		return nil, nil, err
	}
	db, err := openDB(c)
	if err != nil {
		return nil, nil, err
	}
	return cl, db, nil
}

// upstreamClient builds the API client from --api-key ($TWELVELABS_API_KEY)
// and --base-url ($TWELVELABS_BASE_URL). Without a key it returns nil and
// an error saying how to give one, unless optional, when it returns nil
// and no error (a cached query needs no key).
func upstreamClient(c *cli.Context, optional bool) (*twelvelabs.Client, error) {
	key := strings.TrimSpace(c.String("api-key"))
	if key == "" {
		if optional {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %w: set TWELVELABS_API_KEY or pass --api-key", c.Command.FullName(), clipvec.ErrNoCredentials)
	}
	if c.Int("retries") < 0 {
		return nil, usagef("%s: --retries %d: want 0 or more", c.Command.FullName(), c.Int("retries"))
	}
	opts := []twelvelabs.Option{twelvelabs.WithUserAgent("clipvec/" + version),
		twelvelabs.WithRetryPolicy(twelvelabs.RetryPolicy{MaxRetries: c.Int("retries")})}
	if base := c.String("base-url"); base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("%s: --base-url: want an http or https URL such as %s", c.Command.FullName(), twelvelabs.DefaultBaseURL)
		}
		opts = append(opts, twelvelabs.WithBaseURL(base))
	}
	return twelvelabs.NewClient(key, opts...), nil
}

// upstreamHint adds what to check to an error that came from the API.
func upstreamHint(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, twelvelabs.ErrUnauthorized):
		return fmt.Errorf("%w\n(the API refused the key: check TWELVELABS_API_KEY or --api-key)", err)
	case errors.Is(err, twelvelabs.ErrRateLimited):
		return fmt.Errorf("%w\n(rate limited: wait, then run the command again)", err)
	case errors.Is(err, clipvec.ErrNoCredentials):
		return fmt.Errorf("%w\n(set TWELVELABS_API_KEY or pass --api-key)", err)
	case errors.Is(err, upstream.ErrStillProcessing):
		return fmt.Errorf("%w\n(clipvec fetch task --wait ID waits for it)", err)
	}
	return err
}

// fetchFlags are the flags that say what of an upstream object to keep.
func fetchFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringSliceFlag{Name: "modality", Usage: "fetch only this `MODALITY`: visual, audio, transcription (Marengo 3.0), visual-text (2.7); repeatable; default all"},
		&cli.StringSliceFlag{Name: "scope", Usage: "keep only segments of this `SCOPE`: clip, or video (alias asset: the whole-video vector); repeatable; default both"},
	}, writeFlags("print the result as JSON")...)
}

// writeFlags are the flags of the commands that write segments: whether
// to update the graphs, and what to print (--json does what).
func writeFlags(json string) []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "no-index", Usage: "leave the search graphs alone (the next search or clipvec index build updates them)"},
		&cli.BoolFlag{Name: "json", Usage: json},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing but errors"},
	}
}

// pollFlag is --poll-interval, for the commands that wait for tasks.
func pollFlag(usage string) cli.Flag {
	return &cli.DurationFlag{Name: "poll-interval", Value: twelvelabs.DefaultPollInterval, Usage: usage}
}

// scopesFlag reads --scope, checking its values.
func scopesFlag(c *cli.Context) ([]string, error) {
	scopes := c.StringSlice("scope")
	for _, s := range scopes {
		if s != clipvec.ScopeClip && s != clipvec.ScopeVideo && s != clipvec.ScopeAsset {
			return nil, usagef("%s: --scope %q: want clip or video (alias asset)", c.Command.FullName(), s)
		}
	}
	return scopes, nil
}

// statusLine reports a task being waited for on a progress bar.
func statusLine(pb *progressBar) func(taskID, status string) {
	start := time.Now()
	return func(taskID, status string) {
		pb.update("task %s: %s (waited %s)", taskID, status, time.Since(start).Round(time.Second))
	}
}

// resultJSON is a FetchResult with its error as text.
type resultJSON struct {
	upstream.FetchResult
	Error string `json:"error,omitempty"`
}

func resultsJSON(rs []upstream.FetchResult) []resultJSON {
	out := make([]resultJSON, len(rs))
	for i, r := range rs {
		out[i] = resultJSON{FetchResult: r}
		if r.Err != nil {
			out[i].Error = r.Err.Error()
		}
	}
	return out
}

// describeResult is one line about a fetched object.
func describeResult(r *upstream.FetchResult) string {
	what := "task " + r.ID
	if r.Kind == clipvec.SourceIndexedAsset {
		what = "asset " + r.ID + " of index " + r.IndexID
	}
	s := fmt.Sprintf("%s (%s, %s): video %s: imported %s, replaced %s, unchanged %s segments", what, r.Kind, orDash(r.Model), r.VideoID,
		count(int64(r.Imported)), count(int64(r.Replaced)), count(int64(r.Unchanged)))
	if r.Dropped > 0 {
		s += fmt.Sprintf(", left out %s", count(int64(r.Dropped)))
	}
	return s
}

// queryEmbedder sets db's embedder for --text and --image: upstream,
// with the API key when there is one; without, only cached queries
// answer.
func queryEmbedder(c *cli.Context, db *clipvec.DB) error {
	if c.String("text") == "" && c.String("image") == "" {
		return nil
	}
	cl, err := upstreamClient(c, true)
	if err != nil {
		return err
	}
	db.Embedder = upstream.Embedder(cl)
	return nil
}
