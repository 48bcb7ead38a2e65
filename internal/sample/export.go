package sample

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clipvec/clipvec/internal/atomicfile"
)

// ExportsDir is the subdirectory of a sample directory that holds the
// exported JSON files, apart from README.md and queries.json, so that the
// directory can be imported as a whole.
const ExportsDir = "exports"

// DefaultCommand is the command line, from the module root, that writes
// the committed sample in testdata/sample.
const DefaultCommand = "go run ./internal/sample/cmd/gensample -out testdata/sample"

// QueriesFile is the name of the query vectors file in a sample directory.
const QueriesFile = "queries.json"

// ClassesFile is the name of the classes file in a sample directory: a
// class per topic, its prompt the topic's query text, in the shape
// clipvec classify --classes reads.
const ClassesFile = "classes.json"

// exportName matches the files WriteExport writes (and its temporary
// files), which are the only files it removes from a directory.
var exportName = regexp.MustCompile(`^(\d+-.+\.(embed-task|embed-v2-task|indexed-asset)\.json(\.gz)?|\..+\.tmp-\d+)$`)

// ExportName returns the name of v's file in an export: its position,
// file name stem and shape, e.g. "02-cooking-01.embed-v2-task.json" or,
// gzipped, "01-surfing-01.embed-task.json.gz".
func ExportName(v Video) string {
	name := fmt.Sprintf("%02d-%s.%s.json", v.index+1, strings.TrimSuffix(v.Filename, ".mp4"), v.Shape)
	if gzipped(v) {
		name += ".gz"
	}
	return name
}

// gzipped says whether v's file is gzipped: every second one, so that each
// shape comes both ways. The indented files of the first three videos
// then come both ways too, and the committed sample stays under 6 MB.
func gzipped(v Video) bool { return v.index%2 == 0 }

// pretty says whether v's file is indented like the API fixtures: the
// first file of each shape. The rest are compact, as the API sends them.
func pretty(v Video) bool { return v.index < int(numShapes) }

// WriteExport writes one file per video of g into dir, in the upstream
// JSON shape of the video's [Video.Shape], named by [ExportName], and
// removes files an earlier export left in dir that this one did not
// write. Each file is written to a temporary file and renamed into place.
// It streams: memory does not grow with the number of segments.
func WriteExport(ctx context.Context, dir string, g *Generator) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	written := make(map[string]bool, len(g.videos))
	for _, v := range g.videos {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("write export: %w", err)
		}
		name := ExportName(v)
		written[name] = true
		err := writeFile(filepath.Join(dir, name), gzipped(v), func(w *bufio.Writer) error {
			return writeVideo(&jsonWriter{w: w, pretty: pretty(v)}, g, v)
		})
		if err != nil {
			return fmt.Errorf("write export %s: %w", name, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && exportName.MatchString(e.Name()) && !written[e.Name()] {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("write export: remove stale file: %w", err)
			}
		}
	}
	return atomicfile.SyncDir(dir)
}

// WriteSample writes a complete sample directory: the export in
// dir/[ExportsDir], the topic query vectors in dir/[QueriesFile], a
// README.md that documents both and a .gitattributes that keeps git from
// changing their bytes. command is the command line that
// regenerates it, quoted in the README.
func WriteSample(ctx context.Context, dir string, g *Generator, command string) error {
	if err := WriteExport(ctx, filepath.Join(dir, ExportsDir), g); err != nil {
		return err
	}
	err := writeFile(filepath.Join(dir, QueriesFile), false, func(w *bufio.Writer) error {
		return writeQueries(w, g)
	})
	if err != nil {
		return fmt.Errorf("write sample %s: %w", QueriesFile, err)
	}
	err = writeFile(filepath.Join(dir, ClassesFile), false, func(w *bufio.Writer) error {
		return writeClasses(w, g)
	})
	if err != nil {
		return fmt.Errorf("write sample %s: %w", ClassesFile, err)
	}
	// The files are compared byte for byte: keep git from converting
	// their line endings on checkout.
	err = writeFile(filepath.Join(dir, ".gitattributes"), false, func(w *bufio.Writer) error {
		_, err := w.WriteString("# Generated sample data, compared byte for byte: no line-ending conversion.\n* -text\n")
		return err
	})
	if err != nil {
		return fmt.Errorf("write sample .gitattributes: %w", err)
	}
	err = writeFile(filepath.Join(dir, "README.md"), false, func(w *bufio.Writer) error {
		_, err := w.WriteString(readme(g, command))
		return err
	})
	if err != nil {
		return fmt.Errorf("write sample README.md: %w", err)
	}
	return atomicfile.SyncDir(dir)
}

