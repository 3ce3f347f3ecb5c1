package corpus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTestStore(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "corpus.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func faq(id, q, a string) Document {
	return Document{ID: id, Kind: KindFAQ, Lang: "en", Question: q, Answer: a}
}

func schemaVersion(t *testing.T, s *Store) int {
	t.Helper()
	var v int
	if err := s.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatalf("read schema version: %v", err)
	}
	return v
}

func TestOpenMigrations(t *testing.T) {
	ctx := context.Background()
	v1 := migrations
	v2 := append(slices.Clone(migrations), `ALTER TABLE documents ADD COLUMN extra TEXT NOT NULL DEFAULT 'x'`)
	broken := append(slices.Clone(migrations), `CREATE TABLE half (x INTEGER); SELECT nonsense FROM nowhere`)

	tests := []struct {
		name string
		// prepare runs against a store at the current schema (nil: the file
		// does not exist yet).
		prepare     func(t *testing.T, s *Store)
		steps       []string
		wantErr     error  // nil: Open succeeds
		wantErrText string // substring of the error
		wantVersion int
		wantDoc     bool // the document stored by prepare survives
	}{
		{
			name:        "fresh file gets the newest schema",
			steps:       v1,
			wantVersion: len(v1),
		},
		{
			name: "reopen keeps documents and version",
			prepare: func(t *testing.T, s *Store) {
				if _, err := s.Upsert(ctx, []Document{faq("a", "Q?", "A.")}); err != nil {
					t.Fatal(err)
				}
			},
			steps:       v1,
			wantVersion: len(v1),
			wantDoc:     true,
		},
		{
			name: "upgrade applies the new step and keeps documents",
			prepare: func(t *testing.T, s *Store) {
				if _, err := s.Upsert(ctx, []Document{faq("a", "Q?", "A.")}); err != nil {
					t.Fatal(err)
				}
			},
			steps:       v2,
			wantVersion: len(v2),
			wantDoc:     true,
		},
		{
			name: "newer schema is refused",
			prepare: func(t *testing.T, s *Store) {
				if _, err := s.db.Exec(`UPDATE schema_version SET version = ?`, len(v1)+1); err != nil {
					t.Fatal(err)
				}
			},
			steps:       v1,
			wantErr:     ErrSchemaTooNew,
			wantErrText: fmt.Sprintf("database has version %d, this build knows up to %d", len(v1)+1, len(v1)),
			wantVersion: len(v1) + 1,
		},
		{
			name: "failed step is rolled back",
			prepare: func(t *testing.T, s *Store) {
				if _, err := s.Upsert(ctx, []Document{faq("a", "Q?", "A.")}); err != nil {
					t.Fatal(err)
				}
			},
			steps:       broken,
			wantErrText: fmt.Sprintf("migrate to version %d", len(broken)),
			wantVersion: len(v1),
			wantDoc:     true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "corpus.db")
			if tt.prepare != nil {
				s, err := Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				tt.prepare(t, s)
				s.Close()
			}
			s, err := open(ctx, path, tt.steps)
			if err == nil {
				defer s.Close()
			}
			switch {
			case tt.wantErr == nil && tt.wantErrText == "" && err != nil:
				t.Fatalf("open: %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("open: got error %v; want %v", err, tt.wantErr)
			case tt.wantErrText != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErrText)):
				t.Fatalf("open: got error %v; want one containing %q", err, tt.wantErrText)
			}
			if err != nil {
				// Look at the file with the steps it was written with.
				s, err = open(ctx, path, tt.steps[:min(len(tt.steps), tt.wantVersion)])
				if errors.Is(err, ErrSchemaTooNew) {
					s, err = open(ctx, path, append(slices.Clone(v1), "SELECT 1"))
				}
				if err != nil {
					t.Fatalf("reopen to inspect: %v", err)
				}
				defer s.Close()
			}
			if got := schemaVersion(t, s); got != tt.wantVersion {
				t.Errorf("schema version: got %d; want %d", got, tt.wantVersion)
			}
			_, err = s.Get(ctx, "a")
			if gotDoc := err == nil; gotDoc != tt.wantDoc {
				t.Errorf("document a present: got %v (%v); want %v", gotDoc, err, tt.wantDoc)
			}
			var half int
			s.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'`).Scan(&half)
			if half != 0 {
				t.Errorf("table from the failed step exists; want it rolled back")
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	ctx := context.Background()
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 400)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path, wantErr string
	}{
		{"not a database", garbage, "garbage.db"},
		{"memory", ":memory:", "want a file path"},
		{"uri", "file:x.db", "want a file path"},
		{"question mark", filepath.Join(t.TempDir(), "a?b.db"), "must not contain '?'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(ctx, tt.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded; want an error", tt.path)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open(%q): got %v; want an error containing %q", tt.path, err, tt.wantErr)
			}
		})
	}
}

