// Package faults tries clipvec the way its worst days would: it runs the
// clipvec binary's writing commands (import, delete, index build, index
// compact) and SIGKILLs them at random moments, runs them beside other
// clipvec processes (readers that open the database over and over, a
// second import), and after every trial checks the database and the
// searches against SQLite itself, read directly, not through clipvec:
//
//   - the file is intact (PRAGMA integrity_check);
//   - a killed write left all of its transaction or none of it: every
//     video an import or delete touched is exactly as before, or exactly
//     as the command meant to leave it, all together; nothing else moved;
//   - an exact search returns the brute-force top k of the vectors SQLite
//     holds (scores within 1e-4), and a graph search returns only segments
//     SQLite holds and counts every one of them;
//   - index status shows no stale or unreadable snapshot.
//
// cmd/faultstress runs it at scale; the package's test runs a few trials
// of each kind in CI.
package faults

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3" // the checks read the store directly
)

// Config says what to run.
type Config struct {
	// Binary is a built clipvec.
	Binary string
	// Dir holds the database and the files written for it (it must
	// exist; it is not removed).
	Dir string
	// Kills is how many SIGKILL trials to run, spread over the four
	// writing commands.
	Kills int
	// Concurrent is how many writing commands to run to completion while
	// reader processes (stats, search, index status) open the database
	// in a loop; every one must succeed.
	Concurrent int
	// Videos and Clips size the database the trials start from; Dim is
	// the vectors' dimension.
	Videos, Clips, Dim int
	Seed               uint64
	// Log receives a line per trial (nil: none).
	Log io.Writer
}

// Report is what a run saw.
type Report struct {
	Kills      map[string]int `json:"kills"`       // trials killed, by command
	Finished   map[string]int `json:"finished"`    // trials that ended before their kill, by command
	Concurrent map[string]int `json:"concurrent"`  // commands run beside readers, by command
	ReaderRuns int            `json:"reader_runs"` // reader processes run beside them
	Checks     int            `json:"checks"`      // store and search checks passed
	Segments   int            `json:"segments"`    // segments in the database at the end
	Elapsed    time.Duration  `json:"elapsed_ns"`
}

// Run runs the trials. The first failed check ends it with an error that
// says which trial, what was killed when, and what was wrong.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	h := &harness{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 8)), db: filepath.Join(cfg.Dir, "stress.db"),
		rep:     &Report{Kills: map[string]int{}, Finished: map[string]int{}, Concurrent: map[string]int{}},
		typical: map[string]time.Duration{}}
	start := time.Now()
	if err := h.setUp(ctx); err != nil {
		return nil, err
	}
	ops := []string{"import", "delete", "build", "compact"}
	// Until Kills commands were killed: one that finishes first (the
	// first of each, and any quicker than its kill) does not count.
	for i := 0; h.kills() < cfg.Kills && i < 4*cfg.Kills+len(ops); i++ {
		if err := ctx.Err(); err != nil {
			return h.rep, err
		}
		op := ops[i%len(ops)]
		if err := h.killTrial(ctx, i, op); err != nil {
			return h.rep, fmt.Errorf("kill trial %d (%s): %w", i, op, err)
		}
	}
	for i := 0; i < cfg.Concurrent; i++ {
		op := ops[i%len(ops)]
		if i%5 == 4 {
			op = "two imports"
		}
		if err := h.concurrentTrial(ctx, i, op); err != nil {
			return h.rep, fmt.Errorf("concurrent trial %d (%s): %w", i, op, err)
		}
	}
	st, err := h.readStore(ctx)
	if err != nil {
		return h.rep, err
	}
	h.rep.Segments = len(st.segs)
	h.rep.Elapsed = time.Since(start)
	return h.rep, nil
}

func (h *harness) kills() int {
	n := 0
	for _, k := range h.rep.Kills {
		n += k
	}
	return n
}

type harness struct {
	cfg     Config
	rng     *rand.Rand
	db      string
	rep     *Report
	files   int
	nextVid int
	// typical is how long each command took the last time it ran to the
	// end: the kills land uniformly in [0, typical).
	typical map[string]time.Duration
}

