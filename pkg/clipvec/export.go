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
}

// ExportStats counts what Export wrote.
type ExportStats struct {
	Videos   int `json:"videos"`
	Segments int `json:"segments"`
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
	var st ExportStats
	err := db.store.View(ctx, func(tx *sqlite.ReadTx) error {
		var err error
		st, err = export(ctx, tx, w, opts)
		return err
	})
	return st, err
}

// export is Export in the read transaction tx.
func export(ctx context.Context, tx *sqlite.ReadTx, w io.Writer, opts ExportOptions) (ExportStats, error) {
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
	out := ingest.NewWriter(w)
	if err := out.WriteHeader(decl...); err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	writeVideo := func(id string) error {
		v := meta[id]
		st.Videos++
		return out.WriteVideo(&ingest.Video{ID: v.ID, Filename: v.Filename, Duration: v.Duration, FPS: v.FPS,
			Width: v.Width, Height: v.Height, UserMetadata: v.UserMetadata, ThumbnailURL: v.ThumbnailURL})
	}
	exportVideo := func(video string) error {
		last := ""
		err := tx.Segments(ctx, sqlite.SegmentQuery{VideoID: video, Model: model, Order: sqlite.OrderVideo}, func(s *sqlite.Segment) error {
			if s.VideoID != last {
				last = s.VideoID
				if err := writeVideo(s.VideoID); err != nil {
					return err
				}
			}
			st.Segments++
			if st.Segments%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			return out.WriteSegment(&ingest.Segment{VideoID: s.VideoID, Model: s.Model, Option: s.Option, Scope: s.Scope,
				Start: s.Start, End: s.End, SourceKind: s.SourceKind, SourceID: s.SourceID, Norm: s.Norm, Vector: s.Vector})
		})
		return err
	}
	if len(opts.Videos) == 0 {
		err = exportVideo("")
	}
	for _, id := range opts.Videos {
		if err = exportVideo(id); err != nil {
			break
		}
	}
	if err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	if err := out.Flush(); err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	return st, nil
}