func TestUpsert(t *testing.T) {
	ctx := context.Background()
	a := faq("a", "How do I pay?", "By card.")
	b := faq("b", "How do I cancel?", "In your account.")
	c := Document{ID: "c", Kind: KindArticle, Title: "Start", Body: "Install the app."}
	aChanged := faq("a", "How do I pay?", "By card or invoice.")
	aSpaced := faq("  a ", "  How do I pay?  ", "By card.\n")
	aDraft := a
	aDraft.Status = StatusDraft
	invalid := Document{ID: "bad", Kind: "wiki", Title: "T"}

	tests := []struct {
		name        string
		before      []Document
		batch       []Document
		want        UpsertResult
		wantErr     error
		wantMaxSeq  int64
		wantAnswerA string // "" when a is absent
	}{
		{
			name:        "new documents are added",
			batch:       []Document{a, b},
			want:        UpsertResult{Added: 2, Changed: []string{"a", "b"}},
			wantMaxSeq:  2,
			wantAnswerA: "By card.",
		},
		{
			name:        "same batch again is unchanged",
			before:      []Document{a, b},
			batch:       []Document{a, b},
			want:        UpsertResult{Unchanged: 2},
			wantMaxSeq:  2,
			wantAnswerA: "By card.",
		},
		{
			name:        "difference only in surrounding space is unchanged",
			before:      []Document{a},
			batch:       []Document{aSpaced},
			want:        UpsertResult{Unchanged: 1},
			wantMaxSeq:  1,
			wantAnswerA: "By card.",
		},
		{
			name:        "changed answer is updated with a new seq",
			before:      []Document{a, b},
			batch:       []Document{aChanged},
			want:        UpsertResult{Updated: 1, Changed: []string{"a"}},
			wantMaxSeq:  3,
			wantAnswerA: "By card or invoice.",
		},
		{
			name:        "status change is an update",
			before:      []Document{a},
			batch:       []Document{aDraft},
			want:        UpsertResult{Updated: 1, Changed: []string{"a"}},
			wantMaxSeq:  2,
			wantAnswerA: "By card.",
		},
		{
			name:        "mixed batch with a repeated id",
			before:      []Document{a},
			batch:       []Document{a, c, aChanged},
			want:        UpsertResult{Added: 1, Updated: 1, Unchanged: 1, Changed: []string{"c", "a"}},
			wantMaxSeq:  3,
			wantAnswerA: "By card or invoice.",
		},
		{
			name:        "invalid document fails the whole batch",
			before:      []Document{b},
			batch:       []Document{a, invalid},
			wantErr:     ErrInvalid,
			wantMaxSeq:  1,
			wantAnswerA: "",
		},
		{
			name:       "empty batch does nothing",
			batch:      nil,
			want:       UpsertResult{},
			wantMaxSeq: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTestStore(t)
			if _, err := s.Upsert(ctx, tt.before); err != nil {
				t.Fatalf("upsert before: %v", err)
			}
			got, err := s.Upsert(ctx, tt.batch)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Upsert: got error %v; want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Upsert: got %+v; want %+v", got, tt.want)
			}
			if seq, err := s.MaxSeq(ctx); err != nil || seq != tt.wantMaxSeq {
				t.Errorf("MaxSeq: got %d, %v; want %d", seq, err, tt.wantMaxSeq)
			}
			d, err := s.Get(ctx, "a")
			switch {
			case tt.wantAnswerA == "" && !errors.Is(err, ErrNotFound):
				t.Errorf("Get(a): got %+v, %v; want ErrNotFound", d, err)
			case tt.wantAnswerA != "" && (err != nil || d.Answer != tt.wantAnswerA):
				t.Errorf("Get(a): got answer %q, %v; want %q", d.Answer, err, tt.wantAnswerA)
			}
		})
	}
}