func (h *harness) logf(format string, args ...any) {
	if h.cfg.Log != nil {
		fmt.Fprintf(h.cfg.Log, format+"\n", args...)
	}
}

// clipvec runs the binary on the database to the end.
func (h *harness) clipvec(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, h.cfg.Binary, append([]string{"--db", h.db}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if err != nil {
		err = fmt.Errorf("clipvec %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), errb.String(), err
}

func (h *harness) setUp(ctx context.Context) error {
	var files []string
	for i := 0; i < 4; i++ {
		f, _, err := h.writeFile(h.cfg.Videos/4, nil)
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	// Small graph parameters: the kills need builds that take long
	// enough to be interrupted, not production recall.
	if _, _, err := h.clipvec(ctx, append([]string{"import", "--quiet"}, files...)...); err != nil {
		return err
	}
	return h.check(ctx, "set-up")
}

// writeFile writes a clipvec JSONL file of n new videos plus the given
// existing ones (whose segments it replaces: new vectors, same times) and
// returns its path and the videos it holds.
func (h *harness) writeFile(n int, replace []string) (string, []string, error) {
	var b strings.Builder
	var vids []string
	for i := 0; i < n; i++ {
		vids = append(vids, fmt.Sprintf("video-%06d", h.nextVid))
		h.nextVid++
	}
	vids = append(vids, replace...)
	for _, v := range vids {
		fmt.Fprintf(&b, `{"type":"video","video_id":%q,"filename":"%s.mp4","duration":%d}`+"\n", v, v, 6*h.cfg.Clips)
		for c := 0; c < h.cfg.Clips; c++ {
			fmt.Fprintf(&b, `{"video_id":%q,"model_name":"stress","embedding_option":"visual","embedding_scope":"clip","start_sec":%d,"end_sec":%d,"embedding":[`,
				v, 6*c, 6*c+6)
			for d := 0; d < h.cfg.Dim; d++ {
				if d > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "%.6g", h.rng.NormFloat64())
			}
			b.WriteString("]}\n")
		}
	}
	path := filepath.Join(h.cfg.Dir, fmt.Sprintf("f%04d.jsonl", h.files))
	h.files++
	return path, vids, os.WriteFile(path, []byte(b.String()), 0o644)
}

// fileVectors reads back the unit vectors a file holds, by segment key.
func fileVectors(path string) (map[string][]float32, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string][]float32{}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var r struct {
			Type      string    `json:"type"`
			VideoID   string    `json:"video_id"`
			Start     float64   `json:"start_sec"`
			End       float64   `json:"end_sec"`
			Embedding []float32 `json:"embedding"`
		}
		if len(line) == 0 || json.Unmarshal(line, &r) != nil || r.Type == "video" {
			continue
		}
		out[segKey(r.VideoID, r.Start, r.End)] = unit(r.Embedding)
	}
	return out, nil
}

func segKey(video string, start, end float64) string {
	return fmt.Sprintf("%s@%g-%g", video, start, end)
}

func unit(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / math.Sqrt(n))
	}
	return out
}

// store is what SQLite holds, read directly.
type store struct {
	segs   map[string]storedSeg // by segKey
	byID   map[int64]string     // segment id → segKey
	videos map[string][]string  // video → its segment keys
}

type storedSeg struct {
	id    int64
	video string
	vec   []float32
}

func (h *harness) readStore(ctx context.Context) (*store, error) {
	db, err := sql.Open("sqlite3", "file:"+h.db+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		return nil, fmt.Errorf("integrity check: %q %v", ok, err)
	}
	rows, err := db.QueryContext(ctx, `SELECT s.id, v.video_id, s.start_sec, s.end_sec, s.vector FROM segments s JOIN videos v ON v.id = s.video`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := &store{segs: map[string]storedSeg{}, byID: map[int64]string{}, videos: map[string][]string{}}
	for rows.Next() {
		var s storedSeg
		var start, end float64
		var blob []byte
		if err := rows.Scan(&s.id, &s.video, &start, &end, &blob); err != nil {
			return nil, err
		}
		s.vec = make([]float32, len(blob)/4)
		for i := range s.vec {
			s.vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(blob[4*i:]))
		}
		k := segKey(s.video, start, end)
		st.segs[k] = s
		st.byID[s.id] = k
		st.videos[s.video] = append(st.videos[s.video], k)
	}
	return st, rows.Err()
}

