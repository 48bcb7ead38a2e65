package twelvelabs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"strconv"
	"sync"
)

// File is an upload: the bytes come from Reader, Name is the filename
// sent with them. Pass an io.Seeker (an *os.File, a *bytes.Reader) to let
// the client rewind and retry the upload; a plain io.Reader is sent once
// and the request is then not retried.
// A File is consumed by the call it is passed to: do not share one
// between concurrent calls.
type File struct {
	// Name is the filename sent in the multipart part, e.g. "clip.mp4".
	Name string
	// Reader supplies the bytes.
	Reader io.Reader
}

// form is a multipart/form-data body. Fields keep their order, and
// repeated fields repeat (the TwelveLabs encoding for arrays).
type form struct {
	fields []formField
	files  []formFile
	// last is the previous attempt's body: closed (and its writer waited
	// for) before the uploads are rewound.
	last *pipeBody
}

type formField struct{ name, value string }

type formFile struct {
	field string
	file  File
	// start is the reader's offset at the first attempt (seekers only).
	start int64
}

// add appends a field.
func (f *form) add(name, value string) { f.fields = append(f.fields, formField{name, value}) }

// addNonEmpty appends a field unless value is "".
func (f *form) addNonEmpty(name, value string) {
	if value != "" {
		f.add(name, value)
	}
}

// addAll appends one field per value.
func (f *form) addAll(name string, values []string) {
	for _, v := range values {
		f.add(name, v)
	}
}

// addFloat appends a field for a non-nil number, in shortest form.
func (f *form) addFloat(name string, v *float64) {
	if v != nil {
		f.add(name, strconv.FormatFloat(*v, 'f', -1, 64))
	}
}

// addFile appends a file part.
func (f *form) addFile(field string, file File) {
	f.files = append(f.files, formFile{field: field, file: file, start: -1})
}

// body turns the form into a request body: built in memory when it has no
// files, streamed through a pipe when it does.
func (f *form) body() *body {
	if len(f.files) == 0 {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, fl := range f.fields {
			mw.WriteField(fl.name, fl.value) // writes to memory cannot fail
		}
		mw.Close()
		return &body{contentType: mw.FormDataContentType(), data: buf.Bytes()}
	}
	return &body{form: f}
}

// replayable reports whether every upload can be rewound.
func (f *form) replayable() bool {
	for _, ff := range f.files {
		if _, ok := ff.file.Reader.(io.Seeker); !ok {
			return false
		}
	}
	return true
}

var errNotRewindable = errors.New("upload reader cannot be rewound for another attempt; pass an io.Seeker")

// open starts streaming the form; each call rewinds the uploads to where
// they stood at the first call. length is the body's size when every
// upload is a seeker (so the request carries a Content-Length, which some
// gateways require for uploads), else -1 (chunked).
func (f *form) open() (r io.Reader, contentType string, length int64, err error) {
	if f.last != nil {
		f.last.Close()
	}
	for i := range f.files {
		ff := &f.files[i]
		s, ok := ff.file.Reader.(io.Seeker)
		switch {
		case ok && ff.start < 0:
			if ff.start, err = s.Seek(0, io.SeekCurrent); err != nil {
				return nil, "", 0, fmt.Errorf("upload %s: %w", ff.file.Name, err)
			}
		case !ok && ff.start == -2:
			return nil, "", 0, fmt.Errorf("upload %s: %w", ff.file.Name, errNotRewindable)
		case !ok:
			ff.start = -2 // sent once
			length = -1
			continue
		}
		end, err := s.Seek(0, io.SeekEnd)
		if err == nil {
			_, err = s.Seek(ff.start, io.SeekStart)
		}
		if err != nil {
			return nil, "", 0, fmt.Errorf("rewind upload %s: %w", ff.file.Name, err)
		}
		if length >= 0 {
			length += max(end-ff.start, 0)
		}
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	if length >= 0 {
		// The framing around the files: the same form with empty files,
		// written with the same boundary.
		var n countWriter
		probe := multipart.NewWriter(&n)
		if err := probe.SetBoundary(mw.Boundary()); err != nil {
			return nil, "", 0, err
		}
		if err := f.write(probe, false); err != nil {
			return nil, "", 0, err
		}
		length += int64(n)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		pw.CloseWithError(f.write(mw, true))
	})
	f.last = &pipeBody{PipeReader: pr, wg: &wg}
	return f.last, mw.FormDataContentType(), length, nil
}

// countWriter counts the bytes written to it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// write streams the fields, then the files (their contents only when
// withFiles), then the closing boundary.
func (f *form) write(mw *multipart.Writer, withFiles bool) error {
	for _, fl := range f.fields {
		if err := mw.WriteField(fl.name, fl.value); err != nil {
			return err
		}
	}
	for _, ff := range f.files {
		part, err := mw.CreateFormFile(ff.field, ff.file.Name)
		if err != nil {
			return err
		}
		if !withFiles {
			continue
		}
		if _, err := io.Copy(part, ff.file.Reader); err != nil {
			return fmt.Errorf("read upload %s: %w", ff.file.Name, err)
		}
	}
	return mw.Close()
}

// pipeBody is the read end of a streamed form; closing it stops the
// writer goroutine and waits for it, so no goroutine outlives a request
// and the upload reader is not in use when the next attempt rewinds it.
type pipeBody struct {
	*io.PipeReader
	wg *sync.WaitGroup
}

func (p *pipeBody) Close() error {
	err := p.PipeReader.Close()
	p.wg.Wait()
	return err
}
