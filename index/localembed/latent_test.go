package localembed

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/sofort-chat/sofort/index/analyze"
)

// TestRandomizedSVD checks the leading singular values against an exact
// eigendecomposition of X Xᵀ (a random matrix has a flat spectrum, so a
// rank-20 sketch is close, not exact).
func TestRandomizedSVD(t *testing.T) {
	const V, N = 60, 45
	rng := rand.New(rand.NewPCG(1, 2))
	dense := make([]float64, V*N)
	for n := range N {
		for v := range V {
			if rng.Float64() < 0.2 {
				dense[v*N+n] = rng.Float64()
			}
		}
	}
	cols := make([]sparseCol, N)
	for n := range N {
		for v := range V {
			if x := dense[v*N+n]; x != 0 {
				cols[n].rows = append(cols[n].rows, int32(v))
				cols[n].vals = append(cols[n].vals, x)
			}
		}
	}
	gram := make([]float64, V*V)
	for a := range V {
		for b := range V {
			for n := range N {
				gram[a*V+b] += dense[a*N+n] * dense[b*N+n]
			}
		}
	}
	want, _ := symEigen(gram, V)
	const L = 20
	U, sv := randomizedSVD(cols, V, L, 4)
	for j := range 5 {
		if w := math.Sqrt(want[j]); math.Abs(sv[j]-w) > 1e-3*w {
			t.Errorf("singular value %d = %.6f; want %.6f", j, sv[j], w)
		}
	}
	// Left singular vectors are orthonormal.
	for a := range 5 {
		for b := range 5 {
			var s float64
			for r := range V {
				s += U[r*L+a] * U[r*L+b]
			}
			want := 0.0
			if a == b {
				want = 1
			}
			if math.Abs(s-want) > 1e-6 {
				t.Errorf("u%d·u%d = %.6f; want %.0f", a, b, s, want)
			}
		}
	}
}

// latentCorpus has two topics. "Maske" and "Mundschutz" never share a
// document, but both share their neighbours; "Miete" belongs to the other
// topic.
var latentCorpus = []string{
	"Maske tragen im Bus und in der Bahn schützt andere",
	"Maske im Geschäft tragen, Abstand halten",
	"Mundschutz tragen im Bus und Abstand halten",
	"Mundschutz im Geschäft und in der Bahn schützt andere",
	"Miete zahlen, Kündigung durch den Vermieter",
	"Vermieter darf wegen Miete nicht kündigen, Kündigung ausgeschlossen",
	"Miete stunden, Vermieter fragen",
	"Kündigung der Wohnung, Vermieter und Miete",
}

func fitTest(t *testing.T, opt Options, docs []string) (*IDF, *Embedder) {
	t.Helper()
	an, err := analyze.New()
	if err != nil {
		t.Fatal(err)
	}
	idf, err := Fit(context.Background(), opt, an, len(docs), func(i int) (string, string) { return "de", docs[i] })
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(opt, an, idf)
	if err != nil {
		t.Fatal(err)
	}
	return idf, e
}

