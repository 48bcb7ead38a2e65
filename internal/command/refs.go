package command

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// Video references, mistakes in filters worded with the flags that made
// them, and times for people.

// worded is err with a message for the command line: errors.Is and
// errors.As (so the exit code) still see err.
type worded struct {
	msg string
	err error
}

func (e *worded) Error() string { return e.msg }
func (e *worded) Unwrap() error { return e.err }

// resolveVideo turns a video reference given on the command line (an id,
// a unique id prefix, a file name) into the video's id. where is how to
// name it in an error: `--video "x"`, `"x"`.
func resolveVideo(ctx context.Context, db *clipvec.DB, cmd, where, ref string) (string, error) {
	id, err := db.ResolveVideo(ctx, ref)
	var re *clipvec.VideoRefError
	if errors.As(err, &re) {
		named := strings.Contains(where, fmt.Sprintf("%q", ref))
		return "", &worded{fmt.Sprintf("%s: %s: %s", cmd, where, videoRefProblem(re, named)), err}
	}
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", cmd, where, err)
	}
	return id, nil
}

// videoRefProblem words a reference that names no video, or several,
// with what to do about it. named says the message names the reference
// already.
func videoRefProblem(re *clipvec.VideoRefError, named bool) string {
	video, name, prefix := fmt.Sprintf("video %q", re.Ref), fmt.Sprintf("the file name %q", re.Ref), fmt.Sprintf("%q", re.Ref)
	if named {
		video, name, prefix = "video", "that file name", "it"
	}
	switch {
	case re.Total == 0 && re.Videos == 0:
		return fmt.Sprintf("no such %s (the database has none; import some with clipvec import PATH)", video)
	case re.Total == 0:
		return fmt.Sprintf("no such %s (%s; list them with clipvec videos)", video, plural(re.Videos, "video"))
	case re.By == clipvec.ByFilename:
		return fmt.Sprintf("%d videos have %s (%s): give a video id", re.Total, name, re.MatchList())
	}
	return fmt.Sprintf("the ids of %d videos start with %s (%s): give more of the id (clipvec videos lists them)", re.Total, prefix, re.MatchList())
}

// resolveVideos resolves each of a repeatable flag's references.
func resolveVideos(ctx context.Context, db *clipvec.DB, cmd, flag string, refs []string) ([]string, error) {
	if len(refs) == 0 {
		return refs, nil
	}
	ids := make([]string, len(refs))
	for i, ref := range refs {
		id, err := resolveVideo(ctx, db, cmd, fmt.Sprintf("--%s %q", flag, ref), ref)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// resolveFilter resolves the videos of buildFilter's --video and
// --exclude-video.
func resolveFilter(ctx context.Context, db *clipvec.DB, cmd string, flt *clipvec.Filter) error {
	var err error
	if flt.Videos, err = resolveVideos(ctx, db, cmd, "video", flt.Videos); err != nil {
		return err
	}
	flt.ExcludeVideos, err = resolveVideos(ctx, db, cmd, "exclude-video", flt.ExcludeVideos)
	return err
}

// resolveQuery resolves the videos a search names: --like's, --like-video
// and the filter's. With --remote, a video the local database does not
// hold is taken as the cluster's id for it, as given.
func resolveQuery(c *cli.Context, db *clipvec.DB, q *clipvec.Query) error {
	remote := c.String("remote") != ""
	resolve := func(where, ref string) (string, error) {
		id, err := resolveVideo(c.Context, db, "search", where, ref)
		if remote && errors.Is(err, clipvec.ErrNotFound) {
			return ref, nil
		}
		return id, err
	}
	var err error
	if q.Like != nil {
		if q.Like.VideoID, err = resolve(fmt.Sprintf("--like %q", c.String("like")), q.Like.VideoID); err != nil {
			return err
		}
	}
	if q.LikeVideo != "" {
		if q.LikeVideo, err = resolve(fmt.Sprintf("--like-video %q", q.LikeVideo), q.LikeVideo); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		flag string
		ids  *[]string
	}{{"video", &q.Filter.Videos}, {"exclude-video", &q.Filter.ExcludeVideos}} {
		for i, ref := range *f.ids {
			if (*f.ids)[i], err = resolve(fmt.Sprintf("--%s %q", f.flag, ref), ref); err != nil {
				return err
			}
		}
	}
	return nil
}

// filterMistake words a search's or a recommendation's
// *clipvec.FilterValueError with the flag that asked for what is not
// there; other errors pass unchanged.
func filterMistake(c *cli.Context, cmd string, err error) error {
	var fe *clipvec.FilterValueError
	if !errors.As(err, &fe) {
		return err
	}
	var msg string
	switch fe.Field {
	case clipvec.FieldScope:
		holds := "whole-video vectors only, no clips"
		if len(fe.Have) == 1 && fe.Have[0] == clipvec.ScopeClip {
			holds = "clips only, no whole-video vectors"
		}
		if c.IsSet("scope") {
			msg = fmt.Sprintf("%s: --scope %q: the space %s holds %s", cmd, fe.Value, fe.Space, holds)
		} else {
			msg = fmt.Sprintf("%s: the space %s holds %s: add --scope video (or --scope any)", cmd, fe.Space, holds)
		}
	case clipvec.FieldQueryModality:
		msg = fmt.Sprintf("%s: --query-modality %q: the space %s holds %s", cmd, fe.Value, fe.Space, fe.HaveList())
	default:
		msg = fmt.Sprintf("%s: --modality %q: the space %s holds %s", cmd, fe.Value, fe.Space, fe.HaveList())
	}
	return &worded{msg, err}
}

// clock formats a time in seconds as a video player shows it, to a
// tenth: 0:06.0, 1:05.2, 1:02:03.4. parseTime reads it back.
func clock(sec float64) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		return fmt.Sprint(sec)
	}
	sign := ""
	if sec < 0 {
		sign, sec = "-", -sec
	}
	tenths := int64(math.Round(sec * 10))
	h, m, s, t := tenths/36000, tenths/600%60, tenths/10%60, tenths%10
	if h > 0 {
		return fmt.Sprintf("%s%d:%02d:%02d.%d", sign, h, m, s, t)
	}
	return fmt.Sprintf("%s%d:%02d.%d", sign, m, s, t)
}

// clockSpan formats a clip's time range: 1:05.2–1:11.0.
func clockSpan(start, end float64) string { return clock(start) + "–" + clock(end) }

// clockSeconds is a time both ways: 1:05.2 (65.2).
func clockSeconds(sec float64) string { return clock(sec) + " (" + seconds(sec) + ")" }

// shorten fits s, as shown (see visible), into width runes, putting …
// in place of its middle: file names differ most at their ends, just
// before the extension (surfing-01.mp4, surfing-02.mp4), so the tail
// kept holds the extension and three characters before it.
func shorten(s string, width int) string {
	s = visible(s)
	n := utf8.RuneCountInString(s)
	if n <= width || width < 3 {
		return s
	}
	r := []rune(s)
	tail := (width - 1) / 2
	if ext := utf8.RuneCountInString(filepath.Ext(s)); ext <= 5 {
		tail = max(tail, ext+3)
	}
	tail = min(tail, width-2)
	head := width - 1 - tail
	return string(r[:head]) + "…" + string(r[n-tail:])
}

// maxWidth is the widest of cells as shown.
func maxWidth(cells ...string) int {
	w := 0
	for _, c := range cells {
		w = max(w, utf8.RuneCountInString(visible(c)))
	}
	return w
}
