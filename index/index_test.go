package index_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/index"
	"github.com/sofort-chat/sofort/index/analyze"
)

// fixture is the bilingual support corpus every index test builds on: FAQ
// entries and threads in German and English, two long threads, one
// document without a language, one draft and one retired document.
const fixture = "testdata/corpus.jsonl"

// Documents of the fixture that must never be found.
const (
	draftID   = "de-entwurf" // draft, unique word "Sommeraktion"
	retiredID = "en-retired" // retired, unique word "telefax"
)

// clearQuestions have one obviously right document in the fixture.
var clearQuestions = []struct {
	text string
	want string
}{
	{"Wie kann ich meinen Vertrag kündigen?", "de-kuendigung"},
	{"Passwort vergessen", "de-passwort"},
	{"Wo finde ich meine Rechnung als PDF?", "de-rechnung"},
	{"Wie lange dauert die Lieferung mit DHL?", "de-lieferzeit"},
	{"Rücksendeetikett für die Retoure ausdrucken", "de-ruecksendung"},
	{"SIM-Karte freischalten", "de-sim"},
	{"WLAN bricht ständig ab", "de-wlan"},
	{"How do I cancel my contract?", "en-cancel"},
	{"I forgot my password", "en-password"},
	{"Where can I download my invoice?", "en-invoice"},
	{"How do I turn on two-factor authentication?", "en-2fa"},
	{"Can I use my phone abroad on holiday?", "en-roaming"},
	{"phone battery drains overnight", "en-nolang-battery"},
}

var modes = []index.Mode{index.ModeBM25, index.ModeVector, index.ModeHybrid}

func openStore(t testing.TB, path string) *corpus.Store {
	t.Helper()
	st, err := corpus.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return st
}

func importFixture(t testing.TB, st *corpus.Store) {
	t.Helper()
	rep, err := corpus.Import(context.Background(), st, []string{fixture}, corpus.ImportOptions{})
	if err != nil {
		t.Fatalf("import %s: %v", fixture, err)
	}
	if rep.Rejected > 0 {
		t.Fatalf("import %s rejected records: %v", fixture, rep.Errors)
	}
}

func openIndex(t testing.TB, dir string, st *corpus.Store, opt index.Options) *index.Index {
	t.Helper()
	x, err := index.Open(context.Background(), dir, st, opt)
	if err != nil {
		t.Fatalf("open index %s: %v", dir, err)
	}
	return x
}

func mustSync(t testing.TB, x *index.Index) index.SyncReport {
	t.Helper()
	rep, err := x.Sync(context.Background(), nil)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rep
}

func search(t testing.TB, x *index.Index, q index.Query) []index.Hit {
	t.Helper()
	hits, err := x.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %q (%s): %v", q.Text, q.Mode, err)
	}
	return hits
}

func ids(hits []index.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.DocID
	}
	return out
}

func top(t testing.TB, x *index.Index, text string, m index.Mode) string {
	t.Helper()
	hits := search(t, x, index.Query{Text: text, Mode: m, K: 3})
	if len(hits) == 0 {
		return ""
	}
	return hits[0].DocID
}

