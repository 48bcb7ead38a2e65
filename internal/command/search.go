package command

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/internal/mirror/weaviate"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

func searchCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "search",
		Usage:     "find the segments (or videos) nearest a clip, a video, a vector, a text or an image",
		ArgsUsage: " ",
		Description: `Give exactly one query:
   --like VIDEO@TIME     the clip of VIDEO at TIME (seconds, or m:ss); pick its
                         modality with --query-modality when it has several there
   --like-video VIDEO    a whole video: its video-scope vector, else the mean
                         of its clips (--query-modality picks the modality)
   --vector FILE|-       a JSON array of numbers, {"vector": [...]}, or a saved
                         embed response; FILE#NAME or FILE#N picks one query
                         of a file of several (testdata/sample/queries.json)
   --text "..."          a text, embedded upstream with the model (and dimension)
                         of the space searched, then kept in the database: asked
                         again it needs no key and no network (clipvec queries)
   --image FILE|URL      an image, likewise (a local file is sent as base64 or
                         an upload, and cached by its content's hash)

A VIDEO is an id, a prefix of one no other id starts with (4 characters at
least), or a file name as imported: 6821ac34, surfing-01.mp4.

Similarity is cosine, within the query's embedding space (model +
dimension). By default the space's HNSW graph answers (about a millisecond
at 100k segments); --ef raises its recall, --exact compares every vector.
Filters apply inside the graph walk, and a filter that leaves few segments
makes the search compare them all. Results are clips unless --group-by
video; by default only clip-scope segments are searched (--scope any lifts
that), the query clip itself is left out (--include-self keeps it), and
--like-video leaves out the query video.

Examples:
   clipvec search --like 663e16ac4d11aff765088b3a@12
   clipvec search --like 663e16ac4d11aff765088b3a@1:05 --query-modality audio --modality visual -k 20
   clipvec search --like-video 663e16ac4d11aff765088b3a --agg mean
   clipvec search --vector query.json --video a --video b --from 30 --to 90 --json
   clipvec search --vector testdata/sample/queries.json#surfing
   clipvec search --like v1@12 --other-videos --group-by video
   clipvec search --text "a dog catching a frisbee" --group-by video`,
		Flags: slices.Concat([]cli.Flag{
			&cli.StringFlag{Name: "like", Usage: "query by the clip at `VIDEO@TIME`"},
			&cli.StringFlag{Name: "like-video", Usage: "query by a whole `VIDEO`"},
			&cli.StringFlag{Name: "vector", Usage: "query by the vector in `FILE` (- for stdin)"},
			&cli.StringFlag{Name: "text", Usage: "query by a `TEXT`, embedded upstream once (needs TWELVELABS_API_KEY the first time)"},
			&cli.StringFlag{Name: "image", Usage: "query by an image `FILE` or URL, embedded upstream once"},
			&cli.StringFlag{Name: "query-modality", Usage: "the query clip's or video's `MODALITY` (visual, audio, transcription, visual-text): which of its vectors is the query"},
			&cli.StringFlag{Name: "model", Usage: "embedding space's `MODEL` when the query does not settle it"},
			&cli.IntFlag{Name: "k", Aliases: []string{"limit"}, Value: clipvec.DefaultK, Usage: "number of results"},
		}, filterFlags(), []cli.Flag{
			&cli.BoolFlag{Name: "other-videos", Usage: "with --like: leave out the query clip's whole video"},
			&cli.BoolFlag{Name: "include-self", Usage: "keep the query clip (or video) in the results"},
			&cli.StringFlag{Name: "group-by", Usage: "`video`: one result per video, its best clip"},
			&cli.StringFlag{Name: "agg", Value: clipvec.AggMax, Usage: "video score with --group-by video (or --like-video): max (best clip) or mean (all matching clips)"},
			&cli.BoolFlag{Name: "exact", Usage: "compare with every vector instead of searching the graph (slower; the true top k)"},
			&cli.IntFlag{Name: "ef", Usage: "graph search candidate list `N` (default: the database's, see clipvec index status); higher finds more of the true top k, more slowly; not with --exact"},
			&cli.IntFlag{Name: "threads", Usage: "exact scans use `N` goroutines (default: all cores)"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
			&cli.StringFlag{Name: "remote", Usage: "ask the Weaviate cluster at `URL` that clipvec sync weaviate fills"},
			&cli.StringFlag{Name: "collection", Value: weaviate.DefaultPrefix, Usage: "with --remote: the collections' `PREFIX`"},
			&cli.StringFlag{Name: "consistency", Value: weaviate.ConsistencyOne, Usage: "with --remote: read at `LEVEL` ONE, QUORUM or ALL"},
		}, apiFlags()),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("search: unexpected argument %q: the query is a flag (--like, --like-video, --vector, --text or --image)", c.Args().First())
			}
			q, err := buildQuery(c, e.stdin)
			if err != nil {
				return err
			}
			db, err := openQueryDB(c)
			if errors.As(err, new(noDatabaseError)) && c.String("remote") != "" {
				// The cluster holds the data: no local database is needed.
				var done func()
				db, done, err = openScratchDB(c)
				defer done()
			}
			if err != nil {
				return err
			}
			defer db.Close()
			e.watchIndex(c, db) // a graph missing or behind is built first: say so
			if err := resolveQuery(c, db, &q); err != nil {
				return err
			}
			if err := queryEmbedder(c, db); err != nil {
				return err
			}
			var res *clipvec.Result
			if c.String("remote") != "" {
				res, err = searchRemote(c, db, q)
			} else {
				res, err = db.Search(c.Context, q)
			}
			if err != nil {
				return upstreamHint(filterMistake(c, "search", err))
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, res)
			}
			if db.ReadOnly() && res.QuerySource == clipvec.QueryFromEmbedder {
				res.QuerySource = queryNotKept
			}
			return printResult(e.stdout, res, q.GroupBy == clipvec.GroupByVideo)
		},
	}
}

