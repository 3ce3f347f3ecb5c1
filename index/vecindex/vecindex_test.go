package vecindex

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// exactSigmas widens the error bound until nothing is pruned, which
// turns Search into exact search; with it the bookkeeping (slots, ties,
// filters, bands) can be held to the brute-force answer exactly.
const exactSigmas = 1e30

// modes runs a check against the default index and the exact one.
var modes = []struct {
	name   string
	sigmas float32
}{
	{"default", boundSigmas},
	{"exact", exactSigmas},
}

// op is one mutation: Add(key, vec), or Remove(key) when remove is set,
// which must then report wantRemoved.
type op struct {
	key         string
	vec         []float32
	remove      bool
	wantRemoved bool
}

func add(key string, vec ...float32) op { return op{key: key, vec: vec} }
func del(key string, want bool) op      { return op{key: key, remove: true, wantRemoved: want} }

// model is the reference state the index must agree with.
type model struct {
	keys []string
	vecs map[string][]float32
}

func (m *model) apply(o op) {
	if m.vecs == nil {
		m.vecs = map[string][]float32{}
	}
	if o.remove {
		delete(m.vecs, o.key)
		return
	}
	m.vecs[o.key] = o.vec
}

func (m *model) search(q []float32, k int, filter func(string) bool) []Hit {
	keys := make([]string, 0, len(m.vecs))
	for k := range m.vecs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vecs := make([][]float32, len(keys))
	for i, k := range keys {
		vecs[i] = m.vecs[k]
	}
	return bruteForce(keys, vecs, q, k, filter)
}

