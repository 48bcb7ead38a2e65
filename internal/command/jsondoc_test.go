package command_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clipvec/clipvec/internal/command"
)

// TestJSONShapesAsDocumented runs every command the README's "JSON
// output" table lists and checks its --json against the shape written
// there: every key not marked ? is present, no key is undocumented, no
// value is null, lists are lists (issue 13: 5).
func TestJSONShapesAsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	outputs, named := jsonDocTable(t, string(readme))
	db := sampleDB(t)
	const surfing, cooking = "6821ac34a9d4f4fb30f4fb30", "6821ad59a9d4f4fb30f4fe21"
	dir := t.TempDir()
	del := filepath.Join(dir, "del.db")
	if _, errs, code := run(t, del, "", "import", "../../testdata/sample/exports"); code != command.ExitOK {
		t.Fatalf("import: %s", errs)
	}
	// Each documented output, and the command lines that show it.
	runs := map[string][][]string{
		"search": {
			{"search", "--like", surfing + "@24", "-k", "3"},
			{"search", "--like-video", cooking, "-k", "3"},
			{"search", "--vector", "../../testdata/sample/queries.json#surfing", "--group-by", "video", "-k", "3"},
			{"search", "--like", surfing + "@24", "--scope", "any", "--from", "9999"},
		},
		"recommend":     {{"recommend", "--like-video", surfing, "--unlike-video", cooking, "-k", "3"}},
		"videos":        {{"videos"}},
		"videos VIDEO":  {{"videos", "surfing-01.mp4"}},
		"stats":         {{"stats"}},
		"import":        {{"--db", filepath.Join(dir, "new.db"), "import", "../../testdata/sample/exports"}},
		"export":        {{"export", "-o", filepath.Join(dir, "all.jsonl")}},
		"delete":        {{"--db", del, "delete", "surfing-01.mp4"}},
		"index status":  {{"index", "status"}},
		"index build":   {{"index", "build"}},
		"index compact": {{"index", "compact"}},
		"queries":       {{"queries"}},
		"classify": {
			{"classify", "--classes", "../../testdata/sample/classes.json", "--top", "1"},
			{"classify", "--class", "news=a news anchor speaking in a studio", "--video", "news-studio-01.mp4", "--detailed"},
			{"classify", "--class", "news=a news anchor speaking in a studio", "--threshold", "0.9"},
		},
	}
	// classify's prompts, and something for queries to list.
	if _, errs, code := run(t, db, "", "queries", "--add", "../../testdata/sample/queries.json"); code != command.ExitOK {
		t.Fatalf("queries --add: %s", errs)
	}
	for name, shape := range outputs {
		lines := runs[name]
		if len(lines) == 0 {
			t.Errorf("the README documents the --json of %q, which this test does not run", name)
		}
		for _, args := range lines {
			// --json goes right after the command's words (flags come
			// before arguments).
			at := 0
			for at < len(args) && (args[at] == "--db" || (at > 0 && args[at-1] == "--db")) {
				at++
			}
			at += len(strings.Fields(name))
			if name == "videos VIDEO" {
				at--
			}
			full := slices.Concat(args[:at], []string{"--json"}, args[at:])
			out, errs, code := run(t, db, "", full...)
			if code != command.ExitOK {
				t.Errorf("clipvec %s: exit %d %s", strings.Join(full, " "), code, errs)
				continue
			}
			var v any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("clipvec %s: %v\n%s", strings.Join(full, " "), err, out)
				continue
			}
			for _, problem := range matchShape(v, shape, named, "") {
				t.Errorf("clipvec %s: %s", strings.Join(full, " "), problem)
			}
		}
	}
	// Errors, with --json, are JSON on stderr.
	_, errs, code := run(t, db, "", "search", "--json", "--like", "no-such-video@3")
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Exit    int    `json:"exit"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(errs), &e); err != nil || e.Error == nil || e.Error.Code != "not_found" || e.Error.Exit != code || code != command.ExitNotFound || e.Error.Message == "" {
		t.Errorf("an error with --json: exit %d, stderr %s (%v)", code, errs, err)
	}
}

// jsonDocTable reads the README's "JSON output" table: the shapes of
// commands' outputs (first cell `cmd`, `cmd`) and of named parts (first
// cell *name*).
func jsonDocTable(t *testing.T, readme string) (outputs, named map[string]shape) {
	t.Helper()
	_, sec, ok := strings.Cut(readme, "\n### JSON output\n")
	if !ok {
		t.Fatal(`the README has no "### JSON output"`)
	}
	outputs, named = map[string]shape{}, map[string]shape{}
	for _, line := range strings.Split(sec, "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 2 || !strings.Contains(cells[1], "`") {
			continue
		}
		src := strings.Trim(strings.TrimSpace(cells[1]), "`")
		p := &shapeParser{s: src}
		sh := p.shape()
		if p.err != "" || p.i != len(p.s) {
			t.Fatalf("README: shape %q: %s at %d", src, p.err, p.i)
		}
		first := strings.TrimSpace(cells[0])
		if strings.HasPrefix(first, "*") {
			named[strings.Trim(first, "*")] = sh
			continue
		}
		for _, cmd := range strings.Split(first, ",") {
			outputs[strings.Trim(strings.TrimSpace(cmd), "`")] = sh
		}
	}
	if len(outputs) < 10 {
		t.Fatalf("the README's JSON table lists %d outputs", len(outputs))
	}
	return outputs, named
}

