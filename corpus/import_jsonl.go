package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
)

// ReadJSONL reads JSON Lines, one Document object a line (the format of
// eval/*/corpus.jsonl), and calls fn with each record in order. name labels
// positions in messages.
//
// A line is rejected (a Record with Err) when it is not a JSON object, has
// trailing data, is longer than MaxRecordBytes, is not UTF-8, or fails
// validation; so is a field this format does not know: a misspelt
// "anwser" would otherwise drop the answer without a word. A later line
// repeating an earlier id is rejected too (the first is kept). Blank lines,
// a UTF-8 byte order mark and CRLF line endings are accepted.
//
// ReadJSONL returns fn's error as is, or an error naming the file when the
// input is unreadable or plainly not text (binary, UTF-16, gzip).
func ReadJSONL(r io.Reader, name string, fn func(Record) error) error {
	return readJSONL(r, name, newDedupe().wrap(fn))
}

func readJSONL(r io.Reader, name string, fn func(Record) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if err := sniffText(br, name); err != nil {
		return err
	}
	skipBOM(br)
	lr := &lineReader{br: br, max: MaxRecordBytes}
	for {
		line, tooLong, complete, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, lr.line+1, err)
		}
		rec := Record{File: name, Line: lr.line}
		switch {
		case tooLong:
			rec.Err = errLineTooLong
		case len(bytes.TrimSpace(line)) == 0:
			continue
		default:
			rec.Doc, rec.Err = decodeJSONLine(line)
			if rec.Err != nil && !complete {
				rec.Err = fmt.Errorf("%w (last line has no newline: is the file truncated?)", rec.Err)
			}
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// decodeJSONLine decodes and checks one line. Columns in its messages are
// 1-based byte offsets into the line.
func decodeJSONLine(line []byte) (Document, error) {
	if why, at := badText(line); why != "" {
		return Document{}, fmt.Errorf("column %d: %s", at+1, why)
	}
	lead := len(line) - len(bytes.TrimLeft(line, " \t"))
	if line[lead] != '{' {
		return Document{}, fmt.Errorf("column %d: want a JSON object starting with {, got %q", lead+1, preview(line[lead:]))
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return Document{}, describeJSONError(err)
	}
	if rest := bytes.TrimLeft(line[dec.InputOffset():], " \t"); len(rest) > 0 {
		return Document{}, fmt.Errorf("column %d: extra data after the JSON object", len(line)-len(rest)+1)
	}
	// The store computes the hash; an imported one would only mislead.
	d.Hash = ""
	if err := finish(&d); err != nil {
		return d, err
	}
	return d, nil
}

func describeJSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tim *time.ParseError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("column %d: invalid JSON: %s", syn.Offset, syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("invalid JSON: the line ends inside the object")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "document"
		}
		return fmt.Errorf("field %s: got a JSON %s, want %s", field, typ.Value, describeType(typ.Type))
	case errors.As(err, &tim):
		return fmt.Errorf("time %q is not RFC 3339 (like 2024-05-01T12:00:00Z)", strings.Trim(tim.Value, `"`))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describeType(t.Elem()), "a ") + "s"
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "an RFC 3339 time string"
		}
		if t == reflect.TypeFor[Post]() {
			return "a post object"
		}
		return "an object"
	}
	return t.String()
}

// preview shortens b, valid UTF-8, for a message.
func preview(b []byte) string {
	r := []rune(string(b[:min(len(b), 100)]))
	if len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return string(r)
}
