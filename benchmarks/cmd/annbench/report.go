package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clipvec/clipvec/benchmarks/ann"
	"github.com/clipvec/clipvec/internal/vecmath"
)

type machineInfo struct {
	CPUs       int    `json:"cpus"`
	CPU        string `json:"cpu"`
	Go         string `json:"go"`
	SIMD       bool   `json:"simd"`
	Commit     string `json:"commit,omitempty"`
	Date       string `json:"date"`
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

func describeMachine() machineInfo {
	m := machineInfo{
		CPUs: runtime.NumCPU(), Go: runtime.Version(), SIMD: vecmath.Accelerated(),
		Date: time.Now().Format(time.DateOnly), LoadBefore: ann.LoadAvg(),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if out, err := exec.Command("git", "status", "--porcelain", "--", "internal/hnsw").Output(); err == nil && len(out) > 0 {
			m.Commit += " (internal/hnsw modified)"
		}
	}
	return m
}

// report is the result of one dataset: printed, written as JSON and
// plotted.
type report struct {
	Command        string          `json:"command"`
	Machine        machineInfo     `json:"machine"`
	Dataset        datasetInfo     `json:"dataset"`
	K              int             `json:"k"`
	M              int             `json:"m"`
	EfConstruction int             `json:"ef_construction"`
	Efs            []int           `json:"efs"`
	Threads        int             `json:"threads"`
	Target         float64         `json:"target_recall"`
	Runs           int             `json:"runs"`
	ExactQueries   int             `json:"exact_queries"`
	Methods        []*methodResult `json:"methods"`
	AtTarget       []atTarget      `json:"qps_at_target_recall"`
	Ratios         ratios          `json:"ratios"`

	files []string
}

// atTarget is a method's QPS at the target recall, interpolated.
type atTarget struct {
	Method    string  `json:"method"`
	QPS       float64 `json:"qps"`
	Crossing  string  `json:"crossing"`
	MaxRecall float64 `json:"max_recall"`
}

// ratioPeers are the methods clipvec is compared with, the headline
// peer first: hnswlib compiled for this machine.
var ratioPeers = []string{"hnswlib-native", "hnswlib", "faiss-hnsw", "faiss-hnsw-sq8"}

type ratios struct {
	// QPS and Build are the headline: clipvec over hnswlib-native, QPS at
	// the target recall and build throughput on all threads; 0 when
	// either is missing (the peer's entry in Peers says why).
	QPS   float64 `json:"clipvec_over_hnswlib_native_qps_at_target,omitempty"`
	Build float64 `json:"clipvec_over_hnswlib_native_build_all_threads,omitempty"`
	// Peers compares clipvec with each peer of ratioPeers in the report.
	Peers []peerRatio `json:"peers,omitempty"`
	// RecallEf10 is the calibration check: hnswlib's recall@k at ef=10,
	// by method (hnswlib-native and hnswlib).
	RecallEf10 map[string]float64 `json:"recall_at_ef10,omitempty"`
}

// peerRatio is clipvec over one peer. Every ratio is clipvec's figure over
// the peer's, so above 1 is clipvec ahead.
type peerRatio struct {
	Peer string `json:"peer"`
	// QPS is the ratio of QPS at the target recall; 0 when either curve
	// does not cross it (QPSNote says why).
	QPS     float64 `json:"qps_at_target,omitempty"`
	QPSNote string  `json:"qps_note,omitempty"`
	// Build and Build1 are the ratios of build throughput (vectors per
	// second) on all threads and on one.
	Build  float64 `json:"build_all_threads,omitempty"`
	Build1 float64 `json:"build_1_thread,omitempty"`
	// BuildCPU and Build1CPU compare vectors per CPU second instead: less
	// sensitive to other tenants taking cores away mid-build.
	BuildCPU  float64 `json:"build_all_threads_by_cpu,omitempty"`
	Build1CPU float64 `json:"build_1_thread_by_cpu,omitempty"`
	BuildNote string  `json:"build_note,omitempty"`
}

func (r *report) method(name string) *methodResult {
	for _, m := range r.Methods {
		if m.Method == name && m.Error == "" && m.Skipped == "" {
			return m
		}
	}
	return nil
}

func curve(m *methodResult) []ann.Point {
	var c []ann.Point
	for _, p := range m.Points {
		c = append(c, ann.Point{Ef: p.Ef, Recall: p.Recall, QPS: p.QPS})
	}
	return c
}

// finish computes each method's QPS at the target recall and the ratios.
func (r *report) finish() {
	qps := map[string]float64{}
	cross := map[string]ann.Crossing{}
	for _, m := range r.Methods {
		if m.Error != "" || m.Skipped != "" || m.Method == "exact" || len(m.Points) == 0 {
			continue
		}
		q, c := ann.QPSAtRecall(curve(m), r.Target)
		best := 0.0
		for _, p := range m.Points {
			best = math.Max(best, p.Recall)
		}
		r.AtTarget = append(r.AtTarget, atTarget{Method: m.Method, QPS: q, Crossing: c.String(), MaxRecall: best})
		qps[m.Method], cross[m.Method] = q, c
	}
	cv := r.method("clipvec")
	for _, name := range ratioPeers {
		var m *methodResult
		for _, x := range r.Methods {
			if x.Method == name {
				m = x
			}
		}
		if m == nil {
			continue
		}
		pr := peerRatio{Peer: name}
		pm := r.method(name)
		switch {
		case cv == nil:
			pr.QPSNote, pr.BuildNote = "clipvec did not run", "clipvec did not run"
		case pm == nil:
			pr.QPSNote = name + " did not run"
			pr.BuildNote = pr.QPSNote
		default:
			pr.QPS, pr.QPSNote = qpsRatio(qps, cross, name)
			pr.Build = ratio(cv.BuildAllPerSec, pm.BuildAllPerSec)
			pr.Build1 = ratio(cv.Build1PerSec, pm.Build1PerSec)
			// Vectors per CPU second: the peer's CPU seconds over clipvec's.
			pr.BuildCPU = ratio(pm.BuildAllCPU, cv.BuildAllCPU)
			pr.Build1CPU = ratio(pm.Build1CPU, cv.Build1CPU)
		}
		r.Ratios.Peers = append(r.Ratios.Peers, pr)
		if name == "hnswlib-native" {
			r.Ratios.QPS, r.Ratios.Build = pr.QPS, pr.Build
		}
		if pm != nil && (name == "hnswlib" || name == "hnswlib-native") {
			for _, p := range pm.Points {
				if p.Ef == 10 {
					if r.Ratios.RecallEf10 == nil {
						r.Ratios.RecallEf10 = map[string]float64{}
					}
					r.Ratios.RecallEf10[name] = p.Recall
				}
			}
		}
	}
}

// qpsRatio is clipvec's QPS at the target recall over peer's, with a note
// when either curve does not cross the target (0 when either never
// reaches it).
func qpsRatio(qps map[string]float64, cross map[string]ann.Crossing, peer string) (float64, string) {
	c, okc := cross["clipvec"]
	p, okp := cross[peer]
	if !okc || !okp {
		return 0, "no recall–QPS curve"
	}
	if c == ann.Reached && p == ann.Reached {
		return ratio(qps["clipvec"], qps[peer]), ""
	}
	note := fmt.Sprintf("clipvec's curve: %s; %s's: %s", c, peer, p)
	if c == ann.Never || p == ann.Never {
		return 0, note
	}
	return ratio(qps["clipvec"], qps[peer]), note + " (a first point above the target gives a lower bound of that method's QPS)"
}

// ratio is a / b, or 0 when either is missing.
func ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}