func buildQuery(c *cli.Context, stdin io.Reader) (clipvec.Query, error) {
	q := clipvec.Query{
		LikeVideo: c.String("like-video"), Modality: c.String("query-modality"), Model: c.String("model"),
		Text: c.String("text"), Image: c.String("image"),
		K: c.Int("k"), GroupBy: c.String("group-by"), Aggregate: c.String("agg"),
		IncludeSelf: c.Bool("include-self"), ExcludeQueryVideo: c.Bool("other-videos"),
		Exact: c.Bool("exact"), Ef: c.Int("ef"),
	}
	if err := checkTuning(c, "search"); err != nil {
		return q, err
	}
	if q.K <= 0 {
		return q, usagef("search: -k %d: want a positive number of results", q.K)
	}
	if like := c.String("like"); like != "" {
		ref, err := parseLike(like)
		if err != nil {
			return q, err
		}
		ref.Modality = q.Modality
		q.Like = &ref
	}
	if path := c.String("vector"); path != "" {
		vec, model, err := readVector(path, stdin)
		if err != nil {
			return q, err
		}
		q.Vector = vec
		if q.Model == "" {
			q.Model = model
		}
	}
	n := 0
	for _, set := range []bool{q.Like != nil, q.LikeVideo != "", q.Vector != nil, q.Text != "", q.Image != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return q, usagef("search: give exactly one of --like VIDEO@TIME, --like-video VIDEO, --vector FILE, --text TEXT or --image FILE|URL")
	}
	flt, err := buildFilter(c, "search")
	if err != nil {
		return q, err
	}
	q.Filter = flt
	if q.GroupBy != "" && q.GroupBy != clipvec.GroupByVideo {
		return q, usagef("search: --group-by %q: the only grouping is video", q.GroupBy)
	}
	if q.Aggregate != clipvec.AggMax && q.Aggregate != clipvec.AggMean {
		return q, usagef("search: --agg %q: want max or mean", q.Aggregate)
	}
	if q.LikeVideo != "" && !c.IsSet("group-by") {
		q.GroupBy = clipvec.GroupByVideo // "videos like this video"
	}
	if c.IsSet("agg") && q.GroupBy != clipvec.GroupByVideo {
		return q, usagef("search: --agg scores videos: add --group-by video (a --like-video search groups by video already)")
	}
	return q, nil
}

// checkTuning refuses --ef and --threads that mean nothing: zero or
// negative, or --ef with --exact.
func checkTuning(c *cli.Context, cmd string) error {
	switch {
	case c.IsSet("ef") && c.Int("ef") <= 0:
		return usagef("%s: --ef %d: want a positive number (leave --ef out for the database's default; clipvec index status shows it)", cmd, c.Int("ef"))
	case c.IsSet("threads") && c.Int("threads") <= 0:
		return usagef("%s: --threads %d: want a positive number of goroutines (leave --threads out for all cores)", cmd, c.Int("threads"))
	case c.IsSet("ef") && c.Bool("exact"):
		return usagef("%s: --ef tunes the graph search; --exact does not use the graph: give one or the other", cmd)
	}
	return nil
}