// shape is a documented JSON shape: an object of fields, a list of one
// shape, a reference to a named shape, or any value (nil).
type shape struct {
	fields []field
	list   *shape
	ref    string
	object bool
}

type field struct {
	key      string
	optional bool
	shape    *shape
}

type shapeParser struct {
	s   string
	i   int
	err string
}

func (p *shapeParser) skip() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *shapeParser) word() string {
	p.skip()
	j := p.i
	for p.i < len(p.s) && (p.s[p.i] == '_' || p.s[p.i] >= 'a' && p.s[p.i] <= 'z') {
		p.i++
	}
	return p.s[j:p.i]
}

func (p *shapeParser) shape() shape {
	p.skip()
	switch {
	case p.i < len(p.s) && p.s[p.i] == '{':
		p.i++
		sh := shape{object: true}
		for p.err == "" {
			f := field{key: p.word()}
			if f.key == "" {
				p.err = "want a key"
				break
			}
			if p.i < len(p.s) && p.s[p.i] == '?' {
				f.optional = true
				p.i++
			}
			p.skip()
			if p.i < len(p.s) && p.s[p.i] == ':' {
				p.i++
				sub := p.shape()
				f.shape = &sub
			}
			sh.fields = append(sh.fields, f)
			p.skip()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return sh
			}
			p.err = "want , or }"
		}
		return sh
	case p.i < len(p.s) && p.s[p.i] == '[':
		p.i++
		el := p.shape()
		p.skip()
		if p.i >= len(p.s) || p.s[p.i] != ']' {
			p.err = "want ]"
		}
		p.i++
		return shape{list: &el}
	}
	name := p.word()
	if name == "" {
		p.err = "want a shape"
	}
	return shape{ref: name}
}

// matchShape lists how v departs from sh.
func matchShape(v any, sh shape, named map[string]shape, path string) []string {
	if sh.ref != "" {
		ref, ok := named[sh.ref]
		if !ok {
			return []string{path + ": the README names no shape " + sh.ref}
		}
		return matchShape(v, ref, named, path)
	}
	switch {
	case sh.list != nil:
		l, ok := v.([]any)
		if !ok {
			return []string{path + ": not a list"}
		}
		var out []string
		for _, el := range l {
			out = append(out, matchShape(el, *sh.list, named, path+"[]")...)
		}
		return out
	case sh.object:
		m, ok := v.(map[string]any)
		if !ok {
			return []string{path + ": not an object"}
		}
		var out []string
		known := map[string]bool{}
		for _, f := range sh.fields {
			known[f.key] = true
			val, ok := m[f.key]
			switch {
			case !ok && !f.optional:
				out = append(out, path+"."+f.key+": missing")
			case ok && val == nil:
				out = append(out, path+"."+f.key+": null")
			case ok && f.shape != nil:
				out = append(out, matchShape(val, *f.shape, named, path+"."+f.key)...)
			}
		}
		for k := range m {
			if !known[k] {
				out = append(out, path+"."+k+": not in the README")
			}
		}
		return out
	}
	return nil
}