// writeFile replaces path atomically (internal/atomicfile) with what
// write writes, gzipped if asked.
func writeFile(path string, gz bool, write func(*bufio.Writer) error) error {
	return atomicfile.Write(path, func(f io.Writer) error {
		out := f
		var zw *gzip.Writer
		if gz {
			// No name and no modification time in the header: the bytes
			// depend on the content alone.
			var err error
			if zw, err = gzip.NewWriterLevel(f, gzip.DefaultCompression); err != nil {
				return err
			}
			out = zw
		}
		bw := bufio.NewWriterSize(out, 64<<10)
		if err := write(bw); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if zw != nil {
			return zw.Close()
		}
		return nil
	})
}

// timestamp formats t as upstream does: RFC 3339, UTC, milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// seconds returns d seconds as a duration rounded to the millisecond.
func seconds(d float64) time.Duration {
	return time.Duration(math.Round(d*1000)) * time.Millisecond
}

func writeVideo(j *jsonWriter, g *Generator, v Video) error {
	var err error
	switch v.Shape {
	case ShapeEmbedTask:
		err = writeEmbedTask(j, g, v)
	case ShapeEmbedV2Task:
		err = writeEmbedV2Task(j, g, v)
	case ShapeIndexedAsset:
		err = writeIndexedAsset(j, g, v)
	default:
		err = fmt.Errorf("video %s: unknown shape %v", v.ID, v.Shape)
	}
	if err != nil {
		return err
	}
	if len(j.filled) != 0 {
		return fmt.Errorf("video %s: %d JSON containers left open", v.ID, len(j.filled))
	}
	return j.w.WriteByte('\n')
}

// writeSegments writes the v1 segment array (embed tasks and indexed
// assets), with its keys in the order of the fixture for that shape.
// Write errors surface at Flush.
func writeSegments(j *jsonWriter, g *Generator, v Video) error {
	j.beginArray()
	err := g.EachSegment(v, func(s Segment) error {
		j.beginObject()
		j.key("start_offset_sec")
		j.num(s.Start)
		j.key("end_offset_sec")
		j.num(s.End)
		if v.Shape == ShapeIndexedAsset {
			j.key("embedding_option")
			j.str(s.Option)
			j.key("embedding_scope")
			j.str(s.Scope)
		} else {
			j.key("embedding_scope")
			j.str(s.Scope)
			j.key("embedding_option")
			j.str(s.Option)
		}
		j.key("float")
		j.floats(s.Vector)
		j.endObject()
		return nil
	})
	j.endArray()
	return err
}

// writeEmbedTask writes a v1 GET /embed/tasks/{id} body.
func writeEmbedTask(j *jsonWriter, g *Generator, v Video) error {
	j.beginObject()
	j.key("_id")
	j.str(v.ID)
	j.key("model_name")
	j.str(g.p.ModelName)
	j.key("status")
	j.str("ready")
	j.key("created_at")
	j.str(timestamp(v.CreatedAt))
	j.key("video_embedding")
	j.beginObject()
	j.key("segments")
	if err := writeSegments(j, g, v); err != nil {
		return err
	}
	j.key("metadata")
	j.beginObject()
	j.key("input_filename")
	j.str(v.Filename)
	j.key("video_clip_length")
	j.num(g.p.ClipSeconds)
	j.key("video_embedding_scope")
	j.strings([]string{"clip", "video"})
	j.key("duration")
	j.num(v.Duration)
	j.endObject()
	j.endObject()
	j.endObject()
	return nil
}