func TestSearch(t *testing.T) {
	var (
		a  = []float32{1, 0, 0, 0}
		b  = []float32{0, 1, 0, 0}
		c  = []float32{1, 1, 0, 0}     // cosine 0.707 with a and b
		d  = []float32{2, 0, 0, 0}     // same direction as a
		na = []float32{-1, 0, 0, 0}    // opposite of a
		z  = []float32{0, 0, 0, 0}     // zero: never matches
		e  = []float32{1, 1, 1, 1e-30} // tiny component survives normalisation
	)
	notA := func(key string) bool { return key != "a" }
	none := func(string) bool { return false }
	tests := []struct {
		name     string
		ops      []op
		q        []float32
		k        int
		filter   func(string) bool
		wantLen  int
		wantKeys []string // nil: no hits
	}{
		{"empty index", nil, a, 3, nil, 0, nil},
		{"k zero", []op{add("a", a...)}, a, 0, nil, 1, nil},
		{"k negative", []op{add("a", a...)}, a, -1, nil, 1, nil},
		{"k above len returns every non-zero vector",
			[]op{add("a", a...), add("b", b...), add("c", c...), add("z", z...)}, a, 10, nil, 4,
			[]string{"a", "c", "b"}},
		{"ties broken by key",
			[]op{add("k2", a...), add("k1", d...), add("k3", a...), add("k0", b...)}, a, 2, nil, 4,
			[]string{"k1", "k2"}},
		{"negative scores rank last, ties by key",
			[]op{add("d", d...), add("a", a...), add("b", b...), add("c", c...)}, na, 4, nil, 4,
			[]string{"b", "c", "a", "d"}},
		{"upsert replaces the vector",
			[]op{add("x", a...), add("y", c...), add("x", b...)}, b, 1, nil, 2,
			[]string{"x"}},
		{"removed key is not found",
			[]op{add("a", a...), add("b", b...), add("c", c...), del("c", true)}, a, 3, nil, 2,
			[]string{"a", "b"}},
		{"remove of a missing key reports false",
			[]op{add("a", a...), del("nope", false)}, a, 3, nil, 1,
			[]string{"a"}},
		{"remove moves the last slot; its key stays addressable",
			[]op{add("a", a...), add("b", b...), add("c", c...), del("a", true), add("c", b...), add("e", a...)}, b, 3, nil, 3,
			[]string{"b", "c", "e"}},
		{"zero vector counts but never matches",
			[]op{add("z", z...)}, a, 5, nil, 1, nil},
		{"upsert to zero hides the key",
			[]op{add("x", a...), add("x", z...)}, a, 5, nil, 1, nil},
		{"upsert from zero shows the key",
			[]op{add("x", z...), add("x", a...)}, a, 5, nil, 1,
			[]string{"x"}},
		{"zero-vector key can be removed",
			[]op{add("z", z...), add("a", a...), del("z", true)}, a, 5, nil, 1,
			[]string{"a"}},
		{"zero query finds nothing",
			[]op{add("a", a...)}, z, 5, nil, 1, nil},
		{"NaN query finds nothing",
			[]op{add("a", a...)}, []float32{float32(math.NaN()), 0, 0, 0}, 5, nil, 1, nil},
		{"query of wrong length finds nothing",
			[]op{add("a", a...)}, []float32{1, 0, 0}, 5, nil, 1, nil},
		{"filter excludes keys",
			[]op{add("a", a...), add("b", b...), add("c", c...), add("d", d...)}, a, 2, notA, 4,
			[]string{"d", "c"}},
		{"filter rejecting all finds nothing",
			[]op{add("a", a...), add("b", b...)}, a, 2, none, 2, nil},
		{"input scale does not matter",
			[]op{add("e", e...), add("c", c...)}, []float32{1e-20, 1e-20, 1e-20, 1e-20}, 2, nil, 2,
			[]string{"e", "c"}},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				x := New(4)
				x.sigmas = mode.sigmas
				var m model
				for _, o := range tt.ops {
					if o.remove {
						if got := x.Remove(o.key); got != o.wantRemoved {
							t.Fatalf("Remove(%q) = %v; want %v", o.key, got, o.wantRemoved)
						}
					} else if err := x.Add(o.key, o.vec); err != nil {
						t.Fatalf("Add(%q): %v", o.key, err)
					}
					m.apply(o)
				}
				if got := x.Len(); got != tt.wantLen {
					t.Errorf("Len() = %d; want %d", got, tt.wantLen)
				}
				got := x.Search(tt.q, tt.k, tt.filter)
				if gotKeys := hitKeys(got); !slices.Equal(gotKeys, tt.wantKeys) {
					t.Errorf("Search keys = %v; want %v", gotKeys, tt.wantKeys)
				}
				if tt.wantKeys == nil && got != nil {
					t.Errorf("Search = %#v; want nil", got)
				}
				var want []Hit
				if len(tt.q) == x.Dim() {
					want = m.search(tt.q, tt.k, tt.filter)
				}
				if err := sameHits(got, want); err != nil {
					t.Errorf("Search vs brute force: %v", err)
				}
			})
		}
	}
}

func hitKeys(hits []Hit) []string {
	if hits == nil {
		return nil
	}
	keys := make([]string, len(hits))
	for i, h := range hits {
		keys[i] = h.Key
	}
	return keys
}

// scoreTol allows for float32 arithmetic against the float64 reference.
const scoreTol = 2e-6

// sameHits reports how got differs from the reference want. Keys must
// agree position by position except among reference scores closer than
// float32 can resolve, where any order of the same keys is accepted.
func sameHits(got, want []Hit) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d hits %v; want %d %v", len(got), hitKeys(got), len(want), hitKeys(want))
	}
	wantScore := map[string]float32{}
	for _, h := range want {
		wantScore[h.Key] = h.Score
	}
	for i, g := range got {
		w := want[i]
		if math.Abs(float64(g.Score-w.Score)) > scoreTol {
			return fmt.Errorf("hit %d: got %s %.7f; want %s %.7f", i, g.Key, g.Score, w.Key, w.Score)
		}
		if g.Key == w.Key {
			continue
		}
		s, ok := wantScore[g.Key]
		if !ok || math.Abs(float64(s-w.Score)) > scoreTol {
			return fmt.Errorf("hit %d: got %s %.7f; want %s %.7f", i, g.Key, g.Score, w.Key, w.Score)
		}
	}
	return nil
}

