package crawl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/sofort-chat/sofort/corpus"
)

// Scheduler recrawls sources on their schedules for as long as a server
// runs. A source is due Schedule after its last run finished (at once if
// it never ran or its last run was killed midway); sources without a
// schedule are left to `sofort crawl` and to CrawlNow. Sources run one
// after another, so a server never crawls more than one site at a time,
// and never one source twice at once.
type Scheduler struct {
	Crawler *Crawler
	Sources []Source
	Logger  *slog.Logger
	// AfterRun, if set, is called after each run (the server brings its
	// index up to date there). err is the run's error, nil on success.
	AfterRun func(ctx context.Context, source string, st Stats, err error)
	// RetryAfter is how soon a source whose run failed (store error) is
	// tried again; default 15 minutes, never later than its schedule.
	RetryAfter time.Duration
	// Load, if set, supplies the sources (the sources file): it is called
	// before every round, at least every ReloadEvery (default 1 minute)
	// and at once after Reload, and its sources replace Sources and its
	// user agent the crawler's. An error keeps the sources in use and is
	// shown by Status.
	Load        func() (Config, error)
	ReloadEvery time.Duration

	mu       sync.Mutex
	wake     chan struct{}
	queue    []string
	current  string
	started  time.Time
	progress Progress
	loadErr  string
}

// SchedulerStatus is what a scheduler is doing.
type SchedulerStatus struct {
	Running  string    // the source being crawled, "" if none
	Since    time.Time // when that crawl started
	Progress Progress  // its latest progress
	Queued   []string  // sources waiting for a crawl started by hand
	// LoadError is why the sources file could not be used ("" if it
	// could); the sources read before stay in use.
	LoadError string
}

// ErrQueued is returned by CrawlNow for a source that is already being
// crawled or waiting for it.
var ErrQueued = errors.New("already crawling or waiting to crawl")

// maxQueued bounds the crawls waiting to be run by hand.
const maxQueued = 32

func (s *Scheduler) init() {
	s.mu.Lock()
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
	s.mu.Unlock()
}

func (s *Scheduler) poke() {
	s.init()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Reload makes the scheduler call Load now instead of at its next round
// (the sources file was saved).
func (s *Scheduler) Reload() { s.poke() }

// CrawlNow queues a crawl of the named source, scheduled or not, to run
// before any scheduled one. It fails with ErrQueued if that source is
// already running or waiting. A source just added to the file counts
// although the scheduler has not reread the file yet (it is busy with
// another crawl): it is reread before the queued crawl starts.
func (s *Scheduler) CrawlNow(name string) error {
	has := func(srcs []Source) bool {
		return slices.ContainsFunc(srcs, func(src Source) bool { return src.Name == name })
	}
	s.mu.Lock()
	known := has(s.Sources)
	s.mu.Unlock()
	if !known && s.Load != nil {
		if cfg, err := s.Load(); err == nil {
			known = has(cfg.Sources)
		}
	}
	if !known {
		return fmt.Errorf("no source %q is configured", name)
	}
	s.mu.Lock()
	switch {
	case s.current == name || slices.Contains(s.queue, name):
		s.mu.Unlock()
		return fmt.Errorf("source %s: %w", name, ErrQueued)
	case len(s.queue) >= maxQueued:
		s.mu.Unlock()
		return fmt.Errorf("%d crawls are already waiting; try again later", len(s.queue))
	}
	s.queue = append(s.queue, name)
	s.mu.Unlock()
	s.poke()
	return nil
}

// Status says what the scheduler is doing.
func (s *Scheduler) Status() SchedulerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SchedulerStatus{Running: s.current, Since: s.started, Progress: s.progress,
		Queued: slices.Clone(s.queue), LoadError: s.loadErr}
}

func (s *Scheduler) reload(log *slog.Logger) {
	if s.Load == nil {
		return
	}
	cfg, err := s.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.loadErr != err.Error() {
			log.Error("sources file not used, keeping the sources read before", "err", err)
		}
		s.loadErr = err.Error()
		return
	}
	s.loadErr = ""
	if s.Crawler.UserAgent != cfg.UserAgent {
		s.Crawler.UserAgent = cfg.UserAgent // no run is in flight here
	}
	if !sameSources(s.Sources, cfg.Sources) {
		log.Info("sources file read", "sources", len(cfg.Sources))
	}
	s.Sources = cfg.Sources
}

