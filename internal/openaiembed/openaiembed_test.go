package openaiembed

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The hosted model cannot run here, so an in-process server speaks the
// OpenAI /embeddings protocol instead. It derives each vector from the text
// so tests can check order and batching.
func fakeServer(t *testing.T, dim int, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/embeddings" || r.Method != http.MethodPost {
			http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
			return
		}
		if got := r.Header.Get("Authorization"); got != "Bearer secret" {
			http.Error(w, `{"error":{"message":"bad key"}}`, http.StatusUnauthorized)
			return
		}
		calls.Add(1)
		var req struct {
			Input []string `json:"input"`
			Model string   `json:"model"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		type item struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []item
		// Answer in reverse order: clients must use the index field.
		for i := len(req.Input) - 1; i >= 0; i-- {
			v := make([]float32, dim)
			v[0] = float32(len(req.Input[i]))
			v[1] = 1
			data = append(data, item{Object: "embedding", Index: i, Embedding: v})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model})
	}))
}

func TestEmbed(t *testing.T) {
	var calls atomic.Int32
	srv := fakeServer(t, 8, &calls)
	defer srv.Close()
	e, err := New(Config{BaseURL: srv.URL + "/v1", Model: "test-model", APIKey: "secret", Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.Name(), "openai:test-model"; got != want {
		t.Errorf("Name() = %q; want %q", got, want)
	}
	texts := []string{"a", "bb", "", "dddd", "eeeee"}
	vecs, err := e.Embed(context.Background(), "de", texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != len(texts) {
		t.Fatalf("got %d vectors; want %d", len(vecs), len(texts))
	}
	for i, v := range vecs {
		want := float32(len(texts[i]))
		if texts[i] == "" {
			want = 1 // sent as a single space
		}
		if v[0] != want {
			t.Errorf("vector %d starts %v; want %v (order lost?)", i, v[0], want)
		}
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("server calls = %d; want 3 batches of at most 2", got)
	}
	if got := e.Dim(); got != 8 {
		t.Errorf("Dim() = %d; want 8", got)
	}
}

func TestErrors(t *testing.T) {
	var calls atomic.Int32
	srv := fakeServer(t, 4, &calls)
	defer srv.Close()
	tests := []struct {
		name    string
		cfg     Config
		newErr  string
		callErr string
	}{
		{"no url", Config{Model: "m"}, "base URL", ""},
		{"bad scheme", Config{BaseURL: "ftp://x", Model: "m"}, "http://", ""},
		{"no model", Config{BaseURL: srv.URL}, "model", ""},
		{"wrong key", Config{BaseURL: srv.URL + "/v1", Model: "m", APIKey: "nope"}, "", "401"},
		{"wrong path", Config{BaseURL: srv.URL + "/v2", Model: "m", APIKey: "secret"}, "", "404"},
		{"server down", Config{BaseURL: "http://127.0.0.1:1/v1", Model: "m"}, "", "127.0.0.1:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.cfg)
			if tc.newErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.newErr) {
					t.Fatalf("New() error = %v; want one mentioning %q", err, tc.newErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Embed(context.Background(), "", []string{"x"})
			if err == nil || !strings.Contains(err.Error(), tc.callErr) {
				t.Fatalf("Embed() error = %v; want one mentioning %q", err, tc.callErr)
			}
		})
	}
}
