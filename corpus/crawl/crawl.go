// Package crawl keeps the corpus fresh from the web: it crawls configured
// sources (help centres, forums, feeds, sitemaps, Discourse), turns what it
// finds into corpus documents and stores them, politely (robots.txt,
// per-host limits) and safely (timeouts, size caps, no private addresses).
// Its state lives in the corpus store, so a killed crawl resumes and a
// recrawl of an unchanged site costs one conditional request per page.
package crawl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sofort-chat/sofort/corpus"
)

// DefaultUserAgent names the crawler and where to read about it.
const DefaultUserAgent = "sofort/1.0 (+https://github.com/sofort-chat/sofort; crawler of the sofort answer bot)"

// Crawler crawls sources into a store. Its fields are read-only once a
// run starts; one Crawler may run several sources at once, sharing
// per-host politeness.
type Crawler struct {
	Store *corpus.Store
	// UserAgent is sent with every request; robots.txt groups are matched
	// against its product token ("sofort" for the default).
	UserAgent string
	Logger    *slog.Logger
	// Workers is the number of fetches in flight per run (default 8);
	// the per-host concurrency of each source limits further.
	Workers int
	// BatchSize is how many fetch results are written per transaction
	// (default 256; results are also written every 250ms): a killed
	// crawl refetches at most that many.
	BatchSize int
	// Progress, if set, is called from time to time and at the end.
	Progress func(Progress)
	// Refetch ignores stored validators and body hashes: every page is
	// fetched in full and parsed again (after an upgrade that extracts
	// more, say). Documents that come out the same are still not
	// rewritten.
	Refetch bool

	once  sync.Once
	hosts *hostLimits
}

// Progress is a running crawl's counts.
type Progress struct {
	Source  string
	Fetched int // URLs handled this run (including from a resumed start)
	Queued  int // known to be waiting
	Errors  int
}

// Stats counts what one run did.
type Stats struct {
	Requests   int64         `json:"requests"`
	Fetched    int           `json:"fetched"`    // URLs handled
	Unchanged  int           `json:"unchanged"`  // 304, same body or sitemap lastmod: nothing parsed
	ByLastmod  int           `json:"by_lastmod"` // of those, not even requested (sitemap lastmod)
	Changed    int           `json:"changed"`    // parsed anew
	Gone       int           `json:"gone"`       // 404/410
	Duplicates int           `json:"duplicates"` // same content as another URL
	Blocked    int           `json:"blocked"`    // robots.txt
	Errors     int           `json:"errors"`
	Added      int           `json:"added"`
	Updated    int           `json:"updated"`
	Retired    int           `json:"retired"`
	Resumed    bool          `json:"resumed"`
	Duration   time.Duration `json:"duration_ns"`
	// ErrorList names up to MaxErrors failed URLs with their error.
	ErrorList []string `json:"error_list,omitempty"`
}

// MaxErrors caps Stats.ErrorList.
const MaxErrors = 100

func (s Stats) String() string {
	lastmod := ""
	if s.ByLastmod > 0 {
		lastmod = fmt.Sprintf(" (%d by sitemap lastmod, not requested)", s.ByLastmod)
	}
	return fmt.Sprintf("%d URLs (%d requests): %d changed, %d unchanged%s, %d gone, %d duplicates, %d blocked by robots.txt, %d errors; documents: %d added, %d updated, %d retired",
		s.Fetched, s.Requests, s.Changed, s.Unchanged, lastmod, s.Gone, s.Duplicates, s.Blocked, s.Errors, s.Added, s.Updated, s.Retired)
}

// Frontier kinds.
const (
	kindSeed      = "seed" // auto: sniffed on fetch
	kindPage      = "page"
	kindListed    = "listed" // a page a sitemap lists
	kindSitemap   = "sitemap"
	kindFeed      = "feed"
	kindDCLatest  = "discourse-latest"
	kindDCTopic   = "discourse-topic"
	frontierBatch = 512
)

func (c *Crawler) init() {
	c.once.Do(func() { c.hosts = newHostLimits() })
}

