package server_test

import (
	"bufio"
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// sampleLine is a line of the text format: a name, labels, a value.
var sampleLine = regexp.MustCompile(`^([a-z_]+)(\{[a-z_]+="(?:[^"\\]|\\.)*"(?:,[a-z_]+="(?:[^"\\]|\\.)*")*\})? ([0-9.e+-]+|\+Inf)$`)

func TestMetrics(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{Version: "v1.2.3"})
	c.ok(c.do("POST", "/v1/search", clipvec.Query{LikeVideo: surfing, K: 2}), nil)
	c.ok(c.do("POST", "/v1/search", clipvec.Query{LikeVideo: cooking, K: 2}), nil)
	c.do("POST", "/v1/search", `{"k":"x"}`)
	c.do("GET", "/v1/videos/no-such-video", nil)
	c.do("GET", "/v1/no-such-route", nil)
	c.do("GET", "/v1/search", nil)
	c.ok(c.do("GET", "/healthz", nil), nil)

	r := c.do("GET", "/metrics", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("metrics: %d %s", r.status, r.header.Get("Content-Type"))
	}
	values := map[string]float64{}
	typed := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			typed[name] = typ
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a sample line: %q", line)
			continue
		}
		family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m[1], "_bucket"), "_sum"), "_count")
		if typed[family] == "" && typed[m[1]] == "" {
			t.Errorf("%s has no TYPE line before it", m[1])
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Errorf("%q: %v", line, err)
		}
		values[m[1]+m[2]] = v
	}

	st, err := sampleDB.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	idx, err := sampleDB.IndexStatus(context.Background())
	if err != nil || len(idx) != 1 {
		t.Fatal(idx, err)
	}
	space := idx[0].Space.String()
	for series, want := range map[string]float64{
		`clipvec_http_requests_total{endpoint="/v1/search",code="200"}`:                      2,
		`clipvec_http_requests_total{endpoint="/v1/search",code="400"}`:                      1,
		`clipvec_http_requests_total{endpoint="/v1/videos/{id}",code="404"}`:                 1,
		`clipvec_http_requests_total{endpoint="/healthz",code="200"}`:                        1,
		`clipvec_http_requests_total{endpoint="unmatched",code="404"}`:                       1,
		`clipvec_http_requests_total{endpoint="unmatched",code="405"}`:                       1,
		`clipvec_http_request_duration_seconds_count{endpoint="/v1/search"}`:                 3,
		`clipvec_http_request_duration_seconds_bucket{endpoint="/v1/search",le="+Inf"}`:      3,
		`clipvec_http_request_duration_seconds_count{endpoint="/v1/recommend"}`:              0,
		`clipvec_http_request_duration_seconds_bucket{endpoint="/v1/recommend",le="0.0005"}`: 0,
		`clipvec_http_requests_in_flight`:                                                    1, // the scrape itself
		`clipvec_build_info{version="v1.2.3"}`:                                               1,
		`clipvec_videos`:                                                                     float64(st.Videos),
		`clipvec_segments`:                                                                   float64(st.Segments),
		`clipvec_database_bytes`:                                                             float64(st.Bytes),
		`clipvec_store_generation`:                                                           float64(st.Generation),
		`clipvec_space_segments{space="` + space + `"}`:                                      float64(st.Segments),
		`clipvec_graph_nodes{space="` + space + `"}`:                                         float64(idx[0].Nodes),
		`clipvec_graph_deleted_nodes{space="` + space + `"}`:                                 0,
		`clipvec_graph_snapshot_bytes{space="` + space + `"}`:                                float64(idx[0].SnapshotBytes),
		`clipvec_graph_current{space="` + space + `",state="current"}`:                       1,
	} {
		got, ok := values[series]
		if !ok {
			t.Errorf("no series %s", series)
		} else if got != want {
			t.Errorf("%s = %g, want %g", series, got, want)
		}
	}
	if values[`clipvec_database_bytes`] == 0 || values[`clipvec_graph_nodes{space="`+space+`"}`] == 0 {
		t.Error("the database's sizes are zero")
	}
	if sum := values[`clipvec_http_request_duration_seconds_sum{endpoint="/v1/search"}`]; !(sum > 0) {
		t.Errorf("duration sum %g", sum)
	}
	// Buckets are cumulative, in increasing bounds.
	last := -1.0
	for _, b := range []string{"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "+Inf"} {
		v, ok := values[`clipvec_http_request_duration_seconds_bucket{endpoint="/v1/search",le="`+b+`"}`]
		if !ok || v < last {
			t.Errorf("bucket le=%s: %g (present %v), after %g", b, v, ok, last)
		}
		last = v
	}
	for name, typ := range map[string]string{"clipvec_http_requests_total": "counter", "clipvec_http_request_duration_seconds": "histogram",
		"clipvec_http_requests_in_flight": "gauge", "clipvec_graph_nodes": "gauge"} {
		if typed[name] != typ {
			t.Errorf("TYPE %s %q, want %s", name, typed[name], typ)
		}
	}
	// The label set of endpoints is fixed: a client's paths do not
	// become series.
	if strings.Contains(string(r.body), "no-such") {
		t.Error("a requested path became a label")
	}
}
