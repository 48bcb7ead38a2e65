package command

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

func recommendCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "recommend",
		Usage:     "recommend videos like some and unlike others, or write every video's or clip's neighbours",
		ArgsUsage: " ",
		Description: `One recommendation: videos (or clips) like the --like-video examples and
unlike the --unlike-video ones. Each example stands for its video vector
(--query-modality picks which; default visual), and the query is
mean(likes) - 0.5 * mean(unlikes), normalised. The examples are never
recommended; --exclude-video leaves out more (what a user has seen).

   --max-per-video N   at most N clips of any one video
   --mmr LAMBDA        diversity by maximal marginal relevance: each next
                       result maximises LAMBDA*similarity - (1-LAMBDA)*its
                       similarity to results already picked. 1 is plain
                       relevance; 0.5 to 0.7 spreads results across videos
   --min-score S       drop results less similar than S (cosine, -1..1)

Batch neighbours, for nightly jobs: --all-videos writes each video's --top
most similar other videos, --all-clips each clip's most similar clips, one
JSON line per video or clip, in id order, to -o FILE. Rerun the same
command after a kill and it continues where it stopped: FILE's first line
records the options, and only its complete lines are kept. --exact gives
the true neighbours (queries share passes over the vectors, 64 at a time);
otherwise the graph answers, on all cores.

Examples:
   clipvec recommend --like-video v1 --like-video v2 --unlike-video v9
   clipvec recommend --like-video v1 --max-per-video 2 -k 20 --json
   clipvec recommend --like-video v1 --group-by video --mmr 0.6
   clipvec recommend --all-videos --top 20 -o neighbours.jsonl
   clipvec recommend --all-clips --top 10 --other-videos --exact -o clips.jsonl`,
		Flags: slices.Concat([]cli.Flag{
			&cli.StringSliceFlag{Name: "like-video", Usage: "a `VIDEO` to find more like (repeatable)"},
			&cli.StringSliceFlag{Name: "unlike-video", Usage: "a `VIDEO` whose likes rank lower (repeatable)"},
			&cli.StringFlag{Name: "query-modality", Usage: "which of each example's vectors: `MODALITY`"},
			&cli.StringFlag{Name: "model", Usage: "embedding space's `MODEL` when there are several"},
			&cli.IntFlag{Name: "k", Aliases: []string{"limit"}, Value: clipvec.DefaultK, Usage: "number of results"},
		}, filterFlags(), []cli.Flag{
			&cli.StringFlag{Name: "group-by", Usage: "`video`: one result per video, its best clip"},
			&cli.IntFlag{Name: "max-per-video", Usage: "at most `N` clips of one video"},
			&cli.Float64Flag{Name: "mmr", Usage: "diversify with MMR weight `LAMBDA` in (0, 1]"},
			&cli.StringFlag{Name: "min-score", Usage: "drop results scoring below `S`"},
			&cli.BoolFlag{Name: "all-videos", Usage: "write every video's neighbours (-o FILE)"},
			&cli.BoolFlag{Name: "all-clips", Usage: "write every clip's neighbours (-o FILE)"},
			&cli.IntFlag{Name: "top", Value: 20, Usage: "neighbours per video or clip: `N`"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "batch output `FILE` (JSON lines; - for stdout)"},
			&cli.BoolFlag{Name: "other-videos", Usage: "--all-clips: leave out a clip's own video"},
			&cli.BoolFlag{Name: "exact", Usage: "compare every vector (the true neighbours)"},
			&cli.IntFlag{Name: "ef", Usage: "graph search candidate list `N` (default: the database's); not with --exact"},
			&cli.IntFlag{Name: "threads", Usage: "use `N` goroutines (default: all cores)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
			&cli.BoolFlag{Name: "json", Usage: "print the recommendation as JSON"},
		}),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("recommend: unexpected argument %q: examples are flags (--like-video VIDEO)", c.Args().First())
			}
			all := c.Bool("all-videos") || c.Bool("all-clips")
			switch {
			case c.Bool("all-videos") && c.Bool("all-clips"):
				return usagef("recommend: give --all-videos or --all-clips, not both")
			case all && len(c.StringSlice("like-video")) > 0:
				return usagef("recommend: --like-video asks for one recommendation; --all-videos and --all-clips for every video's or clip's neighbours: give one or the other")
			case all && c.String("output") == "":
				return usagef("recommend: --all-videos and --all-clips write to a file: add -o FILE.jsonl (or -o - for stdout)")
			case !all && len(c.StringSlice("like-video")) == 0:
				return usagef("recommend: give at least one --like-video VIDEO (or --all-videos / --all-clips with -o FILE)")
			}
			if err := checkTuning(c, "recommend"); err != nil {
				return err
			}
			flt, err := buildFilter(c, "recommend")
			if err != nil {
				return err
			}
			db, err := openQueryDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			e.watchIndex(c, db) // a graph missing or behind is built first: say so
			if err := resolveFilter(c.Context, db, "recommend", &flt); err != nil {
				return err
			}
			if all {
				return filterMistake(c, "recommend", e.writeNeighbours(c, db, flt))
			}
			return filterMistake(c, "recommend", e.recommendOnce(c, db, flt))
		},
	}
}

