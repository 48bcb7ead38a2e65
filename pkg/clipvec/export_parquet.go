package clipvec

import (
	"context"
	"io"

	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// ExportParquet writes the database (or the selected part) to w as one
// Parquet file: a row per segment, in Export's order, with the columns
// segment_id (INT64), video_id, model (STRING), dim (INT32),
// modality, scope (STRING), start, end, norm
// (DOUBLE), source_kind, source_id (STRING), the video's filename
// (STRING), duration, fps (DOUBLE), width, height (INT32), user_metadata
// (STRING, a JSON object) and thumbnail_url (STRING), null when unknown,
// and embedding (LIST<FLOAT>: the stored unit vector, bit for bit).
// Compression is zstd; row groups hold 64k rows or 128 MiB of vectors,
// whichever is less, and that is about what the writer holds in memory.
//
// Import reads the file back as exactly as it does Export's JSONL
// (segment ids aside: the database numbers its segments itself). The
// snapshot rules are Export's.
func (db *DB) ExportParquet(ctx context.Context, w io.Writer, opts ExportOptions) (ExportStats, error) {
	return db.export(ctx, opts, &parquetSink{w: w})
}

// parquetSink writes clipvec's Parquet layout.
type parquetSink struct {
	w   io.Writer
	out *ingest.ParquetWriter
	seg ingest.Segment
	cur *ingest.Video // the video of the segments that follow
}

func (p *parquetSink) begin(spaces []ingest.Space) error {
	p.out = ingest.NewParquetWriter(p.w, spaces...)
	return nil
}

func (p *parquetSink) video(v *sqlite.Video) error {
	p.cur = ingestVideo(v)
	return nil
}

func (p *parquetSink) segment(s *sqlite.Segment, _ *sqlite.Video) error {
	p.seg = ingestSegment(s)
	return p.out.WriteSegment(s.ID, &p.seg, p.cur)
}

func (p *parquetSink) end() error { return p.out.Close() }
