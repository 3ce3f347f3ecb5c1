package crawl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/corpus"
)

func TestParseConfig(t *testing.T) {
	const good = `
user_agent: "sofort/1.0 (+https://support.example.com/bot)"
sources:
  - name: help
    url: https://help.example.com/de/
    schedule: 6h
    lang: de
    tags: [help]
    delay: 1s
  - name: forum
    type: discourse
    urls: [https://community.example.com]
    api_key_env: SOFORT_TEST_DISCOURSE_KEY
    api_username: system
    allow_networks: [10.0.0.0/8]
`
	t.Setenv("SOFORT_TEST_DISCOURSE_KEY", "k3y")
	cfg, err := ParseConfig([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UserAgent == "" || len(cfg.Sources) != 2 {
		t.Fatalf("got %+v", cfg)
	}
	h, f := cfg.Sources[0], cfg.Sources[1]
	if h.Schedule != 6*time.Hour || h.Delay != time.Second || h.URLs[0] != "https://help.example.com/de/" || h.Lang != "de" {
		t.Errorf("help source: got %+v", h)
	}
	if f.Type != TypeDiscourse || f.APIKey != "k3y" || f.APIUsername != "system" || len(f.AllowNetworks) != 1 {
		t.Errorf("forum source: got %+v", f)
	}

	bad := []struct {
		name, yaml, want string
	}{
		{"unknown key", "sources:\n  - name: a\n    url: https://a.example/\n    shedule: 1h\n", "field shedule not found"},
		{"bad duration", "sources:\n  - name: a\n    url: https://a.example/\n    schedule: daily\n", `source 1 (a): schedule "daily"`},
		{"duplicate", "sources:\n  - name: a\n    url: https://a.example/\n  - name: a\n    url: https://b.example/\n", "source 2 (a): name used twice"},
		{"not http", "sources:\n  - name: a\n    url: ftp://a.example/\n", `url "ftp://a.example/"`},
		{"no url", "sources:\n  - name: a\n", "no urls"},
		{"bad name", "sources:\n  - name: a b\n    url: https://a.example/\n", "name must be"},
		{"bad type", "sources:\n  - name: a\n    type: wiki\n    url: https://a.example/\n", `unknown type "wiki"`},
		{"bad network", "sources:\n  - name: a\n    url: https://a.example/\n    allow_networks: [intranet]\n", `allow_networks "intranet"`},
		{"missing env", "sources:\n  - name: a\n    url: https://a.example/\n    api_key_env: SOFORT_TEST_UNSET_VAR\n", "SOFORT_TEST_UNSET_VAR is not set"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want an error with %q", err, tc.want)
			}
		})
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "none.yaml")); !errors.Is(err, ErrNoConfig) {
		t.Errorf("missing file: got %v; want ErrNoConfig", err)
	}
	p := filepath.Join(t.TempDir(), "sources.yaml")
	os.WriteFile(p, []byte("sources: [\n"), 0o644)
	if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("broken file: got %v; want an error naming the file", err)
	}
}

// TestScheduler: a scheduled source is crawled at once when it never ran,
// then not again before its schedule; an unscheduled one is left alone.
func TestScheduler(t *testing.T) {
	site := newFixtureSite(t)
	st := openStore(t)
	feeds := testSource("feeds", site.url("/feeds/rss.xml"))
	feeds.Schedule = time.Hour
	manual := testSource("manual", site.url("/feeds/atom.xml"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs []string
	s := &Scheduler{Crawler: testCrawler(st), Sources: []Source{feeds, manual},
		AfterRun: func(_ context.Context, name string, st Stats, err error) {
			runs = append(runs, name)
			if err != nil {
				t.Errorf("run of %s: %v", name, err)
			}
			// Stop a little later: the scheduler must not start it again.
			time.AfterFunc(300*time.Millisecond, cancel)
		}}
	if err := s.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Run: got %v; want context.Canceled", err)
	}
	if len(runs) != 1 || runs[0] != "feeds" {
		t.Errorf("runs: got %v; want [feeds]", runs)
	}
	if n := len(docsOfSource(t, st, "feeds")); n != 2 {
		t.Errorf("feed documents: got %d; want 2", n)
	}
	info, err := st.CrawlSourceOf(context.Background(), "feeds")
	if err != nil || info.LastSuccess.IsZero() {
		t.Errorf("source info: got %+v, %v", info, err)
	}
	if _, err := st.CrawlSourceOf(context.Background(), "manual"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("unscheduled source was crawled: %v", err)
	}
}