// buildFilter reads the result filters --modality, --scope, --video,
// --exclude-video, --from and --to (clip scope unless --scope says).
func buildFilter(c *cli.Context, cmd string) (clipvec.Filter, error) {
	var flt clipvec.Filter
	flt.Modalities = c.StringSlice("modality")
	flt.Videos = c.StringSlice("video")
	flt.ExcludeVideos = c.StringSlice("exclude-video")
	scopes := c.StringSlice("scope")
	switch {
	case len(scopes) == 0:
		flt.Scopes = []string{clipvec.ScopeClip}
	case len(scopes) == 1 && scopes[0] == "any":
	default:
		for _, s := range scopes {
			if s != clipvec.ScopeClip && s != clipvec.ScopeVideo && s != clipvec.ScopeAsset {
				return flt, usagef("%s: --scope %q: want clip, video (alias asset) or any", cmd, s)
			}
		}
		flt.Scopes = scopes
	}
	if c.IsSet("from") || c.IsSet("to") {
		tr := &clipvec.TimeRange{From: 0, To: 1e18}
		var err error
		if c.IsSet("from") {
			if tr.From, err = parseTime(c.String("from")); err != nil {
				return flt, usagef("%s: --from: %v", cmd, err)
			}
		}
		if c.IsSet("to") {
			if tr.To, err = parseTime(c.String("to")); err != nil {
				return flt, usagef("%s: --to: %v", cmd, err)
			}
		}
		flt.TimeRange = tr
	}
	return flt, nil
}

// filterFlags are the flags buildFilter reads.
func filterFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "modality", Usage: "only results of this `MODALITY` (repeatable)"},
		&cli.StringSliceFlag{Name: "scope", Usage: "only results of this `SCOPE`: clip (default), video (whole-video vectors; asset is an alias), or any"},
		&cli.StringSliceFlag{Name: "video", Usage: "only results from this `VIDEO` (repeatable)"},
		&cli.StringSliceFlag{Name: "exclude-video", Usage: "no results from this `VIDEO` (repeatable)"},
		&cli.StringFlag{Name: "from", Usage: "only segments that end after `TIME` (seconds or m:ss)"},
		&cli.StringFlag{Name: "to", Usage: "only segments that start before `TIME`"},
	}
}

// parseLike splits VIDEO@TIME at the last @ (video ids do not contain one,
// but file-name ids might).
func parseLike(s string) (clipvec.SegmentRef, error) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || i == len(s)-1 {
		return clipvec.SegmentRef{}, usagef("search: --like %q: want VIDEO@TIME, e.g. 663e16ac4d11aff765088b3a@12", s)
	}
	at, err := parseTime(s[i+1:])
	if err != nil {
		return clipvec.SegmentRef{}, usagef("search: --like %q: %v", s, err)
	}
	return clipvec.SegmentRef{VideoID: s[:i], At: at}, nil
}

// parseTime reads seconds ("12", "7.5") or clock time ("1:05", "1:02:03").
func parseTime(s string) (float64, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, fmt.Errorf("time %q: want seconds or [h:]m:ss", s)
	}
	var total float64
	for i, p := range parts {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v < 0 || v != v || (i > 0 && v >= 60) {
			return 0, fmt.Errorf("time %q: want seconds or [h:]m:ss", s)
		}
		total = total*60 + v
	}
	return total, nil
}

// readVector reads --vector FILE, FILE#PICK (one query of a file of
// several) or - (stdin).
func readVector(arg string, stdin io.Reader) ([]float32, string, error) {
	path, pick := arg, ""
	if i := strings.LastIndexByte(arg, '#'); i > 0 {
		if _, err := os.Stat(arg); err != nil {
			path, pick = arg[:i], arg[i+1:]
		}
	}
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, "", fmt.Errorf("search: --vector: %w", err)
		}
		defer f.Close()
		r = f
	}
	vec, model, err := clipvec.ReadQueryVector(r, pick)
	if err != nil {
		return nil, "", usagef("search: --vector %s: %v", arg, err)
	}
	return vec, model, nil
}