func TestUpsertTimestampsAndInput(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	given := time.Date(2023, 4, 5, 6, 7, 8, 9, time.FixedZone("CET", 3600))
	in := []Document{
		{ID: "t", Kind: KindArticle, Title: "T", Body: "B", Tags: []string{" x ", "", "y"}, Created: given},
		faq("n", "Q?", "A."),
	}
	tagsBefore := slices.Clone(in[0].Tags)
	before := time.Now().UTC()
	if _, err := s.Upsert(ctx, in); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in[0].Tags, tagsBefore) {
		t.Errorf("caller's tags: got %q; want them untouched %q", in[0].Tags, tagsBefore)
	}
	got, err := s.Get(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created.Equal(given) {
		t.Errorf("created: got %v; want the input's %v", got.Created, given)
	}
	if !slices.Equal(got.Tags, []string{"x", "y"}) {
		t.Errorf("stored tags: got %q; want [x y]", got.Tags)
	}
	n1, err := s.Get(ctx, "n")
	if err != nil {
		t.Fatal(err)
	}
	if n1.Created.Before(before) || !n1.Updated.Equal(n1.Created) {
		t.Errorf("new document: created %v, updated %v; want both now (after %v)", n1.Created, n1.Updated, before)
	}
	if n1.Hash != n1.ContentHash() || len(n1.Hash) != 64 {
		t.Errorf("hash: got %q; want ContentHash %q", n1.Hash, n1.ContentHash())
	}

	time.Sleep(2 * time.Millisecond)
	if _, err := s.Upsert(ctx, []Document{faq("n", "Q?", "Another answer.")}); err != nil {
		t.Fatal(err)
	}
	n2, err := s.Get(ctx, "n")
	if err != nil {
		t.Fatal(err)
	}
	if !n2.Created.Equal(n1.Created) {
		t.Errorf("created after update: got %v; want it kept at %v", n2.Created, n1.Created)
	}
	if !n2.Updated.After(n1.Updated) {
		t.Errorf("updated after update: got %v; want later than %v", n2.Updated, n1.Updated)
	}
	if n2.Hash == n1.Hash {
		t.Errorf("hash after update: unchanged %q; want a new one", n2.Hash)
	}
}

func TestGetRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	created := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	want := Document{
		ID: "thread-1", Kind: KindThread, Lang: "de", Title: "Drucker offline",
		Question: "Mein Drucker ist offline", Answer: "Neu starten.", Body: "Zusammenfassung.",
		AltQuestions: []string{"Drucker geht nicht"},
		Posts: []Post{
			{Author: "ann", Body: "Offline seit gestern.", Votes: 1, Created: created},
			{Author: "bob", Body: "Neu starten hilft.", Accepted: true, Votes: 3},
		},
		URL: "https://example.com/t/1", Source: "Forum", Tags: []string{"drucker", "hardware"},
		Status: StatusRetired, Created: created,
	}
	if _, err := s.Upsert(ctx, []Document{want}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "thread-1")
	if err != nil {
		t.Fatal(err)
	}
	want.Hash = want.ContentHash()
	want.Updated = got.Updated
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Get:\n got %+v\nwant %+v", got, want)
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Get(nope): got %v; want ErrNotFound naming the id", err)
	}
}

func TestSetStatus(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		id         string
		status     Status
		wantErr    error
		wantStatus Status
		wantMaxSeq int64
	}{
		{"retire bumps seq", "a", StatusRetired, nil, StatusRetired, 3},
		{"same status changes nothing", "a", StatusPublished, nil, StatusPublished, 2},
		{"back to draft", "a", StatusDraft, nil, StatusDraft, 3},
		{"unknown id", "zzz", StatusRetired, ErrNotFound, StatusPublished, 2},
		{"unknown status", "a", "deleted", ErrInvalid, StatusPublished, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTestStore(t)
			if _, err := s.Upsert(ctx, []Document{faq("a", "Q?", "A."), faq("b", "Q2?", "A2.")}); err != nil {
				t.Fatal(err)
			}
			before, _ := s.Get(ctx, "a")
			err := s.SetStatus(ctx, tt.id, tt.status)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SetStatus: got %v; want %v", err, tt.wantErr)
			}
			got, _ := s.Get(ctx, "a")
			if got.Status != tt.wantStatus {
				t.Errorf("status: got %q; want %q", got.Status, tt.wantStatus)
			}
			if seq, _ := s.MaxSeq(ctx); seq != tt.wantMaxSeq {
				t.Errorf("MaxSeq: got %d; want %d", seq, tt.wantMaxSeq)
			}
			if got.Hash != got.ContentHash() {
				t.Errorf("hash: got %q; want ContentHash %q", got.Hash, got.ContentHash())
			}
			if changed := got.Hash != before.Hash; changed != (tt.wantStatus != StatusPublished) {
				t.Errorf("hash changed: got %v; want %v", changed, tt.wantStatus != StatusPublished)
			}
			// Importing the published version again brings it back: the
			// source's status is authoritative.
			res, err := s.Upsert(ctx, []Document{faq("a", "Q?", "A.")})
			if err != nil {
				t.Fatal(err)
			}
			if wantUpdated := tt.wantStatus != StatusPublished; (res.Updated == 1) != wantUpdated {
				t.Errorf("re-import: got %+v; want updated %v", res, wantUpdated)
			}
		})
	}
}