// writeEmbedV2Task writes a GET /embed-v2/tasks/{id} body. v2 has no
// model_name and calls the video scope "asset".
func writeEmbedV2Task(j *jsonWriter, g *Generator, v Video) error {
	j.beginObject()
	j.key("_id")
	j.str(v.ID)
	j.key("status")
	j.str("ready")
	j.key("created_at")
	j.str(timestamp(v.CreatedAt))
	j.key("updated_at")
	j.str(timestamp(v.CreatedAt.Add(seconds(8 + float64(0.35*v.Duration)))))
	j.key("data")
	j.beginArray()
	err := g.EachSegment(v, func(s Segment) error {
		j.beginObject()
		j.key("embedding")
		j.floats(s.Vector)
		j.key("embedding_option")
		j.str(s.Option)
		j.key("embedding_scope")
		if s.Scope == "video" {
			j.str("asset")
		} else {
			j.str(s.Scope)
		}
		j.key("start_sec")
		j.num(s.Start)
		j.key("end_sec")
		j.num(s.End)
		j.endObject()
		return nil
	})
	if err != nil {
		return err
	}
	j.endArray()
	j.key("metadata")
	j.beginObject()
	j.key("input_type")
	j.str("video")
	j.key("input_filename")
	j.str(v.Filename)
	j.key("clip_length")
	j.num(g.p.ClipSeconds)
	j.key("embedding_options")
	j.strings(v.Options)
	j.key("embedding_scopes")
	j.strings([]string{"clip", "asset"})
	j.key("duration")
	j.num(v.Duration)
	j.endObject()
	j.endObject()
	return nil
}

// writeIndexedAsset writes a GET /indexes/{index}/indexed-assets/{id}
// body, as returned with embedding_option given for each of v's options.
func writeIndexedAsset(j *jsonWriter, g *Generator, v Video) error {
	indexed := v.CreatedAt.Add(seconds(30 + float64(0.6*v.Duration)))
	j.beginObject()
	j.key("_id")
	j.str(v.ID)
	j.key("created_at")
	j.str(timestamp(v.CreatedAt))
	j.key("updated_at")
	j.str(timestamp(indexed))
	j.key("indexed_at")
	j.str(timestamp(indexed))
	j.key("status")
	j.str("ready")
	j.key("system_metadata")
	j.beginObject()
	j.key("duration")
	j.num(v.Duration)
	j.key("filename")
	j.str(v.Filename)
	j.key("fps")
	j.num(v.FPS)
	j.key("height")
	j.integer(v.Height)
	j.key("width")
	j.integer(v.Width)
	j.endObject()
	j.key("user_metadata")
	j.beginObject()
	keys := make([]string, 0, len(v.UserMetadata))
	for k := range v.UserMetadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		j.key(k)
		switch x := v.UserMetadata[k].(type) {
		case string:
			j.str(x)
		case int:
			j.integer(x)
		case float64:
			j.num(x)
		case bool:
			j.boolean(x)
		default:
			j.str(fmt.Sprint(x))
		}
	}
	j.endObject()
	// An index with streaming enabled returns hls; a synthetic video has
	// no stream, so only its thumbnail is given.
	j.key("hls")
	j.beginObject()
	j.key("thumbnail_urls")
	j.strings([]string{g.Thumbnail(v)})
	j.key("status")
	j.str("COMPLETE")
	j.key("updated_at")
	j.str(timestamp(indexed))
	j.endObject()
	j.key("embedding")
	j.beginObject()
	j.key("model_name")
	j.str(g.p.ModelName)
	j.key("video_embedding")
	j.beginObject()
	j.key("segments")
	if err := writeSegments(j, g, v); err != nil {
		return err
	}
	j.endObject()
	j.endObject()
	j.endObject()
	return nil
}