// videoState says whether a video in st is exactly as in before ("old"),
// holds exactly the given vectors ("new"), or neither.
func videoState(st, before *store, video string, want map[string][]float32) string {
	same := func(a, b []float32) bool {
		var dot float64
		for i := range a {
			dot += float64(a[i]) * float64(b[i])
		}
		return len(a) == len(b) && dot > 0.99999
	}
	old := len(st.videos[video]) == len(before.videos[video])
	for _, k := range st.videos[video] {
		b, ok := before.segs[k]
		old = old && ok && b.id == st.segs[k].id && slices.Equal(b.vec, st.segs[k].vec)
	}
	if old {
		return "old"
	}
	n := 0
	for k, v := range want {
		if !strings.HasPrefix(k, video+"@") {
			continue
		}
		n++
		s, ok := st.segs[k]
		if !ok || !same(s.vec, v) {
			return fmt.Sprintf("neither (segment %s: in store %v)", k, ok)
		}
	}
	if n == len(st.videos[video]) && n > 0 || n == 0 && len(st.videos[video]) == 0 {
		return "new"
	}
	return fmt.Sprintf("neither (%d segments, want %d or %d)", len(st.videos[video]), len(before.videos[video]), n)
}

// checkWrite checks that a write that may have been killed left all or
// nothing: every touched video old, or every one new; the rest old.
func checkWrite(before, after *store, touched []string, want map[string][]float32) (string, error) {
	states := map[string]int{}
	for _, v := range touched {
		s := videoState(after, before, v, want)
		if s != "old" && s != "new" {
			return "", fmt.Errorf("video %s is %s", v, s)
		}
		states[s]++
	}
	if len(states) > 1 {
		return "", fmt.Errorf("half a transaction: %d videos old, %d new", states["old"], states["new"])
	}
	touchedSet := map[string]bool{}
	for _, v := range touched {
		touchedSet[v] = true
	}
	for v := range before.videos {
		if !touchedSet[v] && videoState(after, before, v, nil) != "old" {
			return "", fmt.Errorf("video %s changed, and the command did not touch it", v)
		}
	}
	for v := range after.videos {
		if _, ok := before.videos[v]; !ok && !touchedSet[v] {
			return "", fmt.Errorf("video %s appeared, and the command did not write it", v)
		}
	}
	for s := range states {
		return s, nil
	}
	return "old", nil
}