func (r *report) printText(w io.Writer) {
	d := r.Dataset
	fmt.Fprintf(w, "\n== %s: %s × %d, %s queries, k=%d, M=%d, efConstruction=%d, %d threads\n",
		d.Name, commas(float64(d.N)), d.Dim, commas(float64(d.Queries)), r.K, r.M, r.EfConstruction, r.Threads)
	if d.Params != nil {
		p, _ := json.Marshal(d.Params)
		fmt.Fprintf(w, "data: %s, seed %d, %d videos (%s clip-scope + %s video-scope vectors), %s\n",
			d.Generator, d.Params.Seed, d.Params.Videos, commas(float64(d.ClipSegments)), commas(float64(d.VideoSegments)), d.QueryKind)
		fmt.Fprintf(w, "params: %s\n", p)
	}
	if d.Provenance != nil {
		fmt.Fprintf(w, "data: %s\n", d.Provenance.summary())
	}
	fmt.Fprintf(w, "files: %s, %s, %s\n", d.BasePath, d.QueryPath, d.GTPath)
	fmt.Fprintf(w, "machine: %d × %s, %s, load average %s before, %s after\n", r.Machine.CPUs, r.Machine.CPU, r.Machine.Go, r.Machine.LoadBefore, r.Machine.LoadAfter)
	fmt.Fprintf(w, "QPS: one thread, best of %d runs of the queries per ef\n\n", r.Runs)

	t := [][]string{{"method", "ef", "recall@" + fmt.Sprint(r.K), "QPS (1 thread)", "p50 µs", "p99 µs"}}
	for _, m := range r.Methods {
		for _, p := range m.Points {
			ef := fmt.Sprint(p.Ef)
			if m.Method == "exact" {
				ef = "—"
			}
			t = append(t, []string{m.Method, ef, fmt.Sprintf("%.4f", p.Recall), commas(p.QPS),
				fmt.Sprintf("%.0f", p.P50Micros), fmt.Sprintf("%.0f", p.P99Micros)})
		}
	}
	table(w, t, 1)

	thr := fmt.Sprintf("%d threads", r.Threads)
	t = [][]string{{"method", "build 1 thread", "build " + thr, "vectors/s 1 thread", "vectors/s " + thr, "build CPU 1 / " + fmt.Sprint(r.Threads), "peak RSS", "snapshot", "load", "child wall"}}
	for _, m := range r.Methods {
		if m.Error != "" || m.Skipped != "" {
			continue
		}
		cpu := "—"
		if m.Build1CPU > 0 || m.BuildAllCPU > 0 {
			cpu = secs(m.Build1CPU) + " / " + secs(m.BuildAllCPU)
		}
		row := []string{m.Method, secs(m.Build1Seconds), secs(m.BuildAllSeconds), commasOr(m.Build1PerSec), commasOr(m.BuildAllPerSec),
			cpu, mb(m.PeakRSSBytes), mb(m.SnapshotBytes), secs(m.LoadSeconds), secs(m.ChildSeconds)}
		t = append(t, row)
	}
	fmt.Fprintln(w)
	table(w, t, 1)

	fmt.Fprintln(w)
	for _, m := range r.Methods {
		switch {
		case m.Skipped != "":
			fmt.Fprintf(w, "%s: skipped: %s\n", m.Method, m.Skipped)
		case m.Error != "":
			fmt.Fprintf(w, "%s: FAILED: %s\n", m.Method, m.Error)
		default:
			if m.Method == "exact" && len(m.Points) > 0 {
				fmt.Fprintf(w, "exact: %d queries; %s QPS on 1 thread, %s QPS on %d threads (each scans a share of the base)\n",
					m.Points[0].Queries, commas(m.Points[0].QPS), commas(m.QPSAllThreads), m.BuildThreads)
			}
			for _, n := range m.Notes {
				fmt.Fprintf(w, "%s: %s\n", m.Method, n)
			}
			if m.LoadCheck != "" {
				fmt.Fprintf(w, "%s: %s\n", m.Method, m.LoadCheck)
			}
		}
	}
	var at []string
	for _, a := range r.AtTarget {
		switch a.Crossing {
		case ann.Reached.String():
			at = append(at, fmt.Sprintf("%s %s QPS", a.Method, commas(a.QPS)))
		case ann.AboveAtStart.String():
			at = append(at, fmt.Sprintf("%s ≥ %s QPS (above the target at its first ef)", a.Method, commas(a.QPS)))
		default:
			at = append(at, fmt.Sprintf("%s never reaches it (best recall %.4f)", a.Method, a.MaxRecall))
		}
	}
	fmt.Fprintf(w, "at recall@%d = %g (linear interpolation): %s\n", r.K, r.Target, strings.Join(at, "; "))
	for _, pr := range r.Ratios.Peers {
		head := ""
		if pr.Peer == ratioPeers[0] {
			head = " (headline)"
		}
		if pr.QPS > 0 {
			fmt.Fprintf(w, "clipvec / %s QPS at recall %g: %.2f×%s", pr.Peer, r.Target, pr.QPS, head)
			if pr.QPSNote != "" {
				fmt.Fprintf(w, " (%s)", pr.QPSNote)
			}
			fmt.Fprintln(w)
		} else {
			fmt.Fprintf(w, "clipvec / %s QPS at recall %g: n/a: %s\n", pr.Peer, r.Target, pr.QPSNote)
		}
		if pr.Build > 0 || pr.Build1 > 0 {
			cv, pm := r.method("clipvec"), r.method(pr.Peer)
			fmt.Fprintf(w, "clipvec / %s build throughput:", pr.Peer)
			if pr.Build > 0 {
				fmt.Fprintf(w, " %.2f× on %d threads (%s vs %s vectors/s)", pr.Build, r.Threads, commas(cv.BuildAllPerSec), commas(pm.BuildAllPerSec))
			}
			if pr.Build1 > 0 {
				fmt.Fprintf(w, ", %.2f× on 1 thread", pr.Build1)
			}
			if pr.BuildCPU > 0 || pr.Build1CPU > 0 {
				fmt.Fprintf(w, "; per CPU second: %s on %d threads, %s on 1 thread", times(pr.BuildCPU), r.Threads, times(pr.Build1CPU))
			}
			fmt.Fprintln(w)
		}
	}
	for _, name := range []string{"hnswlib-native", "hnswlib"} {
		if rec, ok := r.Ratios.RecallEf10[name]; ok {
			fmt.Fprintf(w, "calibration: %s recall@%d at ef=10: %.4f (target 0.5 to 0.85)\n", name, r.K, rec)
		}
	}
}

