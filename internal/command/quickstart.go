package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/clipvec/clipvec/internal/sample"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// sampleDir is where the committed sample export lives, relative to the
// repository root.
const sampleDir = "testdata/sample/" + sample.ExportsDir

func quickstartCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "quickstart",
		Usage: "import the built-in sample into a fresh database and run two searches",
		Description: `Needs no API key and no network. Imports the sample export (synthetic
Marengo 3.0 segments of a few dozen videos in the real upstream JSON shapes:
embed tasks v1 and v2, indexed assets; see testdata/sample/README.md) into a
fresh database, then asks "clips like this clip" and "videos like this
video" and prints the answers. Run from the repository, it reads
testdata/sample/exports; elsewhere it regenerates the same files (the
generator is deterministic) in a temporary directory.

The database is left in place for you to explore: the commands to try next
are printed at the end. It is marked as quickstart's: a later quickstart
into the same file replaces it, but nothing else. A file that is not a
database quickstart made (notes, a database of your own, one made by
quickstart that you imported other videos into) is left untouched, and
quickstart stops (exit 2): choose another --into.

Examples:
   clipvec quickstart
   clipvec quickstart --into /tmp/demo.db`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "into", Usage: "database `FILE` to create (default: one in the temp directory; a database quickstart made there is replaced, any other file refused)"},
			&cli.StringFlag{Name: "sample", Usage: "read the sample export from `DIR`", Value: sampleDir},
			&cli.IntFlag{Name: "k", Value: 5, Usage: "results per search"},
		},
		Action: func(c *cli.Context) error {
			ctx := c.Context
			out := e.stdout
			gen, err := sample.NewGenerator(sample.DefaultParams())
			if err != nil {
				return err
			}
			path := c.String("into")
			if path == "" {
				path = filepath.Join(os.TempDir(), "clipvec-quickstart", "clipvec.db")
			}
			replace, err := replaceable(ctx, path, gen)
			if err != nil {
				return err
			}
			if replace {
				for _, suffix := range []string{"", "-wal", "-shm", ".index"} {
					if err := os.RemoveAll(path + suffix); err != nil {
						return fmt.Errorf("quickstart: replace %s: %w", path, err)
					}
				}
			}
			dir := c.String("sample")
			if _, err := os.Stat(dir); err != nil {
				if c.IsSet("sample") {
					return fmt.Errorf("quickstart: %w", err)
				}
				tmp, err := os.MkdirTemp("", "clipvec-sample-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				fmt.Fprintf(out, "(no %s here: regenerating the sample in %s)\n", sampleDir, tmp)
				if err := sample.WriteExport(ctx, tmp, gen); err != nil {
					return err
				}
				dir = tmp
			}
			db, err := clipvec.Open(ctx, path)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.SetMadeBy(ctx, madeByQuickstart); err != nil {
				return fmt.Errorf("quickstart: %w", err)
			}

			videos := gen.Videos()
			fmt.Fprintf(out, "clipvec quickstart: %d synthetic Marengo 3.0 videos in %d topics, offline.\ndatabase: %s (fresh)\n\n",
				len(videos), len(gen.Topics()), path)
			fmt.Fprintf(out, "$ clipvec import %s\n", dir)
			sum, err := db.Import(ctx, []string{dir}, clipvec.ImportOptions{})
			if err != nil {
				return err
			}
			printImport(out, sum)
			// The topics' text queries, as the sample's model embeds them,
			// in the query cache: classify --classes
			// testdata/sample/classes.json then works offline.
			var cached []clipvec.CachedQuery
			for _, t := range gen.Topics() {
				cached = append(cached, clipvec.CachedQuery{Model: sample.DefaultParams().ModelName, Kind: clipvec.QueryText,
					Input: gen.QueryText(t), Vector: gen.Query(t)})
			}
			if err := db.AddQueries(ctx, cached); err != nil {
				return fmt.Errorf("quickstart: %w", err)
			}

			// Clip to clip: a visual clip a third of the way into the first
			// video; its nearest clips should be from videos of its topic.
			clipVideo := videos[0]
			at := float64(int(clipVideo.Duration / 3))
			q := clipvec.Query{Like: &clipvec.SegmentRef{VideoID: clipVideo.ID, At: at, Modality: "visual"}, K: c.Int("k"),
				Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeClip}, Modalities: []string{"visual"}}, ExcludeQueryVideo: true}
			fmt.Fprintf(out, "\n$ clipvec search --like %s@%g --query-modality visual --modality visual --other-videos -k %d\n", clipVideo.ID, at, q.K)
			fmt.Fprintf(out, "# clips like the visual clip at %gs of %s (topic %q), from other videos\n", at, clipVideo.Filename, clipVideo.Topic)
			res, err := db.Search(ctx, q)
			if err != nil {
				return err
			}
			if err := printResult(out, res, false); err != nil {
				return err
			}

			// Video to video, grouped: one row per video.
			likeVideo := videos[1]
			q = clipvec.Query{LikeVideo: likeVideo.ID, K: c.Int("k"), GroupBy: clipvec.GroupByVideo,
				Filter: clipvec.Filter{Scopes: []string{clipvec.ScopeClip}}}
			fmt.Fprintf(out, "\n$ clipvec search --like-video %s -k %d\n", likeVideo.ID, q.K)
			fmt.Fprintf(out, "# videos like %s (topic %q): each video scored by its best clip\n", likeVideo.Filename, likeVideo.Topic)
			res, err = db.Search(ctx, q)
			if err != nil {
				return err
			}
			if err := printResult(out, res, true); err != nil {
				return err
			}
			fmt.Fprintf(out, `
Explore the same database:
   export CLIPVEC_DB=%s
   clipvec stats
   clipvec videos
   clipvec search --like %s@%g --query-modality audio -k 10
   clipvec search --vector testdata/sample/queries.json#%s --group-by video
   clipvec search --like-video %s --agg mean --json
   clipvec recommend --like-video %s --group-by video --mmr 0.7
   clipvec classify --classes testdata/sample/classes.json --top 1
   clipvec serve                  # the same over HTTP, and a web page

`, path, clipVideo.ID, at, clipVideo.Topic, likeVideo.ID, clipVideo.ID)
			return nil
		},
	}
}

