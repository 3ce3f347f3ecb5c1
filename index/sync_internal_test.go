package index

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sofort-chat/sofort/corpus"
)

// bigStore holds more than one sync batch of documents, some with enough
// phrasings for the phrase model, so Sync trains it beside the indexing.
func bigStore(t *testing.T) *corpus.Store {
	t.Helper()
	ctx := context.Background()
	st, err := corpus.Open(ctx, filepath.Join(t.TempDir(), "sofort.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	topics := []string{"invoice", "password", "delivery", "refund", "account", "voucher", "address", "contract"}
	var docs []corpus.Document
	for i := range syncBatch + 100 {
		tp := topics[i%len(topics)]
		d := corpus.Document{
			ID: fmt.Sprintf("faq-%04d", i), Kind: corpus.KindFAQ, Lang: "en",
			Question: fmt.Sprintf("How do I change my %s number %d?", tp, i),
			Answer:   fmt.Sprintf("Open the %s page in your account and follow step %d.", tp, i%7),
		}
		if i%10 == 0 {
			d.AltQuestions = []string{
				fmt.Sprintf("change %s %d", tp, i),
				fmt.Sprintf("where can I edit the %s (%d)?", tp, i),
				fmt.Sprintf("%s %d wrong, what now", tp, i),
			}
		}
		docs = append(docs, d)
	}
	if _, err := st.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestSyncPhraseBesideIndexing checks that the model trained beside a large
// sync is the one training after it gives, and that it is installed.
func TestSyncPhraseBesideIndexing(t *testing.T) {
	ctx := context.Background()
	st := bigStore(t)
	x, err := Open(ctx, t.TempDir(), st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if _, err := x.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if x.phr == nil || x.st.PhraseStale || x.phraseDirty {
		t.Fatalf("after sync: model %v, stale %v, dirty %v; want a fresh model", x.phr != nil, x.st.PhraseStale, x.phraseDirty)
	}
	saved, err := os.ReadFile(x.phrasePath())
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := x.buildPhrase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if _, err := m.WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved, want.Bytes()) {
		t.Errorf("model trained during sync (%d bytes) differs from one trained after it (%d bytes)", len(saved), want.Len())
	}
}

// TestEmbedTextsParallel checks that embedding on several workers gives
// the vectors one call gives, in order.
func TestEmbedTextsParallel(t *testing.T) {
	ctx := context.Background()
	st := bigStore(t)
	x, err := Open(ctx, t.TempDir(), st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var texts []string
	for i := range 5*embedChunk + 3 {
		texts = append(texts, fmt.Sprintf("Where is my parcel number %d? It was sent to Berlin on day %d.", i, i%31))
	}
	got, err := x.embedTexts(ctx, "en", texts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := x.emb.Embed(ctx, "en", texts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("parallel embedding differs from one call")
	}
}
