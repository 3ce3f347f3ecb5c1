package vecindex

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestSearchLabel checks that SearchLabel returns what the same search
// with an equivalent filter function returns, after upserts that change a
// key's label and removals that move slots, on both sides of parallelMin
// (the split scan).
func TestSearchLabel(t *testing.T) {
	sizes := []int{300, parallelMin + 500}
	if raceEnabled {
		sizes = []int{300, parallelMin + 1}
	}
	const dim, labels = 64, 3
	for _, n := range sizes {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(n)))
			vecs := genMixture(rng, dim, n)
			keys := keysFor(n)
			x := New(dim)
			x.Grow(n)
			m := model{}
			label := map[string]uint32{}
			for i, v := range vecs {
				l := uint32(rng.IntN(labels))
				if err := x.AddLabel(keys[i], v, l); err != nil {
					t.Fatal(err)
				}
				m.apply(add(keys[i], v...))
				label[keys[i]] = l
			}
			// Relabel some keys by upsert and remove others: the removal
			// moves the last slot, whose label must move with it.
			for i := 0; i < n; i += 7 {
				l := (label[keys[i]] + 1) % labels
				if err := x.AddLabel(keys[i], vecs[i], l); err != nil {
					t.Fatal(err)
				}
				label[keys[i]] = l
			}
			for i := 3; i < n; i += 11 {
				x.Remove(keys[i])
				m.apply(del(keys[i], true))
				delete(label, keys[i])
			}
			queries := genMixture(rand.New(rand.NewPCG(8, uint64(n))), dim, 6)
			for qi, q := range queries {
				for l := range uint32(labels + 1) { // label 3 has no vectors
					filter := func(key string) bool { l2, ok := label[key]; return ok && l2 == l }
					for _, k := range []int{1, 10, 50} {
						got := x.SearchLabel(q, k, l)
						if err := checkHits(got, &m, q, k, filter); err != nil {
							t.Fatalf("query %d label %d k %d: %v", qi, l, k, err)
						}
						if err := sameHits(got, x.Search(q, k, filter)); err != nil {
							t.Fatalf("query %d label %d k %d: SearchLabel and Search with a filter differ: %v", qi, l, k, err)
						}
					}
				}
			}
			// Plain Search ignores labels.
			if err := checkHits(x.Search(queries[0], 10, nil), &m, queries[0], 10, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}
