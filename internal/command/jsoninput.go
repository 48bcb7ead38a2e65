package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// readJSONInput decodes the JSON document in file path (- for stdin)
// into v; anything after the document is refused, and with strict an
// unknown field too. name is what to call the input in a message. err is a failure
// to read it; why, when the document does not decode, says where and
// what in words a person can act on (the line and column of a syntax
// error, the field of the wrong type), and decodeErr is the decoder's
// error.
func readJSONInput(path string, stdin io.Reader, v any, strict bool) (name, why string, decodeErr, err error) {
	var data []byte
	name = path
	if path == "-" {
		data, err = io.ReadAll(stdin)
		name = "stdin"
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return name, "", nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	decodeErr = dec.Decode(v)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case decodeErr == nil && dec.More():
		decodeErr = errors.New("more after the JSON document")
		why = "more after the JSON document"
	case decodeErr == nil:
	case errors.As(decodeErr, &se):
		line, col := position(data, se.Offset)
		why = fmt.Sprintf("line %d, column %d: %v", line, col, decodeErr)
	case errors.As(decodeErr, &te) && te.Field == "":
		why = "the file holds a JSON " + te.Value
	case errors.As(decodeErr, &te):
		why = fmt.Sprintf("entry field %q is a JSON %s", te.Field, te.Value)
	default:
		why = decodeErr.Error()
	}
	return name, why, decodeErr, nil
}

// position is the line and column (from 1) of the character a
// json.SyntaxError's Offset stops after.
func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset-1, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
