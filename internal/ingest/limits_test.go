package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/ingest"
)

// repeat streams s n times without ever holding the copies: inputs of
// millions of brackets or a 1 GB string cost the test nothing.
type repeat struct {
	s   string
	n   int
	off int
}

func (r *repeat) Read(p []byte) (int, error) {
	k := 0
	for k < len(p) && r.n > 0 {
		c := copy(p[k:], r.s[r.off:])
		k += c
		if r.off += c; r.off == len(r.s) {
			r.off, r.n = 0, r.n-1
		}
	}
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

// stream concatenates strings and *repeat readers.
func stream(parts ...any) io.Reader {
	var rs []io.Reader
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			rs = append(rs, strings.NewReader(p))
		case *repeat:
			rs = append(rs, p)
		}
	}
	return io.MultiReader(rs...)
}

// v1Tail ends an embed task retrieve body whose first key is open.
const v1Tail = `"model_name":"marengo3.0","status":"ready","video_embedding":{"segments":[{"start_offset_sec":0,"end_offset_sec":6,"float":[1,2]}]}}`

func v1Doc(id, model, option string, vec string) string {
	return `{"_id":"` + id + `","model_name":"` + model + `","status":"ready","video_embedding":{"segments":[` +
		`{"start_offset_sec":0,"end_offset_sec":6,"embedding_option":"` + option + `","float":` + vec + `}]}}`
}

func numbers(n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat("1,", n), ",") + "]"
}