func TestLatentBridgesCooccurrence(t *testing.T) {
	opt := DefaultOptions()
	// Two topics: the shared direction and the one that tells them apart.
	opt.LatentDim = 2
	idf, e := fitTest(t, opt, latentCorpus)
	if idf.Latent == nil {
		t.Fatal("no latent model fitted")
	}
	vec := func(w string) []float32 {
		terms := e.an.Terms("de", w)
		v := idf.Latent.vec(terms[0])
		if v == nil {
			t.Fatalf("%q (%q) has no latent vector", w, terms[0])
		}
		return v
	}
	dot := func(a, b []float32) (s float64) {
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	same, other := dot(vec("Maske"), vec("Mundschutz")), dot(vec("Maske"), vec("Miete"))
	if same <= other+0.3 {
		t.Errorf("latent Maske·Mundschutz %.3f; want clearly above Maske·Miete %.3f", same, other)
	}

	// The block carries that into the embedding.
	off := opt
	off.LatentWeight = 0
	_, plain := fitTest(t, off, latentCorpus)
	q, d := "Brauche ich eine Maske?", "Mundschutz"
	embed := func(e *Embedder, s string) []float32 { return e.embed("de", s) }
	with, without := cos(embed(e, q), embed(e, d)), cos(embed(plain, q), embed(plain, d))
	if with <= without+0.1 {
		t.Errorf("cos(%q, %q) with latent block %.3f; want clearly above %.3f without", q, d, with, without)
	}
}

func TestLatentPersistAndFingerprint(t *testing.T) {
	opt := DefaultOptions()
	opt.LatentDim = 4
	idf, e := fitTest(t, opt, latentCorpus)
	idf2, _ := fitTest(t, opt, latentCorpus)
	if idf.Fingerprint() != idf2.Fingerprint() {
		t.Errorf("two fits of the same corpus: fingerprints %s and %s; want equal (deterministic)", idf.Fingerprint(), idf2.Fingerprint())
	}
	var buf bytes.Buffer
	if _, err := idf.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadIDF(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Fingerprint() != idf.Fingerprint() || back.Latent == nil || !slices.Equal(back.Latent.Vecs, idf.Latent.Vecs) {
		t.Errorf("round trip lost the latent model: fp %s → %s", idf.Fingerprint(), back.Fingerprint())
	}
	e2, _ := New(opt, e.an, back)
	if a, b := e.embed("de", "Maske tragen"), e2.embed("de", "Maske tragen"); !slices.Equal(a, b) {
		t.Error("embedding differs after the model's round trip")
	}

	// Another corpus gives another model and so another embedder name.
	_, other := fitTest(t, opt, latentCorpus[:6])
	if other.Name() == e.Name() {
		t.Errorf("embedders fitted on different corpora share the name %q; vectors would mix", e.Name())
	}

	// A corrupt model is rejected, not used.
	bad := *idf
	lat := *idf.Latent
	lat.Vecs = lat.Vecs[:len(lat.Vecs)-1]
	bad.Latent = &lat
	buf.Reset()
	if _, err := bad.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadIDF(&buf); err == nil {
		t.Error("ReadIDF accepted a latent block with a missing value")
	}
}

func TestLatentTinyCorpus(t *testing.T) {
	for _, docs := range [][]string{nil, {"ein einziges Dokument"}, {"😀", ""}} {
		idf, e := fitTest(t, DefaultOptions(), docs)
		if idf.Latent != nil {
			t.Errorf("%d documents: latent model fitted; want none (nothing co-occurs)", len(docs))
		}
		if v := e.embed("de", "Maske"); len(v) != e.Dim() {
			t.Errorf("%d documents: %d dims; want %d", len(docs), len(v), e.Dim())
		}
	}
	if _, err := New(Options{Dim: 32, LatentWeight: 1, LatentDim: 64}, nil, nil); err == nil {
		t.Error("New with a latent block wider than the vector succeeded; want an error")
	}
}

func TestFitCancelled(t *testing.T) {
	an, err := analyze.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Fit(ctx, DefaultOptions(), an, len(latentCorpus), func(i int) (string, string) { return "de", latentCorpus[i] }); err == nil {
		t.Error("Fit with a cancelled context succeeded; want context.Canceled")
	}
}

// TestFitManyDocuments crosses the analysis batches: documents are counted
// in order whatever the scheduling, so two fits agree.
func TestFitManyDocuments(t *testing.T) {
	docs := make([]string, 1500)
	for i := range docs {
		docs[i] = latentCorpus[i%len(latentCorpus)] + " Nummer " + string(rune('a'+i%26))
	}
	idf, _ := fitTest(t, DefaultOptions(), docs)
	again, _ := fitTest(t, DefaultOptions(), docs)
	if idf.N != len(docs) || idf.Fingerprint() != again.Fingerprint() {
		t.Errorf("N %d (want %d), fingerprints %s and %s (want equal)", idf.N, len(docs), idf.Fingerprint(), again.Fingerprint())
	}
	want := 0
	for _, d := range docs {
		if strings.Contains(d, "Maske") {
			want++
		}
	}
	if df := idf.DF[wordKey("mask")]; df != want {
		t.Errorf("DF of \"mask\" = %d; want %d (documents with \"Maske\")", df, want)
	}
}