// checkHits verifies what must hold for any answer, exact or not: sorted
// best first with ties by key, no duplicates, scores equal to the true
// cosines, filter respected, as many hits as asked for when available.
func checkHits(got []Hit, m *model, q []float32, k int, filter func(string) bool) error {
	eligible := 0
	for key, v := range m.vecs {
		if norm64(v) != nil && (filter == nil || filter(key)) {
			eligible++
		}
	}
	if want := min(k, eligible); len(got) != want {
		return fmt.Errorf("got %d hits; want %d", len(got), want)
	}
	qn := norm64(q)
	seen := map[string]bool{}
	for i, h := range got {
		if seen[h.Key] {
			return fmt.Errorf("hit %d: key %s twice", i, h.Key)
		}
		seen[h.Key] = true
		if filter != nil && !filter(h.Key) {
			return fmt.Errorf("hit %d: key %s is filtered out", i, h.Key)
		}
		vn := norm64(m.vecs[h.Key])
		if vn == nil {
			return fmt.Errorf("hit %d: key %s is absent or zero", i, h.Key)
		}
		var s float64
		for j := range vn {
			s += vn[j] * qn[j]
		}
		if math.Abs(s-float64(h.Score)) > scoreTol {
			return fmt.Errorf("hit %d: key %s score %.7f; true cosine %.7f", i, h.Key, h.Score, s)
		}
		if i > 0 && worse(got[i-1], h) {
			return fmt.Errorf("hit %d (%s %.7f) ranks above hit %d (%s %.7f)", i, h.Key, h.Score, i-1, got[i-1].Key, got[i-1].Score)
		}
	}
	return nil
}

// TestSearchRandom runs a random history of adds, upserts, removes, zero
// vectors and duplicates (ties) at several dimensions, including ones
// that are not a multiple of the 64-bit code word.
func TestSearchRandom(t *testing.T) {
	even := func(key string) bool { return key[len(key)-1]%2 == 0 }
	for _, dim := range []int{3, 100, 384} {
		rng := rand.New(rand.NewPCG(uint64(dim), 9))
		var ops []op
		vecs := genGauss(rng, dim, 600)
		for i, v := range vecs {
			key := fmt.Sprintf("k%03d", i)
			switch {
			case i%50 == 7:
				v = make([]float32, dim) // zero vector
			case i%20 == 3:
				v = slices.Clone(vecs[i-1]) // a tie with the previous key
			}
			ops = append(ops, add(key, v...))
			if i%10 == 9 {
				ops = append(ops, del(fmt.Sprintf("k%03d", rng.IntN(i)), false))
			}
			if i%15 == 14 {
				ops = append(ops, add(fmt.Sprintf("k%03d", rng.IntN(i)), genGauss(rng, dim, 1)[0]...))
			}
		}
		queries := genGauss(rng, dim, 15)
		queries = append(queries, vecs[10], vecs[3], vecs[2]) // on a stored vector, and on a tie
		for _, mode := range modes {
			t.Run(fmt.Sprintf("%s/dim=%d", mode.name, dim), func(t *testing.T) {
				x := New(dim)
				x.sigmas = mode.sigmas
				var m model
				for _, o := range ops {
					if o.remove {
						_, had := m.vecs[o.key]
						if got := x.Remove(o.key); got != had {
							t.Fatalf("Remove(%q) = %v; want %v", o.key, got, had)
						}
					} else if err := x.Add(o.key, o.vec); err != nil {
						t.Fatal(err)
					}
					m.apply(o)
				}
				if x.Len() != len(m.vecs) {
					t.Fatalf("Len() = %d; want %d", x.Len(), len(m.vecs))
				}
				found, total := 0, 0
				for qi, q := range queries {
					for _, k := range []int{1, 10, 1000} {
						for fi, filter := range []func(string) bool{nil, even} {
							got := x.Search(q, k, filter)
							if err := checkHits(got, &m, q, k, filter); err != nil {
								t.Fatalf("query %d k=%d filter %d: %v", qi, k, fi, err)
							}
							want := m.search(q, k, filter)
							if mode.sigmas == exactSigmas {
								if err := sameHits(got, want); err != nil {
									t.Fatalf("query %d k=%d filter %d: %v", qi, k, fi, err)
								}
							}
							gotSet := map[string]bool{}
							for _, h := range got {
								gotSet[h.Key] = true
							}
							for _, h := range want {
								if gotSet[h.Key] {
									found++
								}
							}
							total += len(want)
						}
					}
				}
				// The default mode is approximate; on a few hundred
				// vectors it should still find nearly everything.
				if r := float64(found) / float64(total); r < 0.99 {
					t.Errorf("recall %.4f; want ≥ 0.99", r)
				}
			})
		}
	}
}