func sameSources(a, b []Source) bool {
	return reflect.DeepEqual(a, b)
}

// next pops the first queued source still configured.
func (s *Scheduler) next() (Source, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) > 0 {
		name := s.queue[0]
		s.queue = s.queue[1:]
		if i := slices.IndexFunc(s.Sources, func(src Source) bool { return src.Name == name }); i >= 0 {
			return s.Sources[i], true
		}
	}
	return Source{}, false
}

// Run crawls due sources and those queued by CrawlNow until ctx is done,
// and then returns ctx's error. A run cut short by ctx resumes at the
// next start.
func (s *Scheduler) Run(ctx context.Context) error {
	s.init()
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	retry := s.RetryAfter
	if retry <= 0 {
		retry = 15 * time.Minute
	}
	reloadEvery := s.ReloadEvery
	if reloadEvery <= 0 {
		reloadEvery = time.Minute
	}
	prog := s.Crawler.Progress
	s.Crawler.Progress = func(p Progress) {
		s.mu.Lock()
		s.progress = p
		s.mu.Unlock()
		if prog != nil {
			prog(p)
		}
	}
	failed := map[string]time.Time{} // source -> when to retry
	crawl := func(src Source, why string) error {
		s.mu.Lock()
		s.current, s.started, s.progress = src.Name, time.Now(), Progress{Source: src.Name}
		s.mu.Unlock()
		st, err := s.Crawler.Run(ctx, src)
		s.mu.Lock()
		s.current, s.started = "", time.Time{}
		s.mu.Unlock()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			log.Error(why+" crawl failed", "source", src.Name, "err", err)
			if src.Schedule > 0 {
				failed[src.Name] = time.Now().Add(min(retry, src.Schedule))
			}
		} else {
			delete(failed, src.Name)
			log.Info(why+" crawl", "source", src.Name, "stats", st.String())
		}
		if s.AfterRun != nil {
			s.AfterRun(ctx, src.Name, st, err)
		}
		return nil
	}
round:
	for {
		s.reload(log)
		// Crawls started by hand go first.
		for src, ok := s.next(); ok; src, ok = s.next() {
			if err := crawl(src, "requested"); err != nil {
				return err
			}
		}
		s.mu.Lock()
		sources := s.Sources
		s.mu.Unlock()
		next := time.Time{}
		for _, src := range sources {
			if src.Schedule <= 0 {
				continue
			}
			due := s.due(ctx, src)
			if at, ok := failed[src.Name]; ok && at.After(due) {
				due = at
			}
			if !due.After(time.Now()) {
				if err := crawl(src, "scheduled"); err != nil {
					return err
				}
				continue round // the file may have changed, a crawl may be waiting
			}
			if next.IsZero() || due.Before(next) {
				next = due
			}
		}
		wait := time.Until(next)
		if next.IsZero() {
			wait = -1 // nothing scheduled
		}
		if s.Load != nil && (wait < 0 || wait > reloadEvery) {
			wait = reloadEvery
		}
		var tc <-chan time.Time
		var t *time.Timer
		if wait >= 0 {
			t = time.NewTimer(max(wait, time.Second))
			tc = t.C
		}
		select {
		case <-tc:
		case <-s.wake:
		case <-ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// due is when src should next run: now if it never finished a run (or
// its last one was killed), else Schedule after its last run ended.
func (s *Scheduler) due(ctx context.Context, src Source) time.Time {
	info, err := s.Crawler.Store.CrawlSourceOf(ctx, src.Name)
	if errors.Is(err, corpus.ErrNotFound) || err == nil && info.RunFinished.IsZero() {
		return time.Now()
	}
	if err != nil {
		return time.Now().Add(time.Minute)
	}
	return info.RunFinished.Add(src.Schedule)
}
