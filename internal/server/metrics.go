package server

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clipvec/clipvec/pkg/clipvec"
)

// buckets are the latency histogram's upper bounds in seconds: from a
// cached graph search (well under a millisecond at 100k segments) to a
// text query that waits on TwelveLabs or an import that builds a graph.
var buckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// metrics counts requests by endpoint. Safe for concurrent use.
type metrics struct {
	inFlight  atomic.Int64
	endpoints map[string]*endpointStats // fixed at construction: read-only
}

type endpointStats struct {
	mu sync.Mutex
	// guarded by mu:
	codes  map[int]uint64
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

func newMetrics(labels map[string]bool) *metrics {
	m := &metrics{endpoints: map[string]*endpointStats{}}
	for l := range labels {
		m.endpoints[l] = &endpointStats{codes: map[int]uint64{}, counts: make([]uint64, len(buckets)+1)}
	}
	return m
}

func (m *metrics) observe(label string, status int, d time.Duration) {
	e := m.endpoints[label]
	if e == nil {
		e = m.endpoints[unmatched]
	}
	secs := d.Seconds()
	i := sort.SearchFloat64s(buckets, secs) // the first bound ≥ secs
	e.mu.Lock()
	e.codes[status]++
	e.counts[i]++
	e.sum += secs
	e.n++
	e.mu.Unlock()
}

// serveMetrics writes the Prometheus text exposition format (version
// 0.0.4): the HTTP series, then the database's sizes, read now.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	st, err := s.db.Stats(ctx)
	if err != nil {
		return fmt.Errorf("metrics: read database stats: %w", err)
	}
	idx, err := s.db.IndexStatus(ctx)
	if err != nil {
		return fmt.Errorf("metrics: read index status: %w", err)
	}
	var b strings.Builder
	bw := bufio.NewWriter(&b)
	m := s.metrics
	labels := make([]string, 0, len(m.endpoints))
	for l := range m.endpoints {
		labels = append(labels, l)
	}
	sort.Strings(labels)

	header(bw, "clipvec_http_requests_total", "counter", "HTTP requests answered, by endpoint (route path; / is the web page, unmatched no route) and status code.")
	type snap struct {
		codes  map[int]uint64
		counts []uint64
		sum    float64
		n      uint64
	}
	snaps := make([]snap, len(labels))
	for i, l := range labels {
		e := m.endpoints[l]
		e.mu.Lock()
		sn := snap{codes: make(map[int]uint64, len(e.codes)), counts: append([]uint64(nil), e.counts...), sum: e.sum, n: e.n}
		for c, n := range e.codes {
			sn.codes[c] = n
		}
		e.mu.Unlock()
		snaps[i] = sn
		codes := make([]int, 0, len(sn.codes))
		for c := range sn.codes {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		for _, c := range codes {
			fmt.Fprintf(bw, "clipvec_http_requests_total{endpoint=\"%s\",code=\"%d\"} %d\n", escapeLabel(l), c, sn.codes[c])
		}
	}
	header(bw, "clipvec_http_request_duration_seconds", "histogram", "Time to answer an HTTP request, by endpoint.")
	for i, l := range labels {
		sn := snaps[i]
		var cum uint64
		for j, bound := range buckets {
			cum += sn.counts[j]
			fmt.Fprintf(bw, "clipvec_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%s\"} %d\n", escapeLabel(l), formatFloat(bound), cum)
		}
		cum += sn.counts[len(buckets)]
		fmt.Fprintf(bw, "clipvec_http_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %d\n", escapeLabel(l), cum)
		fmt.Fprintf(bw, "clipvec_http_request_duration_seconds_sum{endpoint=\"%s\"} %s\n", escapeLabel(l), formatFloat(sn.sum))
		fmt.Fprintf(bw, "clipvec_http_request_duration_seconds_count{endpoint=\"%s\"} %d\n", escapeLabel(l), sn.n)
	}
	header(bw, "clipvec_http_requests_in_flight", "gauge", "HTTP requests being answered, this one included.")
	fmt.Fprintf(bw, "clipvec_http_requests_in_flight %d\n", m.inFlight.Load())

	header(bw, "clipvec_build_info", "gauge", "Always 1; the version is a label.")
	fmt.Fprintf(bw, "clipvec_build_info{version=\"%s\"} 1\n", escapeLabel(s.opts.Version))
	header(bw, "clipvec_videos", "gauge", "Videos in the database.")
	fmt.Fprintf(bw, "clipvec_videos %d\n", st.Videos)
	header(bw, "clipvec_segments", "gauge", "Segments (embeddings) in the database.")
	fmt.Fprintf(bw, "clipvec_segments %d\n", st.Segments)
	header(bw, "clipvec_database_bytes", "gauge", "Size of the database file on disk.")
	fmt.Fprintf(bw, "clipvec_database_bytes %d\n", st.Bytes)
	header(bw, "clipvec_store_generation", "gauge", "The store's generation: bumped by every write.")
	fmt.Fprintf(bw, "clipvec_store_generation %d\n", st.Generation)
	header(bw, "clipvec_space_segments", "gauge", "Segments per embedding space (model/dim).")
	for _, sp := range st.Spaces {
		fmt.Fprintf(bw, "clipvec_space_segments{space=\"%s\"} %d\n", escapeLabel(sp.String()), sp.Segments)
	}
	header(bw, "clipvec_graph_nodes", "gauge", "Nodes of each space's HNSW graph snapshot, tombstones included.")
	for _, is := range idx {
		fmt.Fprintf(bw, "clipvec_graph_nodes{space=\"%s\"} %d\n", escapeLabel(is.Space.String()), is.Nodes)
	}
	header(bw, "clipvec_graph_deleted_nodes", "gauge", "Tombstones of each space's HNSW graph snapshot (compacted past a fifth).")
	for _, is := range idx {
		fmt.Fprintf(bw, "clipvec_graph_deleted_nodes{space=\"%s\"} %d\n", escapeLabel(is.Space.String()), is.Deleted)
	}
	header(bw, "clipvec_graph_snapshot_bytes", "gauge", "Size of each space's graph snapshot on disk.")
	for _, is := range idx {
		fmt.Fprintf(bw, "clipvec_graph_snapshot_bytes{space=\"%s\"} %d\n", escapeLabel(is.Space.String()), is.SnapshotBytes)
	}
	header(bw, "clipvec_graph_current", "gauge", "1 if a space's graph snapshot reflects the store as it is, 0 if the next search must catch it up or build it.")
	for _, is := range idx {
		v := 0
		if is.State == clipvec.IndexCurrent {
			v = 1
		}
		fmt.Fprintf(bw, "clipvec_graph_current{space=\"%s\",state=\"%s\"} %d\n", escapeLabel(is.Space.String()), escapeLabel(string(is.State)), v)
	}
	bw.Flush()

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = io.WriteString(w, b.String())
	return err
}

func header(w *bufio.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// escapeLabel escapes a label value as the text format wants: backslash,
// double quote and newline.
func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return r.Replace(s)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
