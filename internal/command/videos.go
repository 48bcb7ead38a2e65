package command

import (
	"fmt"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

func videosCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "videos",
		Usage:     "list videos with their segment counts, or one video's segments",
		ArgsUsage: "[VIDEO]",
		Description: `Lists every video in the database: its id (the upstream video, indexed-asset
or task id), file name, duration and number of segments.

With a VIDEO, lists that video's segments instead: start and end, modality
and scope. Wherever clipvec takes a VIDEO, it takes the video's id, a
prefix of it that no other id starts with (4 characters at least), or its
file name as imported.

Examples:
   clipvec videos
   clipvec videos --json | jq -r '.[].video_id'
   clipvec videos surfing-01.mp4
   clipvec videos --json 6821ac34`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the list as JSON"},
		},
		Action: func(c *cli.Context) error {
			if err := noFlagsAfterArgs(c); err != nil {
				return err
			}
			if c.NArg() > 1 {
				return usagef("videos: give one VIDEO, or none to list them all (got %d)", c.NArg())
			}
			db, err := openReadDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			if c.NArg() == 1 {
				return e.videoSegments(c, db, c.Args().First())
			}
			videos, err := db.Videos(c.Context)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, videos)
			}
			if len(videos) == 0 {
				fmt.Fprintln(e.stdout, "no videos (import some with: clipvec import PATH)")
				return nil
			}
			t := newTable(e.stdout, "VIDEO", "FILE", "DURATION", "SEGMENTS")
			for _, v := range videos {
				t.row(v.ID, orDash(v.Filename), duration(v.Duration), strconv.Itoa(v.Segments))
			}
			return t.flush()
		},
	}
}

// duration shows a video's length both ways, or - when unknown.
func duration(sec float64) string {
	if sec <= 0 {
		return "-"
	}
	return clockSeconds(sec)
}

// videoSegments lists the segments of the video ref names.
func (e *env) videoSegments(c *cli.Context, db *clipvec.DB, ref string) error {
	id, err := resolveVideo(c.Context, db, "videos", strconv.Quote(ref), ref)
	if err != nil {
		return err
	}
	v, err := db.Video(c.Context, id)
	if err != nil {
		return err
	}
	// With their vectors, for their dimensions: a space is model/dim.
	segs, err := db.VideoSegments(c.Context, id, true)
	if err != nil {
		return err
	}
	space := make([]string, len(segs))
	for i := range segs {
		space[i] = fmt.Sprintf("%s/%d", segs[i].Model, len(segs[i].Vector))
		segs[i].Vector = nil
	}
	if c.Bool("json") {
		if segs == nil {
			segs = []clipvec.Segment{}
		}
		return writeJSON(e.stdout, struct {
			Video    *clipvec.Video    `json:"video"`
			Segments []clipvec.Segment `json:"segments"`
		}{v, segs})
	}
	var spaces []string
	for _, sp := range space {
		if len(spaces) == 0 || spaces[len(spaces)-1] != sp {
			spaces = append(spaces, sp)
		}
	}
	fmt.Fprintf(e.stdout, "video:    %s\nfile:     %s\nduration: %s\nsegments: %s",
		visible(v.ID), visible(orDash(v.Filename)), duration(v.Duration), count(int64(len(segs))))
	if len(spaces) == 1 {
		fmt.Fprintf(e.stdout, " of %s", visible(spaces[0]))
	}
	fmt.Fprintln(e.stdout)
	if len(segs) == 0 {
		return nil
	}
	fmt.Fprintln(e.stdout)
	header := []string{"START", "END", "MODALITY", "SCOPE"}
	if len(spaces) > 1 {
		header = append(header, "SPACE")
	}
	t := newTable(e.stdout, header...)
	for i, s := range segs {
		row := []string{clockSeconds(s.Start), clockSeconds(s.End), orDash(s.Modality), s.Scope}
		if len(spaces) > 1 {
			row = append(row, space[i])
		}
		t.row(row...)
	}
	return t.flush()
}
