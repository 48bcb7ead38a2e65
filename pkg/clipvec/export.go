package clipvec

import (
	"context"
	"fmt"
	"io"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// ExportOptions select what Export writes. Zero fields select everything.
type ExportOptions struct {
	Videos []string // only these videos
	Model  string   // only this model's segments
	// Progress, when set, is told done of total segments written: when
	// the export begins (done 0), every 1,024 segments, and once all are
	// written. total is 0 when unknown (Videos and Model both set).
	Progress func(done, total int)
}

// ExportStats counts what Export wrote.
type ExportStats struct {
	Videos   int `json:"videos"`
	Segments int `json:"segments"`
	// Files lists the files ExportNPY wrote (the manifest last).
	Files []string `json:"files,omitempty"`
}

// Export streams the database (or the selected part) to w in clipvec's
// JSONL format: a header line, then each video's metadata line followed
// by its segments. Import reads it back exactly: vectors bit for bit,
// times, provenance and metadata unchanged.
//
// Everything written comes from one snapshot of the database, the one
// committed when Export began: imports and deletes that commit meanwhile
// go on unblocked and are left out. Until Export returns the database's
// WAL cannot be checkpointed past that snapshot, so a slow w lets it grow.
func (db *DB) Export(ctx context.Context, w io.Writer, opts ExportOptions) (ExportStats, error) {
	return db.export(ctx, opts, &jsonlSink{out: ingest.NewWriter(w)})
}

// exportSink is an export format: it receives what the export's walk
// reads, in export order (by video, then model, dimension, modality,
// scope and times).
type exportSink interface {
	// begin comes first, with the spaces the selection may hold
	// segments of.
	begin(spaces []ingest.Space) error
	// video comes before the video's first segment.
	video(v *sqlite.Video) error
	// segment is one segment of the video last announced; s and its
	// vector are reused after the call.
	segment(s *sqlite.Segment, v *sqlite.Video) error
	// end comes last, after a walk that met no error.
	end() error
}

// export walks the selection in one read transaction and hands it to out.
func (db *DB) export(ctx context.Context, opts ExportOptions, out exportSink) (ExportStats, error) {
	var st ExportStats
	err := db.store.View(ctx, func(tx *sqlite.ReadTx) error {
		var err error
		st, err = walkExport(ctx, tx, opts, out)
		return err
	})
	return st, err
}

// walkExport is the export's walk in the read transaction tx.
func walkExport(ctx context.Context, tx *sqlite.ReadTx, opts ExportOptions, out exportSink) (ExportStats, error) {
	var st ExportStats
	videos, err := tx.Videos(ctx)
	if err != nil {
		return st, err
	}
	meta := make(map[string]*sqlite.Video, len(videos))
	for i := range videos {
		meta[videos[i].ID] = &videos[i]
	}
	for _, id := range opts.Videos {
		if meta[id] == nil {
			return st, fmt.Errorf("export: video %s: %w", id, ErrNotFound)
		}
	}
	model := ""
	if opts.Model != "" {
		model = ingest.CanonicalModel(opts.Model)
	}
	spaces, err := tx.Spaces(ctx)
	if err != nil {
		return st, err
	}
	var decl []ingest.Space
	for _, sp := range spaces {
		if model == "" || sp.Model == model {
			decl = append(decl, ingest.Space{Model: sp.Model, Dim: sp.Dim})
		}
	}
	if err := out.begin(decl); err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(int, int) {}
	}
	total := exportTotal(spaces, meta, model, opts.Videos)
	progress(0, total)
	exportVideo := func(video string) error {
		var cur *sqlite.Video
		return tx.Segments(ctx, sqlite.SegmentQuery{VideoID: video, Model: model, Order: sqlite.OrderVideo}, func(s *sqlite.Segment) error {
			if cur == nil || s.VideoID != cur.ID {
				if cur = meta[s.VideoID]; cur == nil {
					// A foreign key keeps this from happening.
					return fmt.Errorf("segment %d: video %s: %w", s.ID, s.VideoID, ErrNotFound)
				}
				st.Videos++
				if err := out.video(cur); err != nil {
					return err
				}
			}
			st.Segments++
			if st.Segments%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				progress(st.Segments, total)
			}
			return out.segment(s, cur)
		})
	}
	if len(opts.Videos) == 0 {
		err = exportVideo("")
	}
	for _, id := range opts.Videos {
		if err = exportVideo(id); err != nil {
			break
		}
	}
	if err == nil {
		err = out.end()
	}
	if err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	if total > 0 {
		total = max(total, st.Segments)
	}
	progress(st.Segments, total)
	return st, nil
}

// exportTotal counts the segments an export of videos (all when none) of
// model (all when "") writes, or returns 0 when the counts at hand cannot
// tell (some videos, one model).
func exportTotal(spaces []sqlite.Space, meta map[string]*sqlite.Video, model string, videos []string) int {
	total := 0
	switch {
	case len(videos) == 0:
		for _, sp := range spaces {
			if model == "" || sp.Model == model {
				total += sp.Segments
			}
		}
	case model == "":
		for _, id := range videos {
			total += meta[id].Segments
		}
	}
	return total
}

// ingestSegment is s as the ingest package's writers take it.
func ingestSegment(s *sqlite.Segment) ingest.Segment {
	return ingest.Segment{VideoID: s.VideoID, Model: s.Model, Option: s.Option, Scope: s.Scope,
		Start: s.Start, End: s.End, SourceKind: s.SourceKind, SourceID: s.SourceID, Norm: s.Norm, Vector: s.Vector}
}

// ingestVideo is v as the ingest package's writers take it.
func ingestVideo(v *sqlite.Video) *ingest.Video {
	return &ingest.Video{ID: v.ID, Filename: v.Filename, Duration: v.Duration, FPS: v.FPS,
		Width: v.Width, Height: v.Height, UserMetadata: v.UserMetadata, ThumbnailURL: v.ThumbnailURL}
}

// jsonlSink writes clipvec's JSONL format.
type jsonlSink struct {
	out *ingest.Writer
	seg ingest.Segment
}

func (j *jsonlSink) begin(spaces []ingest.Space) error { return j.out.WriteHeader(spaces...) }

func (j *jsonlSink) video(v *sqlite.Video) error { return j.out.WriteVideo(ingestVideo(v)) }

func (j *jsonlSink) segment(s *sqlite.Segment, _ *sqlite.Video) error {
	j.seg = ingestSegment(s)
	return j.out.WriteSegment(&j.seg)
}

func (j *jsonlSink) end() error { return j.out.Flush() }
