package crawl

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkCrawl crawls a generated site of 10,000 pages (set
// SOFORT_BENCH_CRAWL_PAGES for another size) served on loopback by a
// server in the same process, through its sitemap, into a fresh store on
// disk, then crawls it again unchanged. It reports pages/s of the first
// crawl, the peak Go heap during it (sampled every 10 ms), the process's
// peak RSS (server included), and the time and requests of the recrawl:
// with a sitemap without lastmod (one conditional GET per page) and with
// one (no request for pages the sitemap says are unchanged).
// Politeness is off (no delay, 8 requests in flight): the figures are the
// crawler's own cost, not a polite crawl's pace.
func BenchmarkCrawl(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("SOFORT_BENCH_CRAWL_PAGES")); err == nil && v > 0 {
		n = v
	}
	b.Run("sitemap", func(b *testing.B) { benchCrawl(b, n, false) })
	b.Run("sitemap+lastmod", func(b *testing.B) { benchCrawl(b, n, true) })
}

func benchCrawl(b *testing.B, n int, lastmod bool) {
	for b.Loop() {
		site := newFixtureSite(b)
		site.genN, site.genLM = n, lastmod
		st := openStore(b)
		c := &Crawler{Store: st, Workers: 8, BatchSize: batchFromEnv()}
		src := testSource("bench", site.url("/gen/sitemap.xml"))
		src.Type = TypeSitemap
		src.Concurrency = 8
		src.MaxBytes = 10 << 20

		runtime.GC()
		var peak uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
				}
			}
		}()
		start := time.Now()
		stats, err := c.Run(context.Background(), src)
		first := time.Since(start)
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		if stats.Added != n {
			b.Fatalf("first crawl: %s; want %d documents", stats, n)
		}
		before := site.totalRequests()
		start = time.Now()
		again, err := c.Run(context.Background(), src)
		recrawl := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if again.Added+again.Updated != 0 || again.Unchanged+again.Changed != n+1 || lastmod && again.ByLastmod != n {
			b.Fatalf("recrawl: %s; want %d unchanged", again, n+1)
		}
		b.ReportMetric(float64(stats.Fetched)/first.Seconds(), "pages/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(peakRSS())/(1<<10), "peak-rss-MB")
		b.ReportMetric(recrawl.Seconds(), "recrawl-s")
		b.ReportMetric(float64(site.totalRequests()-before), "recrawl-requests")
		b.Logf("%d pages: first crawl %v (%s); recrawl %v (%s)", n, first.Round(time.Millisecond), stats, recrawl.Round(time.Millisecond), again)
	}
}

// peakRSS returns the process's peak resident set in KiB (VmHWM), 0 where
// /proc is missing.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

func batchFromEnv() int {
	n, _ := strconv.Atoi(os.Getenv("SOFORT_BENCH_CRAWL_BATCH"))
	return n
}
