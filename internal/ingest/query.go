package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxQueryBytes bounds a query-vector file: a vector is a few kilobytes.
const maxQueryBytes = 16 << 20

// QueryVector reads one query vector from r, in any of the shapes a person
// is likely to have at hand: a bare JSON array of numbers, an object with
// a "vector" or "embedding" array (a clipvec JSONL line), an embed-v2 sync
// response with one item (data[0].embedding), or a v1 POST /embed
// response (text_embedding, then image_embedding, segments[0].float).
// model is the response's model_name when it names one.
//
// A file of several query vectors — a JSON array of objects with a
// "vector" (like testdata/sample/queries.json) — needs pick: an index
// ("0") or the value of one of the objects' string fields ("surfing").
func QueryVector(r io.Reader, pick string) (vec []float32, model string, err error) {
	body, err := io.ReadAll(io.LimitReader(r, maxQueryBytes+1))
	if err != nil {
		return nil, "", err
	}
	if len(body) > maxQueryBytes {
		return nil, "", fmt.Errorf("query vector file is larger than %d bytes", maxQueryBytes)
	}
	var raw any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	if arr, ok := raw.([]any); ok && len(arr) > 0 {
		if _, isObject := arr[0].(map[string]any); isObject {
			if raw, err = pickQuery(arr, pick); err != nil {
				return nil, "", err
			}
		}
	}
	switch v := raw.(type) {
	case []any:
		vec, err = numbers(v)
		return vec, "", err
	case map[string]any:
		model, _ = v["model_name"].(string)
		model = CanonicalModel(model)
		for _, key := range []string{"vector", "embedding"} {
			if arr, ok := v[key].([]any); ok {
				vec, err = numbers(arr)
				return vec, model, err
			}
		}
		if data, ok := v["data"].([]any); ok {
			if len(data) != 1 {
				return nil, "", fmt.Errorf("%w: the response has %d embeddings in data; a query needs exactly one", ErrNoVectors, len(data))
			}
			if item, ok := data[0].(map[string]any); ok {
				if arr, ok := item["embedding"].([]any); ok {
					vec, err = numbers(arr)
					return vec, model, err
				}
			}
		}
		for _, key := range []string{"text_embedding", "image_embedding"} {
			if emb, ok := v[key].(map[string]any); ok {
				if segs, ok := emb["segments"].([]any); ok && len(segs) > 0 {
					if seg, ok := segs[0].(map[string]any); ok {
						if arr, ok := seg["float"].([]any); ok {
							vec, err = numbers(arr)
							return vec, model, err
						}
					}
				}
			}
		}
	}
	return nil, "", fmt.Errorf("%w: want a JSON array of numbers, {\"vector\": [...]}, or an embed response with one embedding", ErrUnknownShape)
}

func numbers(arr []any) ([]float32, error) {
	out := make([]float32, len(arr))
	for i, x := range arr {
		f, ok := x.(float64)
		if !ok {
			what := "a " + fmt.Sprintf("%T", x)
			switch x.(type) {
			case nil:
				what = "null"
			case string:
				what = "a string"
			case bool:
				what = "a boolean"
			}
			return nil, &valueError{index: i, what: what}
		}
		out[i] = float32(f)
	}
	if len(out) == 0 {
		return nil, errors.New("query vector is empty")
	}
	return out, nil
}

// pickQuery chooses one object of an array of query objects.
func pickQuery(arr []any, pick string) (any, error) {
	var names []string
	for i, el := range arr {
		obj, ok := el.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: array element %d is not an object", ErrUnknownShape, i)
		}
		if pick == strconv.Itoa(i) {
			return obj, nil
		}
		name := ""
		for _, key := range []string{"topic", "name", "id", "text"} {
			if s, ok := obj[key].(string); ok {
				if s == pick {
					return obj, nil
				}
				if name == "" {
					name = brief(s)
				}
			}
		}
		names = append(names, name)
	}
	if pick == "" && len(arr) == 1 {
		return arr[0], nil
	}
	// At most maxNames names, each cut by brief: the message stays short
	// whatever the file holds.
	const maxNames = 20
	list := strings.Join(names[:min(len(names), maxNames)], ", ")
	if len(names) > maxNames {
		list += fmt.Sprintf(", … (%d more)", len(names)-maxNames)
	}
	if pick != "" {
		return nil, fmt.Errorf("no query %s in the file; it has %d: %s (or pick by index 0–%d)", quote(pick), len(arr), list, len(arr)-1)
	}
	return nil, fmt.Errorf("the file holds %d query vectors (%s): pick one with FILE#NAME or FILE#INDEX", len(arr), list)
}