// Every limit rejects its input as an *ingest.Error wrapping the
// sentinel, without crashing or holding the value, and says so in a
// short message that names the file (and the record, where there is one).
// Limits are inclusive: edge, where given, is an input exactly at the
// limit, and decodes.
func TestLimits(t *testing.T) {
	long := strings.Repeat("m", 300)
	for _, tc := range []struct {
		name string
		in   func() io.Reader
		opts ingest.Options
		want error
		msg  string
		edge func() io.Reader
	}{
		// 10 million open brackets: a stack overflow before.
		{"ErrTooLargeDepthArrays", func() io.Reader { return stream(`{"a":`, &repeat{s: "[", n: 10_000_000}) },
			ingest.Options{}, ingest.ErrTooLarge, "nest more than 1000 deep", func() io.Reader {
				// The document is level 1, "a"'s array level 2, ...
				return stream(`{"a":`, &repeat{s: "[", n: ingest.MaxDepth - 1}, &repeat{s: "]", n: ingest.MaxDepth - 1}, `,`+v1Tail)
			}},
		{"ErrTooLargeDepthObjects", func() io.Reader { return stream(`{"a":`, &repeat{s: `{"a":`, n: 10_000_000}) },
			ingest.Options{}, ingest.ErrTooLarge, "nest more than 1000 deep", func() io.Reader {
				return stream(`{"a":`, &repeat{s: `{"a":`, n: ingest.MaxDepth - 2}, `{}`, &repeat{s: "}", n: ingest.MaxDepth - 2}, `,`+v1Tail)
			}},
		{"ErrTooLargeDepthInVector", func() io.Reader {
			return stream(`{"_id":"t","video_embedding":{"segments":[{"float":[1,`, &repeat{s: "[", n: 10_000_000})
		}, ingest.Options{}, ingest.ErrTooLarge, "nest more than 1000 deep", nil},
		{"ErrTooLargeDepthUserMetadata", func() io.Reader {
			return stream(`{"_id":"t","user_metadata":{"a":`, &repeat{s: "[", n: 10_000_000})
		}, ingest.Options{}, ingest.ErrTooLarge, "nest more than 1000 deep", nil},
		// A string in a key nobody reads: held whole (2 GB: 7.1 GB RSS) before.
		{"ErrTooLargeStringIgnored", func() io.Reader {
			return stream(`{"ignored":"`, &repeat{s: "a", n: ingest.MaxString + 1}, `",`+v1Tail)
		}, ingest.Options{}, ingest.ErrTooLarge, "string longer than 16 MiB", func() io.Reader {
			return stream(`{"ignored":"`, &repeat{s: "a", n: ingest.MaxString}, `",`+v1Tail)
		}},
		{"ErrTooLargeStringEscapes", func() io.Reader {
			return stream(`{"ignored":"`, &repeat{s: `\n`, n: ingest.MaxString/2 + 1}, `",`+v1Tail)
		}, ingest.Options{}, ingest.ErrTooLarge, "string longer than 16 MiB", func() io.Reader {
			return stream(`{"ignored":"`, &repeat{s: `\n`, n: ingest.MaxString / 2}, `",`+v1Tail)
		}},
		{"ErrTooLargeStringKey", func() io.Reader {
			return stream(`{"`, &repeat{s: "k", n: ingest.MaxString + 1}, `":1}`)
		}, ingest.Options{}, ingest.ErrTooLarge, "string longer than 16 MiB", nil},
		// A 64 MB id: imported whole before (a 1 GB one failed in SQLite
		// and echoed the id to stderr).
		{"ErrTooLargeIDString", func() io.Reader {
			return stream(`{"_id":"`, &repeat{s: "a", n: 64 << 20}, `",`+v1Tail)
		}, ingest.Options{}, ingest.ErrTooLarge, "string longer than 16 MiB", nil},
		{"ErrTooLargeID", func() io.Reader {
			return strings.NewReader(v1Doc(strings.Repeat("a", ingest.MaxID+1), "marengo3.0", "visual", "[1,2]"))
		}, ingest.Options{}, ingest.ErrTooLarge, `video id "aaaa`, func() io.Reader {
			return strings.NewReader(v1Doc(strings.Repeat("a", ingest.MaxID), "marengo3.0", "visual", "[1,2]"))
		}},
		{"ErrTooLargeVideoIDOption", func() io.Reader {
			return strings.NewReader(v1Doc("t", "marengo3.0", "visual", "[1,2]"))
		}, ingest.Options{VideoID: strings.Repeat("v", ingest.MaxID+1)}, ingest.ErrTooLarge, "longer than 1024 bytes", nil},
		{"ErrTooLargeNumber", func() io.Reader {
			return stream(`{"ignored":1`, &repeat{s: "0", n: ingest.MaxNumber}, `,`+v1Tail)
		}, ingest.Options{}, ingest.ErrTooLarge, "number or literal longer than 4096 bytes", func() io.Reader {
			return stream(`{"ignored":1`, &repeat{s: "0", n: ingest.MaxNumber - 1}, `,`+v1Tail)
		}},
		{"ErrTooLargeLiteral", func() io.Reader {
			return stream(`{"ignored":t`, &repeat{s: "r", n: 64 << 20}, `ue,`+v1Tail)
		}, ingest.Options{}, ingest.ErrTooLarge, "number or literal longer than 4096 bytes", nil},
		{"ErrTooLargeUserMetadata", func() io.Reader {
			return stream(`{"_id":"t","user_metadata":{"a":[`, &repeat{s: `"` + strings.Repeat("x", 1<<20) + `",`, n: 20}, `1]},`+v1Tail)
		}, ingest.Options{}, ingest.ErrTooLarge, "user_metadata is longer than 16 MiB", nil},
		{"ErrTooLargeSpaces", func() io.Reader {
			var b strings.Builder
			b.WriteString(`{"type":"header","format":"clipvec","version":1,"spaces":[`)
			for i := 0; i <= ingest.MaxSpaces; i++ {
				fmt.Fprintf(&b, `{"model_name":"m","dim":%d},`, i+1)
			}
			b.WriteString(`{}]}`)
			return strings.NewReader(b.String())
		}, ingest.Options{}, ingest.ErrTooLarge, "more than 1024 spaces", nil},
		// Every import exited 1 after committing (the snapshot's file name
		// was too long) before.
		{"ErrTooLargeModelName", func() io.Reader { return strings.NewReader(v1Doc("t", long, "visual", "[1,2]")) },
			ingest.Options{}, ingest.ErrTooLarge, `model name "mmmm`, func() io.Reader {
				return strings.NewReader(v1Doc("t", strings.Repeat("m", ingest.MaxName), "visual", "[1,2]"))
			}},
		{"ErrTooLargeModelNameJSONL", func() io.Reader {
			return strings.NewReader(`{"video_id":"v","model_name":"` + long + `","start_sec":0,"end_sec":1,"embedding":[1,2]}`)
		}, ingest.Options{}, ingest.ErrTooLarge, "line 1: model name", nil},
		{"ErrTooLargeOption", func() io.Reader { return strings.NewReader(v1Doc("t", "marengo3.0", long, "[1,2]")) },
			ingest.Options{}, ingest.ErrTooLarge, `video_embedding.segments[0] (line 1): embedding option "mmmm`, nil},
		// 65,537 values: imported before, and then every process rebuilt
		// the graph its snapshot loader refused.
		{"ErrTooLargeDim", func() io.Reader {
			return strings.NewReader(v1Doc("t", "marengo3.0", "visual", numbers(ingest.MaxDim+1)))
		}, ingest.Options{}, ingest.ErrTooLarge, "video_embedding.segments[0] (line 1): vector has 65537 values, more than 65536", func() io.Reader {
			return strings.NewReader(v1Doc("t", "marengo3.0", "visual", numbers(ingest.MaxDim)))
		}},
		{"ErrTooLargeDimJSONL", func() io.Reader {
			return strings.NewReader(`{"video_id":"v","model_name":"m","start_sec":0,"end_sec":1,"embedding":` + numbers(ingest.MaxDim+5) + `}`)
		}, ingest.Options{}, ingest.ErrTooLarge, "line 1: vector has 65541 values", nil},
		// Invalid UTF-8 became U+FFFD before, so distinct ids collided.
		{"ErrInvalidUTF8ID", func() io.Reader { return strings.NewReader(v1Doc("a\xffb", "marengo3.0", "visual", "[1,2]")) },
			ingest.Options{}, ingest.ErrInvalidUTF8, `video id "a\xffb" is not valid UTF-8`, nil},
		{"ErrInvalidUTF8LoneSurrogate", func() io.Reader { return strings.NewReader(v1Doc(`a\ud800`, "marengo3.0", "visual", "[1,2]")) },
			ingest.Options{}, ingest.ErrInvalidUTF8, "video id", nil},
		{"ErrInvalidUTF8Model", func() io.Reader { return strings.NewReader(v1Doc("t", "marengo\xc0", "visual", "[1,2]")) },
			ingest.Options{}, ingest.ErrInvalidUTF8, "model name", nil},
		{"ErrInvalidUTF8Option", func() io.Reader { return strings.NewReader(v1Doc("t", "marengo3.0", "vis\xffual", "[1,2]")) },
			ingest.Options{}, ingest.ErrInvalidUTF8, "video_embedding.segments[0] (line 1): embedding option", nil},
		{"ErrInvalidUTF8VideoIDJSONL", func() io.Reader {
			return strings.NewReader(`{"video_id":"v","model_name":"m","start_sec":0,"end_sec":1,"embedding":[1,2]}` + "\n" +
				"{\"video_id\":\"v\xfe\"," + `"model_name":"m","start_sec":0,"end_sec":1,"embedding":[1,2]}`)
		}, ingest.Options{}, ingest.ErrInvalidUTF8, `line 2: video id "v\xfe"`, nil},
		{"ErrInvalidUTF8ScopeJSONL", func() io.Reader {
			return strings.NewReader(`{"video_id":"v","model_name":"m","embedding_scope":"cl` + "\xff" + `ip","start_sec":0,"end_sec":1,"embedding":[1,2]}`)
		}, ingest.Options{}, ingest.ErrInvalidUTF8, "line 1: embedding scope", nil},
		{"ErrInvalidUTF8SourceID", func() io.Reader {
			return strings.NewReader(`{"video_id":"v","model_name":"m","source_kind":"x","source_id":"\ud83d\u0041","start_sec":0,"end_sec":1,"embedding":[1,2]}`)
		}, ingest.Options{}, ingest.ErrInvalidUTF8, "line 1: source id", nil},
		{"ErrInvalidUTF8VideoRecord", func() io.Reader {
			return strings.NewReader(`{"type":"video","video_id":"v` + "\xff" + `"}`)
		}, ingest.Options{}, ingest.ErrInvalidUTF8, "video id", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Name = "big.json"
			c := &collector{}
			_, err := ingest.Decode(context.Background(), tc.in(), tc.opts, c)
			var e *ingest.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &e) {
				t.Fatalf("err = %.300v, want an *ingest.Error wrapping %v", err, tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "big.json: ") || !strings.Contains(msg, tc.msg) {
				t.Errorf("err = %.300q, want it to name the file and say %q", msg, tc.msg)
			}
			if len(msg) > 512 {
				t.Errorf("message of %d bytes, want a short one: %.300q", len(msg), msg)
			}
			if tc.edge == nil {
				return
			}
			c = &collector{}
			if _, err := ingest.Decode(context.Background(), tc.edge(), tc.opts, c); err != nil || len(c.segs) != 1 {
				t.Fatalf("at the limit: %d segments, %.300v; want it decoded", len(c.segs), err)
			}
		})
	}
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Values nobody reads are skipped, not held: a 16 MiB string in an
// ignored key, and a million text segments beside the video ones, cost
// the decoder little more than its read buffer.
func TestIgnoredValuesAreNotHeld(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   func() io.Reader
	}{
		{"String", func() io.Reader {
			return stream(`{"ignored":"`, &repeat{s: "a", n: ingest.MaxString}, `",`+v1Tail)
		}},
		{"StringWithEscapes", func() io.Reader {
			return stream(`{"ignored":"`, &repeat{s: `a\n`, n: ingest.MaxString / 3}, `",`+v1Tail)
		}},
		{"QueryEmbeddings", func() io.Reader {
			return stream(`{"text_embedding":{"segments":[`, &repeat{s: `{},`, n: 1 << 20},
				`{}]},"audio_embedding":{"segments":[{"start_offset_sec":0,"end_offset_sec":6,"float":[1,2]}]},"model_name":"marengo2.7"}`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			c := &collector{}
			n := allocated(func() {
				_, err = ingest.Decode(context.Background(), tc.in(), ingest.Options{Name: "skip.json"}, c)
			})
			if err != nil || len(c.segs) != 1 {
				t.Fatalf("%d segments, %.300v", len(c.segs), err)
			}
			if n > 4<<20 {
				t.Errorf("allocated %.1f MiB to skip what it does not read", float64(n)/(1<<20))
			}
		})
	}
}

