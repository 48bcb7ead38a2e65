package command

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/pkg/clipvec"
	"github.com/clipvec/clipvec/pkg/clipvec/upstream"
)

func classifyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "classify",
		Usage:     "say which of your classes each video shows, where, and how strongly",
		ArgsUsage: " ",
		Description: fmt.Sprintf(`Classifies every video (or the --video ones) into named classes, each
described by text prompts: TwelveLabs' retired classify, answered from the
clip vectors in the database. Give classes as
   --class NAME=PROMPT[,PROMPT...]   repeatable; prompts split at commas
   --classes FILE                    JSON: [{"name": ..., "prompts": [...]}]
                                     (- for stdin), for prompts with commas

Each prompt is embedded once, upstream, with the space's model (the first
time needs TWELVELABS_API_KEY), then kept in the query cache: later runs
work offline. Every clip is compared with every prompt in one pass over
the vectors.

How it scores:
   a clip's similarity to a class is its best cosine over the class's
   prompts; the class holds on the clip when that reaches the class's
   threshold. --threshold T sets one threshold (-1 to 1) for all classes.
   Without it, each class gets a threshold per modality, calibrated from
   its similarities to every clip of that modality in the database: their
   median plus %d robust standard deviations (1.4826 x the median absolute
   deviation). Most clips of a library don't show a given class, so the
   median and deviation describe the clips that don't, whatever the few
   that do score; a clip that far above them shows the class. A fixed
   cosine would not carry across models, modalities and prompt wordings,
   and a top share of clips would find every class in every library.
   A video's score for a class is its best clip's similarity, Z how far
   that stands above the class's background (in robust standard
   deviations: a confidence comparable across classes), and its duration
   ratio the share of its duration covered by clips where the class holds.

   --min-duration-ratio R   drop a class holding on less than R (0 to 1)
   --top N                  keep each video's N best classes
   --clips N                list N best clips per class (default %d)
   --detailed               every clip where each class holds, and each
                            prompt's best score in the video

Examples:
   clipvec classify --class surfing="a surfer riding a big wave" \
       --class cooking="a chef chopping vegetables,a kitchen stove"
   clipvec classify --classes testdata/sample/classes.json --top 1
   clipvec classify --classes classes.json --modality visual --json
   clipvec classify --classes classes.json --video surfing-01.mp4 --detailed
   clipvec classify --classes classes.json --threshold 0.3 --min-duration-ratio 0.2`,
			clipvec.BackgroundZ, clipvec.DefaultClassifyClips),
		Flags: slices.Concat([]cli.Flag{
			&cli.GenericFlag{Name: "class", Value: &classFlag{}, Usage: "a class: `NAME=PROMPT[,PROMPT...]` (repeatable)"},
			&cli.StringFlag{Name: "classes", Usage: "read classes from JSON `FILE` [{\"name\", \"prompts\"}] (- for stdin)"},
			&cli.StringSliceFlag{Name: "video", Usage: "classify only this `VIDEO` (repeatable; default all)"},
			&cli.StringSliceFlag{Name: "modality", Usage: "compare only clips of this `MODALITY` (repeatable; default all)"},
			&cli.StringFlag{Name: "model", Usage: "embedding space's `MODEL` when there are several"},
			&cli.Float64Flag{Name: "threshold", Usage: "one similarity threshold `T` (-1 to 1) for every class, instead of calibrated ones"},
			&cli.Float64Flag{Name: "min-duration-ratio", Usage: "drop a class that holds on less than share `R` (0 to 1) of a video"},
			&cli.IntFlag{Name: "top", Usage: "keep each video's `N` best classes (default: all that hold)"},
			&cli.IntFlag{Name: "clips", Usage: "list the `N` best clips per class (default 3)"},
			&cli.BoolFlag{Name: "detailed", Usage: "list every clip where a class holds, and each prompt's score"},
			&cli.BoolFlag{Name: "json", Usage: "print the classification as JSON"},
		}, apiFlags()),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("classify: unexpected argument %q: classes are flags (--class NAME=PROMPT, or --classes FILE)", c.Args().First())
			}
			q, err := buildClassify(c, e.stdin)
			if err != nil {
				return err
			}
			db, err := openQueryDB(c)
			if err != nil {
				return err
			}
			defer db.Close()
			e.watchIndex(c, db) // a graph missing or behind is built first: say so
			if q.Videos, err = resolveVideos(c.Context, db, "classify", "video", q.Videos); err != nil {
				return err
			}
			cl, err := upstreamClient(c, true)
			if err != nil {
				return err
			}
			if cl != nil {
				db.Embedder = upstream.Embedder(cl)
			}
			res, err := db.Classify(c.Context, q)
			if err != nil {
				return upstreamHint(filterMistake(c, "classify", err))
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, res)
			}
			return printClassification(e.stdout, res, &q)
		},
	}
}

