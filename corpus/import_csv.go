package corpus

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvColumnNames lists the header names ReadCSV knows, for messages.
const csvColumnNames = "id, kind, lang, title, question, answer, body, url, source, tags, alt_questions, status"

// csvSetter returns the setter for a (lower-case) header name.
// Multi-value columns hold values separated by "|".
func csvSetter(col string) (func(d *Document, v string), bool) {
	switch col {
	case "id":
		return func(d *Document, v string) { d.ID = v }, true
	case "kind":
		return func(d *Document, v string) { d.Kind = Kind(v) }, true
	case "lang":
		return func(d *Document, v string) { d.Lang = v }, true
	case "title":
		return func(d *Document, v string) { d.Title = v }, true
	case "question":
		return func(d *Document, v string) { d.Question = v }, true
	case "answer":
		return func(d *Document, v string) { d.Answer = v }, true
	case "body":
		return func(d *Document, v string) { d.Body = v }, true
	case "url":
		return func(d *Document, v string) { d.URL = v }, true
	case "source":
		return func(d *Document, v string) { d.Source = v }, true
	case "tags":
		return func(d *Document, v string) { d.Tags = splitMulti(v) }, true
	case "alt_questions":
		return func(d *Document, v string) { d.AltQuestions = splitMulti(v) }, true
	case "status":
		return func(d *Document, v string) { d.Status = Status(v) }, true
	}
	return nil, false
}

func splitMulti(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	// Normalize trims the parts and drops empty ones.
	return strings.Split(v, "|")
}

// ReadCSV reads a CSV file whose header row names the columns (id, kind,
// lang, title, question, answer, body, url, source, tags, alt_questions,
// status; case-insensitive, any order; id and kind are required). tags and
// alt_questions hold several values separated by "|". The separator is a
// comma, or a semicolon or tab when the header has no comma but one of
// those (as spreadsheet programs in German locales write). fn gets each
// record in order, with the line the record starts on.
//
// A bad row (wrong number of fields, bad quoting, invalid UTF-8, failed
// validation, an id seen before) is a rejected Record. A bad header (an
// unknown or repeated column, id or kind missing) makes the whole file
// unusable: ReadCSV then returns an error naming file, line and column, as
// it does for a line longer than MaxRecordBytes, binary input and read
// errors. An error from fn is returned as is.
func ReadCSV(r io.Reader, name string, fn func(Record) error) error {
	return readCSV(r, name, newDedupe().wrap(fn))
}

func readCSV(r io.Reader, name string, fn func(Record) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if err := sniffText(br, name); err != nil {
		return err
	}
	skipBOM(br)
	capped := &capReader{r: br, max: MaxRecordBytes, line: 1}
	cr := csv.NewReader(capped)
	cr.Comma = sniffComma(br)
	cr.ReuseRecord = true
	fail := func(line int, err error) error {
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			line = perr.StartLine
			err = perr.Err
		}
		if errors.Is(err, errLineTooLong) {
			line = capped.line
		}
		return fmt.Errorf("%s:%d: %w", name, line, err)
	}

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: empty file, want a header row naming the columns", name)
	}
	if err != nil {
		return fail(1, fmt.Errorf("header: %w", err))
	}
	setters, names, err := csvHeader(header)
	if err != nil {
		return fail(1, err)
	}

	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var perr *csv.ParseError
		if err != nil && (!errors.As(err, &perr) || errors.Is(err, errLineTooLong)) {
			return fail(0, err)
		}
		rec := Record{File: name}
		switch {
		case perr != nil && errors.Is(perr.Err, csv.ErrFieldCount):
			rec.Line = perr.StartLine
			rec.Err = fmt.Errorf("%d fields, the header has %d", len(row), len(header))
		case perr != nil:
			rec.Line = perr.StartLine
			rec.Err = fmt.Errorf("column %d: %v", perr.Column, perr.Err)
		default:
			rec.Line, _ = cr.FieldPos(0)
			rec.Doc, rec.Err = csvDoc(row, setters, names)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// sniffComma picks the separator from the first line.
func sniffComma(br *bufio.Reader) rune {
	head, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	if bytes.IndexByte(head, ',') < 0 {
		switch {
		case bytes.IndexByte(head, ';') >= 0:
			return ';'
		case bytes.IndexByte(head, '\t') >= 0:
			return '\t'
		}
	}
	return ','
}

func csvHeader(header []string) (setters []func(*Document, string), names []string, err error) {
	seen := map[string]int{}
	for i, h := range header {
		col := strings.ToLower(strings.TrimSpace(h))
		set, ok := csvSetter(col)
		if !ok {
			return nil, nil, fmt.Errorf("header column %d: unknown column %q (known: %s)", i+1, h, csvColumnNames)
		}
		if j, dup := seen[col]; dup {
			return nil, nil, fmt.Errorf("header column %d: column %q repeats column %d", i+1, col, j+1)
		}
		seen[col] = i
		setters = append(setters, set)
		names = append(names, col)
	}
	for _, need := range []string{"id", "kind"} {
		if _, ok := seen[need]; !ok {
			return nil, nil, fmt.Errorf("header: no %s column", need)
		}
	}
	return setters, names, nil
}

func csvDoc(row []string, setters []func(*Document, string), names []string) (Document, error) {
	var d Document
	for i, v := range row {
		if why, _ := badText([]byte(v)); why != "" {
			return Document{}, fmt.Errorf("column %s: %s", names[i], why)
		}
		setters[i](&d, v)
	}
	if err := finish(&d); err != nil {
		return d, err
	}
	return d, nil
}