func (e *env) recommendOnce(c *cli.Context, db *clipvec.DB, flt clipvec.Filter) error {
	q := clipvec.RecommendQuery{
		Positive: c.StringSlice("like-video"), Negative: c.StringSlice("unlike-video"),
		Modality: c.String("query-modality"), Model: c.String("model"), K: c.Int("k"), Filter: flt,
		GroupBy: c.String("group-by"), MaxPerVideo: c.Int("max-per-video"), Lambda: c.Float64("mmr"),
		Exact: c.Bool("exact"), Ef: c.Int("ef"),
	}
	if q.K <= 0 {
		return usagef("recommend: -k %d: want a positive number of results", q.K)
	}
	var err error
	if q.Positive, err = resolveVideos(c.Context, db, "recommend", "like-video", q.Positive); err != nil {
		return err
	}
	if q.Negative, err = resolveVideos(c.Context, db, "recommend", "unlike-video", q.Negative); err != nil {
		return err
	}
	if q.GroupBy != "" && q.GroupBy != clipvec.GroupByVideo {
		return usagef("recommend: --group-by %q: the only grouping is video", q.GroupBy)
	}
	if c.IsSet("mmr") && (q.Lambda <= 0 || q.Lambda > 1) {
		return usagef("recommend: --mmr %g: want a weight in (0, 1]; 1 is plain relevance", q.Lambda)
	}
	if s := c.String("min-score"); s != "" {
		var f float32
		if _, err := fmt.Sscan(s, &f); err != nil || f < -1 || f > 1 {
			return usagef("recommend: --min-score %q: want a cosine similarity between -1 and 1", s)
		}
		q.MinScore = &f
	}
	res, err := db.Recommend(c.Context, q)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, res)
	}
	return printResult(e.stdout, res, q.GroupBy == clipvec.GroupByVideo)
}

// neighboursHeader is a batch output's first line: the options it was
// written with, which a resumed run must repeat.
type neighboursHeader struct {
	Format      string         `json:"clipvec_neighbours"`
	Of          string         `json:"of"`
	Top         int            `json:"top"`
	Space       string         `json:"space"`
	Modality    string         `json:"query_modality,omitempty"`
	Filter      clipvec.Filter `json:"filter"`
	OtherVideos bool           `json:"other_videos,omitempty"`
	Exact       bool           `json:"exact"`
	Ef          int            `json:"ef,omitempty"`
}

// neighbourLine is one line after the header.
type neighbourLine struct {
	VideoID   string     `json:"video_id"`
	SegmentID int64      `json:"segment_id,omitempty"`
	Start     *float64   `json:"start,omitempty"`
	End       *float64   `json:"end,omitempty"`
	Modality  string     `json:"modality,omitempty"`
	Hits      []neighbor `json:"neighbours"`
}

type neighbor struct {
	VideoID   string  `json:"video_id"`
	Score     float32 `json:"score"`
	SegmentID int64   `json:"segment_id"`
	Start     float64 `json:"start"`
	End       float64 `json:"end"`
	Modality  string  `json:"modality,omitempty"`
}