// classFlag collects --class values whole: a prompt may hold a comma,
// which a string slice flag would split at.
type classFlag struct{ values []string }

func (f *classFlag) Set(s string) error { f.values = append(f.values, s); return nil }
func (f *classFlag) String() string     { return strings.Join(f.values, " ") }

// buildClassify reads the command's flags into a query.
func buildClassify(c *cli.Context, stdin io.Reader) (clipvec.ClassifyQuery, error) {
	q := clipvec.ClassifyQuery{Model: c.String("model"), Modalities: c.StringSlice("modality"),
		Videos: c.StringSlice("video"), MinDurationRatio: c.Float64("min-duration-ratio"),
		Top: c.Int("top"), Clips: c.Int("clips"), Detailed: c.Bool("detailed")}
	if f, ok := c.Generic("class").(*classFlag); ok {
		for _, v := range f.values {
			name, prompts, ok := strings.Cut(v, "=")
			if !ok {
				return q, usagef("classify: --class %q: want NAME=PROMPT[,PROMPT...], e.g. --class surfing=\"a surfer riding a wave\"", v)
			}
			cl := clipvec.Class{Name: name}
			for _, p := range strings.Split(prompts, ",") {
				if p = strings.TrimSpace(p); p != "" {
					cl.Prompts = append(cl.Prompts, p)
				}
			}
			q.Classes = append(q.Classes, cl)
		}
	}
	if path := c.String("classes"); path != "" {
		classes, err := readClasses(path, stdin)
		if err != nil {
			return q, err
		}
		q.Classes = append(q.Classes, classes...)
	}
	if len(q.Classes) == 0 {
		return q, usagef("classify: give classes: --class NAME=PROMPT[,PROMPT...] (repeatable) or --classes FILE")
	}
	if c.IsSet("threshold") {
		t := c.Float64("threshold")
		q.Threshold = &t
	}
	switch {
	case c.IsSet("top") && q.Top <= 0:
		return q, usagef("classify: --top %d: want a positive number of classes per video (leave it out for all)", q.Top)
	case c.IsSet("clips") && q.Clips <= 0:
		return q, usagef("classify: --clips %d: want a positive number of clips per class", q.Clips)
	}
	return q, nil
}

// readClasses reads a classes file: a JSON array of {"name", "prompts"}.
func readClasses(path string, stdin io.Reader) ([]clipvec.Class, error) {
	var classes []clipvec.Class
	name, why, _, err := readJSONInput(path, stdin, &classes, true)
	switch {
	case err != nil:
		return nil, usagef("classify: --classes: %v", err)
	case why != "":
		return nil, usagef("classify: --classes %s: %s: want [{\"name\": \"...\", \"prompts\": [\"...\"]}]", visible(name), why)
	case len(classes) == 0:
		return nil, usagef("classify: --classes %s: no classes in the file", visible(name))
	}
	return classes, nil
}

