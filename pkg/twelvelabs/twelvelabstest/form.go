package twelvelabstest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxField bounds a multipart text field; uploads are streamed and hashed,
// never held.
const maxField = 1 << 20

// upload is a multipart file part, reduced to what the fake needs.
type upload struct {
	filename string
	size     int64
	sha256   string
}

// key identifies an upload's content for the catalogue: the same file
// sent to any endpoint is the same media.
func (u upload) key() string { return u.filename + "\x00" + u.sha256 }

// formData is a parsed multipart body.
type formData struct {
	values url.Values
	files  map[string][]upload
}

func (f *formData) get(key string) string { return f.values.Get(key) }

// readForm parses a multipart/form-data body field by field, hashing file
// parts as they stream by, and records the fields on the request.
func (s *Server) readForm(r *http.Request) (*formData, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, errors.New("the request body must be multipart/form-data")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("the multipart body is malformed: %v", err)
	}
	fd := &formData{values: url.Values{}, files: map[string][]upload{}}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the multipart body is malformed: %v", err)
		}
		name := part.FormName()
		if part.FileName() != "" {
			h := sha256.New()
			n, err := io.Copy(h, part)
			if err != nil {
				return nil, fmt.Errorf("the upload %q could not be read: %v", part.FileName(), err)
			}
			fd.files[name] = append(fd.files[name], upload{filename: part.FileName(), size: n, sha256: hex.EncodeToString(h.Sum(nil))})
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxField+1))
		if err != nil {
			return nil, fmt.Errorf("the multipart body is malformed: %v", err)
		}
		if len(b) > maxField {
			return nil, fmt.Errorf("the field %q is too long", name)
		}
		fd.values.Add(name, string(b))
	}
	s.annotate(r, func(rec *Request) {
		rec.Form = fd.values
		rec.Files = map[string][]string{}
		for k, us := range fd.files {
			for _, u := range us {
				rec.Files[k] = append(rec.Files[k], u.filename)
			}
		}
	})
	return fd, nil
}

// readJSON decodes a JSON body into v and records it on the request.
func (s *Server) readJSON(r *http.Request, v any) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return errors.New("the request body must be application/json")
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("the request body could not be read: %v", err)
	}
	s.annotate(r, func(rec *Request) { rec.JSON = json.RawMessage(b) })
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("the request body is not valid JSON: %v", err)
	}
	return nil
}

// optFloat parses an optional number field; ok is false when it is
// present but not a number.
func optFloat(s string) (v *float64, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, false
	}
	return &f, true
}

// pageParams parses page and page_limit (defaults 1 and 10, limit ≤ 50).
func pageParams(q url.Values) (page, limit int, field string, ok bool) {
	page, limit = 1, 10
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, "page", false
		}
		page = n
	}
	if v := q.Get("page_limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return 0, 0, "page_limit", false
		}
		limit = n
	}
	return page, limit, "", true
}

// pageOf returns the items of one page and the page_info for it.
func pageOf[T any](items []T, page, limit int) ([]T, map[string]any) {
	total := len(items)
	totalPage := (total + limit - 1) / limit
	lo := min((page-1)*limit, total)
	hi := min(lo+limit, total)
	info := map[string]any{"limit_per_page": limit, "page": page, "total_page": totalPage, "total_results": total}
	out := items[lo:hi]
	if out == nil {
		out = []T{}
	}
	return out, info
}
