package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// readResult is what a reader produced: "file:line id" for each kept
// record and the message for each rejected one.
type readResult struct {
	kept     []string
	rejected []string
	docs     map[string]Document
}

func readPathAll(t *testing.T, p string) (readResult, error) {
	t.Helper()
	res := readResult{docs: map[string]Document{}}
	err := ReadPath(p, func(r Record) error {
		if r.Err != nil {
			res.rejected = append(res.rejected, r.Reject())
			return nil
		}
		if err := r.Doc.Validate(); err != nil {
			t.Errorf("%s: kept record fails Validate: %v", r.Pos(), err)
		}
		res.kept = append(res.kept, fmt.Sprintf("%s %s", r.Pos(), r.Doc.ID))
		res.docs[r.Doc.ID] = r.Doc
		return nil
	})
	return res, err
}

func TestReaders(t *testing.T) {
	tests := []struct {
		name         string
		path         string
		wantKept     []string
		wantRejected []string
		wantErr      string // exact; "" for none
	}{
		{
			name: "jsonl good with BOM, CRLF, blank lines, no final newline",
			path: "testdata/jsonl/good.jsonl",
			wantKept: []string{
				"testdata/jsonl/good.jsonl:1 faq-1",
				"testdata/jsonl/good.jsonl:4 thread-1",
				"testdata/jsonl/good.jsonl:5 article-1",
			},
		},
		{
			name: "jsonl bad lines are rejected, good ones kept",
			path: "testdata/jsonl/bad.jsonl",
			wantKept: []string{
				"testdata/jsonl/bad.jsonl:1 ok-1",
				"testdata/jsonl/bad.jsonl:12 ok-3",
			},
			wantRejected: []string{
				`testdata/jsonl/bad.jsonl:2: column 47: invalid JSON: invalid character '"' after object key:value pair`,
				`testdata/jsonl/bad.jsonl:3: invalid document: missing id`,
				`testdata/jsonl/bad.jsonl:4: invalid document: id bad-kind: unknown kind "wiki" (want faq, thread or article)`,
				`testdata/jsonl/bad.jsonl:5: unknown field "anwser"`,
				`testdata/jsonl/bad.jsonl:6: field tags: got a JSON string, want a list of strings`,
				`testdata/jsonl/bad.jsonl:7: duplicate id "ok-1" (first at line 1, which is kept)`,
				`testdata/jsonl/bad.jsonl:8: column 45: byte 0xFC is not valid UTF-8 (save the file as UTF-8)`,
				`testdata/jsonl/bad.jsonl:9: column 1: want a JSON object starting with {, got "[\"not\",\"an\",\"object\"…"`,
				`testdata/jsonl/bad.jsonl:10: column 45: extra data after the JSON object`,
				`testdata/jsonl/bad.jsonl:11: column 43: NUL byte (binary data?)`,
				`testdata/jsonl/bad.jsonl:13: invalid document: id bad-lang: lang "english" is not a two-letter language code`,
				`testdata/jsonl/bad.jsonl:14: invalid document: id bad-empty: no text (title, question, answer, body, alt_questions or posts)`,
				`testdata/jsonl/bad.jsonl:15: time "yesterday" is not RFC 3339 (like 2024-05-01T12:00:00Z)`,
				`testdata/jsonl/bad.jsonl:16: invalid JSON: the line ends inside the object (last line has no newline: is the file truncated?)`,
			},
		},
		{
			name:    "jsonl binary file",
			path:    "testdata/jsonl/binary.jsonl",
			wantErr: "testdata/jsonl/binary.jsonl: binary file (NUL byte at offset 0), want UTF-8 text",
		},
		{
			name:    "jsonl UTF-16 file",
			path:    "testdata/jsonl/utf16.jsonl",
			wantErr: "testdata/jsonl/utf16.jsonl: file is UTF-16 encoded; save it as UTF-8",
		},
		{
			name: "csv good with BOM, mixed-case header, quoted multi-line field",
			path: "testdata/csv/good.csv",
			wantKept: []string{
				"testdata/csv/good.csv:2 faq-1",
				"testdata/csv/good.csv:3 faq-2",
				"testdata/csv/good.csv:5 art-1",
			},
		},
		{
			name:     "csv with semicolons",
			path:     "testdata/csv/semicolon.csv",
			wantKept: []string{"testdata/csv/semicolon.csv:2 faq-1"},
		},
		{
			name: "csv bad rows are rejected, good ones kept",
			path: "testdata/csv/bad.csv",
			wantKept: []string{
				"testdata/csv/bad.csv:2 ok-1",
				"testdata/csv/bad.csv:7 ok-2",
				"testdata/csv/bad.csv:11 ok-3",
			},
			wantRejected: []string{
				`testdata/csv/bad.csv:3: 3 fields, the header has 4`,
				`testdata/csv/bad.csv:4: invalid document: missing id`,
				`testdata/csv/bad.csv:5: invalid document: id bad-kind: unknown kind "wiki" (want faq, thread or article)`,
				`testdata/csv/bad.csv:6: column 17: bare " in non-quoted-field`,
				`testdata/csv/bad.csv:9: duplicate id "ok-1" (first at line 2, which is kept)`,
				`testdata/csv/bad.csv:10: column question: byte 0xFC is not valid UTF-8 (save the file as UTF-8)`,
			},
		},
		{
			name:    "csv unknown column",
			path:    "testdata/csv/unknown_column.csv",
			wantErr: `testdata/csv/unknown_column.csv:1: header column 4: unknown column "answr" (known: id, kind, lang, title, question, answer, body, url, source, tags, alt_questions, status)`,
		},
		{
			name:    "csv repeated column",
			path:    "testdata/csv/dup_column.csv",
			wantErr: `testdata/csv/dup_column.csv:1: header column 4: column "question" repeats column 3`,
		},
		{
			name:    "csv without kind column",
			path:    "testdata/csv/no_kind.csv",
			wantErr: `testdata/csv/no_kind.csv:1: header: no kind column`,
		},
		{
			name:    "csv empty",
			path:    "testdata/csv/empty.csv",
			wantErr: `testdata/csv/empty.csv: empty file, want a header row naming the columns`,
		},
		{
			name: "markdown directory",
			path: "testdata/md",
			wantKept: []string{
				"testdata/md/billing/refunds.md:1 billing/refunds",
				"testdata/md/getting-started.md:1 getting-started",
				"testdata/md/printer.markdown:1 printer-offline",
			},
		},
		{
			name:     "markdown single file takes its id from the file name",
			path:     "testdata/md/billing/refunds.md",
			wantKept: []string{"testdata/md/billing/refunds.md:1 refunds"},
		},
		{
			name: "markdown broken files",
			path: "testdata/mdbad",
			wantKept: []string{
				"testdata/mdbad/dup.md:1 good",
			},
			wantRejected: []string{
				`testdata/mdbad/bad_kind.md:4: invalid document: id bad_kind: unknown kind "wiki" (want faq, thread or article)`,
				`testdata/mdbad/bad_post.md:6: unknown post key "text" (known: author, body, accepted, votes, created)`,
				`testdata/mdbad/bad_status.md:4: invalid document: id bad_status: unknown status "gone" (want draft, published or retired)`,
				`testdata/mdbad/bad_type.md:4: front matter: cannot unmarshal !!map into []string`,
				`testdata/mdbad/bad_yaml.md:4: front matter: did not find expected ',' or ']'`,
				`testdata/mdbad/dup_key.md:4: front matter key "title" repeats line 2`,
				`testdata/mdbad/empty.md:1: invalid document: id empty: no text (title, question, answer, body, alt_questions or posts)`,
				`testdata/mdbad/good.md:1: duplicate id "good" (first at testdata/mdbad/dup.md:1, which is kept)`,
				`testdata/mdbad/latin1.md:4: byte 0xFC is not valid UTF-8 (save the file as UTF-8)`,
				`testdata/mdbad/no_text.md:1: invalid document: id no_text: no text (title, question, answer, body, alt_questions or posts)`,
				`testdata/mdbad/not_mapping.md:2: front matter must be a mapping of keys to values`,
				`testdata/mdbad/unclosed.md:1: front matter opened on line 1 is never closed (want a line "---")`,
				`testdata/mdbad/unknown_key.md:4: unknown front matter key "answer" (known: id, kind, lang, title, question, alt_questions, url, source, tags, status, created, posts); the Markdown below the front matter is the answer`,
			},
		},
		{
			name:    "unknown extension",
			path:    "testdata/md/notes.txt",
			wantErr: `testdata/md/notes.txt: unknown file type ".txt" (want .jsonl, .ndjson, .csv, .md or .markdown)`,
		},
		{
			name:    "missing file",
			path:    "testdata/nope.jsonl",
			wantErr: `stat testdata/nope.jsonl: no such file or directory`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readPathAll(t, tt.path)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("error:\n got %s\nwant %s", gotErr, tt.wantErr)
			}
			if !slices.Equal(got.kept, tt.wantKept) {
				t.Errorf("kept:\n got %q\nwant %q", got.kept, tt.wantKept)
			}
			if !slices.Equal(got.rejected, tt.wantRejected) {
				t.Errorf("rejected:\n got %s\nwant %s", strings.Join(got.rejected, "\n     "), strings.Join(tt.wantRejected, "\n     "))
			}
		})
	}
}