func times(x float64) string {
	if x == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", x)
}

// write saves the report as JSON, and its plot as SVG, in dir.
func (r *report) write(dir string, plot bool) error {
	stem := fmt.Sprintf("annbench-%s-%s", r.Dataset.Name, shortCount(r.Dataset.N))
	jsonPath := filepath.Join(dir, stem+".json")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	err = ann.WriteFileAtomic(jsonPath, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err })
	if err != nil {
		return err
	}
	r.files = append(r.files, jsonPath)
	if !plot {
		return nil
	}
	pl := ann.Plot{
		Title: fmt.Sprintf("%s: %s × %d, %s queries, recall@%d vs single-thread QPS", r.Dataset.Name,
			commas(float64(r.Dataset.N)), r.Dataset.Dim, commas(float64(r.Dataset.Queries)), r.K),
		Subtitle: fmt.Sprintf("M=%d, efConstruction=%d, ef %v, seed %d; %s, %d CPUs, load average %s before", r.M, r.EfConstruction,
			r.Efs, r.seed(), r.Machine.Date, r.Machine.CPUs, r.Machine.LoadBefore),
		Target: r.Target,
	}
	for _, m := range r.Methods {
		if m.Error == "" && m.Skipped == "" {
			pl.Series = append(pl.Series, ann.Series{Name: m.Method, Points: curve(m)})
		}
	}
	svgPath := filepath.Join(dir, stem+".svg")
	if err := ann.WriteFileAtomic(svgPath, pl.WriteSVG); err != nil {
		return err
	}
	r.files = append(r.files, svgPath)
	return nil
}

