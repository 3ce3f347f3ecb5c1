package crawl

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sofort-chat/sofort/corpus"
)

// Scheduler recrawls sources on their schedules for as long as a server
// runs. A source is due Schedule after its last run finished (at once if
// it never ran or its last run was killed midway); sources without a
// schedule are left to `sofort crawl`. Sources run one after another, so a
// server never crawls more than one site at a time.
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
}

// Run crawls due sources until ctx is done, and then returns ctx's error.
// A run cut short by ctx resumes at the next start.
func (s *Scheduler) Run(ctx context.Context) error {
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	retry := s.RetryAfter
	if retry <= 0 {
		retry = 15 * time.Minute
	}
	failed := map[string]time.Time{} // source -> when to retry
	for {
		next := time.Time{}
		for _, src := range s.Sources {
			if src.Schedule <= 0 {
				continue
			}
			due := s.due(ctx, src)
			if at, ok := failed[src.Name]; ok && at.After(due) {
				due = at
			}
			if !due.After(time.Now()) {
				st, err := s.Crawler.Run(ctx, src)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err != nil {
					log.Error("scheduled crawl failed", "source", src.Name, "err", err)
					failed[src.Name] = time.Now().Add(min(retry, src.Schedule))
				} else {
					delete(failed, src.Name)
					log.Info("scheduled crawl", "source", src.Name, "stats", st.String())
				}
				if s.AfterRun != nil {
					s.AfterRun(ctx, src.Name, st, err)
				}
				due = s.due(ctx, src)
				if at, ok := failed[src.Name]; ok {
					due = at
				}
			}
			if next.IsZero() || due.Before(next) {
				next = due
			}
		}
		if next.IsZero() {
			<-ctx.Done() // nothing scheduled
			return ctx.Err()
		}
		t := time.NewTimer(max(time.Until(next), time.Second))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
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
