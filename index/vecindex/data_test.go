package vecindex

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Synthetic vector sets for recall and speed. Each generator is
// deterministic in its seed and returns n data vectors and nq queries
// drawn from the same distribution but not in the data.
type dataset struct {
	name string
	gen  func(rng *rand.Rand, dim, n int) [][]float32
}

var datasets = []dataset{
	{"gauss", genGauss},
	{"mixture", genMixture},
	{"ngram-signed", func(rng *rand.Rand, dim, n int) [][]float32 { return genNgram(rng, dim, n, true) }},
	{"ngram-positive", func(rng *rand.Rand, dim, n int) [][]float32 { return genNgram(rng, dim, n, false) }},
}

func datasetByName(name string) dataset {
	for _, d := range datasets {
		if d.name == name {
			return d
		}
	}
	panic("no dataset " + name)
}

// genGauss draws i.i.d. standard normal components: no structure at all,
// the hardest case for any quantiser-based search.
func genGauss(rng *rand.Rand, dim, n int) [][]float32 {
	out := make([][]float32, n)
	flat := make([]float32, n*dim)
	for i := range out {
		v := flat[i*dim : (i+1)*dim]
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		out[i] = v
	}
	return out
}

// genMixture draws from a Gaussian mixture around a shared offset, like
// the embeddings of a trained model: anisotropic (unrelated texts have
// cosine around 0.2), clustered (texts on one topic around 0.6).
func genMixture(rng *rand.Rand, dim, n int) [][]float32 {
	// The seed of the centres is fixed so that queries drawn with another
	// rng come from the same clusters.
	crng := rand.New(rand.NewPCG(42, uint64(dim)))
	const clusters = 1000
	shared := make([]float64, dim)
	for j := range shared {
		shared[j] = 0.5 * crng.NormFloat64()
	}
	centres := make([][]float64, clusters)
	for c := range centres {
		centres[c] = make([]float64, dim)
		for j := range centres[c] {
			// Cluster sizes and spreads vary, as topics do.
			centres[c][j] = shared[j] + crng.NormFloat64()
		}
	}
	out := make([][]float32, n)
	flat := make([]float32, n*dim)
	for i := range out {
		c := centres[int(float64(clusters)*math.Pow(rng.Float64(), 1.5))]
		spread := 0.6 + 0.8*rng.Float64()
		v := flat[i*dim : (i+1)*dim]
		for j := range v {
			v[j] = float32(c[j] + spread*rng.NormFloat64())
		}
		out[i] = v
	}
	return out
}

// genNgram imitates the local hashed embedder: texts are bags of
// character n-grams drawn from a Zipf vocabulary, partly shared by all
// texts (function words, common endings) and partly from the text's
// topic; each n-gram is hashed to one dimension, with a hashed ± sign when
// signed. Lengths vary from short questions (a few dozen n-grams) to long
// passages (a few hundred).
func genNgram(rng *rand.Rand, dim, n int, signed bool) [][]float32 {
	const (
		vocab  = 60000
		topics = 400
		perTop = 600
	)
	// Fixed seed: the vocabulary and topics are the "language", the same
	// for data and queries.
	vrng := rand.New(rand.NewPCG(7, 7))
	hashDim := make([]int32, vocab)
	hashSign := make([]float32, vocab)
	for t := range hashDim {
		hashDim[t] = int32(vrng.IntN(dim))
		hashSign[t] = 1
		if signed && vrng.IntN(2) == 0 {
			hashSign[t] = -1
		}
	}
	topicWords := make([][]int32, topics)
	for t := range topicWords {
		topicWords[t] = make([]int32, perTop)
		for i := range topicWords[t] {
			topicWords[t][i] = int32(vrng.IntN(vocab))
		}
	}
	global := rand.NewZipf(rng, 1.1, 2, vocab-1)
	local := rand.NewZipf(rng, 1.05, 1, perTop-1)
	out := make([][]float32, n)
	flat := make([]float32, n*dim)
	for i := range out {
		v := flat[i*dim : (i+1)*dim]
		topic := topicWords[int(float64(topics)*math.Pow(rng.Float64(), 1.3))]
		grams := 20 + int(380*math.Pow(rng.Float64(), 2))
		for range grams {
			var t int32
			if rng.Float64() < 0.5 {
				t = int32(global.Uint64())
			} else {
				t = topic[local.Uint64()]
			}
			v[hashDim[t]] += hashSign[t]
		}
		// Sublinear term frequency, as the embedder does.
		for j, f := range v {
			if f > 0 {
				v[j] = float32(1 + math.Log(float64(f)))
			} else if f < 0 {
				v[j] = -float32(1 + math.Log(float64(-f)))
			}
		}
		out[i] = v
	}
	return out
}

// bruteForce is the reference: float64 cosine against every vector, ties
// by key, zero vectors never matching.
func bruteForce(keys []string, vecs [][]float32, q []float32, k int, filter func(string) bool) []Hit {
	qn := norm64(q)
	if qn == nil || k <= 0 {
		return nil
	}
	var all []Hit
	for i, v := range vecs {
		if filter != nil && !filter(keys[i]) {
			continue
		}
		vn := norm64(v)
		if vn == nil {
			continue
		}
		var s float64
		for j := range vn {
			s += vn[j] * qn[j]
		}
		all = append(all, Hit{Key: keys[i], Score: float32(s)})
	}
	slices.SortFunc(all, func(a, b Hit) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(all) > k {
		all = all[:k]
	}
	if len(all) == 0 {
		return nil
	}
	return all
}

func norm64(v []float32) []float64 {
	var s float64
	for _, f := range v {
		s += float64(f) * float64(f)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return nil
	}
	out := make([]float64, len(v))
	inv := 1 / math.Sqrt(s)
	for i, f := range v {
		out[i] = float64(f) * inv
	}
	return out
}

// exactTopK is a faster reference for recall at scale: float32 dot
// products over pre-normalised vectors, returning the top k slots' keys.
func exactTopK(keys []string, unit [][]float32, q []float32, k int) []string {
	qn := make([]float32, len(q))
	if ok, _ := normalize(q, qn); !ok {
		return nil
	}
	h := make(hitHeap, 0, k)
	for i, v := range unit {
		h.offer(Hit{Key: keys[i], Score: dot(qn, v)}, k)
	}
	out := make([]string, len(h))
	for i, hit := range h {
		out[i] = hit.Key
	}
	return out
}

func normalizeAll(vecs [][]float32) [][]float32 {
	out := make([][]float32, len(vecs))
	for i, v := range vecs {
		out[i] = make([]float32, len(v))
		normalize(v, out[i])
	}
	return out
}

// recallAt returns the mean fraction of each query's exact top k that the
// index returned.
func recallAt(x *Index, keys []string, unit [][]float32, queries [][]float32, k int) float64 {
	var sum float64
	for _, q := range queries {
		want := exactTopK(keys, unit, q, k)
		got := map[string]bool{}
		for _, h := range x.Search(q, k, nil) {
			got[h.Key] = true
		}
		found := 0
		for _, w := range want {
			if got[w] {
				found++
			}
		}
		sum += float64(found) / float64(len(want))
	}
	return sum / float64(len(queries))
}

func keysFor(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "p" + strconv.Itoa(i)
	}
	return keys
}
