package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/clipvec/clipvec/internal/server"
	"github.com/clipvec/clipvec/pkg/clipvec"
)

// TestOpenAPIServedIsCommitted: GET /openapi.json serves openapi.json as
// committed, byte for byte.
func TestOpenAPIServedIsCommitted(t *testing.T) {
	_, c := start(t, sampleDB, server.Options{})
	r := c.do("GET", "/openapi.json", nil)
	c.ok(r, nil)
	if want := readFile(t, "openapi.json"); !bytes.Equal(r.body, want) {
		t.Errorf("the served document (%d bytes) differs from openapi.json (%d bytes)", len(r.body), len(want))
	}
}

// openAPIDoc is the part of the document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"components"`
}

func loadOpenAPI(t testing.TB) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(readFile(t, "openapi.json"), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	return doc
}

// TestOpenAPICoversRoutes: every route the server registers is an
// operation of the document, and every operation is a route.
func TestOpenAPICoversRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	srv, c := start(t, sampleDB, server.Options{})
	routes := srv.Routes()
	if len(routes) < 12 {
		t.Fatalf("Routes: %v", routes)
	}
	registered := map[string]bool{}
	for _, rt := range routes {
		registered[rt] = true
		method, path, _ := strings.Cut(rt, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in openapi.json", rt)
		}
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete", "head", "options":
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	sort.Strings(documented)
	for _, op := range documented {
		if !registered[op] {
			t.Errorf("openapi.json documents %s, which the server does not register", op)
			continue
		}
		// And the server answers it (a 405 or 404 from routing would
		// say otherwise).
		method, path, _ := strings.Cut(op, " ")
		path = strings.ReplaceAll(path, "{id}", surfing)
		var body any
		if method == "POST" {
			body = "{}"
		}
		r := c.do(method, path, body)
		if r.status == http.StatusMethodNotAllowed || r.status == http.StatusNotFound && !strings.Contains(string(r.body), surfing) && path != "/v1/import" {
			t.Errorf("%s: %s", op, r)
		}
	}
}

// TestOpenAPISchemas: the schemas name the fields the library's JSON
// has, so that a field added to clipvec.Query shows up here.
func TestOpenAPISchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for schema, fields := range map[string][]string{
		"Query": {"vector", "like", "like_video", "text", "image", "modality", "model", "k", "filter", "group_by",
			"aggregate", "include_self", "exclude_query_video", "exact", "ef"},
		"RecommendQuery": {"positive", "negative", "modality", "model", "k", "filter", "group_by", "max_per_video",
			"mmr_lambda", "min_score", "exact", "ef"},
		"Filter":        {"modalities", "scopes", "videos", "exclude_videos", "time_range"},
		"Result":        {"space", "query", "searched", "method", "ef", "recall", "query_source", "hits"},
		"Video":         {"video_id", "filename", "duration", "fps", "width", "height", "user_metadata", "thumbnail_url", "segments"},
		"Segment":       {"segment_id", "video_id", "source", "model", "modality", "scope", "start", "end", "norm", "vector"},
		"StatsResponse": {"stats", "index", "text_search", "read_only", "version", "limits"},
		"ErrorDetail":   {"code", "message", "field"},
		"ImportResult":  {"file", "imported", "replaced", "unchanged", "skipped", "query_embeddings", "invalid", "spaces", "warning"},

		// POST /v1/classify's.
		"ClassifyRequest": {"classes", "model", "modalities", "videos", "threshold", "min_duration_ratio", "top", "clips", "detailed"},
		"Class":           {"name", "prompts"},
		"Classification":  {"space", "classes", "videos", "scored"},
		"ClassInfo":       {"name", "prompts", "cached", "thresholds", "backgrounds", "calibrated"},
		"Background":      {"clips", "median", "spread"},
		"VideoClasses":    {"video_id", "filename", "duration", "classes"},
		"VideoClass":      {"name", "score", "z", "duration_ratio", "clips", "prompts"},
		"ClassClip":       {"segment_id", "modality", "start", "end", "score", "prompt"},
		"PromptScore":     {"prompt", "score"},
	} {
		props := doc.Components.Schemas[schema].Properties
		for _, f := range fields {
			if _, ok := props[f]; !ok {
				t.Errorf("schema %s lacks %s", schema, f)
			}
		}
		if len(props) != len(fields) {
			t.Errorf("schema %s has %d properties, want the %d listed", schema, len(props), len(fields))
		}
	}
	// Every field of the Go types is in the schema: compare with the
	// keys of their JSON with every field set.
	for schema, v := range map[string]any{
		"Query":          &clipvec.Query{},
		"RecommendQuery": &clipvec.RecommendQuery{},
		"Filter":         &clipvec.Filter{},
		"Video":          &clipvec.Video{},
		"Segment":        &clipvec.Segment{},
		"Result":         &clipvec.Result{},
		"Class":          &clipvec.Class{},
		"Classification": &clipvec.Classification{},
		"ClassInfo":      &clipvec.ClassInfo{},
		"Background":     &clipvec.Background{},
		"VideoClasses":   &clipvec.VideoClasses{},
		"VideoClass":     &clipvec.VideoClass{},
		"ClassClip":      &clipvec.ClassClip{},
		"PromptScore":    &clipvec.PromptScore{},
	} {
		fill(reflect.ValueOf(v).Elem())
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var keys map[string]json.RawMessage
		json.Unmarshal(data, &keys)
		for k := range keys {
			if _, ok := doc.Components.Schemas[schema].Properties[k]; !ok {
				t.Errorf("schema %s lacks the library's field %s", schema, k)
			}
		}
	}
	// clipvec.ClassifyQuery has no JSON form of its own: the request
	// spells its fields in snake_case.
	cq := reflect.TypeFor[clipvec.ClassifyQuery]()
	for i := range cq.NumField() {
		name := snakeCase(cq.Field(i).Name)
		if _, ok := doc.Components.Schemas["ClassifyRequest"].Properties[name]; !ok {
			t.Errorf("schema ClassifyRequest lacks %s (clipvec.ClassifyQuery.%s)", name, cq.Field(i).Name)
		}
	}
}

// snakeCase is a Go field name as the API spells it: MinDurationRatio
// is min_duration_ratio.
func snakeCase(name string) string {
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fill sets every exported field of v, recursively, to a value that is
// not zero, so that no omitempty field is left out of v's JSON.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // json.RawMessage
			v.SetBytes([]byte(`{"a":1}`))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Interface:
		v.Set(reflect.ValueOf("x"))
	}
}

// TestOpenAPIErrorCodes: the document lists every error code.
func TestOpenAPIErrorCodes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				ErrorDetail struct {
					Properties struct {
						Code struct {
							Enum []string `json:"enum"`
						} `json:"code"`
					} `json:"properties"`
				} `json:"ErrorDetail"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(readFile(t, "openapi.json"), &doc); err != nil {
		t.Fatal(err)
	}
	enum := doc.Components.Schemas.ErrorDetail.Properties.Code.Enum
	codes := []string{server.CodeBadRequest, server.CodeInvalidInput, server.CodeUnauthorized, server.CodeReadOnly,
		server.CodeCrossOrigin, server.CodeNotFound, server.CodeMethodNotAllowed, server.CodeRequestTimeout,
		server.CodeTooLarge, server.CodeNoCredentials, server.CodeRateLimited, server.CodeInternal,
		server.CodeUpstream, server.CodeTimeout, server.CodeUnavailable}
	sort.Strings(codes)
	sort.Strings(enum)
	if !reflect.DeepEqual(codes, enum) {
		t.Errorf("ErrorDetail.code enum %v, want %v", enum, codes)
	}
}