func (e *env) writeNeighbours(c *cli.Context, db *clipvec.DB, flt clipvec.Filter) error {
	q := clipvec.NeighboursQuery{Of: clipvec.NeighboursOfVideos, K: c.Int("top"), Model: c.String("model"),
		Modality: c.String("query-modality"), Filter: flt, OtherVideos: c.Bool("other-videos"),
		Exact: c.Bool("exact"), Ef: c.Int("ef")}
	if c.Bool("all-clips") {
		q.Of = clipvec.NeighboursOfClips
	}
	if q.K <= 0 {
		return usagef("recommend: --top %d: want a positive number of neighbours", q.K)
	}
	if q.OtherVideos && q.Of == clipvec.NeighboursOfVideos {
		return usagef("recommend: --other-videos is for --all-clips (a video's neighbours are always other videos)")
	}
	sp, err := db.QuerySpace(c.Context, q.Model)
	if err != nil {
		return err
	}
	q.Model = sp.String()
	head := neighboursHeader{Format: "1", Of: q.Of, Top: q.K, Space: sp.String(), Modality: q.Modality,
		Filter: flt, OtherVideos: q.OtherVideos, Exact: q.Exact, Ef: q.Ef}
	headLine, _ := json.Marshal(head)
	path := c.String("output")
	var w io.Writer
	written := 0
	if path == "-" {
		w = e.stdout
		if _, err := fmt.Fprintf(w, "%s\n", headLine); err != nil {
			return err
		}
	} else {
		f, resumed, err := openResumable(path, headLine, &q)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
		written = resumed
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	pb := e.progressBar(c)
	defer pb.done()
	start, done := time.Now(), 0
	lastFlush := time.Now()
	q.Progress = func(listed, total int) {
		rate := float64(listed) / time.Since(start).Seconds()
		eta := ""
		if left := total - written - listed; rate > 0 && left > 0 {
			eta = ", " + (time.Duration(float64(left)/rate) * time.Second).Round(time.Second).String() + " left"
		}
		pb.update("%s %s of %s %s, %.0f/s%s", bar(float64(written+listed)/float64(max(total, 1)), 20),
			count(int64(written+listed)), count(int64(total)), q.Of, rate, eta)
	}
	err = db.Neighbours(c.Context, q, func(n *clipvec.Neighbours) error {
		line := neighbourLine{VideoID: n.VideoID, Modality: n.Modality, Hits: make([]neighbor, len(n.Hits))}
		if cl := n.Clip; cl != nil {
			line.SegmentID, line.Start, line.End = cl.ID, &cl.Start, &cl.End
		}
		for i, h := range n.Hits {
			line.Hits[i] = neighbor{VideoID: h.VideoID, Score: h.Score, SegmentID: h.ID, Start: h.Start, End: h.End, Modality: h.Modality}
		}
		b, err := json.Marshal(line)
		if err != nil {
			return err
		}
		bw.Write(b)
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		done++
		// Lines reach the file at least every second, so a kill loses
		// little; a partial last line is dropped on resume.
		if time.Since(lastFlush) > time.Second {
			if err := bw.Flush(); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			lastFlush = time.Now()
		}
		return nil
	})
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write %s: %w", path, ferr)
	}
	pb.done()
	if err != nil {
		if written+done > 0 && path != "-" {
			fmt.Fprintf(e.stderr, "recommend: stopped; %s holds the neighbours of %s: run the same command again to continue\n",
				visible(path), plural(written+done, q.Of[:len(q.Of)-1]))
		}
		return err
	}
	if f, ok := w.(*os.File); ok && path != "-" {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if !c.Bool("quiet") {
		what := "wrote"
		if written > 0 && done == 0 {
			fmt.Fprintf(e.stderr, "recommend: %s already holds the neighbours of all %s (%s, top %d)\n", visible(path), plural(written, q.Of[:len(q.Of)-1]), sp, q.K)
			return nil
		}
		if written > 0 {
			what = fmt.Sprintf("resumed after %d, wrote", written)
		}
		fmt.Fprintf(e.stderr, "recommend: %s the neighbours of %s to %s (%s, top %d, %s) in %s\n", what, plural(done, q.Of[:len(q.Of)-1]),
			visible(path), sp, q.K, map[bool]string{true: "exact", false: "graph"}[q.Exact], time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// openResumable opens a batch output for appending. A new file gets the
// header; an existing one must start with the same header, loses any
// partial last line, and sets q's resume point after its last complete
// line. It returns how many complete lines were there.
func openResumable(path string, header []byte, q *clipvec.NeighboursQuery) (*os.File, int, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, err
	}
	fail := func(err error) (*os.File, int, error) {
		f.Close()
		return nil, 0, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fail(fmt.Errorf("read %s: %w", path, err))
	}
	if len(data) == 0 {
		if _, err := f.Write(append(header, '\n')); err != nil {
			return fail(fmt.Errorf("write %s: %w", path, err))
		}
		return f, 0, nil
	}
	first, rest, ok := bytes.Cut(data, []byte("\n"))
	if !ok || !bytes.Equal(first, header) {
		var h neighboursHeader
		if json.Unmarshal(first, &h) != nil || h.Format == "" {
			return fail(usagef("recommend: %s exists and is not a neighbours file; choose another -o or remove it", path))
		}
		return fail(usagef("recommend: %s was written with other options (%s); rerun with those, or remove the file to start again", path, first))
	}
	// Keep complete lines only: a kill can leave half a line.
	keep := len(first) + 1
	n := 0
	var last []byte
	for len(rest) > 0 {
		line, tail, ok := bytes.Cut(rest, []byte("\n"))
		if !ok {
			break
		}
		var nl neighbourLine
		if json.Unmarshal(line, &nl) != nil {
			break
		}
		keep += len(line) + 1
		n++
		last, rest = line, tail
	}
	if err := f.Truncate(int64(keep)); err != nil {
		return fail(fmt.Errorf("truncate %s: %w", path, err))
	}
	if _, err := f.Seek(int64(keep), io.SeekStart); err != nil {
		return fail(err)
	}
	if last != nil {
		var nl neighbourLine
		_ = json.Unmarshal(last, &nl)
		if q.Of == clipvec.NeighboursOfClips {
			q.AfterSegment = nl.SegmentID
		} else {
			q.AfterVideo = nl.VideoID
		}
		if nl.VideoID == "" {
			return fail(errors.New("recommend: " + path + ": its last line names no video"))
		}
	}
	return f, n, nil
}
