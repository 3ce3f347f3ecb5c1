// Package demo holds sofort's bundled demo corpus: the help centre and
// community forum of Funkfuchs, a fictional German mobile and home internet
// provider, in German and English. It is embedded in the binary so a fresh
// installation has something to search and chat about; loading it into a
// store is the caller's job.
package demo

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sofort-chat/sofort/corpus"
)

// fileName is how errors refer to the embedded file.
const fileName = "demo.jsonl"

// data is a string rather than a []byte so no caller can change the
// embedded corpus in place.
//
//go:embed demo.jsonl
var data string

// Name returns the demo corpus's stable name, for logs and for recording
// which bundled corpus a data directory was seeded from.
func Name() string { return "funkfuchs" }

// Version returns the first 16 hex digits of the SHA-256 of the embedded
// file. It is derived from the content rather than kept as a constant so it
// cannot go stale: any edit to demo.jsonl yields a new version, which lets a
// loader tell whether the demo it seeded earlier is the one it now carries.
func Version() string {
	sum := sha256.Sum256([]byte(data))
	return hex.EncodeToString(sum[:])[:16]
}

// Documents decodes the embedded corpus, one document per line, normalised
// and validated. Each call returns fresh documents the caller may modify.
// On failure it returns an error naming the line at fault that wraps
// corpus.ErrInvalid; with the corpus as shipped (and tested) that does not
// happen.
func Documents() ([]corpus.Document, error) {
	return decode(data)
}

// decode parses JSONL src. Unknown fields are rejected, because a misspelt
// field name ("alt_question") would otherwise silently drop text. Blank
// lines are skipped.
func decode(src string) ([]corpus.Document, error) {
	var docs []corpus.Document
	seen := make(map[string]int) // id -> line
	for i, line := range strings.Split(src, "\n") {
		n := i + 1
		if strings.TrimSpace(line) == "" {
			continue
		}
		d, err := decodeLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", fileName, n, err)
		}
		if prev, ok := seen[d.ID]; ok {
			return nil, fmt.Errorf("%s:%d: %w: id %s already used on line %d", fileName, n, corpus.ErrInvalid, d.ID, prev)
		}
		seen[d.ID] = n
		docs = append(docs, d)
	}
	return docs, nil
}

func decodeLine(line string) (corpus.Document, error) {
	var d corpus.Document
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("%w: %w", corpus.ErrInvalid, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return d, fmt.Errorf("%w: data after the document", corpus.ErrInvalid)
	}
	d.Normalize()
	if err := d.Validate(); err != nil {
		return d, err
	}
	return d, nil
}
