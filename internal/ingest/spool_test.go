package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

type keep struct{ segs []Segment }

func (k *keep) Segment(s *Segment) error {
	c := *s
	c.Vector = append([]float32(nil), s.Vector...)
	k.segs = append(k.segs, c)
	return nil
}
func (k *keep) Video(*Video) error { return nil }

// An embed-v2 response is spooled until its metadata is known; past
// spoolMemory the spool spills to disk and must replay the same segments.
func TestSpoolSpillsToDisk(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"_id":"t","status":"ready","data":[`)
	for i := 0; i < 300; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"embedding":[%d,1,2,3,4,5,6,7],"embedding_option":"visual","embedding_scope":"clip","start_sec":%d,"end_sec":%d}`, i+1, i, i+1)
	}
	b.WriteString(`],"metadata":{"embedding_dimension":8}}`)
	decode := func() []Segment {
		k := &keep{}
		if _, err := Decode(context.Background(), strings.NewReader(b.String()), Options{Name: "v2.json"}, k); err != nil {
			t.Fatal(err)
		}
		return k.segs
	}
	inMemory := decode()
	old := spoolMemory
	spoolMemory = 1000
	defer func() { spoolMemory = old }()
	spilled := decode()
	if len(inMemory) != 300 || len(spilled) != 300 {
		t.Fatalf("%d and %d segments, want 300", len(inMemory), len(spilled))
	}
	for i := range spilled {
		a, c := inMemory[i], spilled[i]
		if a.Start != float64(i) || a.Model != "marengo3.5" || fmt.Sprint(a) != fmt.Sprint(c) {
			t.Fatalf("segment %d: %+v vs %+v", i, a, c)
		}
	}
}