func TestAddErrors(t *testing.T) {
	tests := []struct {
		name     string
		vec      []float32
		wantErr  error
		wantText []string // substrings the message must name
	}{
		{"too short", make([]float32, 7), ErrDim, []string{`"doc#1"`, "7 dims", "8"}},
		{"too long", make([]float32, 9), ErrDim, []string{`"doc#1"`, "9 dims", "8"}},
		{"nil", nil, ErrDim, []string{`"doc#1"`, "0 dims", "8"}},
		{"NaN", []float32{1, 2, float32(math.NaN()), 0, 0, 0, 0, 0}, ErrNotFinite, []string{`"doc#1"`, "component 2", "NaN"}},
		{"Inf", []float32{0, 0, 0, 0, 0, 0, 0, float32(math.Inf(-1))}, ErrNotFinite, []string{`"doc#1"`, "component 7", "-Inf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := New(8)
			old := []float32{1, 0, 0, 0, 0, 0, 0, 0}
			if err := x.Add("doc#1", old); err != nil {
				t.Fatal(err)
			}
			err := x.Add("doc#1", tt.vec)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Add error = %v; want %v", err, tt.wantErr)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Add error %q does not contain %q", err, s)
				}
			}
			// A failed upsert leaves the old vector in place.
			got := x.Search(old, 1, nil)
			if x.Len() != 1 || len(got) != 1 || got[0].Key != "doc#1" || got[0].Score < 0.9999 {
				t.Errorf("after failed Add: Len %d, Search %v; want the old vector", x.Len(), got)
			}
		})
	}
}

// TestAddCopiesInput guards against aliasing the caller's slice.
func TestAddCopiesInput(t *testing.T) {
	x := New(2)
	v := []float32{1, 0}
	if err := x.Add("a", v); err != nil {
		t.Fatal(err)
	}
	v[0], v[1] = 0, 1
	got := x.Search([]float32{1, 0}, 1, nil)
	if len(got) != 1 || got[0].Score < 0.9999 {
		t.Errorf("Search after changing the added slice = %v; want a with score 1", got)
	}
}

func TestBytes(t *testing.T) {
	const dim, n = 64, 10000
	x := New(dim)
	empty := x.Bytes()
	vecs := genGauss(rand.New(rand.NewPCG(1, 1)), dim, n)
	for i, v := range vecs {
		if i%100 == 0 {
			v = make([]float32, dim) // zero vectors are held too
		}
		if err := x.Add(fmt.Sprint(i), v); err != nil {
			t.Fatal(err)
		}
	}
	// Each vector holds at least its float32 copy, its code and its key.
	full := x.Bytes()
	if floor := empty + (n-n/100)*(dim*4+dim/8); full < floor {
		t.Errorf("Bytes() with %d vectors = %d; want ≥ %d", n, full, floor)
	}
	for i := range vecs {
		if !x.Remove(fmt.Sprint(i)) {
			t.Fatalf("Remove(%d) = false; want true", i)
		}
	}
	// Mass removal gives the slabs back.
	if got := x.Bytes(); got > empty+full/10 {
		t.Errorf("Bytes() after removing all = %d; want ≤ %d (empty %d, full %d)", got, empty+full/10, empty, full)
	}
	if x.keyBytes != 0 {
		t.Errorf("key bytes after removing all = %d; want 0", x.keyBytes)
	}
}

