package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/corpus/crawl"
)

const crawlSynopsis = `crawl [--data DIR] [--config FILE] [--source NAME]
       sofort crawl [--data DIR] [--allow-private] [--type TYPE] URL...
       sofort crawl [--data DIR] --status

The first form crawls the sources of the sources file (default
<data dir>/sources.yaml; see docs/crawl.md), all or one. The second crawls
the given URLs ad hoc, each within its host and path prefix; a sitemap, a
feed or a Discourse forum is recognised from what the URL serves. Both keep
their state in the data dir: a second run fetches only what changed, and a
run killed midway resumes. --status lists each source's last crawl and its
failing URLs.`

func cmdCrawl(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("crawl", crawlSynopsis, io)
	data := fs.String("data", defaultDataDir(), "data `dir` (store and indexes)")
	config := fs.String("config", "", "sources `file` (default <data dir>/sources.yaml)")
	source := fs.String("source", "", "crawl only the source with this `name`")
	allowPrivate := fs.Bool("allow-private", false, "ad hoc: allow private, loopback and link-local addresses (an intranet help centre)")
	typ := fs.String("type", "auto", "ad hoc: what the URLs are: auto, html, sitemap, feed or discourse")
	maxPages := fs.Int("max-pages", 0, "ad hoc: URLs fetched per run per source (default 50000)")
	lang := fs.String("lang", "", "ad hoc: language of pages that name none (two letters)")
	status := fs.Bool("status", false, "show each source's last crawl and failing URLs, and crawl nothing")
	verbose := fs.Bool("v", false, "log every failing URL while crawling")
	refetch := fs.Bool("refetch", false, "fetch and parse every page in full, ignoring what earlier runs stored (after an upgrade)")
	urls, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *config == "" {
		*config = filepath.Join(*data, "sources.yaml")
	}
	var sources []crawl.Source
	userAgent := ""
	switch {
	case *status:
		return crawlStatus(ctx, *data, io)
	case len(urls) > 0:
		if *source != "" {
			return fmt.Errorf("%w: give either --source or URLs, not both", errUsage)
		}
		if sources, err = adHocSources(urls, *typ, *allowPrivate, *maxPages, *lang); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	default:
		cfg, err := crawl.LoadConfig(*config)
		if errors.Is(err, crawl.ErrNoConfig) {
			fs.Usage()
			return fmt.Errorf("%w: %s does not exist: write one (see docs/crawl.md) or name URLs to crawl", errUsage, *config)
		}
		if err != nil {
			return err
		}
		userAgent = cfg.UserAgent
		sources = cfg.Sources
		if *source != "" {
			i := slices.IndexFunc(sources, func(s crawl.Source) bool { return s.Name == *source })
			if i < 0 {
				var names []string
				for _, s := range sources {
					names = append(names, s.Name)
				}
				return fmt.Errorf("%w: no source %q in %s (it has: %s)", errUsage, *source, *config, strings.Join(names, ", "))
			}
			sources = sources[i : i+1]
		}
		if len(sources) == 0 {
			return fmt.Errorf("%w: %s lists no sources", errUsage, *config)
		}
	}

	a, err := openApp(ctx, *data, openOptions{}, io)
	if err != nil {
		return err
	}
	defer a.Close()
	level := slog.LevelWarn + 1 // quiet: failures are summed up below
	if *verbose {
		level = slog.LevelDebug
	}
	c := &crawl.Crawler{Store: a.store, UserAgent: userAgent, Refetch: *refetch, Logger: slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: level}))}
	var failed []string
	for _, src := range sources {
		p := newProgress(io.err, "crawling "+src.Name+", URLs")
		c.Progress = func(pr crawl.Progress) { p.update(pr.Fetched, pr.Fetched+pr.Queued) }
		st, err := c.Run(ctx, src)
		p.done()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("crawl %s stopped; run the same command again to resume: %w", src.Name, err)
			}
			return fmt.Errorf("crawl %s: %w", src.Name, err)
		}
		resumed := ""
		if st.Resumed {
			resumed = " (resumed)"
		}
		fmt.Fprintf(io.out, "crawl %s%s: %s in %v\n", src.Name, resumed, st, st.Duration.Round(time.Millisecond))
		for _, e := range st.ErrorList {
			fmt.Fprintf(io.err, "  failed: %s\n", e)
		}
		if st.Errors > len(st.ErrorList) {
			fmt.Fprintf(io.err, "  failed: … and %d more (sofort crawl --status)\n", st.Errors-len(st.ErrorList))
		}
		if st.Fetched > 0 && st.Errors+st.Blocked == st.Fetched {
			failed = append(failed, src.Name)
		}
	}
	ip := newProgress(io.err, "indexing")
	sr, err := a.index.Sync(ctx, ip.update)
	ip.done()
	if err != nil {
		return fmt.Errorf("index after crawl (the store is complete; run 'sofort reindex' to retry): %w", err)
	}
	fmt.Fprintf(io.out, "index: %d indexed, %d removed, %d passages embedded\n", sr.Indexed, sr.Removed, sr.Embedded)
	if len(failed) > 0 {
		return fmt.Errorf("every URL of %s failed or was disallowed by robots.txt (a private address needs --allow-private)", strings.Join(failed, ", "))
	}
	return nil
}

