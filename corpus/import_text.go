package corpus

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Record is one document read from an import source, or the reason it was
// rejected. Readers hand every record, good or bad, to a visitor function in
// file order; the visitor decides what to do with rejections (Import counts
// them in its report, the eval runner may fail on the first).
type Record struct {
	// Doc is normalized and passes Validate when Err is nil. When Err is
	// set it holds whatever could be read, possibly nothing.
	Doc Document
	// File names the source as given to the reader; Line is the 1-based
	// line where the record starts.
	File string
	Line int
	// Err is why the record was rejected; its message does not repeat the
	// position (see Reject).
	Err error
}

// Pos returns the record's position as "file:line".
func (r Record) Pos() string { return fmt.Sprintf("%s:%d", r.File, r.Line) }

// Reject returns the rejection message "file:line: reason", or just the
// position for a record without Err.
func (r Record) Reject() string {
	if r.Err == nil {
		return r.Pos()
	}
	return r.Pos() + ": " + r.Err.Error()
}

// MaxRecordBytes caps one line of JSONL or CSV and one Markdown file. A
// longer record is rejected without being held in memory. It is well above
// what a valid document needs (MaxFieldBytes per text field).
const MaxRecordBytes = 8 << 20

// errLineTooLong reports a line over MaxRecordBytes.
var errLineTooLong = fmt.Errorf("line longer than %d MiB", MaxRecordBytes>>20)

// sniffText rejects inputs that are plainly not UTF-8 text, so a wrong file
// fails once with a clear reason instead of as thousands of bad lines.
func sniffText(br *bufio.Reader, name string) error {
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return fmt.Errorf("%s: file is UTF-16 encoded; save it as UTF-8", name)
	case bytes.HasPrefix(head, []byte{0x1F, 0x8B}):
		return fmt.Errorf("%s: file is gzip-compressed; decompress it first", name)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return fmt.Errorf("%s: file is a zip archive (an Excel workbook?); export it as CSV or JSONL", name)
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Errorf("%s: binary file (NUL byte at offset %d), want UTF-8 text", name, i)
	}
	return nil
}

// skipBOM drops a UTF-8 byte order mark, which spreadsheet programs put at
// the start of exported files.
func skipBOM(br *bufio.Reader) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
		br.Discard(3)
	}
}

// badText explains why b cannot be document text and gives the 0-based
// offset of the first byte at fault, or returns "" when b is fine.
func badText(b []byte) (reason string, at int) {
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == 0:
			return "NUL byte (binary data?)", i
		case c < utf8.RuneSelf:
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return fmt.Sprintf("byte 0x%02X is not valid UTF-8 (save the file as UTF-8)", b[i]), i
		}
		i += n
	}
	return "", 0
}

// lineReader reads lines of at most max bytes. A longer line is skipped up
// to its end without being held in memory, so the next line still parses.
type lineReader struct {
	br   *bufio.Reader
	max  int
	line int
	buf  []byte
}

// next returns the next line without its line ending. tooLong reports a
// skipped over-long line (line is then empty); complete is false for a last
// line without a newline. It returns io.EOF after the last line.
func (lr *lineReader) next() (line []byte, tooLong, complete bool, err error) {
	lr.buf = lr.buf[:0]
	read := 0
	for {
		chunk, err := lr.br.ReadSlice('\n')
		read += len(chunk)
		if !tooLong {
			// +2 leaves room for the CRLF that is trimmed below.
			if len(lr.buf)+len(chunk) > lr.max+2 {
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			lr.line++
			line = bytes.TrimSuffix(bytes.TrimSuffix(lr.buf, []byte("\n")), []byte("\r"))
			if !tooLong && len(line) > lr.max {
				tooLong, line = true, nil
			}
			return line, tooLong, true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if read == 0 {
				return nil, false, false, io.EOF
			}
			lr.line++
			if tooLong || len(lr.buf) > lr.max {
				return nil, true, false, nil
			}
			return lr.buf, false, false, nil
		default:
			return nil, false, false, err
		}
	}
}

// capReader fails with errLineTooLong once a line exceeds max bytes. It
// guards readers, like encoding/csv, that would otherwise grow a buffer
// for a line of any length.
type capReader struct {
	r    io.Reader
	max  int
	run  int // bytes since the last newline
	line int // 1-based line being read
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			c.run = 0
			c.line++
			continue
		}
		c.run++
		if c.run > c.max {
			return i, errLineTooLong
		}
	}
	return n, err
}

// dedupe turns later records with an already seen id into rejections. The
// first occurrence wins, rather than the last, so that running the same
// import twice writes nothing the second time: if the last won, every run
// would store the first version and then overwrite it again.
type dedupe struct {
	first map[string]Record // id → position of its first occurrence
}

func newDedupe() *dedupe { return &dedupe{first: map[string]Record{}} }

func (d *dedupe) wrap(fn func(Record) error) func(Record) error {
	return func(rec Record) error {
		if rec.Err == nil {
			if first, ok := d.first[rec.Doc.ID]; ok {
				where := first.Pos()
				if first.File == rec.File {
					where = fmt.Sprintf("line %d", first.Line)
				}
				rec.Err = fmt.Errorf("duplicate id %q (first at %s, which is kept)", rec.Doc.ID, where)
			} else {
				d.first[rec.Doc.ID] = Record{File: rec.File, Line: rec.Line}
			}
		}
		return fn(rec)
	}
}

// finish normalizes a freshly read document and reports why it cannot be
// stored, if it cannot.
func finish(d *Document) error {
	d.Normalize()
	for _, f := range [...]struct{ name, v string }{
		{"id", d.ID}, {"title", d.Title}, {"question", d.Question}, {"answer", d.Answer},
		{"body", d.Body}, {"url", d.URL}, {"source", d.Source},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return fmt.Errorf("%w: field %s contains a NUL character", ErrInvalid, f.name)
		}
	}
	return d.Validate()
}