// writeQueries writes one {"topic","text","vector"} object per topic, one
// per line, in a JSON array.
func writeQueries(w *bufio.Writer, g *Generator) error {
	return writeTopicLines(w, g, func(j *jsonWriter, t string) {
		j.key("topic")
		j.str(t)
		j.key("text")
		j.str(g.QueryText(t))
		j.key("vector")
		j.floats(g.Query(t))
	})
}

// writeClasses writes one {"name","prompts"} object per topic, one per
// line, in a JSON array.
func writeClasses(w *bufio.Writer, g *Generator) error {
	return writeTopicLines(w, g, func(j *jsonWriter, t string) {
		j.key("name")
		j.str(t)
		j.key("prompts")
		j.strings([]string{g.QueryText(t)})
	})
}

// writeTopicLines writes a JSON array of one object per topic, a line
// each; fields writes an object's keys and values.
func writeTopicLines(w *bufio.Writer, g *Generator, fields func(j *jsonWriter, topic string)) error {
	w.WriteString("[\n")
	for k, t := range g.topics {
		w.WriteString("  ")
		j := &jsonWriter{w: w}
		j.beginObject()
		fields(j, t)
		j.endObject()
		if k < len(g.topics)-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	_, err := w.WriteString("]\n")
	return err
}

// readme returns the sample directory's README.md.
func readme(g *Generator, command string) string {
	p := g.p
	var b strings.Builder
	segments, clips := 0, 0
	for _, v := range g.videos {
		segments += v.SegmentCount()
		clips += v.Clips
	}
	regenerate := "That command writes exactly these bytes on any machine."
	if command == DefaultCommand {
		regenerate = `or ` + "`go generate ./internal/sample`" + `. Either writes exactly these bytes
on any machine (gzip members compared uncompressed); the test
` + "`TestSampleUpToDate`" + ` in internal/sample fails when the committed files
differ from what the generator writes.`
	}
	fmt.Fprintf(&b, `# Sample data: a synthetic TwelveLabs export

This directory is a small, **synthetic** TwelveLabs %s export: %d
videos of %d topics, %d embedding segments of %d-d vectors (%d clips,
each in up to %d modalities, plus one video-scope vector per video and
modality), written in the three JSON shapes the TwelveLabs API returns
video embeddings in.
No video was embedded to make it: the vectors come from the seeded model in
[internal/sample](../../internal/sample), which gives them the structure of
real clip embeddings (see "The model" below). clipvec's quickstart, its
tests and its README use it. Do not edit these files by hand.

## Regenerate

%s

%s

## Files

- %s: one file per video, named %s. Files whose
  name ends in %s are gzipped; the first file of each shape is
  indented like the API fixtures, the rest are compact as the API sends
  them.
- %s: a JSON array with one text-query-like vector per topic,
  %s, for searching by vector
  without calling the API.
- %s: a class per topic, its prompt the topic's query text,
  for %s; quickstart puts the queries' vectors in
  its database's query cache, so it classifies offline.
- %s: this file.

| shape | upstream request | vector key | scopes | clips |
|---|---|---|---|---|
| %s | %s (v1) | %s | %s, %s | fixed %v s, the last one shorter |
| %s | %s | %s | %s, %s | fixed %v s, the last one shorter; no %s |
| %s | %s | %s | %s, %s | variable, %v–%v s (scene cuts) |

| # | file | _id | topic | shape | duration (s) | clips | options | segments |
|---|---|---|---|---|---|---|---|---|
`,
		p.ModelName, p.Videos, p.Topics, segments, p.Dim, clips, len(p.Options),
		"```sh\n"+command+"\n```", regenerate,
		"`"+ExportsDir+"/`", "`<#>-<topic>-<n>.<shape>.json`", "`.json.gz`",
		"`"+QueriesFile+"`", "`{\"topic\": …, \"text\": …, \"vector\": […]}`",
		"`"+ClassesFile+"`", "`clipvec classify --classes`", "`README.md`",
		"`embed-task`", "`GET /embed/tasks/{id}`", "`float`", "`clip`", "`video`", p.ClipSeconds,
		"`embed-v2-task`", "`GET /embed-v2/tasks/{id}`", "`embedding`", "`clip`", "`asset`", p.ClipSeconds, "`model_name`",
		"`indexed-asset`", "`GET /indexes/{index}/indexed-assets/{id}?embedding_option=…`", "`float`", "`clip`", "`video`",
		p.VariableClipMin, p.VariableClipMax)
	for i, v := range g.videos {
		fmt.Fprintf(&b, "| %d | `%s` | `%s` | %s | %s | %s | %d | %s | %d |\n",
			i+1, ExportName(v), v.ID, v.Topic, v.Shape, strconv.FormatFloat(v.Duration, 'f', -1, 64),
			v.Clips, strings.Join(v.Options, ", "), v.SegmentCount())
	}
	fmt.Fprintf(&b, `
Videos without %s have no speech. Segments come per option, clips
in time order then the video scope, except in embed-v2 files, which list
every option of a clip together and the asset scopes last (upstream gives
no order guarantee there). Indexed assets carry an %s object whose
%s holds one thumbnail: a %s URL of a small SVG tile (the
topic's colour and initial, the video's number), so thumbnails show
offline; upstream embed tasks have no thumbnails, and neither do their
files here.

## Parameters

| parameter | value |
|---|---|
`, "`transcription`", "`hls`", "`thumbnail_urls`", "`data:`")
	rows := [][2]string{
		{"Seed", strconv.FormatUint(p.Seed, 10)},
		{"Dim", strconv.Itoa(p.Dim)},
		{"ModelName", p.ModelName},
		{"Topics", fmt.Sprintf("%d (%s)", p.Topics, strings.Join(g.topics, ", "))},
		{"Videos", strconv.Itoa(p.Videos)},
		{"MinClips, MaxClips", fmt.Sprintf("%d, %d", p.MinClips, p.MaxClips)},
		{"ClipSeconds", fmtF(p.ClipSeconds)},
		{"VariableClipMin, VariableClipMax", fmtF(p.VariableClipMin) + ", " + fmtF(p.VariableClipMax)},
		{"Options", strings.Join(p.Options, ", ")},
		{"TranscriptionRate", fmtF(p.TranscriptionRate)},
		{"Anisotropy", fmtF(p.Anisotropy)},
		{"TopicWeight", fmtF(p.TopicWeight)},
		{"VideoWeight", fmtF(p.VideoWeight)},
		{"DriftWeight, Persistence", fmtF(p.DriftWeight) + ", " + fmtF(p.Persistence)},
		{"ModalityWeight, ModalityDrift", fmtF(p.ModalityWeight) + ", " + fmtF(p.ModalityDrift)},
		{"Noise, VideoScopeNoise, NormSpread", fmtF(p.Noise) + ", " + fmtF(p.VideoScopeNoise) + ", " + fmtF(p.NormSpread)},
		{"QueryAnisotropy, QueryTopicWeight, QueryGap, QueryNoise",
			fmtF(p.QueryAnisotropy) + ", " + fmtF(p.QueryTopicWeight) + ", " + fmtF(p.QueryGap) + ", " + fmtF(p.QueryNoise)},
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	b.WriteString(`
## The model

Each vector is a sum of random directions, each scaled by a weight: a
mean direction every clip shares (embedding spaces are anisotropic), the
topic's centre, the video's own direction, a drift that walks from clip to
clip (adjacent clips are near duplicates, distant ones less alike), a
direction per modality, a drift walk of each modality's own, and noise;
the sum is scaled to a norm between 0.5 and 1.5, as real Marengo vectors
are not unit length. A video-scope vector is the mean of that video's clip
vectors for the option, plus a little noise. A query vector is the topic's
centre plus a direction every query shares and no clip has (the modality
gap between text and video embeddings), so queries score lower than clips
do against each other but still land nearest their topic. The package
documentation of internal/sample gives the expected cosines.
`)
	return b.String()
}

func fmtF(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