// check compares clipvec's searches and index status with the store.
func (h *harness) check(ctx context.Context, trial string) error {
	st, err := h.readStore(ctx)
	if err != nil {
		return err
	}
	if len(st.segs) == 0 {
		return nil
	}
	for q := 0; q < 2; q++ {
		query := make([]float32, h.cfg.Dim)
		for i := range query {
			query[i] = float32(h.rng.NormFloat64())
		}
		qpath := filepath.Join(h.cfg.Dir, "query.json")
		qb, _ := json.Marshal(query)
		if err := os.WriteFile(qpath, qb, 0o644); err != nil {
			return err
		}
		uq := unit(query)
		type scored struct {
			id    int64
			score float64
		}
		var truth []scored
		for _, s := range st.segs {
			var dot float64
			for i := range uq {
				dot += float64(uq[i]) * float64(s.vec[i])
			}
			truth = append(truth, scored{s.id, dot})
		}
		slices.SortFunc(truth, func(a, b scored) int {
			if a.score > b.score {
				return -1
			}
			if a.score < b.score {
				return 1
			}
			return 0
		})
		const k = 10
		for _, mode := range [][]string{{"--exact"}, {"--ef", "256"}} {
			out, _, err := h.clipvec(ctx, append([]string{"search", "--vector", qpath, "-k", fmt.Sprint(k), "--json"}, mode...)...)
			if err != nil {
				return err
			}
			var res struct {
				Space struct {
					Segments int `json:"segments"`
				} `json:"space"`
				Searched int `json:"searched"`
				Hits     []struct {
					ID    int64   `json:"segment_id"`
					Score float64 `json:"score"`
				} `json:"hits"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				return fmt.Errorf("search %v: %w", mode, err)
			}
			if res.Space.Segments != len(st.segs) {
				return fmt.Errorf("search %v: the space has %d segments; SQLite holds %d", mode, res.Space.Segments, len(st.segs))
			}
			if mode[0] == "--exact" && res.Searched != len(st.segs) {
				return fmt.Errorf("search %v compared %d segments; SQLite holds %d", mode, res.Searched, len(st.segs))
			}
			if len(res.Hits) != min(k, len(st.segs)) {
				return fmt.Errorf("search %v: %d hits", mode, len(res.Hits))
			}
			for i, hit := range res.Hits {
				if _, ok := st.byID[hit.ID]; !ok {
					return fmt.Errorf("search %v returned segment %d, which SQLite does not hold", mode, hit.ID)
				}
				if mode[0] == "--exact" && math.Abs(hit.Score-truth[i].score) > 1e-4 {
					return fmt.Errorf("exact search: hit %d scores %.5f; SQLite's top %d has %.5f there", i, hit.Score, k, truth[i].score)
				}
			}
			h.rep.Checks++
		}
	}
	out, _, err := h.clipvec(ctx, "index", "status", "--json")
	if err != nil {
		return err
	}
	var status struct {
		Spaces []struct {
			State   string `json:"state"`
			Problem string `json:"problem"`
		} `json:"spaces"`
	}
	if err := json.Unmarshal([]byte(out), &status); err != nil {
		return fmt.Errorf("index status: %w", err)
	}
	for _, s := range status.Spaces {
		if s.State == "stale" || s.State == "unreadable" {
			return fmt.Errorf("index status after %s: %s: %s", trial, s.State, s.Problem)
		}
	}
	h.rep.Checks++
	return nil
}

// prepared is a writing command ready to run, with what it touches.
type prepared struct {
	args    []string
	touched []string
	want    map[string][]float32 // the touched videos' vectors after it
}

func (h *harness) prepare(op string, before *store) (*prepared, error) {
	videos := make([]string, 0, len(before.videos))
	for v := range before.videos {
		videos = append(videos, v)
	}
	slices.Sort(videos)
	h.rng.Shuffle(len(videos), func(i, j int) { videos[i], videos[j] = videos[j], videos[i] })
	switch op {
	case "import":
		// New videos, and replacements of existing ones.
		path, touched, err := h.writeFile(h.cfg.Videos/8, videos[:min(len(videos), h.cfg.Videos/16)])
		if err != nil {
			return nil, err
		}
		want, err := fileVectors(path)
		if err != nil {
			return nil, err
		}
		return &prepared{args: []string{"import", "--quiet", path}, touched: touched, want: want}, nil
	case "delete":
		n := min(40, len(videos)/4)
		return &prepared{args: append([]string{"delete"}, videos[:n]...), touched: videos[:n], want: map[string][]float32{}}, nil
	case "build":
		// A new M each time: a killed build must not leave it stored
		// without the graph built with it.
		return &prepared{args: []string{"index", "build", "-m", fmt.Sprint(6 + 2*h.rng.IntN(4)), "--ef-construction", "40"}}, nil
	case "compact":
		return &prepared{args: []string{"index", "compact"}}, nil
	}
	return nil, fmt.Errorf("unknown command %q", op)
}

// killTrial runs one command and SIGKILLs it after a random delay.
func (h *harness) killTrial(ctx context.Context, i int, op string) error {
	before, err := h.readStore(ctx)
	if err != nil {
		return err
	}
	if op == "delete" && len(before.videos) < h.cfg.Videos/2 {
		op = "import" // keep the database from emptying
	}
	p, err := h.prepare(op, before)
	if err != nil {
		return err
	}
	typical, calibrated := h.typical[op]
	var delay time.Duration
	if calibrated {
		delay = time.Duration(h.rng.Float64() * float64(typical))
	}
	cmd := exec.CommandContext(ctx, h.cfg.Binary, append([]string{"--db", h.db}, p.args...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	killed := false
	var runErr error
	if !calibrated {
		runErr = <-done // the first of each runs to the end, and times it
		h.typical[op] = time.Since(start)
	} else {
		select {
		case runErr = <-done:
			h.typical[op] = time.Since(start)
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			killed = true
		}
	}
	if !killed && runErr != nil {
		return fmt.Errorf("clipvec %s: %v: %s", strings.Join(p.args, " "), runErr, errb.String())
	}
	after, err := h.readStore(ctx)
	if err != nil {
		return err
	}
	outcome := "-"
	if p.want != nil {
		if outcome, err = checkWrite(before, after, p.touched, p.want); err != nil {
			return fmt.Errorf("killed %v after %v: %w", killed, delay, err)
		}
		if !killed && outcome != "new" {
			return fmt.Errorf("the command finished, and its write is not there")
		}
	}
	h.rep.Checks++
	if killed {
		h.rep.Kills[op]++
	} else {
		h.rep.Finished[op]++
	}
	h.logf("trial %3d %-8s killed %-5v at %6.0f ms (typical %5.0f ms): write %s, %d segments", i, op, killed,
		float64(delay)/1e6, float64(h.typical[op])/1e6, outcome, len(after.segs))
	return h.check(ctx, fmt.Sprintf("trial %d (%s)", i, op))
}

// concurrentTrial runs a command to the end while reader processes open
// the database in a loop; the command and every reader must succeed.
func (h *harness) concurrentTrial(ctx context.Context, i int, op string) error {
	before, err := h.readStore(ctx)
	if err != nil {
		return err
	}
	var cmds []*prepared
	if op == "two imports" {
		// New videos only, so the two do not overlap; checked together.
		both := &prepared{want: map[string][]float32{}}
		for j := 0; j < 2; j++ {
			path, touched, err := h.writeFile(h.cfg.Videos/8, nil)
			if err != nil {
				return err
			}
			want, err := fileVectors(path)
			if err != nil {
				return err
			}
			cmds = append(cmds, &prepared{args: []string{"import", "--quiet", path}})
			both.touched = append(both.touched, touched...)
			maps.Copy(both.want, want)
		}
		cmds[0].touched, cmds[0].want = both.touched, both.want
	} else {
		p, err := h.prepare(op, before)
		if err != nil {
			return err
		}
		cmds = append(cmds, p)
	}
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var readerErr error
	readers := 0
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			args := [][]string{{"stats"}, {"index", "status"}, {"videos"}}[r]
			for rctx.Err() == nil {
				_, _, err := h.clipvec(context.Background(), args...)
				mu.Lock()
				readers++
				if err != nil && readerErr == nil {
					readerErr = err
				}
				mu.Unlock()
			}
		}(r)
	}
	errs := make([]error, len(cmds))
	var cw sync.WaitGroup
	for j, p := range cmds {
		cw.Add(1)
		go func() {
			defer cw.Done()
			_, _, errs[j] = h.clipvec(ctx, p.args...)
		}()
	}
	cw.Wait()
	stop()
	wg.Wait()
	if err := errors.Join(append(errs, readerErr)...); err != nil {
		return err
	}
	after, err := h.readStore(ctx)
	if err != nil {
		return err
	}
	for _, p := range cmds {
		if p.want == nil {
			continue
		}
		if outcome, err := checkWrite(before, after, p.touched, p.want); err != nil || outcome != "new" {
			return fmt.Errorf("after %s beside readers: %s %v", strings.Join(p.args[:1], " "), outcome, err)
		}
	}
	h.rep.Concurrent[op]++
	h.rep.ReaderRuns += readers
	h.logf("concurrent %2d %-11s ok beside %d reader runs, %d segments", i, op, readers, len(after.segs))
	return h.check(ctx, fmt.Sprintf("concurrent trial %d (%s)", i, op))
}