// adHocSources makes one source per host of the URLs, named after the
// host, each URL's directory its scope.
func adHocSources(urls []string, typ string, allowPrivate bool, maxPages int, lang string) ([]crawl.Source, error) {
	switch typ {
	case crawl.TypeAuto, crawl.TypeHTML, crawl.TypeSitemap, crawl.TypeFeed, crawl.TypeDiscourse:
	default:
		return nil, fmt.Errorf("--type %q: want auto, html, sitemap, feed or discourse", typ)
	}
	var out []crawl.Source
	byHost := map[string]int{}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%q is not an http or https URL", raw)
		}
		name := strings.NewReplacer(":", "_", "[", "", "]", "").Replace(strings.ToLower(u.Host))
		if i, ok := byHost[name]; ok {
			out[i].URLs = append(out[i].URLs, raw)
			continue
		}
		byHost[name] = len(out)
		out = append(out, crawl.Source{Name: name, Type: typ, URLs: []string{raw}, AllowPrivate: allowPrivate, MaxPages: maxPages, Lang: lang})
	}
	return out, nil
}

// crawlStatus prints each crawled source's last run and failing URLs.
func crawlStatus(ctx context.Context, dir string, io stdio) error {
	st, err := corpus.Open(ctx, filepath.Join(dir, "sofort.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	srcs, err := st.CrawlSources(ctx)
	if err != nil {
		return err
	}
	if len(srcs) == 0 {
		fmt.Fprintln(io.out, "no source crawled yet")
		return nil
	}
	for _, s := range srcs {
		state := "finished " + s.RunFinished.Local().Format(time.DateTime)
		if s.RunFinished.IsZero() {
			state = "unfinished (the next crawl resumes it), started " + s.RunStarted.Local().Format(time.DateTime)
		}
		fmt.Fprintf(io.out, "%s: run %d %s\n", s.Name, s.Run, state)
		var last crawl.Stats
		if json.Unmarshal([]byte(s.Stats), &last) == nil && last.Fetched > 0 {
			fmt.Fprintf(io.out, "  last finished run: %s in %v\n", last, last.Duration.Round(time.Millisecond))
		}
		if !s.LastSuccess.IsZero() {
			fmt.Fprintf(io.out, "  last success: %s\n", s.LastSuccess.Local().Format(time.DateTime))
		}
		if s.LastError != "" {
			fmt.Fprintf(io.out, "  last error: %s\n", s.LastError)
		}
		errs, err := st.CrawlErrors(ctx, s.Name, 20)
		if err != nil {
			return err
		}
		for _, p := range errs {
			fmt.Fprintf(io.out, "  failed %s: %s\n", p.URL, p.Error)
		}
	}
	return nil
}

// startCrawlScheduler recrawls the sources file's scheduled sources in
// the background while the server runs, runs the crawls staff start on
// the sources page, and brings the index up to date after each run. It
// rereads the file when the page saves it and at least every minute, so
// edits by hand count too; a missing file has no sources yet, and a
// broken one is logged (and shown on the page) while the sources read
// before stay in use, so the chat still starts. It returns the scheduler,
// the file's path and a function that stops the scheduler and waits for
// it.
func startCrawlScheduler(ctx context.Context, a *app, log *slog.Logger) (*crawl.Scheduler, string, func()) {
	path := os.Getenv("SOFORT_SOURCES")
	if path == "" {
		path = filepath.Join(a.dir, "sources.yaml")
	}
	load := func() (crawl.Config, error) { return crawl.LoadConfigIfExists(path) }
	cfg, err := load()
	if err != nil {
		log.Error("crawling is off until the sources file is fixed", "err", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &crawl.Scheduler{
		Crawler: &crawl.Crawler{Store: a.store, UserAgent: cfg.UserAgent, Logger: log},
		Sources: cfg.Sources,
		Logger:  log,
		Load:    load,
		AfterRun: func(ctx context.Context, source string, _ crawl.Stats, _ error) {
			if _, err := a.index.Sync(ctx, nil); err != nil && ctx.Err() == nil {
				log.Error("index after crawl", "source", source, "err", err)
			}
		},
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Run(ctx)
	}()
	return s, path, func() {
		cancel()
		wg.Wait()
	}
}
