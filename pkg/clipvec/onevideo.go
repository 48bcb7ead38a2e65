package clipvec

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/clipvec/clipvec/internal/ingest"
)

// checkOneVideo reads (decodes, writing nothing) every input that
// Import is about to file under opts.VideoID, and fails with
// ErrSeveralVideos when they are of different videos: see
// ImportOptions.VideoID. An input that cannot be read or decoded is left
// for the import to reject.
//
// Standard input can be read once only: it is first copied to an
// unlinked temporary file, which opts.Stdin then reads from. The file
// is returned for the caller to close when the import is done.
func checkOneVideo(ctx context.Context, files []string, opts *ImportOptions) (stdin *os.File, err error) {
	scan := &videoScan{videoID: opts.VideoID, files: files, seen: map[segmentKey]int{}}
	for i, name := range files {
		var r *ingest.Reader
		if name == "-" {
			if stdin == nil {
				if stdin, err = copyStdin(opts.Stdin); err != nil {
					return stdin, err
				}
				opts.Stdin = stdin
			}
			if _, err := stdin.Seek(0, io.SeekStart); err != nil {
				return stdin, fmt.Errorf("import -: rewind the copy of standard input: %w", err)
			}
			r, err = ingest.NewReader(stdin, -1, "-")
		} else {
			r, err = ingest.Open(name, nil)
		}
		if err != nil {
			continue
		}
		scan.file = i
		_, derr := r.Decode(ctx, ingest.Options{Name: name, VideoID: opts.VideoID, Model: opts.Model, Dim: opts.Dim, SkipInvalid: true}, scan)
		r.Close()
		switch {
		case scan.err != nil:
			return stdin, scan.err
		case ctx.Err() != nil:
			return stdin, ctx.Err()
		case derr != nil:
			// The import rejects the file, and says why.
		}
	}
	if stdin != nil {
		if _, err := stdin.Seek(0, io.SeekStart); err != nil {
			return stdin, fmt.Errorf("import -: rewind the copy of standard input: %w", err)
		}
	}
	return stdin, nil
}

// copyStdin copies src (nil: os.Stdin) to an unlinked temporary file.
func copyStdin(src io.Reader) (*os.File, error) {
	if src == nil {
		src = os.Stdin
	}
	f, err := os.CreateTemp("", "clipvec-stdin-*")
	if err != nil {
		return nil, fmt.Errorf("import -: copy standard input to read it twice: %w", err)
	}
	os.Remove(f.Name()) // unlinked: gone when closed (where the system allows)
	if _, err := io.Copy(f, src); err != nil {
		return f, fmt.Errorf("import -: copy standard input to read it twice: %w", err)
	}
	return f, nil
}

// segmentKey is what identifies a segment within one video.
type segmentKey struct {
	model         string
	dim           int
	option, scope string
	start, end    float64
}

// videoScan is the ingest.Handler of checkOneVideo: it notes the videos
// the inputs name, and which input holds each segment.
type videoScan struct {
	videoID    string
	files      []string
	file       int    // index in files of the input being read
	firstVideo string // the first video an input named, and that input
	firstFile  int
	seen       map[segmentKey]int // segment → the input that holds it
	err        error
}

func (v *videoScan) Segment(s *ingest.Segment) error {
	name := v.files[v.file]
	if own := s.OwnVideoID; own != "" {
		switch {
		case v.firstVideo == "":
			v.firstVideo, v.firstFile = own, v.file
		case own != v.firstVideo && v.firstFile == v.file:
			v.err = fmt.Errorf("import: %w: %s names videos %s and %s; filed under one video (%s), they would be merged",
				ErrSeveralVideos, name, v.firstVideo, own, v.videoID)
		case own != v.firstVideo:
			v.err = fmt.Errorf("import: %w: %s names video %s and %s names video %s; filed under one video (%s), they would be merged",
				ErrSeveralVideos, v.files[v.firstFile], v.firstVideo, name, own, v.videoID)
		}
		if v.err != nil {
			return v.err
		}
	}
	k := segmentKey{s.Model, len(s.Vector), s.Option, s.Scope, s.Start, s.End}
	other, ok := v.seen[k]
	switch {
	case !ok:
		v.seen[k] = v.file
	case other != v.file:
		v.err = fmt.Errorf("import: %w: %s and %s both hold %s; filed under one video (%s), one would replace the other",
			ErrSeveralVideos, v.files[other], name, describeSegment(&k), v.videoID)
		return v.err
	}
	return nil
}

func (v *videoScan) Video(*ingest.Video) error { return nil }

// describeSegment names a segment for a message: "the visual clip at
// 0–6 s of marengo3.0/512".
func describeSegment(k *segmentKey) string {
	option := k.option
	if option == "" {
		option = "(unnamed option)"
	}
	sp := Space{Model: k.model, Dim: k.dim}
	if k.scope == ScopeClip {
		return fmt.Sprintf("the %s clip at %g–%g s of %s", option, k.start, k.end, sp)
	}
	return fmt.Sprintf("the %s %s-scope vector (%g–%g s) of %s", option, k.scope, k.start, k.end, sp)
}