// published returns the store's published documents and how many
// passages they split into.
func published(t testing.TB, st *corpus.Store) (docs map[string]corpus.Document, passages int) {
	t.Helper()
	docs = map[string]corpus.Document{}
	err := st.Each(context.Background(), func(d corpus.Document) error {
		if d.Status == corpus.StatusPublished {
			docs[d.ID] = d
			passages += len(index.SplitPassages(&d))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list store: %v", err)
	}
	return docs, passages
}

// checkCounts compares the index's figures with the store's published
// documents.
func checkCounts(t testing.TB, x *index.Index, st *corpus.Store) index.Stats {
	t.Helper()
	docs, passages := published(t, st)
	s, err := x.Stats()
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	if int(s.Documents) != len(docs) {
		t.Errorf("got %d documents in the full-text index; want %d published", s.Documents, len(docs))
	}
	if s.Passages != passages {
		t.Errorf("got %d passages in the vector store; want %d", s.Passages, passages)
	}
	maxSeq, err := st.MaxSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Seq != maxSeq {
		t.Errorf("got applied seq %d; want the store's %d", s.Seq, maxSeq)
	}
	return s
}

// absent fails if id is among the hits of text in any mode.
func absent(t testing.TB, x *index.Index, text, id string) {
	t.Helper()
	for _, m := range modes {
		for _, h := range search(t, x, index.Query{Text: text, Mode: m, K: 100}) {
			if h.DocID == id {
				t.Errorf("%s %q: got %s (score %.3f); want it gone", m, text, id, h.Score)
			}
		}
	}
}

// bowEmbedder is a small real embedder: hashed folded words plus their
// character trigrams. mode switches it into failure modes for the error
// tests.
type bowEmbedder struct {
	name string
	dim  int
	mode atomic.Int32
	// texts counts texts embedded, to tell whether a sync re-embedded.
	texts atomic.Int64
}

const (
	embedOK       = iota
	embedFail     // returns an error
	embedShort    // returns fewer vectors than texts
	embedWrongDim // returns vectors of the wrong length
)

func (e *bowEmbedder) Name() string { return e.name }
func (e *bowEmbedder) Dim() int     { return e.dim }

func (e *bowEmbedder) Embed(ctx context.Context, lang string, texts []string) ([][]float32, error) {
	switch e.mode.Load() {
	case embedFail:
		return nil, errors.New("model server unreachable")
	case embedShort:
		if len(texts) > 0 {
			texts = texts[:len(texts)-1]
		}
	}
	dim := e.dim
	if e.dim == 0 {
		dim = 48 // a remote model that only tells its size when asked
	}
	if e.mode.Load() == embedWrongDim {
		dim++
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		e.texts.Add(1)
		v := make([]float32, dim)
		for _, w := range strings.FieldsFunc(analyze.Fold(t), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			v[hash(w)%uint32(dim)] += 2
			r := []rune("<" + w + ">")
			for j := 0; j+3 <= len(r); j++ {
				v[hash(string(r[j:j+3]))%uint32(dim)]++
			}
		}
		out[i] = v
	}
	return out, nil
}

func hash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// TestLifecycle walks one index through the life of a data dir: first
// sync, no-op sync, edits, retirement, reindex, restart, a crash between
// store and index, a torn state file and embedder changes. Each step
// needs the one before, and opening an index costs seconds.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	idxDir := filepath.Join(dir, "index")
	st := openStore(t, filepath.Join(dir, "sofort.db"))
	defer st.Close()
	x := openIndex(t, idxDir, st, index.Options{})
	defer func() { x.Close() }()
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("empty store, empty dir", func(t *testing.T) {
		if rep := mustSync(t, x); rep != (index.SyncReport{}) {
			t.Errorf("sync of an empty store: got %+v; want nothing done", rep)
		}
		s, err := x.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if s.Documents != 0 || s.Passages != 0 || s.Seq != 0 {
			t.Errorf("got stats %+v; want no documents, passages or seq", s)
		}
		if s.Embedder == "" || s.Dim == 0 {
			t.Errorf("got embedder %q dim %d; want the default embedder named", s.Embedder, s.Dim)
		}
		for _, m := range modes {
			hits, err := x.Search(ctx, index.Query{Text: "Wie kündige ich?", Mode: m})
			if err != nil || len(hits) != 0 {
				t.Errorf("%s on an empty index: got %d hits, %v; want none, no error", m, len(hits), err)
			}
		}
	})
	importFixture(t, st)

	step("first sync indexes published documents only", func(t *testing.T) {
		var calls, lastDone, lastTotal int
		rep, err := x.Sync(ctx, func(done, total int) {
			calls++
			if done > total {
				t.Errorf("progress %d/%d: done beyond total", done, total)
			}
			lastDone, lastTotal = done, total
		})
		if err != nil {
			t.Fatal(err)
		}
		docs, passages := published(t, st)
		if rep.Indexed != len(docs) || rep.Embedded != passages || !rep.Rebuilt {
			t.Errorf("got report %+v; want %d indexed, %d embedded, rebuilt", rep, len(docs), passages)
		}
		if calls == 0 || lastDone != lastTotal {
			t.Errorf("progress: %d calls, last %d/%d; want a final call with done == total", calls, lastDone, lastTotal)
		}
		s := checkCounts(t, x, st)
		if !strings.HasPrefix(s.Embedder, "local") {
			t.Errorf("got embedder %q; want the local default", s.Embedder)
		}
		absent(t, x, "Gibt es eine Sommeraktion mit Rabattgutschein?", draftID)
		absent(t, x, "What is your telefax number?", retiredID)
		for _, id := range []string{draftID, retiredID} {
			if l := x.DocLang(id); l != "" {
				t.Errorf("DocLang(%s) = %q; want \"\" for an unindexed document", id, l)
			}
		}
		if l := x.DocLang("en-nolang-battery"); l != "en" {
			t.Errorf("DocLang of the document without lang: got %q; want detected \"en\"", l)
		}
	})

	step("second sync is a no-op", func(t *testing.T) {
		before, _ := x.Stats()
		if rep := mustSync(t, x); rep != (index.SyncReport{}) {
			t.Errorf("got report %+v; want nothing done", rep)
		}
		after, _ := x.Stats()
		if after.Documents != before.Documents || after.Passages != before.Passages || after.Seq != before.Seq || after.Embedder != before.Embedder {
			t.Errorf("stats changed from %+v to %+v", before, after)
		}
		// Re-importing the same file changes nothing in the store either.
		importFixture(t, st)
		if rep := mustSync(t, x); rep != (index.SyncReport{}) {
			t.Errorf("after re-import: got report %+v; want nothing done", rep)
		}
	})

	step("an edit in the store changes the hits", func(t *testing.T) {
		d, err := st.Get(ctx, "de-rechnung")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range modes {
			if got := top(t, x, "Rechnung für den Vormonat", m); got != "de-rechnung" {
				t.Fatalf("%s before the edit: got top %q; want de-rechnung", m, got)
			}
		}
		d.Answer = "Rechnungen liegen im Kundenkonto unter „Dokumente“. Für Ihren Steuerberater können Sie alle Belege eines Jahres als ZIP-Archiv exportieren."
		if _, err := st.Upsert(ctx, []corpus.Document{d}); err != nil {
			t.Fatal(err)
		}
		// Searches keep working while the sync runs.
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 5; j++ {
					if _, err := x.Search(ctx, index.Query{Text: "Rechnung Steuerberater", Mode: modes[j%3]}); err != nil {
						t.Errorf("search during sync: %v", err)
					}
				}
			}()
		}
		rep := mustSync(t, x)
		wg.Wait()
		if rep.Indexed != 1 || rep.Removed != 0 || rep.Rebuilt {
			t.Errorf("got report %+v; want 1 indexed, not rebuilt", rep)
		}
		for _, m := range modes {
			if got := top(t, x, "Belege für den Steuerberater als ZIP exportieren", m); got != "de-rechnung" {
				t.Errorf("%s new text: got top %q; want de-rechnung", m, got)
			}
		}
		for _, h := range search(t, x, index.Query{Text: "Vormonat", Mode: index.ModeBM25}) {
			if h.DocID == "de-rechnung" {
				t.Errorf("bm25 old text: got de-rechnung (score %.3f); want the old wording forgotten", h.Score)
			}
		}
		checkCounts(t, x, st)
	})

	step("retiring removes a document from every mode", func(t *testing.T) {
		if got := top(t, x, "Passwort vergessen", index.ModeHybrid); got != "de-passwort" {
			t.Fatalf("before retiring: got top %q; want de-passwort", got)
		}
		if err := st.SetStatus(ctx, "de-passwort", corpus.StatusRetired); err != nil {
			t.Fatal(err)
		}
		rep := mustSync(t, x)
		if rep.Removed != 1 || rep.Indexed != 0 {
			t.Errorf("got report %+v; want 1 removed", rep)
		}
		absent(t, x, "Passwort vergessen", "de-passwort")
		absent(t, x, "Kennwort neu setzen", "de-passwort")
		checkCounts(t, x, st)
		if l := x.DocLang("de-passwort"); l != "" {
			t.Errorf("DocLang of a retired document: got %q; want \"\"", l)
		}
	})

	step("publishing again brings it back", func(t *testing.T) {
		if err := st.SetStatus(ctx, "de-passwort", corpus.StatusPublished); err != nil {
			t.Fatal(err)
		}
		mustSync(t, x)
		for _, m := range modes {
			if got := top(t, x, "Passwort vergessen", m); got != "de-passwort" {
				t.Errorf("%s: got top %q; want de-passwort", m, got)
			}
		}
		checkCounts(t, x, st)
	})

	topsBefore := map[string]string{}
	step("reindex keeps the top hits", func(t *testing.T) {
		for _, q := range clearQuestions {
			for _, m := range modes {
				topsBefore[string(m)+" "+q.text] = top(t, x, q.text, m)
			}
		}
		rep, err := x.Reindex(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		docs, passages := published(t, st)
		if rep.Indexed != len(docs) || rep.Embedded != passages {
			t.Errorf("got report %+v; want %d indexed, %d embedded", rep, len(docs), passages)
		}
		checkCounts(t, x, st)
		for _, q := range clearQuestions {
			for _, m := range modes {
				if got, want := top(t, x, q.text, m), topsBefore[string(m)+" "+q.text]; got != want {
					t.Errorf("%s %q: got top %q after reindex; want %q as before", m, q.text, got, want)
				}
			}
		}
	})

	step("reopening keeps hits without re-embedding", func(t *testing.T) {
		before := search(t, x, index.Query{Text: "Wie kann ich meinen Vertrag kündigen?", K: 5})
		sBefore, err := x.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		t.Run("calls after Close", func(t *testing.T) {
			if err := x.Close(); err != nil {
				t.Errorf("second Close: %v; want nil", err)
			}
			if _, err := x.Search(ctx, index.Query{Text: "Passwort"}); !errors.Is(err, index.ErrClosed) {
				t.Errorf("Search after Close: got %v; want ErrClosed", err)
			}
			if _, err := x.Sync(ctx, nil); !errors.Is(err, index.ErrClosed) {
				t.Errorf("Sync after Close: got %v; want ErrClosed", err)
			}
			if _, err := x.Reindex(ctx, nil); !errors.Is(err, index.ErrClosed) {
				t.Errorf("Reindex after Close: got %v; want ErrClosed", err)
			}
			if _, err := x.Stats(); !errors.Is(err, index.ErrClosed) {
				t.Errorf("Stats after Close: got %v; want ErrClosed", err)
			}
		})
		x = openIndex(t, idxDir, st, index.Options{})
		if rep := mustSync(t, x); rep != (index.SyncReport{}) {
			t.Errorf("sync after reopening: got %+v; want nothing done", rep)
		}
		s := checkCounts(t, x, st)
		if s.Embedder != sBefore.Embedder {
			t.Errorf("got embedder %q; want %q as before", s.Embedder, sBefore.Embedder)
		}
		after := search(t, x, index.Query{Text: "Wie kann ich meinen Vertrag kündigen?", K: 5})
		if !slices.Equal(ids(before), ids(after)) {
			t.Errorf("got hits %v after reopening; want %v", ids(after), ids(before))
		}
		for _, q := range clearQuestions {
			if got, want := top(t, x, q.text, index.ModeVector), topsBefore["vector "+q.text]; got != want {
				t.Errorf("vector %q: got top %q after reopening; want %q", q.text, got, want)
			}
		}
	})

	step("crash between store commit and index update is caught up", func(t *testing.T) {
		d := corpus.Document{ID: "de-esim", Kind: corpus.KindFAQ, Lang: "de", Title: "eSIM einrichten",
			Question: "Wie richte ich eine eSIM ein?", Answer: "Scannen Sie den QR-Code aus der Aktivierungsmail in den Mobilfunkeinstellungen Ihres Smartphones."}
		if _, err := st.Upsert(ctx, []corpus.Document{d}); err != nil {
			t.Fatal(err)
		}
		// The process dies here: the store has the document, the index
		// never heard of it.
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		x = openIndex(t, idxDir, st, index.Options{})
		rep := mustSync(t, x)
		if rep.Indexed != 1 {
			t.Errorf("got report %+v; want the missed document indexed", rep)
		}
		for _, m := range modes {
			if got := top(t, x, "eSIM einrichten mit QR-Code", m); got != "de-esim" {
				t.Errorf("%s: got top %q; want de-esim", m, got)
			}
		}
		checkCounts(t, x, st)
	})

	step("torn state file rebuilds", func(t *testing.T) {
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(idxDir, "state.json")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("the index keeps its state in %s: %v", path, err)
		}
		if err := os.WriteFile(path, append(b[:len(b)/2:len(b)/2], 0, 0xff, '{'), 0o644); err != nil {
			t.Fatal(err)
		}
		x = openIndex(t, idxDir, st, index.Options{})
		rep := mustSync(t, x)
		docs, _ := published(t, st)
		if !rep.Rebuilt || rep.Indexed != len(docs) {
			t.Errorf("got report %+v; want a rebuild of %d documents", rep, len(docs))
		}
		checkCounts(t, x, st)
		for _, q := range clearQuestions {
			for _, m := range modes {
				if got := top(t, x, q.text, m); got != topsBefore[string(m)+" "+q.text] {
					t.Errorf("%s %q: got top %q after rebuild; want %q", m, q.text, got, topsBefore[string(m)+" "+q.text])
				}
			}
		}
	})

	emb := &bowEmbedder{name: "test-bow-d64", dim: 64}
	step("a new embedder re-embeds everything", func(t *testing.T) {
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		x = openIndex(t, idxDir, st, index.Options{Embedder: emb})
		rep := mustSync(t, x)
		docs, passages := published(t, st)
		if rep.Indexed != len(docs) || rep.Embedded != passages {
			t.Errorf("got report %+v; want all %d documents, %d passages re-embedded", rep, len(docs), passages)
		}
		if got := emb.texts.Load(); got != int64(passages) {
			t.Errorf("embedder saw %d texts; want %d", got, passages)
		}
		s := checkCounts(t, x, st)
		if s.Embedder != emb.name || s.Dim != emb.dim {
			t.Errorf("got embedder %q dim %d; want %q dim %d", s.Embedder, s.Dim, emb.name, emb.dim)
		}
		if got := x.Embedder().Name(); got != emb.name {
			t.Errorf("Embedder().Name() = %q; want %q", got, emb.name)
		}
		if got := top(t, x, "Passwort vergessen", index.ModeVector); got != "de-passwort" {
			t.Errorf("vector with the new embedder: got top %q; want de-passwort", got)
		}
	})

	step("an embedder error leaves the index usable", func(t *testing.T) {
		d := corpus.Document{ID: "en-esim", Kind: corpus.KindFAQ, Lang: "en", Title: "Set up an eSIM",
			Question: "How do I set up an eSIM?", Answer: "Scan the QR code from the activation email in your phone's mobile network settings."}
		if _, err := st.Upsert(ctx, []corpus.Document{d}); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []int32{embedFail, embedShort, embedWrongDim} {
			emb.mode.Store(mode)
			if _, err := x.Sync(ctx, nil); !errors.Is(err, index.ErrEmbedder) {
				t.Errorf("sync with embedder mode %d: got %v; want an error wrapping ErrEmbedder", mode, err)
			}
		}
		emb.mode.Store(embedFail)
		for _, m := range []index.Mode{index.ModeVector, index.ModeHybrid} {
			if _, err := x.Search(ctx, index.Query{Text: "Passwort vergessen", Mode: m}); !errors.Is(err, index.ErrEmbedder) {
				t.Errorf("%s search with a failing embedder: got %v; want an error wrapping ErrEmbedder", m, err)
			}
		}
		if got := top(t, x, "Passwort vergessen", index.ModeBM25); got != "de-passwort" {
			t.Errorf("bm25 with a failing embedder: got top %q; want de-passwort", got)
		}
		emb.mode.Store(embedOK)
		rep := mustSync(t, x)
		if rep.Indexed != 1 {
			t.Errorf("sync after recovery: got %+v; want the pending document indexed", rep)
		}
		checkCounts(t, x, st)
		for _, m := range modes {
			if got := top(t, x, "set up an eSIM with a QR code", m); got != "en-esim" {
				t.Errorf("%s after recovery: got top %q; want en-esim", m, got)
			}
		}
	})

	step("a query vector of the wrong size is an embedder error", func(t *testing.T) {
		emb.mode.Store(embedWrongDim)
		defer emb.mode.Store(embedOK)
		if _, err := x.Search(ctx, index.Query{Text: "Passwort vergessen", Mode: index.ModeVector}); !errors.Is(err, index.ErrEmbedder) {
			t.Errorf("got %v; want an error wrapping ErrEmbedder", err)
		}
	})

	step("switching to an embedder that tells its size only when asked", func(t *testing.T) {
		remote := &bowEmbedder{name: "test-remote-d0", dim: 0}
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		x = openIndex(t, idxDir, st, index.Options{Embedder: remote})
		rep, err := x.Sync(ctx, nil)
		if err != nil {
			t.Fatalf("sync: %v", err)
		}
		_, passages := published(t, st)
		if rep.Embedded != passages {
			t.Errorf("got report %+v; want %d passages re-embedded", rep, passages)
		}
		s := checkCounts(t, x, st)
		if s.Embedder != remote.name || s.Dim != 48 {
			t.Errorf("got embedder %q dim %d; want %q dim 48", s.Embedder, s.Dim, remote.name)
		}
	})

	step("back to the default embedder re-embeds again", func(t *testing.T) {
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
		x = openIndex(t, idxDir, st, index.Options{})
		rep := mustSync(t, x)
		docs, passages := published(t, st)
		if rep.Indexed != len(docs) || rep.Embedded != passages {
			t.Errorf("got report %+v; want all %d documents, %d passages re-embedded", rep, len(docs), passages)
		}
		s := checkCounts(t, x, st)
		if s.Embedder == emb.name || s.Dim == emb.dim {
			t.Errorf("got embedder %q dim %d; want the local embedder back", s.Embedder, s.Dim)
		}
		for _, q := range clearQuestions {
			if got := top(t, x, q.text, index.ModeVector); got != q.want {
				t.Errorf("vector %q: got top %q; want %q", q.text, got, q.want)
			}
		}
	})
}

// TestOpenEmbedderProbeFails covers a remote embedder that is down when the
// index first asks it for its dimension.
func TestOpenEmbedderProbeFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "sofort.db"))
	defer st.Close()
	emb := &bowEmbedder{name: "test-remote", dim: 0}
	emb.mode.Store(embedFail)
	_, err := index.Open(context.Background(), filepath.Join(dir, "index"), st, index.Options{Embedder: emb})
	if !errors.Is(err, index.ErrEmbedder) {
		t.Fatalf("got %v; want an error wrapping ErrEmbedder", err)
	}
	if !strings.Contains(err.Error(), emb.name) {
		t.Errorf("got %q; want the embedder named", err)
	}
}

// ExampleParseMode is here rather than in a test table because the CLI
// prints its message.
func ExampleParseMode() {
	for _, s := range []string{"", "BM25", " vector ", "hybrid", "semantic"} {
		m, err := index.ParseMode(s)
		fmt.Printf("%q %q %v\n", s, m, err)
	}
	// Output:
	// "" "hybrid" <nil>
	// "BM25" "bm25" <nil>
	// " vector " "vector" <nil>
	// "hybrid" "hybrid" <nil>
	// "semantic" "" unknown mode "semantic" (want bm25, vector or hybrid)
}
