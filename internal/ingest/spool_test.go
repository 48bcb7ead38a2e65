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

// A Stage hands back exactly what it was handed, in order, from memory
// and once spilled to disk; Replay empties it for the next input.
func TestStageReplaysInOrder(t *testing.T) {
	body := `{"type":"video","video_id":"v1","filename":"a.mp4","duration":12,"fps":30,"width":640,"height":360,"user_metadata":{"k":[1,"x"]},"thumbnail_url":"https://s/v1.jpg"}
{"video_id":"v1","model_name":"m","embedding_option":"visual","embedding_scope":"clip","start_sec":0,"end_sec":6,"source_kind":"embed-task-v1","source_id":"t1","norm":2,"embedding":[0.6,0.8]}
{"type":"video","video_id":"v2","thumbnail_url":"data:image/svg+xml,%3Csvg/%3E"}
{"type":"video","video_id":"v4"}
{"video_id":"v2","model_name":"m","embedding_option":"audio","start_sec":6,"end_sec":12,"embedding":[3,4]}
`
	for i := 0; i < 300; i++ {
		body += fmt.Sprintf(`{"video_id":"v3","model_name":"m","start_sec":%d,"end_sec":%d,"embedding":[%d,1]}`+"\n", i, i+1, i+1)
	}
	direct := &trace{}
	if _, err := Decode(context.Background(), strings.NewReader(body), Options{Name: "s.jsonl"}, direct); err != nil {
		t.Fatal(err)
	}
	for _, spill := range []bool{false, true} {
		t.Run(fmt.Sprintf("spill=%v", spill), func(t *testing.T) {
			if spill {
				old := stageMemory
				stageMemory = 1000
				defer func() { stageMemory = old }()
			}
			var st Stage
			defer st.Close()
			if _, err := Decode(context.Background(), strings.NewReader(body), Options{Name: "s.jsonl"}, &st); err != nil {
				t.Fatal(err)
			}
			if got := st.sp.f != nil; got != spill {
				t.Fatalf("spilled to disk: %v, want %v", got, spill)
			}
			replayed := &trace{}
			if err := st.Replay(replayed); err != nil {
				t.Fatal(err)
			}
			if len(replayed.items) != 305 || strings.Join(replayed.items, "\n") != strings.Join(direct.items, "\n") {
				t.Fatalf("replayed %d items, decoded %d; first difference:\n%s", len(replayed.items), len(direct.items), firstDiff(replayed.items, direct.items))
			}
			again := &trace{}
			if err := st.Replay(again); err != nil || len(again.items) != 0 {
				t.Fatalf("a second Replay: %d items, %v; want none", len(again.items), err)
			}
		})
	}
}

// trace renders everything a Handler is handed, record names included.
type trace struct{ items []string }

func (tr *trace) Segment(s *Segment) error {
	tr.items = append(tr.items, fmt.Sprintf("%s %+v", s.Record(), *s))
	return nil
}

func (tr *trace) Video(v *Video) error {
	tr.items = append(tr.items, fmt.Sprintf("video %+v %s", *v, v.UserMetadata))
	return nil
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + "\n" + b[i]
		}
	}
	return "(one is a prefix of the other)"
}
