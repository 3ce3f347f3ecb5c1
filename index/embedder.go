package index

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Embedder turns texts into vectors. Implementations: the local hashed
// embedder (the default; offline and deterministic) and an OpenAI-compatible
// client. Vectors from two embedders are never mixed: the index stores
// Name() and re-embeds everything when it changes.
type Embedder interface {
	// Name identifies the embedder, its version and every setting that
	// changes its vectors (e.g. "local-v1-d384", "openai:nomic-embed-text").
	Name() string
	// Dim is the vector length, or 0 if only known after the first call.
	Dim() int
	// Embed returns one vector per text. lang is the texts' language ("de",
	// "en" or "" when unknown); embedders that do not care ignore it.
	Embed(ctx context.Context, lang string, texts []string) ([][]float32, error)
}

// ErrEmbedder wraps failures of the embedding backend, so callers can tell
// "the remote model is down" from a broken index.
var ErrEmbedder = errors.New("embedder failed")

// normalize scales v to unit length in place and reports whether it was
// non-zero. A zero vector stays zero: it matches nothing.
func normalize(v []float32) bool {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		for i := range v {
			v[i] = 0
		}
		return false
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return true
}

func checkDims(name string, want int, vecs [][]float32) error {
	for i, v := range vecs {
		if want > 0 && len(v) != want {
			return fmt.Errorf("%w: %s returned a %d-dim vector for text %d, want %d", ErrEmbedder, name, len(v), i, want)
		}
	}
	return nil
}
