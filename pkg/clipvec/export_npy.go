package clipvec

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/clipvec/clipvec/internal/atomicfile"
	"github.com/clipvec/clipvec/internal/ingest"
	"github.com/clipvec/clipvec/internal/sqlite"
)

// NPYManifest is the name of the file ExportNPY writes last, listing the
// spaces it exported and their files.
const NPYManifest = "manifest.json"

// NPYSpace is one embedding space of an ExportNPY directory, as its
// manifest lists it.
type NPYSpace struct {
	Model string `json:"model"`
	Dim   int    `json:"dim"`
	Rows  int64  `json:"rows"`
	// Vectors is the .npy file: a float32 matrix of Rows × Dim.
	Vectors string `json:"vectors"`
	// RowsFile is the JSONL sidecar: line i describes row i.
	RowsFile string `json:"rows_file"`
}

// ExportNPY writes the database (or the selected part) into directory
// dir (created if need be) as NumPy arrays, one per embedding space:
// MODEL_DIM.npy, a float32 matrix (format 1.0, '<f4', C order) of one
// row per segment holding its stored unit vector bit for bit, and
// MODEL_DIM.jsonl, whose line i describes row i:
//
//	{"row":0,"segment_id":1,"video_id":"…","model":"marengo3.0","dim":512,"modality":"visual","scope":"clip","start":0,"end":6,"norm":0.98,"source_kind":"embed-task-v1","source_id":"…"}
//
// Rows come in Export's order. In file names, characters of the model
// other than letters, digits, '.', '-' and '_' become '_'. manifest.json
// (NPYManifest) lists the spaces and their files, and is written last.
//
// Each file is written under a temporary name and renamed into place
// once every file is complete: a failed export leaves dir as it was.
// Files of spaces this export does not hold are left alone. The snapshot
// rules are Export's. Stats.Files lists the files written.
func (db *DB) ExportNPY(ctx context.Context, dir string, opts ExportOptions) (ExportStats, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ExportStats{}, fmt.Errorf("export: %w", err)
	}
	sink := &npySink{dir: dir, spaces: map[ingest.Space]*npySpace{}, names: map[string]bool{}}
	defer sink.abort()
	st, err := db.export(ctx, opts, sink)
	if err != nil {
		return st, err
	}
	if st.Files, err = sink.commit(); err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	return st, nil
}

// npySink writes a matrix and a sidecar per space.
type npySink struct {
	dir    string
	spaces map[ingest.Space]*npySpace
	order  []*npySpace
	names  map[string]bool // base names taken
	seg    ingest.Segment
	line   []byte
}

// npySpace is one space's files, under their temporary names.
type npySpace struct {
	NPYSpace
	vectors, rows *atomicfile.File
	npy           *ingest.NPYWriter
	side          *bufio.Writer
}

func (n *npySink) begin([]ingest.Space) error { return nil }

func (n *npySink) video(*sqlite.Video) error { return nil }

func (n *npySink) segment(s *sqlite.Segment, _ *sqlite.Video) error {
	key := ingest.Space{Model: s.Model, Dim: len(s.Vector)}
	sp := n.spaces[key]
	if sp == nil {
		var err error
		if sp, err = n.open(key); err != nil {
			return err
		}
	}
	n.seg = ingestSegment(s)
	n.line = ingest.AppendRowLine(n.line[:0], sp.npy.Rows(), s.ID, &n.seg)
	if err := sp.npy.Write(s.Vector); err != nil {
		return fmt.Errorf("%s: %w", sp.Vectors, err)
	}
	if _, err := sp.side.Write(n.line); err != nil {
		return fmt.Errorf("write %s: %w", sp.RowsFile, err)
	}
	return nil
}

// open starts the files of a space.
func (n *npySink) open(key ingest.Space) (*npySpace, error) {
	base := fileSafe(key.Model) + "_" + strconv.Itoa(key.Dim)
	for i := 2; n.names[base]; i++ {
		base = fmt.Sprintf("%s_%d-%d", fileSafe(key.Model), key.Dim, i)
	}
	n.names[base] = true
	sp := &npySpace{NPYSpace: NPYSpace{Model: key.Model, Dim: key.Dim, Vectors: base + ".npy", RowsFile: base + ".jsonl"}}
	n.spaces[key] = sp
	n.order = append(n.order, sp)
	var err error
	if sp.vectors, err = atomicfile.Create(filepath.Join(n.dir, sp.Vectors)); err != nil {
		return nil, err
	}
	if sp.rows, err = atomicfile.Create(filepath.Join(n.dir, sp.RowsFile)); err != nil {
		return nil, err
	}
	if sp.npy, err = ingest.NewNPYWriter(sp.vectors, key.Dim); err != nil {
		return nil, fmt.Errorf("%s: %w", sp.Vectors, err)
	}
	sp.side = bufio.NewWriterSize(sp.rows, 1<<18)
	return sp, nil
}

// fileSafe is s with every character but ASCII letters, digits, '.', '-'
// and '_' replaced by '_', and no leading '.'.
func fileSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' && i > 0
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

func (n *npySink) end() error {
	for _, sp := range n.order {
		if err := sp.npy.Close(); err != nil {
			return fmt.Errorf("%s: %w", sp.Vectors, err)
		}
		if err := sp.side.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", sp.RowsFile, err)
		}
		sp.Rows = sp.npy.Rows()
	}
	return nil
}

// commit renames every file into place, then writes the manifest, and
// returns their paths.
func (n *npySink) commit() ([]string, error) {
	slices.SortFunc(n.order, func(a, b *npySpace) int { return cmp.Or(strings.Compare(a.Model, b.Model), a.Dim-b.Dim) })
	manifest := struct {
		Format  string     `json:"format"`
		Version int        `json:"version"`
		Spaces  []NPYSpace `json:"spaces"`
	}{Format: "clipvec-npy", Version: 1, Spaces: []NPYSpace{}}
	var files []string
	for _, sp := range n.order {
		for _, f := range []*atomicfile.File{sp.vectors, sp.rows} {
			if err := f.Commit(); err != nil {
				return files, err
			}
		}
		files = append(files, filepath.Join(n.dir, sp.Vectors), filepath.Join(n.dir, sp.RowsFile))
		manifest.Spaces = append(manifest.Spaces, sp.NPYSpace)
	}
	path := filepath.Join(n.dir, NPYManifest)
	err := atomicfile.Write(path, func(w io.Writer) error {
		b, err := json.MarshalIndent(manifest, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return files, err
	}
	return append(files, path), nil
}

// abort throws away the files not committed.
func (n *npySink) abort() {
	for _, sp := range n.order {
		for _, f := range []*atomicfile.File{sp.vectors, sp.rows} {
			if f != nil {
				f.Abort()
			}
		}
	}
}