// run is one source's crawl in progress.
type run struct {
	c       *Crawler
	src     Source
	num     int64
	f       *fetcher
	log     *slog.Logger
	cursor  time.Time // Discourse: topics bumped up to here are stored
	dcMu    sync.Mutex
	dcCats  map[int64]string
	dcOnce  sync.Once
	dcMax   time.Time // newest bumped_at seen this run
	dcDirty bool
	known   int  // URLs the source knows, after the last write
	capped  bool // the frontier cap was hit (logged once)
}

// frontierFactor times MaxPages is how many URLs a source may know.
const frontierFactor = 10

// Run crawls src once: it resumes the source's unfinished run if there is
// one, else starts a new run from the seeds and every URL known from
// earlier runs. Errors for single URLs are counted and listed in Stats;
// Run fails only when the store fails, src is invalid or ctx ends (the
// run then stays unfinished and the next Run resumes it).
func (c *Crawler) Run(ctx context.Context, src Source) (Stats, error) {
	c.init()
	start := time.Now()
	var st Stats
	src, err := src.withDefaults()
	if err != nil {
		return st, err
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ua := c.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	r := &run{c: c, src: src, log: log.With("source", src.Name)}
	cfg := fetchConfig{
		userAgent: ua, agentToken: productToken(ua), timeout: src.Timeout, maxBytes: src.MaxBytes,
		maxRedirects: src.MaxRedirects, delay: max(src.Delay, 0), concurrency: src.Concurrency,
		policy:  AddressPolicy{AllowPrivate: src.AllowPrivate, Allow: src.AllowNetworks},
		inScope: src.inScope,
	}
	if src.APIKey != "" {
		u, _ := url.Parse(src.URLs[0])
		cfg.header = http.Header{"Api-Key": {src.APIKey}}
		if src.APIUsername != "" {
			cfg.header.Set("Api-Username", src.APIUsername)
		}
		cfg.headerHost = u.Host
	}
	r.f = newFetcher(cfg, c.hosts)
	defer r.f.close()

	var seeds []corpus.CrawlPage
	for _, raw := range src.URLs {
		u, _ := url.Parse(raw)
		kind := kindSeed
		switch src.Type {
		case TypeHTML:
			kind = kindPage
		case TypeSitemap:
			kind = kindSitemap
		case TypeFeed:
			kind = kindFeed
		case TypeDiscourse:
			kind, raw = kindDCLatest, dcURL(discourseBase(u), "/latest.json")
		}
		if kind != kindDCLatest {
			raw = normalizeURL(u)
		}
		seeds = append(seeds, corpus.CrawlPage{URL: raw, Kind: kind})
	}
	// Discourse topics are fetched when bumped; a periodic sweep fetches
	// them all, so deleted topics (404) are retired.
	noRequeue := []string{kindDCLatest, kindDCTopic}
	sweepKey := "crawl_sweep:" + src.Name
	sweep := false
	if src.Sweep > 0 && (src.Type == TypeDiscourse || src.Type == TypeAuto) {
		last, err := c.Store.Meta(ctx, sweepKey)
		t, _ := time.Parse(time.RFC3339, last)
		if err != nil && !errors.Is(err, corpus.ErrNotFound) {
			return st, err
		}
		if sweep = time.Since(t) >= src.Sweep; sweep {
			noRequeue = noRequeue[:1]
		}
	}
	num, resumed, err := c.Store.BeginCrawlRun(ctx, src.Name, seeds, noRequeue...)
	if err != nil {
		return st, err
	}
	r.num, st.Resumed = num, resumed
	if r.known, err = c.Store.CrawlURLCount(ctx, src.Name); err != nil {
		return st, err
	}
	if info, err := c.Store.CrawlSourceOf(ctx, src.Name); err == nil {
		r.cursor, _ = time.Parse(time.RFC3339Nano, info.Cursor)
		r.dcMax, _ = time.Parse(time.RFC3339Nano, info.NextCursor)
	}
	r.log.Info("crawl start", "run", num, "resumed", resumed)
	err = r.loop(ctx, &st)
	st.Requests = r.f.requests.Load()
	st.Duration = time.Since(start)
	if err != nil {
		return st, err
	}
	stats, _ := json.Marshal(st)
	// A run where nothing could be fetched is the source's failure (site
	// down, robots.txt unreachable, address refused): it is recorded as
	// such, and a Discourse cursor does not move.
	runErr := ""
	if st.Fetched > 0 && st.Errors+st.Blocked == st.Fetched {
		runErr = fmt.Sprintf("all %d URLs failed or were disallowed", st.Fetched)
		if len(st.ErrorList) > 0 {
			runErr += "; first: " + st.ErrorList[0]
		}
	}
	if err := c.Store.FinishCrawlRun(ctx, src.Name, num, runErr, string(stats)); err != nil {
		return st, err
	}
	if sweep && !resumed && runErr == "" {
		if err := c.Store.SetMeta(ctx, sweepKey, start.UTC().Format(time.RFC3339)); err != nil {
			return st, err
		}
	}
	r.log.Info("crawl done", "stats", st.String())
	return st, nil
}

// outcome is what a worker learnt about one URL.
type outcome struct {
	res  corpus.CrawlResult
	docs []corpus.Document
	err  error // for the URL; the crawl goes on
	// changed: the body was parsed anew (content hash decides duplicates).
	changed bool
	// same: a 304 or the same body as last time.
	same bool
	// byLastmod: not requested, a sitemap's lastmod said unchanged.
	byLastmod bool
}

// loop dispatches the frontier to workers and writes their outcomes in
// batches. The store's frontier is the truth: whatever was not written
// when the process dies is fetched again on resume.
func (r *run) loop(ctx context.Context, st *Stats) error {
	workers := r.c.Workers
	if workers <= 0 {
		workers = 8
	}
	batchSize := r.c.BatchSize
	if batchSize <= 0 {
		batchSize = 256
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan corpus.CrawlPage)
	outs := make(chan outcome, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				o := r.handle(ctx, p)
				select {
				case outs <- o:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	defer func() {
		close(jobs)
		cancel()
		wg.Wait()
	}()

	var (
		queue         []corpus.CrawlPage
		inflightSeeds int
		inflight      = map[string]bool{}
		pending       []outcome
		handled       int
		lastProg      time.Time
	)
	progress := func(force bool) {
		if r.c.Progress == nil || !force && time.Since(lastProg) < 200*time.Millisecond {
			return
		}
		lastProg = time.Now()
		r.c.Progress(Progress{Source: r.src.Name, Fetched: handled, Queued: len(queue) + len(inflight), Errors: st.Errors})
	}
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		// A write must not be cut short by the cancellation that stops
		// the crawl: what was fetched is kept. What failed may have
		// failed because of the cancellation: it is left in the frontier
		// for the resumed run.
		wctx := context.WithoutCancel(ctx)
		if ctx.Err() != nil {
			kept := pending[:0]
			for _, o := range pending {
				if o.err == nil {
					kept = append(kept, o)
				}
			}
			pending = kept
		}
		if err := r.write(wctx, pending, st); err != nil {
			return err
		}
		for _, o := range pending {
			delete(inflight, o.res.Page.URL)
		}
		pending = pending[:0]
		return nil
	}
	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()
	for {
		if len(queue) == 0 && handled+len(inflight) < r.src.MaxPages {
			// Refill: write what is done first so the store's frontier
			// does not hand out finished URLs again.
			if err := flush(); err != nil {
				return err
			}
			more, err := r.c.Store.CrawlFrontier(ctx, r.src.Name, r.num, frontierBatch+len(inflight))
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
			// Seeds (sitemaps, feeds, start pages; depth 0, listed first)
			// finish before anything deeper starts, so this run's sitemap
			// lastmods are known before the pages they list are fetched.
			seeds := inflightSeeds > 0
			for _, p := range more {
				if inflight[p.URL] {
					continue
				}
				if p.Depth > 0 && seeds {
					break
				}
				seeds = seeds || p.Depth == 0
				queue = append(queue, p)
			}
			if len(queue) == 0 && len(inflight) == 0 {
				break
			}
		}
		var send chan corpus.CrawlPage
		var next corpus.CrawlPage
		if len(queue) > 0 && handled+len(inflight) < r.src.MaxPages {
			send, next = jobs, queue[0]
		}
		if send == nil && len(inflight) == 0 {
			break // page cap reached
		}
		select {
		case send <- next:
			queue = queue[1:]
			inflight[next.URL] = true
			if next.Depth == 0 {
				inflightSeeds++
			}
		case o := <-outs:
			handled++
			if o.res.Page.Depth == 0 {
				inflightSeeds--
			}
			pending = append(pending, o)
			if len(pending) >= batchSize {
				if err := flush(); err != nil {
					return err
				}
			}
			progress(false)
		case <-ticker.C:
			if err := flush(); err != nil {
				return err
			}
			progress(false)
		case <-ctx.Done():
			err := flush()
			return errors.Join(ctx.Err(), err)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := r.saveCursor(ctx); err != nil {
		return err
	}
	progress(true)
	return nil
}

// write stores a batch of outcomes: documents first (so a kill between
// the two writes refetches a page whose documents are already stored, and
// the store sees them as unchanged), then the crawl state.
func (r *run) write(ctx context.Context, outs []outcome, st *Stats) error {
	ctx = context.WithoutCancel(ctx)
	var docs []corpus.Document
	byHash := map[string]string{}
	results := make([]corpus.CrawlResult, 0, len(outs))
	for _, o := range outs {
		res := o.res
		if o.changed && res.Page.ContentHash != "" && len(o.docs) > 0 {
			dup := byHash[res.Page.ContentHash]
			if dup == "" {
				var err error
				if dup, err = r.c.Store.CrawlDuplicateOf(ctx, r.src.Name, res.Page.ContentHash, res.Page.URL); err != nil {
					return err
				}
			}
			if dup != "" && dup != res.Page.URL && !sameDocs(o.docs, r.docsOf(ctx, dup)) {
				res.Page.State, res.Page.DuplicateOf = corpus.CrawlDuplicate, dup
				res.Docs, res.SetDocs = nil, true
				res.Page.ContentHash = ""
				st.Duplicates++
				results = append(results, res)
				continue
			}
			byHash[res.Page.ContentHash] = res.Page.URL
		}
		docs = append(docs, o.docs...)
		results = append(results, res)
		if o.same {
			st.Unchanged++
		}
		if o.byLastmod {
			st.ByLastmod++
		}
		switch res.Page.State {
		case corpus.CrawlGone:
			st.Gone++
		case corpus.CrawlBlocked:
			st.Blocked++
		case corpus.CrawlError:
			st.Errors++
			if len(st.ErrorList) < MaxErrors {
				st.ErrorList = append(st.ErrorList, res.Page.URL+": "+res.Page.Error)
			}
		}
		if o.changed {
			st.Changed++
		}
	}
	st.Fetched += len(outs)
	if len(docs) > 0 {
		docs = dedupeDocs(docs)
		if err := r.c.Store.PrepareCrawled(ctx, docs); err != nil {
			return err
		}
		ur, err := r.c.Store.Upsert(ctx, docs)
		if err != nil {
			return fmt.Errorf("store documents of %s: %w", r.src.Name, err)
		}
		st.Added += ur.Added
		st.Updated += ur.Updated
	}
	if r.known >= r.src.MaxPages*frontierFactor {
		// A link trap (a calendar, endless filters) must not grow the
		// frontier without bound: new links wait until it shrinks.
		for i := range results {
			results[i].Links = nil
		}
		if !r.capped {
			r.capped = true
			r.log.Warn("crawl: frontier full, new links dropped", "urls", r.known)
		}
	}
	retired, err := r.c.Store.RecordCrawl(ctx, r.src.Name, r.num, results)
	if err != nil {
		return err
	}
	if r.known, err = r.c.Store.CrawlURLCount(ctx, r.src.Name); err != nil {
		return err
	}
	st.Retired += len(retired)
	return r.saveCursor(ctx)
}

// saveCursor records the newest bump seen so far as the cursor the run
// leaves when it finishes.
func (r *run) saveCursor(ctx context.Context) error {
	r.dcMu.Lock()
	dirty, cur := r.dcDirty, r.dcMax
	r.dcMu.Unlock()
	if !dirty {
		return nil
	}
	return r.c.Store.SetCrawlNextCursor(ctx, r.src.Name, cur.UTC().Format(time.RFC3339Nano))
}

// docsOf returns the document ids another URL yields.
func (r *run) docsOf(ctx context.Context, url string) []string {
	ids, _ := r.c.Store.CrawlDocs(ctx, r.src.Name, url)
	return ids
}

// sameDocs reports whether docs are exactly the ids in ids: two URLs with
// one canonical URL yield the same documents and are not duplicates of
// each other in the sense that one must give way.
func sameDocs(docs []corpus.Document, ids []string) bool {
	if len(docs) != len(ids) {
		return false
	}
	for _, d := range docs {
		if !slices.Contains(ids, d.ID) {
			return false
		}
	}
	return true
}

// dedupeDocs keeps the last version of each id in a batch (Upsert would
// store both in turn).
func dedupeDocs(docs []corpus.Document) []corpus.Document {
	last := map[string]int{}
	for i, d := range docs {
		last[d.ID] = i
	}
	out := docs[:0:0]
	for i, d := range docs {
		if last[d.ID] == i {
			out = append(out, d)
		}
	}
	return out
}

// handle fetches one URL and works out its outcome. It never fails: an
// error is that URL's state.
func (r *run) handle(ctx context.Context, p corpus.CrawlPage) outcome {
	o := r.fetchOne(ctx, p)
	if err := ctx.Err(); err != nil && o.err == nil {
		// Whatever the outcome, it may be the cancellation's doing (a
		// robots.txt fetch cut short blocks everything).
		o.err = err
	}
	return o
}

func (r *run) fetchOne(ctx context.Context, p corpus.CrawlPage) outcome {
	o := outcome{res: corpus.CrawlResult{Page: corpus.CrawlPage{URL: p.URL, Kind: p.Kind, Depth: p.Depth}}}
	page := &o.res.Page
	fail := func(err error) outcome {
		page.State, page.Error = corpus.CrawlError, err.Error()
		// Keep the validators: the next run may still use them.
		page.ETag, page.LastModified, page.BodyHash, page.ContentHash = p.ETag, p.LastModified, p.BodyHash, p.ContentHash
		o.err = err
		r.log.Debug("crawl error", "url", p.URL, "err", err)
		return o
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		return fail(fmt.Errorf("parse url: %w", err))
	}
	if !r.src.inScope(u) && p.Kind != kindDCLatest && p.Kind != kindDCTopic {
		// Known from before the scope was narrowed: its documents go.
		page.State, page.Error = corpus.CrawlSkipped, fmt.Sprintf("%v: %s", ErrOutOfScope, p.URL)
		o.res.SetDocs = true
		return o
	}
	req := request{url: p.URL, scoped: true, robots: !r.src.IgnoreRobots}
	// A sitemap is always fetched and read in full: the lastmods it
	// gives spare the requests for the pages it lists, in this run only.
	known := !r.c.Refetch && p.Kind != kindSitemap && (p.State == corpus.CrawlOK || p.State == corpus.CrawlUnchanged ||
		p.State == corpus.CrawlDuplicate || p.State == corpus.CrawlSkipped)
	if known && p.State == corpus.CrawlDuplicate {
		// A duplicate is parsed again when the page it duplicates is no
		// longer stored: it then holds the content.
		orig, err := r.c.Store.CrawlPageOf(ctx, r.src.Name, p.DuplicateOf)
		known = err == nil && (orig.State == corpus.CrawlOK || orig.State == corpus.CrawlUnchanged)
	}
	if known && r.lastmodSaysUnchanged(p) {
		// No request at all: keep everything, fetched_at included, so the
		// page is still fetched once its last fetch is Sweep old.
		page.State, page.HTTPStatus, page.DuplicateOf, page.Error = p.State, p.HTTPStatus, p.DuplicateOf, p.Error
		page.ETag, page.LastModified, page.BodyHash, page.ContentHash = p.ETag, p.LastModified, p.BodyHash, p.ContentHash
		page.FetchedAt = p.FetchedAt
		o.same, o.byLastmod = true, true
		return o
	}
	if known {
		req.etag, req.lastModified = p.ETag, p.LastModified
	}
	resp, err := r.f.get(ctx, req)
	if errors.Is(err, ErrRobots) {
		page.State, page.Error = corpus.CrawlBlocked, err.Error()
		return o
	}
	if err != nil {
		return fail(err)
	}
	page.HTTPStatus = resp.status
	unchanged := func() outcome {
		// A duplicate or noindex page stays what it was.
		page.State = corpus.CrawlUnchanged
		if p.State == corpus.CrawlDuplicate || p.State == corpus.CrawlSkipped {
			page.State, page.DuplicateOf = p.State, p.DuplicateOf
		}
		page.ContentHash = p.ContentHash
		o.same = true
		return o
	}
	switch {
	case resp.notModified:
		page.ETag, page.LastModified, page.BodyHash = p.ETag, p.LastModified, p.BodyHash
		return unchanged()
	case resp.status == http.StatusNotFound || resp.status == http.StatusGone:
		page.State = corpus.CrawlGone
		o.res.SetDocs = true
		return o
	case resp.status < 200 || resp.status > 299:
		return fail(fmt.Errorf("HTTP %d", resp.status))
	}
	page.ETag, page.LastModified = resp.header.Get("ETag"), resp.header.Get("Last-Modified")
	page.BodyHash = hashBytes(resp.body)
	if known && page.BodyHash == p.BodyHash {
		return unchanged()
	}
	o.changed = true
	page.State = corpus.CrawlOK
	if err := r.parse(ctx, p, resp, &o); err != nil {
		o.changed = false
		return fail(err)
	}
	if len(o.docs) > 0 {
		var texts []string
		for _, d := range o.docs {
			texts = append(texts, d.Text())
		}
		sort.Strings(texts)
		page.ContentHash = hashBytes([]byte(strings.Join(texts, "\x00")))
	}
	return o
}

// lastmodSaysUnchanged reports whether a sitemap read in this run says
// p has not changed since it was last fetched. Sitemaps are not always
// right, so a page is fetched anyway once its last fetch is older than
// the source's Sweep (default 7 days).
func (r *run) lastmodSaysUnchanged(p corpus.CrawlPage) bool {
	if p.LastModRun != r.num || p.LastMod == "" || p.FetchedAt.IsZero() {
		return false
	}
	lm := parseTime(p.LastMod)
	if lm.IsZero() || !lm.Before(p.FetchedAt) {
		return false
	}
	maxAge := r.src.Sweep
	if maxAge <= 0 {
		maxAge = 7 * 24 * time.Hour
	}
	return time.Since(p.FetchedAt) < maxAge
}

// link makes a frontier entry for ref found on a page, or false if it is
// out of scope or not http(s).
func (r *run) link(raw string, kind string, depth int) (corpus.CrawlPage, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !r.src.inScope(u) {
		return corpus.CrawlPage{}, false
	}
	if kind == kindPage || kind == kindListed {
		if i := strings.LastIndexByte(u.Path, '.'); i >= 0 && binaryExt[strings.ToLower(u.Path[i+1:])] {
			return corpus.CrawlPage{}, false
		}
	}
	return corpus.CrawlPage{URL: normalizeURL(u), Kind: kind, Depth: depth}, true
}

// binaryExt are file name extensions of links that are never HTML; they
// are not fetched at all.
var binaryExt = map[string]bool{
	"pdf": true, "zip": true, "gz": true, "tgz": true, "7z": true, "rar": true, "exe": true, "dmg": true, "msi": true,
	"jpg": true, "jpeg": true, "png": true, "gif": true, "webp": true, "svg": true, "ico": true, "bmp": true, "tif": true, "tiff": true,
	"mp3": true, "mp4": true, "m4a": true, "mov": true, "avi": true, "webm": true, "ogg": true, "wav": true,
	"css": true, "js": true, "woff": true, "woff2": true, "ttf": true, "eot": true,
	"doc": true, "docx": true, "xls": true, "xlsx": true, "ppt": true, "pptx": true, "odt": true, "csv": true, "iso": true, "apk": true,
}

func docID(source, key string) string {
	s := sha256.Sum256([]byte(key))
	return source + ":" + hex.EncodeToString(s[:8])
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func productToken(ua string) string {
	if i := strings.IndexAny(ua, "/ "); i >= 0 {
		return ua[:i]
	}
	return ua
}

func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339, time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