// madeByQuickstart marks the databases quickstart makes (DB.SetMadeBy):
// the only files it replaces.
const madeByQuickstart = "quickstart"

// replaceable says whether quickstart may make its database at path:
// there is no file there (replace false), or a database quickstart made
// that holds the sample's videos only (replace true). Anything else is
// refused with an error that names the file and says why, and is left
// untouched.
func replaceable(ctx context.Context, path string, gen *sample.Generator) (replace bool, err error) {
	refuse := func(why string, args ...any) error {
		return usagef("quickstart: %s %s: quickstart replaces only a database it made, and leaves this one as it is; choose another --into FILE",
			visible(path), fmt.Sprintf(why, args...))
	}
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("quickstart: %w", err)
	case info.IsDir():
		return false, refuse("is a directory")
	case !info.Mode().IsRegular():
		return false, refuse("is not a regular file (%s)", info.Mode().Type())
	}
	head := make([]byte, 16)
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("quickstart: %w", err)
	}
	n, _ := io.ReadFull(f, head)
	f.Close()
	if string(head[:n]) != "SQLite format 3\x00" {
		return false, refuse("exists and is not a database (%s)", bytesHuman(info.Size()))
	}
	madeBy, videos, err := clipvec.Peek(ctx, path)
	switch {
	case err != nil:
		return false, refuse("is not a clipvec database quickstart made (%v)", err)
	}
	ours := map[string]bool{}
	for _, v := range gen.Videos() {
		ours[v.ID] = true
	}
	for _, id := range videos {
		if !ours[id] && madeBy == madeByQuickstart {
			return false, refuse("was made by quickstart, but holds videos that are not the sample's (%s, say)", visible(id))
		}
		if !ours[id] {
			return false, refuse("is a clipvec database that quickstart did not make (%s)", plural(len(videos), "video"))
		}
	}
	if madeBy != madeByQuickstart && len(videos) == 0 {
		return false, refuse("is a clipvec database that quickstart did not make (no videos)")
	}
	// Made by quickstart, or by a quickstart older than the mark: no
	// video but the sample's, which quickstart imports again.
	return true, nil
}