// Filenames, thumbnails and user_metadata are not identities: invalid UTF-8 in them
// is replaced by U+FFFD (one per run of bad bytes) instead of rejecting
// the file, and a lone surrogate escape does not swallow the character
// after it.
func TestInvalidUTF8InDisplayFields(t *testing.T) {
	body := `{"_id":"t","model_name":"marengo3.0","status":"ready","video_embedding":{"segments":[{"start_offset_sec":0,"end_offset_sec":6,"float":[1,2]}],` +
		`"metadata":{"input_filename":"a` + "\xff\xfe" + `b\ud83d\u0041.mp4"}},"user_metadata":{"k":"v` + "\xff" + `w","e":"\ud800"},` +
		`"hls":{"thumbnail_urls":["https://s/t` + "\xff" + `.jpg"]}}`
	c, _, err := decodeString(t, "meta.json", body, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.videos[0].Filename, "a\uFFFDb\uFFFDA.mp4"; got != want {
		t.Errorf("filename %q, want %q", got, want)
	}
	if got, want := string(c.videos[0].UserMetadata), `{"k":"v`+"\uFFFD"+`w","e":"\ud800"}`; got != want {
		t.Errorf("user_metadata %q, want %q", got, want)
	}
	if got, want := c.videos[0].ThumbnailURL, "https://s/t\uFFFD.jpg"; got != want {
		t.Errorf("thumbnail %q, want %q", got, want)
	}
	// Escaped surrogate pairs are ids like any other.
	c, _, err = decodeString(t, "emoji.json", v1Doc(`\ud83d\ude00`, "marengo3.0", "visual", "[1,2]"), ingest.Options{})
	if err != nil || c.segs[0].VideoID != "😀" {
		t.Fatalf("%v %+v", err, c.segs)
	}
}

// Messages quote at most a short prefix of an input value.
func TestMessagesQuoteAPrefix(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	for _, body := range []string{
		`{"code":"` + big + `","message":"` + big + `"}`,
		`{"error":{"code":"e","message":"` + big + `"},"_id":"t","status":"failed","video_embedding":{"segments":[]}}`,
		`{"_id":"` + big + `","status":"processing"}`,
		`{"_id":"` + big + `","model_name":"m","status":"ready","input_filename":"f"}`,
		`{"` + big + `1":1,"` + big + `2":2}`,
		`{"video_id":"v","type":"` + big + `"}`,
		`{"a":1` + strings.Repeat("-", 4000) + `}`,
		`{"a":nul` + strings.Repeat("l", 4000) + `}`,
	} {
		_, _, err := decodeString(t, "m.json", body, ingest.Options{})
		if err == nil || len(err.Error()) > 512 {
			t.Errorf("%.60s…: message of %d bytes: %.300q", body, len(fmt.Sprint(err)), err)
		}
	}
	// A file of query vectors with long names, many of them.
	var b strings.Builder
	b.WriteString("[")
	for i := range 100 {
		fmt.Fprintf(&b, `{"topic":"%d%s","vector":[1]},`, i, strings.Repeat("q", 100<<10))
	}
	b.WriteString(`{"vector":[1]}]`)
	for _, pick := range []string{"", "nope"} {
		_, _, err := ingest.QueryVector(strings.NewReader(b.String()), pick)
		if err == nil || len(err.Error()) > 4096 {
			t.Errorf("query file, pick %q: message of %d bytes: %.300q", pick, len(fmt.Sprint(err)), err)
		}
	}
}