// printClassification writes a classification as a table: a row per
// class that holds on a video, the video named on its first.
func printClassification(w io.Writer, res *clipvec.Classification, q *clipvec.ClassifyQuery) error {
	cached, prompts := 0, 0
	for _, cl := range res.Classes {
		cached += cl.Cached
		prompts += len(cl.Prompts)
	}
	from := "from the query cache"
	switch {
	case cached == 0:
		from = "embedded upstream by " + res.Space.String() + ", now cached"
	case cached < prompts:
		from = fmt.Sprintf("%d from the query cache, %d embedded upstream, now cached", cached, prompts-cached)
	}
	fmt.Fprintf(w, "%s, %s: %s\n", plural(len(res.Classes), "class"), plural(prompts, "prompt"), from)
	fmt.Fprintf(w, "space: %s, %s clips compared with every prompt\n", visible(res.Space.String()), count(int64(res.Scored)))
	if q.Threshold != nil {
		fmt.Fprintf(w, "a class holds on a clip scoring %s or more (--threshold)\n", strconv.FormatFloat(*q.Threshold, 'f', -1, 64))
	} else {
		fmt.Fprintf(w, "thresholds: per class and modality, the clips' median + %d robust SDs\n", clipvec.BackgroundZ)
	}
	if q.MinDurationRatio > 0 {
		fmt.Fprintf(w, "classes holding on less than %s of a video are left out\n", percent(q.MinDurationRatio))
	}
	fmt.Fprintln(w)
	if len(res.Videos) == 0 {
		fmt.Fprintln(w, "no videos with clips to classify")
		return nil
	}
	header := []string{"VIDEO", "CLASS", "SCORE", "Z", "RATIO", "TOP CLIPS"}
	var rows [][]string
	var none []string
	var details [][]string // per row: lines to print under it (--detailed)
	for _, v := range res.Videos {
		name := visible(cmp.Or(v.Filename, v.VideoID))
		if len(v.Classes) == 0 {
			none = append(none, name)
			continue
		}
		for i, k := range v.Classes {
			video := ""
			if i == 0 {
				video = name
			}
			// The best clips' times, each once (two modalities of one
			// span are one moment).
			var at []string
			for _, cl := range k.Clips {
				if t := mmss(cl.Start); !slices.Contains(at, t) && len(at) < cmp.Or(q.Clips, clipvec.DefaultClassifyClips) {
					at = append(at, t)
				}
			}
			rows = append(rows, []string{video, visible(k.Name), strconv.FormatFloat(float64(k.Score), 'f', 4, 32),
				strconv.FormatFloat(k.Z, 'f', 1, 64), percent(k.DurationRatio), strings.Join(at, " ")})
			details = append(details, classDetails(&k, q.Detailed))
		}
	}
	if len(rows) > 0 {
		// VIDEO and CLASS shrink to leave TOP CLIPS room for three
		// times; TOP CLIPS then gets what is left.
		widths := fitColumns(header, rows, []int{0, 1}, len("0:00 0:00 0:00"))
		// TOP CLIPS gets what the other columns leave, in whole times.
		room := tableWidth
		for _, w := range widths[:len(widths)-1] {
			room -= w + 2
		}
		last := len(header) - 1
		for _, r := range rows {
			for len(r[last]) > max(room, len("0:00")) {
				r[last] = r[last][:strings.LastIndexByte(r[last], ' ')]
			}
		}
		widths[last] = max(len(header[last]), min(widths[last], room))
		printRow(w, header, widths)
		for i, r := range rows {
			printRow(w, r, widths)
			for _, d := range details[i] {
				fmt.Fprintln(w, "    "+visible(d))
			}
		}
	}
	if len(none) > 0 {
		if len(rows) > 0 {
			fmt.Fprintln(w)
		}
		list := none
		if len(list) > 8 {
			list = append(slices.Clone(list[:8]), fmt.Sprintf("and %d more", len(none)-8))
		}
		fmt.Fprintf(w, "no class holds on %s: %s\n", plural(len(none), "video"), visible(strings.Join(list, ", ")))
	}
	return nil
}

