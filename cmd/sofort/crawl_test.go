package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// helpSite is a real server on loopback with a FAQ page (schema.org
// FAQPage in JSON-LD) and an article linked from it.
func helpSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/hilfe/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html lang="de"><head><title>Hilfe</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"FAQPage","mainEntity":[
 {"@type":"Question","name":"Wie kündige ich meinen Handyvertrag?","acceptedAnswer":{"@type":"Answer","text":"Im Kundenportal unter Vertrag, Kündigung vormerken."}}]}</script>
</head><body><main><a href="/hilfe/roaming">Roaming</a></main></body></html>`)
	})
	mux.HandleFunc("/hilfe/roaming", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html lang="de"><head><title>Roaming in der EU</title></head><body><nav>Menü</nav><main><p>Im EU-Ausland telefonieren Sie zum Inlandspreis.</p></main></body></html>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestCrawlCommand(t *testing.T) {
	site := helpSite(t)
	data := t.TempDir()
	seed := site.URL + "/hilfe/"

	// Loopback is refused unless allowed: the run says so.
	code, _, stderr := sofort(t, "", "crawl", "--data", data, seed)
	if code != 1 || !strings.Contains(stderr, "--allow-private") {
		t.Errorf("crawl of loopback without --allow-private: got %d, %q; want 1 and a hint", code, stderr)
	}

	code, stdout, stderr := sofort(t, "", "crawl", "--data", data, "--allow-private", seed)
	if code != 0 {
		t.Fatalf("crawl: exit %d, stderr %s", code, stderr)
	}
	if !strings.Contains(stdout, "documents: 2 added") || !strings.Contains(stdout, "index: 2 indexed") {
		t.Errorf("crawl output: %q; want 2 documents added and indexed", stdout)
	}
	code, stdout, _ = sofort(t, "", "search", "--data", data, "Handyvertrag kündigen")
	if hs := hits(t, stdout); code != 0 || len(hs) == 0 || !strings.HasPrefix(hs[0].id, "127.0.0.1_") {
		t.Errorf("search after crawl: exit %d, hits %v; want the crawled FAQ first", code, hs)
	}
	// Again: nothing changed, nothing added.
	code, stdout, _ = sofort(t, "", "crawl", "--data", data, "--allow-private", seed)
	if code != 0 || !strings.Contains(stdout, "2 unchanged") || !strings.Contains(stdout, "0 added, 0 updated") {
		t.Errorf("second crawl: exit %d, %q; want everything unchanged", code, stdout)
	}
	code, stdout, _ = sofort(t, "", "crawl", "--data", data, "--status")
	if code != 0 || !strings.Contains(stdout, "127.0.0.1_") || !strings.Contains(stdout, "run 3 finished") ||
		!strings.Contains(stdout, "last finished run: 2 URLs") || !strings.Contains(stdout, "last success:") {
		t.Errorf("status: exit %d, %q", code, stdout)
	}
}

func TestCrawlCommandConfig(t *testing.T) {
	site := helpSite(t)
	data := t.TempDir()
	tests := []struct {
		name     string
		config   string // written to <data>/sources.yaml unless ""
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"no sources file", "", nil, 2, "", "sources.yaml does not exist"},
		{"unknown key", "sources:\n  - name: help\n    url: " + site.URL + "/hilfe/\n    shedule: 1h\n", nil, 1, "", "field shedule not found"},
		{"unknown source", "sources:\n  - name: help\n    url: " + site.URL + "/hilfe/\n", []string{"--source", "forum"}, 2, "", `no source "forum"`},
		{"source and urls", "", []string{"--source", "help", site.URL}, 2, "", "not both"},
		{"bad url", "", []string{"ftp://example.com/"}, 2, "", "not an http or https URL"},
		{"bad type", "", []string{"--type", "wiki", "https://example.com/"}, 2, "", `--type "wiki"`},
		{"one source", "sources:\n  - name: help\n    url: " + site.URL + "/hilfe/\n    allow_networks: [127.0.0.0/8]\n    delay: 0s\n  - name: other\n    url: https://other.invalid/\n",
			[]string{"--source", "help"}, 0, "crawl help: 2 URLs", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.config != "" {
				if err := os.WriteFile(filepath.Join(data, "sources.yaml"), []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr := sofort(t, "", append([]string{"crawl", "--data", data}, tc.args...)...)
			if code != tc.wantCode || !strings.Contains(stdout, tc.wantOut) || !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("got exit %d, stdout %q, stderr %q; want %d, %q, %q", code, stdout, stderr, tc.wantCode, tc.wantOut, tc.wantErr)
			}
		})
	}
}