// collectChanges returns "id@seq" for each change after seq.
func collectChanges(t *testing.T, s *Store, after int64, limit int) []string {
	t.Helper()
	var got []string
	err := s.Changes(context.Background(), after, limit, func(d Document, seq int64) error {
		got = append(got, fmt.Sprintf("%s@%d", d.ID, seq))
		return nil
	})
	if err != nil {
		t.Fatalf("Changes(%d, %d): %v", after, limit, err)
	}
	return got
}

func TestChanges(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	steps := []func() error{
		func() error {
			_, err := s.Upsert(ctx, []Document{faq("a", "Q?", "A."), faq("b", "Q?", "B."), faq("c", "Q?", "C.")})
			return err
		},
		func() error { _, err := s.Upsert(ctx, []Document{faq("a", "Q?", "A2.")}); return err },
		func() error { return s.SetStatus(ctx, "b", StatusRetired) },
		func() error { _, err := s.Upsert(ctx, []Document{faq("c", "Q?", "C.")}); return err }, // unchanged
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	tests := []struct {
		name  string
		after int64
		limit int
		want  []string
	}{
		{"all, latest version of each", 0, 0, []string{"c@3", "a@4", "b@5"}},
		{"after a checkpoint", 3, 0, []string{"a@4", "b@5"}},
		{"limited", 0, 2, []string{"c@3", "a@4"}},
		{"nothing new", 5, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := collectChanges(t, s, tt.after, tt.limit); !slices.Equal(got, tt.want) {
				t.Errorf("Changes(%d, %d): got %v; want %v", tt.after, tt.limit, got, tt.want)
			}
		})
	}

	t.Run("error from fn stops and is returned as is", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := s.Changes(ctx, 0, 0, func(Document, int64) error { calls++; return stop })
		if err != stop || calls != 1 {
			t.Errorf("got %v after %d calls; want stop after 1", err, calls)
		}
	})
}

