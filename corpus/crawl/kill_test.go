package crawl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/sofort-chat/sofort/corpus"
)

const crawlKillEnv = "SOFORT_CRAWL_KILL_CHILD"

// TestCrawlKilled crawls in a child process and kills it with SIGKILL in
// the middle of the crawl. The store must pass SQLite's integrity check,
// and the next crawl must resume the run, request none of the pages whose
// results were stored, and end with every page's document.
func TestCrawlKilled(t *testing.T) {
	if spec := os.Getenv(crawlKillEnv); spec != "" {
		crawlKillChild(spec)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	site := newFixtureSite(t)
	db := filepath.Join(t.TempDir(), "sofort.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrawlKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), crawlKillEnv+"="+db+"\n"+site.url("/gen/sitemap.xml"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	var pages atomic.Int64
	var once sync.Once
	started := make(chan struct{})
	site.setOnReq(func(p string) {
		if strings.HasPrefix(p, "/gen/p/") && pages.Add(1) == 60 {
			<-started
			once.Do(func() { cmd.Process.Signal(syscall.SIGKILL) })
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	close(started)
	err := cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed mid-crawl (exit: %v)", err)
	}
	site.setOnReq(nil)

	ctx := context.Background()
	st, err := corpus.Open(ctx, db)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer st.Close()
	if err := st.Check(ctx); err != nil {
		t.Fatalf("integrity after kill: %v", err)
	}
	stored := map[string]int{}
	for i := range genPages {
		p := fmt.Sprintf("/gen/p/%d.html", i)
		if cp, err := st.CrawlPageOf(ctx, "gen", site.url(p)); err == nil && cp.State == corpus.CrawlOK {
			stored[p] = site.count(p)
		}
	}
	if len(stored) == 0 || len(stored) >= genPages {
		t.Fatalf("after the kill %d of %d pages are stored; want a part", len(stored), genPages)
	}
	t.Logf("killed after %d page requests, %d pages stored", pages.Load(), len(stored))
	stats, err := testCrawler(st).Run(ctx, killSource(site.url("/gen/sitemap.xml")))
	if err != nil {
		t.Fatal(err)
	}
	if !stats.Resumed {
		t.Error("the crawl after the kill did not resume the run")
	}
	for p, n := range stored {
		if site.count(p) != n {
			t.Errorf("%s was stored before the kill and requested again", p)
		}
	}
	if n := len(docsOfSource(t, st, "gen")); n != genPages {
		t.Errorf("documents after the resumed crawl: got %d; want %d", n, genPages)
	}
	if stats.Fetched != genPages-len(stored) {
		t.Errorf("resumed crawl handled %d URLs; want the %d not stored", stats.Fetched, genPages-len(stored))
	}
}

func killSource(u string) Source {
	src := testSource("gen", u)
	src.Type = TypeSitemap
	return src
}

// crawlKillChild is the child side of TestCrawlKilled: it crawls until
// it is killed.
func crawlKillChild(spec string) {
	db, u, _ := strings.Cut(spec, "\n")
	ctx := context.Background()
	st, err := corpus.Open(ctx, db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	c := &Crawler{Store: st, Workers: 4, BatchSize: 16}
	_, err = c.Run(ctx, killSource(u))
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Reaching here means the parent did not kill in time; it reports that.
	os.Exit(0)
}
