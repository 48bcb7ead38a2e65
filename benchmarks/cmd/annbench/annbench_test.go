package main

import (
	"math"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/sample"
)

func TestApplyOverrides(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		p := sample.DefaultParams()
		if err := applyOverrides(&p, " noise=0.3, Topics=64,Seed=7,ModelName=x "); err != nil {
			t.Fatal(err)
		}
		if p.Noise != 0.3 || p.Topics != 64 || p.Seed != 7 || p.ModelName != "x" {
			t.Fatalf("params after overrides: Noise %v Topics %d Seed %d ModelName %q", p.Noise, p.Topics, p.Seed, p.ModelName)
		}
	})
	for name, s := range map[string]string{
		"ErrUnknownField": "Nosie=0.3",
		"ErrNoValue":      "Noise",
		"ErrBadNumber":    "Topics=many",
		"ErrSliceField":   "Options=visual",
	} {
		t.Run(name, func(t *testing.T) {
			p := sample.DefaultParams()
			if err := applyOverrides(&p, s); err == nil {
				t.Fatalf("applyOverrides(%q) succeeded", s)
			}
		})
	}
}

func TestReportRatios(t *testing.T) {
	curve := func(pts ...[2]float64) []point {
		var out []point
		for i, p := range pts {
			out = append(out, point{Ef: 10 << i, Recall: p[0], QPS: p[1]})
		}
		return out
	}
	r := &report{Target: 0.95, Threads: 2, Methods: []*methodResult{
		{Method: "exact", Points: curve([2]float64{1, 40})},
		{Method: "clipvec", Points: curve([2]float64{0.9, 6000}, [2]float64{1, 4000}), BuildAllPerSec: 3000, BuildAllCPU: 50},
		{Method: "hnswlib-native", Points: curve([2]float64{0.7, 9000}, [2]float64{0.9, 5000}, [2]float64{1.0, 3000}), BuildAllPerSec: 2000, BuildAllCPU: 100},
		{Method: "coder", Points: curve([2]float64{0.05, 20000}, [2]float64{0.05, 19000})},
	}}
	r.finish()
	// clipvec: 5000 QPS at 0.95; hnswlib-native: 4000.
	if got, want := r.Ratios.QPS, 1.25; math.Abs(got-want) > 1e-9 {
		t.Errorf("QPS ratio %v, want %v", got, want)
	}
	if got, want := r.Ratios.Build, 1.5; math.Abs(got-want) > 1e-9 {
		t.Errorf("build ratio %v, want %v", got, want)
	}
	if got, want := r.Ratios.Peers[0].BuildCPU, 2.0; math.Abs(got-want) > 1e-9 {
		t.Errorf("build ratio per CPU second %v, want %v", got, want)
	}
	if got, want := r.Ratios.RecallEf10["hnswlib-native"], 0.7; got != want {
		t.Errorf("hnswlib recall at ef=10: %v, want %v", got, want)
	}
	var b strings.Builder
	r.printText(&b)
	if !strings.Contains(b.String(), "coder never reaches it") {
		t.Errorf("report does not say coder never reaches the target:\n%s", b.String())
	}
}