// describeQuery words what a search searched for: "visual clip 12–18 s of
// video X", "mean of 9 audio clips of video X", "text "..."".
func describeQuery(q clipvec.QueryInfo) string {
	modality := func(m string) string {
		if m == "" {
			return "(unnamed)" // v1.2 responses name none
		}
		return m
	}
	switch q.Kind {
	case clipvec.QueryClip:
		if c := q.Clip; c != nil {
			return fmt.Sprintf("%s clip %s (%s–%s s) of video %s", modality(c.Modality), clockSpan(c.Start, c.End), seconds(c.Start), seconds(c.End), c.VideoID)
		}
	case clipvec.QueryVideo:
		if q.Scope != "" {
			return fmt.Sprintf("%s %s vector of video %s", modality(q.Modality), q.Scope, q.VideoID)
		}
		return fmt.Sprintf("mean of %d %s clips of video %s", q.Clips, modality(q.Modality), q.VideoID)
	case clipvec.QueryText:
		return "text " + strconv.Quote(q.Text)
	case clipvec.QueryImage:
		return "image " + q.Image
	case clipvec.QueryVector:
		return fmt.Sprintf("a %d-d vector", q.Dim)
	case clipvec.QueryRecommend:
		s := fmt.Sprintf("like %s %s", plural(len(q.Positive), "video"), strings.Join(q.Positive, ", "))
		if len(q.Negative) > 0 {
			s += fmt.Sprintf(", unlike %s", strings.Join(q.Negative, ", "))
		}
		return s + " (" + modality(q.Modality) + ")"
	}
	return q.Kind
}

// queryNotKept is, for printResult, a query embedded upstream into a
// database opened read-only: its cache could not keep it.
const queryNotKept = "embedder, not kept"

func printResult(w io.Writer, res *clipvec.Result, grouped bool) error {
	n := count(int64(res.Searched))
	how := n + " compared exactly"
	switch res.Method {
	case clipvec.MethodGraph:
		how = fmt.Sprintf("HNSW graph, ef %d: %s compared", res.Ef, n)
		if res.Recall > 0 {
			// Its own line: the space's line is near 80 columns already.
			how += fmt.Sprintf("\nrecall@10 at ef %d: about %.3f, as the graph's calibration measured it", res.Ef, res.Recall)
		}
	case clipvec.MethodExactFiltered:
		how = "the filter leaves " + n + ", compared exactly"
	case clipvec.MethodRemote:
		how = "answered by the cluster"
	}
	query := describeQuery(res.Query)
	switch res.QuerySource {
	case clipvec.QueryFromCache:
		query += " (from the query cache)"
	case clipvec.QueryFromEmbedder:
		query += " (embedded upstream by " + res.Space.String() + ", now cached)"
	case queryNotKept:
		query += " (embedded upstream by " + res.Space.String() + "; not cached: the database is read-only)"
	}
	fmt.Fprintf(w, "query: %s\nspace: %s, %s segments; %s\n\n", visible(query), visible(res.Space.String()), count(int64(res.Space.Segments)), how)
	if len(res.Hits) == 0 {
		fmt.Fprintln(w, "no matching segments")
		return nil
	}
	return printHits(w, res.Hits, grouped)
}

// tableWidth is the width human tables fit: a terminal's default.
const tableWidth = 80

// printHits writes hits as a table that fits tableWidth columns: the
// span of the video each segment covers, TIME (m:ss.s–m:ss.s, or "whole
// video"), or AT when grouped (where each video's best clip starts); FILE
// last, shortened (or left out) to fit.
func printHits(w io.Writer, hits []clipvec.Hit, grouped bool) error {
	header := []string{"#", "SCORE", "VIDEO", "TIME", "MODALITY"}
	if grouped {
		header[3] = "AT"
		header = append(header, "MATCHES")
	}
	rows := make([][]string, len(hits))
	files := make([]string, len(hits))
	for i, h := range hits {
		var at string
		switch {
		case h.IsWhole() && grouped:
			at = "whole"
		case h.IsWhole():
			at = "whole video"
		case grouped:
			at = clock(h.Start)
		default:
			at = clockSpan(h.Start, h.End)
		}
		row := []string{strconv.Itoa(i + 1), strconv.FormatFloat(float64(h.Score), 'f', 4, 32), h.VideoID, at, orDash(h.Modality)}
		if grouped {
			row = append(row, strconv.Itoa(h.Matches))
		}
		rows[i], files[i] = row, orDash(h.Filename)
	}
	// Room for FILE: what the other columns (each padded by 2) leave.
	room := tableWidth
	for j := range header {
		col := []string{header[j]}
		for _, r := range rows {
			col = append(col, r[j])
		}
		room -= max(maxWidth(col...), 2) + 2
	}
	const minFile = 6
	if room >= minFile {
		header = append(header, "FILE")
		for i := range rows {
			rows[i] = append(rows[i], shorten(files[i], room))
		}
	}
	t := newTable(w, header...)
	for _, r := range rows {
		t.row(r...)
	}
	return t.flush()
}