// seed returns the synthetic data's seed (the graphs' too), 0 for TEXMEX.
func (r *report) seed() uint64 {
	if r.Dataset.Params != nil {
		return r.Dataset.Params.Seed
	}
	return 0
}

func shortCount(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dm", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// table prints rows as an aligned Markdown table; columns from numFrom on
// are right-aligned.
func table(w io.Writer, rows [][]string, numFrom int) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i >= numFrom {
				b.WriteString(" " + pad + c + " |")
			} else {
				b.WriteString(" " + c + pad + " |")
			}
		}
		fmt.Fprintln(w, b.String())
	}
	line(rows[0])
	sep := make([]string, len(width))
	for i, n := range width {
		if i >= numFrom {
			sep[i] = strings.Repeat("-", n+1) + ":"
		} else {
			sep[i] = strings.Repeat("-", n+2)
		}
	}
	fmt.Fprintln(w, "|"+strings.Join(sep, "|")+"|")
	for _, r := range rows[1:] {
		line(r)
	}
}

// commas formats x rounded to an integer with thousands separators, or
// with 3 significant digits below 100.
func commas(x float64) string {
	if x < 100 {
		return fmt.Sprintf("%.3g", x)
	}
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func commasOr(x float64) string {
	if x == 0 {
		return "—"
	}
	return commas(x)
}

func secs(s float64) string {
	if s == 0 {
		return "—"
	}
	if s < 10 {
		return fmt.Sprintf("%.2f s", s)
	}
	return fmt.Sprintf("%.1f s", s)
}

func mb(b int64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f MB", float64(b)/1e6)
}