// TestReaderFields checks that every field reaches the document, per format.
func TestReaderFields(t *testing.T) {
	date := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name string
		path string
		id   string
		want Document
	}{
		{
			name: "jsonl faq",
			path: "testdata/jsonl/good.jsonl", id: "faq-1",
			want: Document{ID: "faq-1", Kind: KindFAQ, Lang: "en", Title: "Refunds", Question: "How do I get a refund?",
				Answer: "Write to support.", URL: "https://example.com/refunds", Source: "Help centre",
				Tags: []string{"billing", "refund"}, AltQuestions: []string{"Can I get my money back?"}, Status: StatusPublished},
		},
		{
			name: "jsonl thread",
			path: "testdata/jsonl/good.jsonl", id: "thread-1",
			want: Document{ID: "thread-1", Kind: KindThread, Lang: "de", Title: "Drucker offline",
				Posts: []Post{
					{Author: "ann", Body: "Mein Drucker ist offline.", Votes: 1},
					{Author: "bob", Body: "Neu starten hilft.", Accepted: true, Votes: 3, Created: date("2024-03-01T10:00:00Z")},
				},
				Status: StatusPublished, Created: date("2024-03-01T09:00:00+01:00")},
		},
		{
			name: "jsonl normalized kind and title, draft",
			path: "testdata/jsonl/good.jsonl", id: "article-1",
			want: Document{ID: "article-1", Kind: KindArticle, Title: "Getting started", Body: "Install the app.", Status: StatusDraft},
		},
		{
			name: "csv quoting and multi-value columns",
			path: "testdata/csv/good.csv", id: "faq-1",
			want: Document{ID: "faq-1", Kind: KindFAQ, Lang: "en", Title: "Refunds", Question: "How do I get a refund?",
				Answer: `Write to support, we answer "fast".`, Tags: []string{"billing", "refund"},
				AltQuestions: []string{"Money back?", "Refund please"}, URL: "https://example.com/r", Source: "Help centre",
				Status: StatusPublished},
		},
		{
			name: "csv multi-line field and status",
			path: "testdata/csv/good.csv", id: "faq-2",
			want: Document{ID: "faq-2", Kind: KindFAQ, Lang: "de", Title: "Versand", Question: "Wie lange dauert der Versand?",
				Answer: "Zwei Tage.\nManchmal drei.", Tags: []string{"versand"}, Status: StatusDraft},
		},
		{
			name: "csv body",
			path: "testdata/csv/good.csv", id: "art-1",
			want: Document{ID: "art-1", Kind: KindArticle, Title: "Start", Body: "Install the app.", Status: StatusPublished},
		},
		{
			name: "markdown faq: body is the answer",
			path: "testdata/md", id: "billing/refunds",
			want: Document{ID: "billing/refunds", Kind: KindFAQ, Lang: "en", Title: "Refunds", Question: "How do I get a refund?",
				AltQuestions: []string{"Can I get my money back?"}, Tags: []string{"billing", "refund"},
				URL: "https://example.com/refunds", Answer: "Write to **support** within 30 days.",
				Status: StatusPublished, Created: date("2024-05-01T00:00:00Z")},
		},
		{
			name: "markdown without front matter: article titled by its heading",
			path: "testdata/md", id: "getting-started",
			want: Document{ID: "getting-started", Kind: KindArticle, Title: "Getting started",
				Body: "# Getting started\n\nInstall the app, then sign in.", Status: StatusPublished},
		},
		{
			name: "markdown from a static site: date, draft and categories read, site keys accepted",
			path: "testdata/mdsite", id: "hugo-page",
			want: Document{ID: "hugo-page", Kind: KindFAQ, Lang: "de", Title: "Versandkosten",
				Answer: "Der Versand ist ab 50 € kostenlos.", Tags: []string{"versand", "kosten"},
				Status: StatusDraft, Created: date("2023-02-01T10:00:00Z")},
		},
		{
			name: "markdown thread with BOM, CRLF, posts and a single tag",
			path: "testdata/md", id: "printer-offline",
			want: Document{ID: "printer-offline", Kind: KindThread, Lang: "de", Title: "Drucker offline",
				Tags: []string{"drucker"}, Body: "Zusammenfassung: neu starten.",
				Posts: []Post{
					{Author: "ann", Body: "Mein Drucker ist offline."},
					{Author: "bob", Body: "Neu starten hilft.", Accepted: true, Votes: 3},
				},
				Status: StatusPublished},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readPathAll(t, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			d, ok := got.docs[tt.id]
			if !ok {
				t.Fatalf("no document %q; kept %q", tt.id, got.kept)
			}
			if !d.Created.Equal(tt.want.Created) {
				t.Errorf("created: got %v; want %v", d.Created, tt.want.Created)
			}
			d.Created, tt.want.Created = time.Time{}, time.Time{}
			for i := range d.Posts {
				if !d.Posts[i].Created.Equal(tt.want.Posts[i].Created) {
					t.Errorf("post %d created: got %v; want %v", i, d.Posts[i].Created, tt.want.Posts[i].Created)
				}
				d.Posts[i].Created, tt.want.Posts[i].Created = time.Time{}, time.Time{}
			}
			// Normalize leaves empty, non-nil slices; compare by content.
			for _, s := range []*[]string{&d.Tags, &d.AltQuestions, &tt.want.Tags, &tt.want.AltQuestions} {
				if len(*s) == 0 {
					*s = nil
				}
			}
			if len(d.Posts) == 0 {
				d.Posts = nil
			}
			if !reflect.DeepEqual(d, tt.want) {
				t.Errorf("document:\n got %+v\nwant %+v", d, tt.want)
			}
		})
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	var in bytes.Buffer
	in.WriteString(`{"id":"a","kind":"faq","question":"Q?"}` + "\n")
	in.WriteString(`{"id":"huge","kind":"faq","answer":"` + strings.Repeat("x", MaxRecordBytes) + `"}` + "\n")
	in.WriteString(`{"id":"b","kind":"faq","question":"Q?"}` + "\n")
	in.WriteString(strings.Repeat("y", MaxRecordBytes+10)) // over-long last line, no newline
	var kept, rejected []string
	err := ReadJSONL(&in, "big.jsonl", func(r Record) error {
		if r.Err != nil {
			rejected = append(rejected, r.Reject())
		} else {
			kept = append(kept, r.Pos()+" "+r.Doc.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"big.jsonl:1 a", "big.jsonl:3 b"}; !slices.Equal(kept, want) {
		t.Errorf("kept: got %q; want %q", kept, want)
	}
	want := []string{"big.jsonl:2: line longer than 8 MiB", "big.jsonl:4: line longer than 8 MiB"}
	if !slices.Equal(rejected, want) {
		t.Errorf("rejected: got %q; want %q", rejected, want)
	}
}

func TestReadCSVLongLine(t *testing.T) {
	in := "id,kind,question\na,faq,Q?\nb,faq," + strings.Repeat("x", MaxRecordBytes+1) + "\n"
	var kept []string
	err := ReadCSV(strings.NewReader(in), "big.csv", func(r Record) error {
		kept = append(kept, r.Pos())
		return nil
	})
	if err == nil || err.Error() != "big.csv:3: line longer than 8 MiB" {
		t.Errorf("error: got %v; want big.csv:3: line longer than 8 MiB", err)
	}
	if !slices.Equal(kept, []string{"big.csv:2"}) {
		t.Errorf("records before the long line: got %q; want [big.csv:2]", kept)
	}
}

func TestReadStopsOnVisitorError(t *testing.T) {
	stop := errors.New("stop")
	for _, p := range []string{"testdata/jsonl/good.jsonl", "testdata/csv/good.csv", "testdata/md"} {
		calls := 0
		err := ReadPath(p, func(Record) error { calls++; return stop })
		if err != stop || calls != 1 {
			t.Errorf("%s: got %v after %d calls; want stop after 1", p, err, calls)
		}
	}
}

func TestReadFS(t *testing.T) {
	var got []string
	err := ReadFS(os.DirFS("testdata/md"), func(r Record) error {
		got = append(got, fmt.Sprintf("%s %s %v", r.Pos(), r.Doc.ID, r.Err))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"billing/refunds.md:1 billing/refunds <nil>",
		"getting-started.md:1 getting-started <nil>",
		"printer.markdown:1 printer-offline <nil>",
	}
	if !slices.Equal(got, want) {
		t.Errorf("ReadFS: got %q; want %q", got, want)
	}
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	size := func(paths ...string) int {
		n := 0
		for _, p := range paths {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			n += int(fi.Size())
		}
		return n
	}
	goodPaths := []string{"testdata/jsonl/good.jsonl", "testdata/csv/good.csv", "testdata/md"}
	goodSize := size("testdata/jsonl/good.jsonl", "testdata/csv/good.csv",
		"testdata/md/billing/refunds.md", "testdata/md/getting-started.md", "testdata/md/printer.markdown")

	tests := []struct {
		name        string
		paths       []string
		opt         ImportOptions
		runs        int // import this many times; the report is the last run's
		want        ImportReport
		wantErr     string // substring; "" for none
		wantTotal   int    // documents in the store afterwards
		wantLang    map[string]string
		wantPercent int // last progress call, done*100/total; 0: not checked
	}{
		{
			name:  "files of every format and a directory",
			paths: goodPaths,
			opt:   ImportOptions{BatchSize: 2},
			runs:  1,
			want: ImportReport{Added: 8, Rejected: 1, Errors: []string{
				`testdata/csv/good.csv:2: duplicate id "faq-1" (first at testdata/jsonl/good.jsonl:1, which is kept)`,
			}},
			wantTotal:   8,
			wantLang:    map[string]string{"faq-1": "en", "article-1": "", "art-1": "", "getting-started": ""},
			wantPercent: 100,
		},
		{
			name:  "second run changes nothing",
			paths: goodPaths,
			runs:  2,
			want: ImportReport{Unchanged: 8, Rejected: 1, Errors: []string{
				`testdata/csv/good.csv:2: duplicate id "faq-1" (first at testdata/jsonl/good.jsonl:1, which is kept)`,
			}},
			wantTotal: 8,
		},
		{
			name:      "default language fills only missing ones",
			paths:     []string{"testdata/jsonl/good.jsonl"},
			opt:       ImportOptions{DefaultLang: " EN "},
			runs:      1,
			want:      ImportReport{Added: 3},
			wantTotal: 3,
			wantLang:  map[string]string{"faq-1": "en", "thread-1": "de", "article-1": "en"},
		},
		{
			name:  "bad records are reported and good ones kept",
			paths: []string{"testdata/jsonl/bad.jsonl", "testdata/mdbad"},
			runs:  1,
			want: ImportReport{Added: 3, Rejected: 27, Errors: []string{
				`testdata/jsonl/bad.jsonl:2: column 47: invalid JSON: invalid character '"' after object key:value pair`,
			}},
			wantTotal: 3,
		},
		{
			name:      "unknown extension imports nothing",
			paths:     []string{"testdata/jsonl/good.jsonl", "testdata/md/notes.txt"},
			runs:      1,
			wantErr:   `import: testdata/md/notes.txt: unknown file type ".txt"`,
			wantTotal: 0,
		},
		{
			name:      "missing path imports nothing",
			paths:     []string{"testdata/jsonl/good.jsonl", "testdata/missing"},
			runs:      1,
			wantErr:   "import: stat testdata/missing: no such file or directory",
			wantTotal: 0,
		},
		{
			name:      "bad default language",
			paths:     []string{"testdata/jsonl/good.jsonl"},
			opt:       ImportOptions{DefaultLang: "eng"},
			runs:      1,
			wantErr:   `import: default language "eng" is not a two-letter language code`,
			wantTotal: 0,
		},
		{
			name:      "no paths",
			runs:      1,
			wantErr:   "import: no files or directories given",
			wantTotal: 0,
		},
		{
			name:      "unusable file stops the import after the batches before it",
			paths:     []string{"testdata/jsonl/good.jsonl", "testdata/csv/unknown_column.csv"},
			opt:       ImportOptions{BatchSize: 1},
			runs:      1,
			want:      ImportReport{Added: 3},
			wantErr:   `import: testdata/csv/unknown_column.csv:1: header column 4: unknown column "answr"`,
			wantTotal: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTestStore(t)
			var progress [][2]int
			tt.opt.Progress = func(done, total int) { progress = append(progress, [2]int{done, total}) }
			var got ImportReport
			var err error
			for range tt.runs {
				progress = nil
				got, err = Import(ctx, s, tt.paths, tt.opt)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Import: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Import: got error %v; want one containing %q", err, tt.wantErr)
			}
			if len(tt.want.Errors) > 0 && len(got.Errors) > 0 {
				got.Errors = got.Errors[:len(tt.want.Errors)]
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("report:\n got %+v\nwant %+v", got, tt.want)
			}
			st, err := s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Total != tt.wantTotal {
				t.Errorf("documents stored: got %d; want %d", st.Total, tt.wantTotal)
			}
			for id, lang := range tt.wantLang {
				d, err := s.Get(ctx, id)
				if err != nil || d.Lang != lang {
					t.Errorf("lang of %s: got %q, %v; want %q", id, d.Lang, err, lang)
				}
			}
			if tt.wantPercent > 0 {
				if len(progress) == 0 {
					t.Fatal("progress never called")
				}
				last := progress[len(progress)-1]
				if last[1] != goodSize || last[0]*100/last[1] != tt.wantPercent {
					t.Errorf("last progress: got %v; want %d%% of %d bytes", last, tt.wantPercent, goodSize)
				}
				if !slices.IsSortedFunc(progress, func(a, b [2]int) int { return a[0] - b[0] }) || len(progress) < 4 {
					t.Errorf("progress calls: got %v; want at least one per batch of 2, done not decreasing", progress)
				}
			}
		})
	}
}

func TestImportUpdatesChangedFile(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	p := filepath.Join(t.TempDir(), "faq.jsonl")
	write := func(answer string) {
		body := fmt.Sprintf(`{"id":"a","kind":"faq","question":"Q?","answer":%q}`+"\n"+`{"id":"b","kind":"faq","question":"Q2?"}`+"\n", answer)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("first")
	if _, err := Import(ctx, s, []string{p}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.MaxSeq(ctx)
	write("second")
	got, err := Import(ctx, s, []string{p}, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (ImportReport{Updated: 1, Unchanged: 1}); !reflect.DeepEqual(got, want) {
		t.Errorf("report: got %+v; want %+v", got, want)
	}
	var changed []string
	s.Changes(ctx, before, 0, func(d Document, _ int64) error { changed = append(changed, d.ID+"="+d.Answer); return nil })
	if !slices.Equal(changed, []string{"a=second"}) {
		t.Errorf("changes after re-import: got %q; want [a=second]", changed)
	}
}

func TestImportCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, _ := openTestStore(t)
	_, err := Import(ctx, s, []string{"testdata/jsonl/good.jsonl"}, ImportOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Import with a cancelled context: got %v; want context.Canceled", err)
	}
}

func FuzzReadJSONL(f *testing.F) {
	for _, p := range []string{"testdata/jsonl/good.jsonl", "testdata/jsonl/bad.jsonl"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"x","kind":"thread","posts":[{"body":"p","votes":1e400}]}`))
	f.Add([]byte("\xEF\xBB\xBF{\"id\":\"\\u0000\",\"kind\":\"faq\",\"title\":\"t\"}\r\n\r\n"))
	f.Add([]byte(`{"id":"a","kind":"faq","title":"t","tags":[null,1]}` + "\n" + `{}` + "\n" + `null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		last := 0
		err := ReadJSONL(bytes.NewReader(data), "fuzz", func(r Record) error {
			if r.Line <= last || r.Line > lines {
				t.Fatalf("record line %d after %d, input has %d lines", r.Line, last, lines)
			}
			last = r.Line
			if r.Err == nil {
				if err := r.Doc.Validate(); err != nil {
					t.Fatalf("line %d kept but invalid: %v", r.Line, err)
				}
			} else if r.Err.Error() == "" {
				t.Fatalf("line %d rejected without a reason", r.Line)
			}
			return nil
		})
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz: ") {
			t.Fatalf("error does not name the input: %v", err)
		}
	})
}