// classDetails are the lines --detailed prints under a class's row:
// each prompt's best score in the video, then every clip where the class
// holds.
func classDetails(k *clipvec.VideoClass, detailed bool) []string {
	if !detailed {
		return nil
	}
	var out []string
	for _, p := range k.Prompts {
		out = append(out, fmt.Sprintf("prompt %s: best clip %.4f", quoteShortCLI(p.Prompt), p.Score))
	}
	// In time order, as the video plays; the prompt only when the class
	// has several.
	clips := slices.Clone(k.Clips)
	slices.SortStableFunc(clips, func(a, b clipvec.ClassClip) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Modality, b.Modality))
	})
	out = append(out, fmt.Sprintf("holds on %s:", plural(len(clips), "clip")))
	for _, cl := range clips {
		line := fmt.Sprintf("  %s  %-13s  %.4f", clockSpan(cl.Start, cl.End), cl.Modality, cl.Score)
		if len(k.Prompts) > 1 {
			line += "  " + quoteShortCLI(cl.Prompt)
		}
		out = append(out, line)
	}
	return out
}

// quoteShortCLI quotes a prompt, cut to 40 characters.
func quoteShortCLI(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:37]) + "..."
	}
	return strconv.Quote(s)
}

// mmss formats a time as m:ss (h:mm:ss past an hour), rounded down to
// the second: a clip's start as a player's seek bar shows it.
func mmss(sec float64) string {
	if math.IsNaN(sec) || sec < 0 {
		sec = 0
	}
	s := int64(sec)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// percent formats a share as a whole percentage (99.6% as 99%, so that
// 100% means all of it; any share above 0 shows as at least 1%).
func percent(r float64) string {
	p := math.Floor(r * 100)
	if p == 0 && r > 0 {
		p = 1
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

// fitColumns returns each column's width: its widest cell, with the
// shrinkable columns (VIDEO, CLASS) cut so a row fits tableWidth when the
// last column is at most lastCap wide.
func fitColumns(header []string, rows [][]string, shrink []int, lastCap int) []int {
	widths := make([]int, len(header))
	for j := range header {
		col := []string{header[j]}
		for _, r := range rows {
			col = append(col, r[j])
		}
		widths[j] = maxWidth(col...)
	}
	last := len(widths) - 1
	full := widths[last]
	widths[last] = max(min(full, lastCap), maxWidth(header[last]))
	total := func() int {
		n := 0
		for _, w := range widths {
			n += w + 2
		}
		return n - 2
	}
	for over := total() - tableWidth; over > 0; over = total() - tableWidth {
		// Take a column's share from the widest shrinkable one, down to
		// a floor that still tells names apart.
		j := shrink[0]
		for _, k := range shrink {
			if widths[k] > widths[j] {
				j = k
			}
		}
		if widths[j] <= 12 {
			break
		}
		widths[j] = max(widths[j]-over, 12)
	}
	for _, r := range rows {
		for _, j := range shrink {
			r[j] = shorten(r[j], widths[j])
		}
	}
	widths[last] = full // the caller fits it to the room left
	return widths
}

// printRow writes cells padded to widths, two spaces apart; numbers
// (SCORE, Z, RATIO) align right.
func printRow(w io.Writer, cells []string, widths []int) {
	var b strings.Builder
	for j, c := range cells {
		pad := strings.Repeat(" ", max(widths[j]-utf8.RuneCountInString(c), 0))
		switch {
		case j >= 2 && j <= 4:
			b.WriteString(pad + c)
		case j == len(cells)-1:
			b.WriteString(c)
		default:
			b.WriteString(c + pad)
		}
		if j < len(cells)-1 {
			b.WriteString("  ")
		}
	}
	fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
}
