package command

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
)

func embedCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "embed",
		Usage:     "embed a video upstream (a URL or a local file), wait, and import its segments",
		ArgsUsage: " ",
		Description: `Creates a TwelveLabs embedding task, waits for it (a status line on stderr),
retrieves the segments and imports them under the task id (or --video-id).
Needs $TWELVELABS_API_KEY or --api-key.

   --url URL     an embed-v2 task: POST /embed-v2/tasks (JSON, media_source.url),
                 then GET /embed-v2/tasks/{id} until ready (status and
                 vectors in one). With --model marengo2.7: a v1 task.
   --file PATH   a v1 task: POST /embed/tasks with a multipart video_file
                 upload (up to 2 GB), GET /embed/tasks/{id}/status until
                 ready, then GET /embed/tasks/{id}. Embed-v2 takes local
                 media only as base64 inside its JSON body (36 MB at most)
                 or as an asset id uploaded separately, so files go to v1,
                 which streams them; Marengo 3.5 (v2 only) needs --url.

Every task creation counts in the API's video-embedding rate-limit category
and against the account's embedding duration quota. If the wait is cut
short, the task goes on upstream: clipvec fetch task --wait ID imports it.

Examples:
   clipvec embed --url https://example.com/clip.mp4
   clipvec embed --file ./clip.mp4 --scope clip --scope video --clip-length 4
   clipvec embed --url https://example.com/clip.mp4 --model marengo3.5 --dimension 256`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "url", Usage: "embed the video at `URL` (a public link to the raw file)"},
			&cli.StringFlag{Name: "file", Usage: "upload and embed the local video `PATH` (up to 2 GB)"},
			&cli.StringFlag{Name: "model", Value: "marengo3.0", Usage: "`MODEL`: marengo3.0, marengo3.5 (--url only) or marengo2.7"},
			&cli.StringSliceFlag{Name: "modality", Usage: "create (v2) or fetch (v1) only this `MODALITY`: visual, audio, transcription (Marengo 3.0), visual-text (2.7); repeatable; default all"},
			&cli.StringSliceFlag{Name: "scope", Usage: "create segments of this `SCOPE`: clip (the API's default), video (the whole-video vector); repeatable"},
			&cli.Float64Flag{Name: "clip-length", Usage: "clip length in `SECONDS` (v1: 2–10, default 6; v2: fixed segments instead of scene-based ones)"},
			&cli.IntFlag{Name: "dimension", Usage: "marengo3.5 vector length `N`: 128, 256 or 512"},
			&cli.StringFlag{Name: "video-id", Usage: "file the segments under this video `ID` (default: the task id)"},
			pollFlag("the `WAIT` between status polls"),
		}, append(writeFlags("print the result as JSON"), apiFlags()...)...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				if err := noFlagsAfterArgs(c); err != nil {
					return err
				}
				return usagef("embed: unexpected argument %q: give the video with --url or --file", c.Args().First())
			}
			if (c.String("url") == "") == (c.String("file") == "") {
				return usagef("embed: give exactly one of --url URL or --file PATH")
			}
			scopes, err := scopesFlag(c)
			if err != nil {
				return err
			}
			cl, db, err := openUpstream(c)
			if err != nil {
				return err
			}
			defer db.Close()
			pb := e.progressBar(c)
			res, err := upstream.EmbedVideo(c.Context, db, cl, upstream.EmbedOptions{
				URL: c.String("url"), File: c.String("file"), Model: c.String("model"),
				Modalities: c.StringSlice("modality"), Scopes: scopes, ClipLength: c.Float64("clip-length"),
				Dimension: c.Int("dimension"), VideoID: c.String("video-id"), PollInterval: c.Duration("poll-interval"),
				OnStatus: statusLine(pb), NoIndex: c.Bool("no-index"), IndexProgress: indexProgress(pb),
			})
			pb.done()
			if err != nil {
				if res != nil && res.ID != "" {
					err = fmt.Errorf("%w\n(task %s exists upstream: clipvec fetch task --wait %s imports it once it is ready)", err, res.ID, res.ID)
				}
				return upstreamHint(err)
			}
			switch {
			case c.Bool("json"):
				return writeJSON(e.stdout, res)
			case !c.Bool("quiet"):
				fmt.Fprintln(e.stdout, "embedded "+describeResult(res))
			}
			return nil
		},
	}
}
