package localembed

import (
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"sort"
)

// IDF holds document frequencies learned from the corpus at index time. It
// is immutable once fitted: incremental updates keep using it, and a full
// reindex fits a new one (which changes the embedder's name, so every
// vector is rebuilt with the same weights).
type IDF struct {
	N  int
	DF map[string]int
	// Latent is the co-occurrence model fitted with the table (nil when
	// the embedder has no latent block or the corpus is too small).
	Latent *Latent
	fp     string
}

// FitIDF counts in how many units (documents) each term occurs. terms
// yields the analysed terms of one unit per call.
func FitIDF(units int, terms func(i int) []string) *IDF {
	df := make(map[string]int)
	seen := make(map[string]bool)
	for i := 0; i < units; i++ {
		clear(seen)
		for _, t := range terms(i) {
			if !seen[t] {
				seen[t] = true
				df[t]++
			}
		}
	}
	x := &IDF{N: units, DF: df}
	x.fp = x.fingerprint()
	return x
}

// Weight is a smoothed inverse document frequency; unseen terms get the
// weight of a term seen once, the rarest there is.
func (x *IDF) Weight(term string) float64 {
	df := x.DF[term]
	if df == 0 {
		df = 1
	}
	return math.Log(float64(x.N+1)/float64(df)) + 1
}

// Fingerprint is a short hash of the table, part of the embedder's name.
func (x *IDF) Fingerprint() string { return x.fp }

func (x *IDF) fingerprint() string {
	keys := make([]string, 0, len(x.DF))
	for k := range x.DF {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := fnv.New64a()
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(x.N))
	h.Write(buf[:])
	for _, k := range keys {
		h.Write([]byte(k))
		binary.LittleEndian.PutUint64(buf[:], uint64(x.DF[k]))
		h.Write(buf[:])
	}
	if l := x.Latent; l != nil {
		binary.LittleEndian.PutUint64(buf[:], uint64(l.Dim))
		h.Write(buf[:])
		for _, v := range l.Vecs {
			binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(v))
			h.Write(buf[:4])
		}
	}
	return fmt.Sprintf("%08x", uint32(h.Sum64()))
}

// WriteTo stores the table (gob).
func (x *IDF) WriteTo(w io.Writer) (int64, error) {
	return 0, gob.NewEncoder(w).Encode(struct {
		N      int
		DF     map[string]int
		Latent *Latent
	}{x.N, x.DF, x.Latent})
}

// ReadIDF loads a table written by WriteTo.
func ReadIDF(r io.Reader) (*IDF, error) {
	var v struct {
		N      int
		DF     map[string]int
		Latent *Latent
	}
	if err := gob.NewDecoder(r).Decode(&v); err != nil {
		return nil, fmt.Errorf("read idf table: %w", err)
	}
	if l := v.Latent; l != nil {
		if l.Dim <= 0 || len(l.Vecs) != len(l.Terms)*l.Dim {
			return nil, fmt.Errorf("read idf table: latent block has %d values for %d terms of %d dims", len(l.Vecs), len(l.Terms), l.Dim)
		}
		for t, i := range l.Terms {
			if i < 0 || int(i) >= len(l.Terms) {
				return nil, fmt.Errorf("read idf table: latent row %d of %q out of range", i, t)
			}
		}
	}
	x := &IDF{N: v.N, DF: v.DF, Latent: v.Latent}
	if x.DF == nil {
		x.DF = map[string]int{}
	}
	x.fp = x.fingerprint()
	return x, nil
}