// TestChangesReplay plays a derived index: it follows the change feed in
// small steps across pages, writing back into the store from the callback,
// and must end up with exactly the store's content.
func TestChangesReplay(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	index := map[string]string{} // id → hash of the published version
	var checkpoint int64
	catchUp := func() {
		err := s.Changes(ctx, checkpoint, 100, func(d Document, seq int64) error {
			if seq <= checkpoint {
				return fmt.Errorf("seq %d not after checkpoint %d", seq, checkpoint)
			}
			if d.Status == StatusPublished {
				index[d.ID] = d.Hash
			} else {
				delete(index, d.ID)
			}
			checkpoint = seq
			// Calling back into the store, reading and writing, must not
			// deadlock.
			if _, err := s.Get(ctx, d.ID); err != nil {
				return err
			}
			if seq%64 != 0 {
				return nil
			}
			return s.SetMeta(ctx, "test.checkpoint", fmt.Sprint(seq))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var batch []Document
	for i := range 2*pageSize + 17 {
		batch = append(batch, faq(fmt.Sprintf("d%04d", i), "Q?", fmt.Sprint("A", i)))
	}
	if _, err := s.Upsert(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		catchUp()
	}
	if _, err := s.Upsert(ctx, []Document{faq("d0001", "Q?", "changed")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, "d0002", StatusRetired); err != nil {
		t.Fatal(err)
	}
	catchUp()

	want := map[string]string{}
	err := s.Each(ctx, func(d Document) error {
		if d.Status == StatusPublished {
			want[d.ID] = d.Hash
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(index) != len(want) || !reflect.DeepEqual(index, want) {
		t.Errorf("replayed index has %d documents; want %d matching the store", len(index), len(want))
	}
	if max, _ := s.MaxSeq(ctx); checkpoint != max {
		t.Errorf("checkpoint: got %d; want MaxSeq %d", checkpoint, max)
	}
	if v, err := s.Meta(ctx, "test.checkpoint"); err != nil || v != fmt.Sprint(checkpoint/64*64) {
		t.Errorf("meta checkpoint: got %q, %v; want %d", v, err, checkpoint/64*64)
	}
}

func TestEachOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	var want []string
	var batch []Document
	for i := range pageSize + 3 {
		id := fmt.Sprintf("id-%04d", (i*7919)%(pageSize+3)) // inserted out of order
		batch = append(batch, faq(id, "Q?", "A."))
		want = append(want, id)
	}
	slices.Sort(want)
	if _, err := s.Upsert(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := s.Each(ctx, func(d Document) error { got = append(got, d.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Each: got %d ids starting %v; want %d in id order", len(got), got[:3], len(want))
	}
}

func TestStats(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	docs := []Document{
		faq("a", "Q?", "A."),
		{ID: "b", Kind: KindFAQ, Lang: "de", Question: "F?", Answer: "A."},
		{ID: "c", Kind: KindArticle, Title: "T", Body: "B", Status: StatusDraft},
		{ID: "d", Kind: KindThread, Lang: "de", Posts: []Post{{Body: "p"}}},
	}
	if _, err := s.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, "d", StatusRetired); err != nil {
		t.Fatal(err)
	}
	got, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{
		Total:    4,
		ByKind:   map[Kind]int{KindFAQ: 2, KindArticle: 1, KindThread: 1},
		ByLang:   map[string]int{"en": 1, "de": 2, "": 1},
		ByStatus: map[Status]int{StatusPublished: 2, StatusDraft: 1, StatusRetired: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats: got %+v; want %+v", got, want)
	}
}

func TestMeta(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	if _, err := s.Meta(ctx, "k"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"k"`) {
		t.Errorf("Meta of unset key: got %v; want ErrNotFound naming the key", err)
	}
	for _, v := range []string{"one", "two", ""} {
		if err := s.SetMeta(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Meta(ctx, "k"); err != nil || got != v {
			t.Errorf("Meta after SetMeta(%q): got %q, %v", v, got, err)
		}
	}
}

// TestConcurrentWriters writes from several goroutines through two Store
// handles on one file, as a server and an import process would, while
// others read. No write may fail with SQLITE_BUSY, and every change must get
// its own sequence number.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	s1, path := openTestStore(t)
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()

	const writers, batches, perBatch = 4, 10, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers+2)
	for w := range writers {
		s := []*Store{s1, s2}[w%2]
		wg.Go(func() {
			for b := range batches {
				var batch []Document
				for i := range perBatch {
					batch = append(batch, faq(fmt.Sprintf("w%d-%d-%d", w, b, i), "Q?", "A."))
				}
				if _, err := s.Upsert(ctx, batch); err != nil {
					errs <- fmt.Errorf("writer %d batch %d: %w", w, b, err)
					return
				}
				if err := s.SetStatus(ctx, batch[0].ID, StatusDraft); err != nil {
					errs <- fmt.Errorf("writer %d status: %w", w, err)
					return
				}
			}
		})
	}
	for r := range 2 {
		wg.Go(func() {
			for range 20 {
				if _, err := s2.Stats(ctx); err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				if err := s1.Changes(ctx, 0, 50, func(Document, int64) error { return nil }); err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	const total = writers * batches * perBatch
	st, err := s1.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != total || st.ByStatus[StatusDraft] != writers*batches {
		t.Errorf("stats: got %+v; want %d documents, %d drafts", st, total, writers*batches)
	}
	var distinct int
	s1.db.QueryRow(`SELECT COUNT(DISTINCT seq) FROM documents`).Scan(&distinct)
	if distinct != total {
		t.Errorf("distinct seqs: got %d; want %d", distinct, total)
	}
	if err := s1.Check(ctx); err != nil {
		t.Error(err)
	}
}
