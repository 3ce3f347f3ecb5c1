// Package eval measures sofort's quality on suites of questions with known
// answers: retrieval metrics (Recall@k, MRR, nDCG) for the index, and the
// bot's decisions. It reads the suites in the JSONL case format of
// shared/eval/README.md.
package eval

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Case is one question with the documents that answer it.
type Case struct {
	ID     string   `json:"id"`
	Query  string   `json:"query"`
	Lang   string   `json:"lang,omitempty"`
	Expect []string `json:"expect"`
	// Escalate marks a question that must not be answered from the
	// corpus.
	Escalate bool `json:"escalate,omitempty"`
}

// ReadCases parses a JSONL case file. It stops at the first bad line: a
// suite with a broken case would give figures nobody can compare.
func ReadCases(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open cases: %w", err)
	}
	defer f.Close()
	return ParseCases(f, path)
}

// ParseCases reads cases from r; name is used in error messages.
func ParseCases(r io.Reader, name string) ([]Case, error) {
	var out []Case
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		var c Case
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		switch {
		case c.ID == "":
			return nil, fmt.Errorf("%s:%d: case without id", name, line)
		case strings.TrimSpace(c.Query) == "":
			return nil, fmt.Errorf("%s:%d: case %s has no query", name, line, c.ID)
		case len(c.Expect) == 0 && !c.Escalate:
			return nil, fmt.Errorf("%s:%d: case %s expects nothing and is not marked escalate", name, line, c.ID)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than 4 MiB", name, line+1)
		}
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no cases", name)
	}
	return out, nil
}
