// Package openaiembed embeds texts through any OpenAI-compatible
// /embeddings endpoint (Ollama, LocalAI, vLLM, OpenAI). It is an option the
// user configures; sofort never needs it.
package openaiembed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Config says where the model is. Environment variables fill what is empty
// (see FromEnv).
type Config struct {
	BaseURL string // e.g. http://localhost:11434/v1 for Ollama
	Model   string // e.g. nomic-embed-text
	APIKey  string // optional for local servers
	// Batch is how many texts go in one request.
	Batch   int
	Timeout time.Duration
}

// FromEnv fills empty fields from SOFORT_EMBED_URL, SOFORT_EMBED_MODEL and
// SOFORT_EMBED_KEY (falling back to OPENAI_API_KEY).
func (c Config) FromEnv() Config {
	if c.BaseURL == "" {
		c.BaseURL = os.Getenv("SOFORT_EMBED_URL")
	}
	if c.Model == "" {
		c.Model = os.Getenv("SOFORT_EMBED_MODEL")
	}
	if c.APIKey == "" {
		c.APIKey = os.Getenv("SOFORT_EMBED_KEY")
	}
	if c.APIKey == "" {
		c.APIKey = os.Getenv("OPENAI_API_KEY")
	}
	return c
}

// Embedder calls the endpoint. It implements index.Embedder.
type Embedder struct {
	cfg    Config
	client *openai.Client
	dim    atomic.Int64 // learnt from the first response
}

// ErrConfig reports a configuration that cannot work.
var ErrConfig = errors.New("embedding endpoint not configured")

// New checks the configuration; it does not contact the server (the index
// probes the dimension when it opens).
func New(cfg Config) (*Embedder, error) {
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("%w: set a base URL (--embed-url or SOFORT_EMBED_URL), e.g. http://localhost:11434/v1", ErrConfig)
	}
	if !strings.HasPrefix(cfg.BaseURL, "http://") && !strings.HasPrefix(cfg.BaseURL, "https://") {
		return nil, fmt.Errorf("%w: base URL %q must start with http:// or https://", ErrConfig, cfg.BaseURL)
	}
	if cfg.Model == "" {
		return nil, fmt.Errorf("%w: set a model (--embed-model or SOFORT_EMBED_MODEL)", ErrConfig)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 64
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	oc.HTTPClient = &http.Client{Timeout: cfg.Timeout}
	return &Embedder{cfg: cfg, client: openai.NewClientWithConfig(oc)}, nil
}

// Name includes the endpoint's model: vectors of two models never mix.
func (e *Embedder) Name() string { return "openai:" + e.cfg.Model }

// Dim is known after the first successful call.
func (e *Embedder) Dim() int { return int(e.dim.Load()) }

// Embed sends texts in batches. lang is ignored: such models are
// multilingual or not, whatever we say.
func (e *Embedder) Embed(ctx context.Context, _ string, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += e.cfg.Batch {
		end := min(start+e.cfg.Batch, len(texts))
		in := make([]string, 0, end-start)
		for _, t := range texts[start:end] {
			if strings.TrimSpace(t) == "" {
				// Most servers reject empty input; a space embeds as
				// "nothing", which is what an empty text means.
				t = " "
			}
			in = append(in, t)
		}
		res, err := e.client.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: in, Model: openai.EmbeddingModel(e.cfg.Model)})
		if err != nil {
			return nil, fmt.Errorf("embed %d texts with %s at %s: %w", len(in), e.cfg.Model, e.cfg.BaseURL, err)
		}
		if len(res.Data) != len(in) {
			return nil, fmt.Errorf("embed with %s at %s: got %d vectors for %d texts", e.cfg.Model, e.cfg.BaseURL, len(res.Data), len(in))
		}
		batch := make([][]float32, len(in))
		for _, d := range res.Data {
			if d.Index < 0 || d.Index >= len(in) || batch[d.Index] != nil {
				return nil, fmt.Errorf("embed with %s at %s: bad or repeated index %d in response", e.cfg.Model, e.cfg.BaseURL, d.Index)
			}
			e.dim.CompareAndSwap(0, int64(len(d.Embedding)))
			if want := e.Dim(); len(d.Embedding) != want || want == 0 {
				return nil, fmt.Errorf("embed with %s at %s: vector of %d dimensions, expected %d", e.cfg.Model, e.cfg.BaseURL, len(d.Embedding), want)
			}
			batch[d.Index] = d.Embedding
		}
		out = append(out, batch...)
	}
	return out, nil
}
