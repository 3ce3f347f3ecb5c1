package crawl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const editedFile = `# Sources of the help centre; see docs/crawl.md.
user_agent: "acme-bot/1.0"
sources:
  # The help centre, German.
  - name: help
    url: https://help.example.com/de/
    schedule: 6h   # nightly is too slow
    tags: [help, faq]
  - name: blog
    type: feed
    url: https://blog.example.com/feed.xml
`

// TestConfigFileEdit: adding, editing and removing sources keeps the rest
// of the file, its comments included, and the result loads.
func TestConfigFileEdit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(p, []byte(editedFile), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := ReadConfigFile(p)
	if err != nil {
		t.Fatal(err)
	}
	help, ok := f.Source("help")
	if !ok || help.Schedule != "6h" || len(help.Tags) != 2 {
		t.Fatalf("help: got %+v, %v", help, ok)
	}
	help.Schedule = "12h"
	help.Lang = "de"
	if err := f.Put("help", help); err != nil {
		t.Fatal(err)
	}
	if err := f.Put("", SourceSpec{Name: "forum", Type: "discourse", URL: "https://forum.example.com", Schedule: "30m"}); err != nil {
		t.Fatal(err)
	}
	if !f.Remove("blog") || f.Remove("blog") {
		t.Fatal("Remove: want true once, then false")
	}
	cfg, err := f.Save()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	t.Logf("saved:\n%s", data)
	for _, want := range []string{"# Sources of the help centre", "# The help centre, German.", "schedule: 12h # nightly is too slow", "tags: [help, faq]", "lang: de", "name: forum", `user_agent: "acme-bot/1.0"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("saved file lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "blog") {
		t.Errorf("removed source still in the file:\n%s", data)
	}
	if len(cfg.Sources) != 2 || cfg.Sources[0].Schedule != 12*time.Hour || cfg.Sources[1].Name != "forum" {
		t.Errorf("saved config: %+v", cfg.Sources)
	}
	if _, err := LoadConfig(p); err != nil {
		t.Errorf("saved file does not load: %v", err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode: got %v; want the old file's 0640", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".sources*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestConfigFileInvalid: a bad field is refused with the field's name and
// nothing is written; a file changed meanwhile is not overwritten.
func TestConfigFileInvalid(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sources.yaml")
	os.WriteFile(p, []byte(editedFile), 0o644)
	bad := []struct {
		spec  SourceSpec
		field string
	}{
		{SourceSpec{Name: "a b", URL: "https://x.example/"}, "name"},
		{SourceSpec{Name: "x", Type: "ftp", URL: "https://x.example/"}, "type"},
		{SourceSpec{Name: "x"}, "urls"},
		{SourceSpec{Name: "x", URL: "ftp://x.example/"}, "urls"},
		{SourceSpec{Name: "x", URL: "https://x.example/", Scope: []string{"/help"}}, "scope"},
		{SourceSpec{Name: "x", URL: "https://x.example/", Schedule: "daily"}, "schedule"},
		{SourceSpec{Name: "x", URL: "https://x.example/", Delay: "-1s"}, "delay"},
		{SourceSpec{Name: "x", URL: "https://x.example/", Lang: "deu"}, "lang"},
		{SourceSpec{Name: "x", URL: "https://x.example/", MaxPages: -1}, "max_pages"},
		{SourceSpec{Name: "x", URL: "https://x.example/", AllowNetworks: []string{"10.0.0.0"}}, "allow_networks"},
		{SourceSpec{Name: "x", URL: "https://x.example/", APIKeyEnv: "SOFORT_TEST_UNSET_KEY"}, "api_key_env"},
		{SourceSpec{Name: "blog", URL: "https://x.example/"}, "name"}, // taken
	}
	for _, tc := range bad {
		f, err := ReadConfigFile(p)
		if err != nil {
			t.Fatal(err)
		}
		err = f.Put("", tc.spec)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: got %v; want an error for field %s", tc.spec, err, tc.field)
		}
	}
	if data, _ := os.ReadFile(p); string(data) != editedFile {
		t.Errorf("file changed by refused edits:\n%s", data)
	}

	f, _ := ReadConfigFile(p)
	f.Put("", SourceSpec{Name: "new", URL: "https://new.example/"})
	os.WriteFile(p, []byte(editedFile+"# edited by hand\n"), 0o644)
	if _, err := f.Save(); !errors.Is(err, ErrConfigChanged) {
		t.Errorf("save over a changed file: got %v; want ErrConfigChanged", err)
	}

	// A missing file is an empty one; saving creates it, private.
	f, err := ReadConfigFile(filepath.Join(dir, "new.yaml"))
	if err != nil || f.Version() != "none" {
		t.Fatalf("missing file: %v, version %q", err, f.Version())
	}
	if err := f.Put("", SourceSpec{Name: "x", URL: "https://x.example/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Save(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "new.yaml")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("new file: %v, %v; want mode 0600", fi, err)
	}
	// A file of comments only (a template) keeps them.
	tmpl := filepath.Join(dir, "tmpl.yaml")
	os.WriteFile(tmpl, []byte("# Add sources below; see docs/crawl.md.\n"), 0o644)
	if f, err = ReadConfigFile(tmpl); err != nil {
		t.Fatal(err)
	}
	f.Put("", SourceSpec{Name: "x", URL: "https://x.example/"})
	if _, err := f.Save(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(tmpl); !strings.Contains(string(data), "# Add sources below") || !strings.Contains(string(data), "name: x") {
		t.Errorf("comment-only file after an add:\n%s", data)
	}
	// Not YAML: refused, so the page cannot destroy it.
	os.WriteFile(p, []byte("sources: [\n"), 0o644)
	if _, err := ReadConfigFile(p); err == nil {
		t.Error("broken file: got no error")
	}
}

// TestSchedulerReload: the scheduler picks up a source added to the file
// once told to reload, and runs a source on demand, never twice at once.
func TestSchedulerReload(t *testing.T) {
	site := newFixtureSite(t)
	st := openStore(t)
	p := filepath.Join(t.TempDir(), "sources.yaml")
	f, _ := ReadConfigFile(p)
	spec := func(name, path, schedule string) SourceSpec {
		return SourceSpec{Name: name, URL: site.url(path), Schedule: schedule, Delay: "0s", Timeout: "2s", AllowNetworks: []string{"127.0.0.0/8"}}
	}
	if err := f.Put("", spec("manual", "/feeds/atom.xml", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Save(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	runs := map[string]int{}
	ran := make(chan string, 10)
	s := &Scheduler{Crawler: testCrawler(st), Load: func() (Config, error) { return LoadConfig(p) },
		AfterRun: func(_ context.Context, name string, _ Stats, err error) {
			if err != nil {
				t.Errorf("run of %s: %v", name, err)
			}
			mu.Lock()
			runs[name]++
			mu.Unlock()
			ran <- name
		}}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitRun := func(want string) {
		t.Helper()
		select {
		case got := <-ran:
			if got != want {
				t.Fatalf("ran %s; want %s", got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s did not run", want)
		}
	}
	// The scheduler reads the file on its own; wait until it knows the
	// source, then crawl it by hand.
	deadline := time.Now().Add(10 * time.Second)
	for s.CrawlNow("manual") != nil {
		if time.Now().After(deadline) {
			t.Fatal("the scheduler never read the sources file")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.CrawlNow("manual"); err != nil && !errors.Is(err, ErrQueued) {
		t.Errorf("second CrawlNow: got %v; want nil (it finished) or ErrQueued", err)
	}
	waitRun("manual")
	if err := s.CrawlNow("nosuch"); err == nil {
		t.Error("CrawlNow of an unknown source: got no error")
	}

	// A scheduled source added to the file runs at once after Reload.
	f, _ = ReadConfigFile(p)
	if err := f.Put("", spec("feeds", "/feeds/rss.xml", "1h")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Save(); err != nil {
		t.Fatal(err)
	}
	s.Reload()
	for {
		name := <-ran
		if name == "feeds" {
			break
		}
	}
	if n := len(docsOfSource(t, st, "feeds")); n != 2 {
		t.Errorf("feed documents: got %d; want 2", n)
	}
	// A source just saved can be crawled by hand before the scheduler
	// rereads the file on its own.
	f, _ = ReadConfigFile(p)
	if err := f.Put("", spec("late", "/feeds/atom.xml", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Save(); err != nil {
		t.Fatal(err)
	}
	if err := s.CrawlNow("late"); err != nil {
		t.Fatalf("CrawlNow of a source just added to the file: %v", err)
	}
	waitRun("late")
	// A broken file keeps the sources in use and says why.
	os.WriteFile(p, []byte("sources: [\n"), 0o644)
	s.Reload()
	deadline = time.Now().Add(10 * time.Second)
	for s.Status().LoadError == "" {
		if time.Now().After(deadline) {
			t.Fatal("broken file: Status shows no load error")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.CrawlNow("feeds"); err != nil {
		t.Errorf("after a broken file: CrawlNow(feeds): %v; want the old sources kept", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if runs["manual"] > 2 || runs["feeds"] > 2 {
		t.Errorf("runs: %v", runs)
	}
}
