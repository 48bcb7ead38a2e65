// Command bigexport writes one embed task retrieve response
// (GET /embed/tasks/{id}) with as many 512-d segments as asked to
// stdout, generated on the fly: the input for checking that clipvec
// imports a multi-gigabyte response in constant memory.
//
//	go run ./benchmarks/cmd/bigexport -segments 450000 | /usr/bin/time -v clipvec --db big.db import -
//
// 450,000 segments make about 2 GB of JSON.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	n := flag.Int("segments", 450_000, "segments to write")
	dim := flag.Int("dim", 512, "vector dimension")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	r := rand.New(rand.NewPCG(1, 2))
	fmt.Fprint(w, `{"_id":"66f5377700000000bigexport","model_name":"marengo3.0","status":"ready","created_at":"2026-11-21T00:00:00Z","video_embedding":{"segments":[`)
	b := make([]byte, 0, 16<<10)
	for i := 0; i < *n; i++ {
		b = b[:0]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"start_offset_sec":`...)
		b = strconv.AppendInt(b, int64(6*i), 10)
		b = append(b, `,"end_offset_sec":`...)
		b = strconv.AppendInt(b, int64(6*i+6), 10)
		b = append(b, `,"embedding_scope":"clip","embedding_option":"visual","float":[`...)
		for j := 0; j < *dim; j++ {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(float32(r.NormFloat64()*0.045)), 'g', -1, 32)
		}
		b = append(b, "]}"...)
		if _, err := w.Write(b); err != nil {
			fmt.Fprintln(os.Stderr, "bigexport:", err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(w, `],"metadata":{"input_filename":"big.mp4","video_clip_length":6,"video_embedding_scope":["clip"],"duration":%d}}}`, 6**n)
}