// TestConcurrent searches while vectors are added, upserted and removed;
// run with -race. The index is large enough for the scan to be split
// across goroutines. Every answer must be well-formed for some state.
func TestConcurrent(t *testing.T) {
	const (
		dim   = 16
		start = parallelMin + 1000
		added = 500 // per writer
	)
	x := New(dim)
	rng := rand.New(rand.NewPCG(5, 5))
	vecs := genMixture(rng, dim, start+2*added)
	for i, v := range vecs[:start] {
		if err := x.Add(fmt.Sprint(i), v); err != nil {
			t.Fatal(err)
		}
	}
	queries := genMixture(rng, dim, 50)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				q := queries[(i+w)%len(queries)]
				got := x.Search(q, 10, nil)
				if len(got) != 10 {
					errs <- fmt.Errorf("searcher %d: %d hits; want 10", w, len(got))
					return
				}
				for j := 1; j < len(got); j++ {
					if worse(got[j-1], got[j]) {
						errs <- fmt.Errorf("searcher %d: hits out of order: %v", w, got)
						return
					}
				}
			}
		})
	}
	for w := range 2 {
		wg.Go(func() {
			for i := range added {
				slot := start + w*added + i
				if err := x.Add(fmt.Sprint(slot), vecs[slot]); err != nil {
					errs <- err
					return
				}
				if i%3 == 0 {
					x.Remove(fmt.Sprint(i)) // an original vector
				}
				if i%7 == 0 {
					// Upsert an original that no writer removes.
					if err := x.Add(fmt.Sprint(added+i), vecs[slot]); err != nil {
						errs <- err
						return
					}
				}
				x.Len()
				x.Bytes()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Both writers removed the same 167 originals.
	if got, want := x.Len(), start+2*added-167; got != want {
		t.Errorf("Len() after writers = %d; want %d", got, want)
	}
}

// TestRecall holds the default search to recall@10 ≥ 0.99 against exact
// float32 cosine on every synthetic distribution, at a size where the
// scan is split across goroutines. The benchmarks report the same at
// 100k. Under the race detector it checks only the set closest to the
// local embedder's output, with fewer queries, to stay within a minute.
func TestRecall(t *testing.T) {
	const (
		n     = parallelMin + 4000
		dim   = 384
		floor = 0.99
	)
	nq, sets := 50, datasets
	if raceEnabled {
		nq, sets = 20, []dataset{datasetByName("ngram-signed")}
	}
	for _, ds := range sets {
		t.Run(ds.name, func(t *testing.T) {
			data := ds.gen(rand.New(rand.NewPCG(1, 2)), dim, n)
			queries := ds.gen(rand.New(rand.NewPCG(3, 4)), dim, nq)
			keys := keysFor(n)
			x := New(dim)
			for i, v := range data {
				if err := x.Add(keys[i], v); err != nil {
					t.Fatal(err)
				}
			}
			if r := recallAt(x, keys, normalizeAll(data), queries, 10); r < floor {
				t.Errorf("recall@10 = %.4f; want ≥ %.2f", r, floor)
			} else {
				t.Logf("recall@10 = %.4f", r)
			}
		})
	}
}

// TestBoundCoverage checks the estimator's calibration directly: the
// true cosine should fall outside [est-eps, est+eps] about as often as a
// normal variable falls beyond boundSigmas on each side (2.3% at 2σ).
// A wrong constant or sign in the estimator shows up here first.
func TestBoundCoverage(t *testing.T) {
	const dim = 384
	n, nq := 3000, 20
	if raceEnabled {
		n, nq = 1000, 10
	}
	for _, ds := range datasets {
		t.Run(ds.name, func(t *testing.T) {
			data := ds.gen(rand.New(rand.NewPCG(11, 12)), dim, n)
			queries := ds.gen(rand.New(rand.NewPCG(13, 14)), dim, nq)
			keys := keysFor(n)
			x := New(dim)
			for i, v := range data {
				if err := x.Add(keys[i], v); err != nil {
					t.Fatal(err)
				}
			}
			var above, below, total int
			var sumErr float64
			for _, q := range queries {
				qq := x.newQuery().(*query)
				x.prepare(qq, q)
				qq.ub = make([]float32, n)
				x.scanRange(qq, 0, n, 1, noLabel, qq.ub, nil)
				for slot := range n {
					m := x.meta[slot]
					eps := qq.epsData*m.epsUnit + qq.epsQuery*m.invF
					est := qq.ub[slot] - eps
					truth := dot(qq.unit, x.vecs[slot*dim:(slot+1)*dim])
					sumErr += float64(est - truth)
					switch {
					case truth > est+eps:
						above++
					case truth < est-eps:
						below++
					}
					total++
				}
			}
			fa, fb := float64(above)/float64(total), float64(below)/float64(total)
			t.Logf("outside bound: %.4f above, %.4f below; mean error %.5f", fa, fb, sumErr/float64(total))
			if fa > 0.04 || fb > 0.04 {
				t.Errorf("true cosine above the bound for %.4f, below for %.4f of pairs; want ≤ 0.04 each", fa, fb)
			}
			if bias := math.Abs(sumErr / float64(total)); bias > 0.005 {
				t.Errorf("mean estimate error %.5f; want |bias| ≤ 0.005", bias)
			}
		})
	}
}

// TestRotation checks that the rotation is orthogonal (it keeps inner
// products) for dimensions on and off the power-of-two and word grid.
func TestRotation(t *testing.T) {
	for _, dim := range []int{1, 63, 64, 100, 256, 384, 448, 768, 1536} {
		t.Run(fmt.Sprint(dim), func(t *testing.T) {
			r := newRotation(dim)
			if r.pdim%64 != 0 || r.pdim < dim || r.pdim-dim >= 64 {
				t.Fatalf("padded dim %d for %d; want the next multiple of 64", r.pdim, dim)
			}
			rng := rand.New(rand.NewPCG(1, uint64(dim)))
			vs := genGauss(rng, dim, 3)
			rot := make([][]float32, len(vs))
			tmp := make([]float32, r.pdim)
			for i, v := range vs {
				rot[i] = make([]float32, r.pdim)
				r.apply(v, rot[i], tmp)
			}
			for i := range vs {
				for j := range vs {
					var want, got float64
					for l := range vs[i] {
						want += float64(vs[i][l]) * float64(vs[j][l])
					}
					for l := range rot[i] {
						got += float64(rot[i][l]) * float64(rot[j][l])
					}
					if math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
						t.Errorf("<R v%d, R v%d> = %.6f; want %.6f", i, j, got, want)
					}
				}
			}
		})
	}
}

// TestCodeSums holds the unrolled kernels to the generic one.
func TestCodeSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, w := range []int{1, 4, 6, 8, 12} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			const n = 37
			codes := make([]uint64, n*w)
			for i := range codes {
				codes[i] = rng.Uint64()
			}
			planes := make([]uint64, w*queryBits)
			for i := range planes {
				planes[i] = rng.Uint64()
			}
			got := make([]int32, n)
			codeSums(codes, planes, w, got)
			for i := range n {
				var want int32
				for j := range w {
					for b := range queryBits {
						for bit := range 64 {
							if codes[i*w+j]>>bit&1 == 1 && planes[j*queryBits+b]>>bit&1 == 1 {
								want += 1 << b
							}
						}
					}
				}
				if got[i] != want {
					t.Errorf("code %d: sum %d; want %d", i, got[i], want)
				}
			}
		})
	}
}
