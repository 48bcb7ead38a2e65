package ingest_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
)

// splitReader hands out its input in the pieces given, one a Read.
type splitReader struct{ parts []string }

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.parts[0])
	if r.parts[0] = r.parts[0][n:]; r.parts[0] == "" {
		r.parts = r.parts[1:]
	}
	return n, nil
}

// A key whose closing quote is the last byte read so far keeps its
// name when the colon comes with the next read. It did not: the key was
// read in place, the next read moved the buffer, and an export of 100k
// segments failed to import at line 61573 ("segment record has no
// embedding").
func TestKeyAtEndOfRead(t *testing.T) {
	body := `{"type":"header","format":"clipvec","version":1}` + "\n" +
		`{"video_id":"v","model_name":"m","start_sec":0,"end_sec":6,"embedding":[0.6,0.8]}` + "\n"
	for _, key := range []string{`"video_id"`, `"model_name"`, `"start_sec"`, `"embedding"`} {
		t.Run(strings.Trim(key, `"`), func(t *testing.T) {
			cut := strings.Index(body, key) + len(key)
			c := &collector{}
			st, err := ingest.Decode(context.Background(), &splitReader{parts: []string{body[:cut], body[cut:]}}, ingest.Options{Name: "split.jsonl"}, c)
			if err != nil || st.Segments != 1 {
				t.Fatalf("%d segments, %v", st.Segments, err)
			}
			if s := c.segs[0]; s.VideoID != "v" || s.Model != "m" || s.End != 6 || len(s.Vector) != 2 {
				t.Errorf("segment %+v", s)
			}
		})
	}
}
