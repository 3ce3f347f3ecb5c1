package corpus

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The crawler's state lives in the store of record next to the documents
// it produced, so a killed crawl resumes from the same file and staff pages
// can show each source's last crawl. Runs are numbered per source: a URL
// is in the frontier of run r when it was queued in r and not yet fetched
// in r.

// CrawlSource is one configured (or ad hoc) source's crawl bookkeeping.
type CrawlSource struct {
	Name string
	// Run is the number of the newest run; 0 before the first.
	Run         int64
	RunStarted  time.Time
	RunFinished time.Time // zero while Run is in progress (or was killed)
	LastSuccess time.Time // end of the newest run that finished without a source-level error
	LastError   string    // the newest run's source-level error, "" if none
	LastErrorAt time.Time
	// Cursor is connector state carried between runs (Discourse: the
	// newest bumped_at fully crawled). NextCursor is what the running run
	// will make the cursor when it finishes.
	Cursor     string
	NextCursor string
	// Stats is the newest finished run's counters as the crawler encoded
	// them (JSON).
	Stats string
}

// CrawlPage is what the crawler knows about one URL of a source.
type CrawlPage struct {
	URL   string
	Kind  string // page, sitemap, feed, discourse-latest, discourse-topic, ...
	Depth int
	// State of the last fetch: ok, unchanged, gone (404/410), duplicate,
	// error, blocked (robots.txt), skipped (noindex, not a document).
	State        string
	HTTPStatus   int
	ETag         string
	LastModified string
	BodyHash     string // of the raw response body: equal means nothing to parse
	ContentHash  string // of the extracted text: equal under two URLs means duplicate
	DuplicateOf  string
	Error        string
	FetchedAt    time.Time
	// LastMod is the lastmod a sitemap gave the URL, as written there, and
	// LastModRun the run that saw it.
	LastMod    string
	LastModRun int64
}

// Crawl page states.
const (
	CrawlOK        = "ok"
	CrawlUnchanged = "unchanged"
	CrawlGone      = "gone"
	CrawlDuplicate = "duplicate"
	CrawlError     = "error"
	CrawlBlocked   = "blocked"
	CrawlSkipped   = "skipped"
)

// CrawlResult is the outcome of fetching one URL in a run, for
// RecordCrawl.
type CrawlResult struct {
	Page CrawlPage
	// Docs are the ids of the documents the URL yields now, when
	// SetDocs is true. Documents it yielded before and no longer does are
	// retired unless another live URL of the source still yields them.
	// With SetDocs false (unchanged, error, blocked) the mapping stays.
	Docs    []string
	SetDocs bool
	// AddOnly keeps the documents the URL yielded before even when Docs
	// no longer names them: a feed shows only its newest items.
	AddOnly bool
	// Links are queued in the same run, unless already queued or fetched
	// in it.
	Links []CrawlPage
}

// BeginCrawlRun starts a run of source, or resumes the newest one if it
// never finished. A new run queues seeds and every URL the source knows
// (except those of the kinds in noRequeue that were fetched and did not
// fail), so each page is checked again
// (conditionally: one request for an unchanged page), pages that
// disappeared or came back are noticed, pages robots.txt now allows are
// fetched and URLs a page cap left over are reached. It returns the run
// number and whether it resumed.
func (s *Store) BeginCrawlRun(ctx context.Context, source string, seeds []CrawlPage, noRequeue ...string) (run int64, resumed bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("begin crawl of %s: %w", source, err)
	}
	defer tx.Rollback()
	var finished string
	err = tx.QueryRowContext(ctx, `SELECT run, run_finished FROM crawl_sources WHERE name = ?`, source).Scan(&run, &finished)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO crawl_sources (name) VALUES (?)`, source); err != nil {
			return 0, false, fmt.Errorf("begin crawl of %s: %w", source, err)
		}
	case err != nil:
		return 0, false, fmt.Errorf("begin crawl of %s: %w", source, err)
	case run > 0 && finished == "":
		return run, true, tx.Commit()
	}
	run++
	now := formatTime(time.Now())
	if _, err := tx.ExecContext(ctx, `UPDATE crawl_sources SET run = ?, run_started = ?, run_finished = '', next_cursor = cursor WHERE name = ?`, run, now, source); err != nil {
		return 0, false, fmt.Errorf("begin crawl of %s: %w", source, err)
	}
	kinds, err := json.Marshal(append([]string{}, noRequeue...))
	if err != nil {
		return 0, false, fmt.Errorf("begin crawl of %s: %w", source, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE crawl_urls SET queued = ? WHERE source = ?
		AND (state IN ('error', '') OR kind NOT IN (SELECT value FROM json_each(?)))`, run, source, string(kinds)); err != nil {
		return 0, false, fmt.Errorf("begin crawl of %s: requeue: %w", source, err)
	}
	if err := enqueue(ctx, tx, source, run, seeds); err != nil {
		return 0, false, fmt.Errorf("begin crawl of %s: %w", source, err)
	}
	return run, false, tx.Commit()
}

func enqueue(ctx context.Context, tx *sql.Tx, source string, run int64, pages []CrawlPage) error {
	if len(pages) == 0 {
		return nil
	}
	// A URL queued again keeps its kind if this run queued it already,
	// and its lastmod unless a sitemap gives a new one (right-hand sides
	// see the old row).
	st, err := tx.PrepareContext(ctx, `INSERT INTO crawl_urls (source, url, kind, depth, queued, lastmod, lastmod_run)
		VALUES (?, ?, ?, ?, ?, ?, CASE WHEN ? <> '' THEN ? ELSE 0 END)
		ON CONFLICT (source, url) DO UPDATE SET
			kind = CASE WHEN queued < excluded.queued THEN excluded.kind ELSE kind END,
			depth = MIN(depth, excluded.depth),
			queued = MAX(queued, excluded.queued),
			lastmod = CASE WHEN excluded.lastmod <> '' THEN excluded.lastmod ELSE lastmod END,
			lastmod_run = CASE WHEN excluded.lastmod <> '' THEN excluded.lastmod_run ELSE lastmod_run END`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, p := range pages {
		if _, err := st.ExecContext(ctx, source, p.URL, p.Kind, p.Depth, run, p.LastMod, p.LastMod, run); err != nil {
			return fmt.Errorf("queue %s: %w", p.URL, err)
		}
	}
	return nil
}

// CrawlFrontier returns up to limit URLs queued in run and not yet fetched
// in it, with what the last fetch of each learnt (for conditional
// requests): seeds (depth 0) first, then those fetched longest ago (never
// fetched first), shallowest first among equals. A run cut short by a page
// cap thus goes on where the last one stopped.
func (s *Store) CrawlFrontier(ctx context.Context, source string, run int64, limit int) ([]CrawlPage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+crawlPageColumns+` FROM crawl_urls
		WHERE source = ? AND queued = ? AND fetched < ? ORDER BY depth > 0, fetched, depth, rowid LIMIT ?`, source, run, run, limit)
	if err != nil {
		return nil, fmt.Errorf("crawl frontier of %s: %w", source, err)
	}
	defer rows.Close()
	var out []CrawlPage
	for rows.Next() {
		p, err := scanCrawlPage(rows)
		if err != nil {
			return nil, fmt.Errorf("crawl frontier of %s: %w", source, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("crawl frontier of %s: %w", source, err)
	}
	return out, nil
}

// CrawlPageOf returns what the store knows about url in source, or an
// error wrapping ErrNotFound.
func (s *Store) CrawlPageOf(ctx context.Context, source, url string) (CrawlPage, error) {
	p, err := scanCrawlPage(s.db.QueryRowContext(ctx, `SELECT `+crawlPageColumns+` FROM crawl_urls WHERE source = ? AND url = ?`, source, url))
	if errors.Is(err, sql.ErrNoRows) {
		return CrawlPage{}, fmt.Errorf("crawl url %s of %s: %w", url, source, ErrNotFound)
	}
	if err != nil {
		return CrawlPage{}, fmt.Errorf("crawl url %s of %s: %w", url, source, err)
	}
	return p, nil
}

// CrawlDocs returns the ids of the documents url yields in source.
func (s *Store) CrawlDocs(ctx context.Context, source, url string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT doc_id FROM crawl_docs WHERE source = ? AND url = ? ORDER BY doc_id`, source, url)
	if err != nil {
		return nil, fmt.Errorf("crawl docs of %s: %w", url, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// CrawlURLCount returns how many URLs source knows (fetched or queued).
func (s *Store) CrawlURLCount(ctx context.Context, source string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM crawl_urls WHERE source = ?`, source).Scan(&n); err != nil {
		return 0, fmt.Errorf("count crawl urls of %s: %w", source, err)
	}
	return n, nil
}

// CrawlDuplicateOf returns another URL of source whose last fetch was ok
// with the same content hash, or "" if there is none.
func (s *Store) CrawlDuplicateOf(ctx context.Context, source, contentHash, url string) (string, error) {
	if contentHash == "" {
		return "", nil
	}
	var other string
	err := s.db.QueryRowContext(ctx, `SELECT url FROM crawl_urls WHERE source = ? AND content_hash = ? AND url <> ? AND state IN ('ok', 'unchanged') ORDER BY rowid LIMIT 1`,
		source, contentHash, url).Scan(&other)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("duplicate check for %s: %w", url, err)
	}
	return other, nil
}

const crawlPageColumns = `url, kind, depth, state, http_status, etag, last_modified, body_hash, content_hash, duplicate_of, error, fetched_at, lastmod, lastmod_run`

func scanCrawlPage(row scanner) (CrawlPage, error) {
	var p CrawlPage
	var at string
	if err := row.Scan(&p.URL, &p.Kind, &p.Depth, &p.State, &p.HTTPStatus, &p.ETag, &p.LastModified,
		&p.BodyHash, &p.ContentHash, &p.DuplicateOf, &p.Error, &at, &p.LastMod, &p.LastModRun); err != nil {
		return CrawlPage{}, err
	}
	if at != "" {
		t, err := parseTime(at)
		if err != nil {
			return CrawlPage{}, fmt.Errorf("crawl url %s: fetched_at: %w", p.URL, err)
		}
		p.FetchedAt = t
	}
	return p, nil
}

// PrepareCrawled sets the status each crawled document should be stored
// with, in place: a document staff retired or set to draft keeps that
// status (its content is still updated), while one the crawler retired
// itself, because its page disappeared, is published again. Call it right
// before Upsert, and RecordCrawl after.
func (s *Store) PrepareCrawled(ctx context.Context, docs []Document) error {
	for i := range docs {
		var status string
		var byCrawler int
		err := s.db.QueryRowContext(ctx, `SELECT d.status, EXISTS (SELECT 1 FROM crawl_retired r WHERE r.doc_id = d.id)
			FROM documents d WHERE d.id = ?`, docs[i].ID).Scan(&status, &byCrawler)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			docs[i].Status = StatusPublished
		case err != nil:
			return fmt.Errorf("status of crawled document %q: %w", docs[i].ID, err)
		case Status(status) != StatusPublished && byCrawler == 0:
			docs[i].Status = Status(status)
		default:
			docs[i].Status = StatusPublished
		}
	}
	return nil
}

// RecordCrawl stores a batch of fetch results of run in one transaction:
// each URL's new state and validators, its documents, the links it queued.
// Documents a URL no longer yields, or that a gone URL yielded, are retired
// (never deleted) unless another URL of the source that is still live
// yields them; the crawler notes that it retired them, so PrepareCrawled
// publishes them again if their page comes back. It returns the ids it
// retired.
func (s *Store) RecordCrawl(ctx context.Context, source string, run int64, results []CrawlResult) ([]string, error) {
	if len(results) == 0 {
		return nil, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("record crawl of %s: begin: %w", source, err)
	}
	defer tx.Rollback()
	upd, err := tx.PrepareContext(ctx, `INSERT INTO crawl_urls (source, url, kind, depth, queued, fetched, state, http_status,
			etag, last_modified, body_hash, content_hash, duplicate_of, error, fetched_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source, url) DO UPDATE SET kind = excluded.kind, fetched = excluded.fetched, state = excluded.state,
			http_status = excluded.http_status, etag = excluded.etag, last_modified = excluded.last_modified,
			body_hash = excluded.body_hash, content_hash = excluded.content_hash,
			duplicate_of = excluded.duplicate_of, error = excluded.error, fetched_at = excluded.fetched_at`)
	if err != nil {
		return nil, fmt.Errorf("record crawl of %s: %w", source, err)
	}
	defer upd.Close()
	now := time.Now()
	var orphans []string // documents some URL stopped yielding
	for _, r := range results {
		p := r.Page
		at := p.FetchedAt
		if at.IsZero() {
			at = now
		}
		if _, err := upd.ExecContext(ctx, source, p.URL, p.Kind, p.Depth, run, run, p.State, p.HTTPStatus,
			p.ETag, p.LastModified, p.BodyHash, p.ContentHash, p.DuplicateOf, p.Error, formatTime(at)); err != nil {
			return nil, fmt.Errorf("record crawl of %s: %w", p.URL, err)
		}
		if r.SetDocs {
			dropped, err := setCrawlDocs(ctx, tx, source, p.URL, r.Docs, r.AddOnly)
			if err != nil {
				return nil, fmt.Errorf("record crawl of %s: %w", p.URL, err)
			}
			orphans = append(orphans, dropped...)
		}
		if err := enqueue(ctx, tx, source, run, r.Links); err != nil {
			return nil, fmt.Errorf("record crawl of %s: %w", p.URL, err)
		}
	}
	// Documents the crawler brought back (PrepareCrawled published them)
	// are no longer its to bring back.
	if _, err := tx.ExecContext(ctx, `DELETE FROM crawl_retired WHERE EXISTS (SELECT 1 FROM documents d
		WHERE d.id = crawl_retired.doc_id AND d.status = 'published')`); err != nil {
		return nil, fmt.Errorf("record crawl of %s: %w", source, err)
	}
	slices.Sort(orphans)
	orphans = slices.Compact(orphans)
	var retired []string
	for _, id := range orphans {
		var live int
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM crawl_docs d JOIN crawl_urls u ON u.source = d.source AND u.url = d.url
			WHERE d.doc_id = ? AND u.state IN ('ok', 'unchanged', 'error', 'blocked'))`, id).Scan(&live); err != nil {
			return nil, fmt.Errorf("record crawl of %s: %w", source, err)
		}
		if live == 1 {
			continue
		}
		ok, err := retireTx(ctx, tx, id)
		if err != nil {
			return nil, fmt.Errorf("record crawl of %s: %w", source, err)
		}
		if ok {
			retired = append(retired, id)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("record crawl of %s: commit: %w", source, err)
	}
	return retired, nil
}

// setCrawlDocs makes ids the documents url yields and returns those it
// yielded before and no longer does (none with addOnly).
func setCrawlDocs(ctx context.Context, tx *sql.Tx, source, url string, ids []string, addOnly bool) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT doc_id FROM crawl_docs WHERE source = ? AND url = ?`, source, url)
	if err != nil {
		return nil, err
	}
	old := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		old[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var dropped []string
	for _, id := range ids {
		if old[id] {
			delete(old, id)
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO crawl_docs (source, url, doc_id) VALUES (?, ?, ?)`, source, url, id); err != nil {
			return nil, err
		}
	}
	if addOnly {
		return nil, nil
	}
	for id := range old {
		if _, err := tx.ExecContext(ctx, `DELETE FROM crawl_docs WHERE source = ? AND url = ? AND doc_id = ?`, source, url, id); err != nil {
			return nil, err
		}
		dropped = append(dropped, id)
	}
	return dropped, nil
}

// retireTx retires a published document inside tx, as SetStatus does, and
// notes that the crawler did it. A document staff already retired or
// drafted is left alone.
func retireTx(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	d, _, err := scanDoc(tx.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("retire %q: %w", id, err)
	}
	if d.Status != StatusPublished {
		return false, nil
	}
	seq, err := maxSeq(ctx, tx)
	if err != nil {
		return false, fmt.Errorf("retire %q: %w", id, err)
	}
	d.Status = StatusRetired
	d.Hash = d.ContentHash()
	d.Updated = time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET status = ?, hash = ?, updated = ?, seq = ? WHERE id = ?`,
		string(d.Status), d.Hash, formatTime(d.Updated), seq+1, id); err != nil {
		return false, fmt.Errorf("retire %q: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO crawl_retired (doc_id, at) VALUES (?, ?)`, id, formatTime(d.Updated)); err != nil {
		return false, fmt.Errorf("retire %q: %w", id, err)
	}
	return true, nil
}

// SetCrawlNextCursor records the cursor the running run will leave when it
// finishes (it only moves forward through FinishCrawlRun, so a killed run
// does not skip what it had not reached).
func (s *Store) SetCrawlNextCursor(ctx context.Context, source, cursor string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE crawl_sources SET next_cursor = ? WHERE name = ?`, cursor, source); err != nil {
		return fmt.Errorf("crawl cursor of %s: %w", source, err)
	}
	return nil
}

// FinishCrawlRun ends run: with runErr "" the run succeeded and the next
// cursor becomes the cursor; otherwise runErr is recorded as the source's
// last error. stats is stored as given (the crawler's JSON counters).
func (s *Store) FinishCrawlRun(ctx context.Context, source string, run int64, runErr, stats string) error {
	now := formatTime(time.Now())
	var err error
	if runErr == "" {
		_, err = s.db.ExecContext(ctx, `UPDATE crawl_sources SET run_finished = ?, last_success = ?, last_error = '',
			cursor = next_cursor, stats = ? WHERE name = ? AND run = ?`, now, now, stats, source, run)
	} else {
		_, err = s.db.ExecContext(ctx, `UPDATE crawl_sources SET run_finished = ?, last_error = ?, last_error_at = ?,
			stats = ? WHERE name = ? AND run = ?`, now, runErr, now, stats, source, run)
	}
	if err != nil {
		return fmt.Errorf("finish crawl of %s: %w", source, err)
	}
	return nil
}

// CrawlSourceOf returns source's bookkeeping, or an error wrapping
// ErrNotFound if it was never crawled.
func (s *Store) CrawlSourceOf(ctx context.Context, name string) (CrawlSource, error) {
	src, err := scanCrawlSource(s.db.QueryRowContext(ctx, `SELECT `+crawlSourceColumns+` FROM crawl_sources WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return CrawlSource{}, fmt.Errorf("crawl source %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return CrawlSource{}, fmt.Errorf("crawl source %q: %w", name, err)
	}
	return src, nil
}

// CrawlSources returns every source ever crawled, by name.
func (s *Store) CrawlSources(ctx context.Context) ([]CrawlSource, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+crawlSourceColumns+` FROM crawl_sources ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("crawl sources: %w", err)
	}
	defer rows.Close()
	var out []CrawlSource
	for rows.Next() {
		src, err := scanCrawlSource(rows)
		if err != nil {
			return nil, fmt.Errorf("crawl sources: %w", err)
		}
		out = append(out, src)
	}
	return out, rows.Err()
}

// CrawlErrors returns up to limit URLs of source whose last fetch failed,
// newest first, for a source's error list.
func (s *Store) CrawlErrors(ctx context.Context, source string, limit int) ([]CrawlPage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+crawlPageColumns+` FROM crawl_urls WHERE source = ? AND state = 'error'
		ORDER BY fetched_at DESC LIMIT ?`, source, limit)
	if err != nil {
		return nil, fmt.Errorf("crawl errors of %s: %w", source, err)
	}
	defer rows.Close()
	var out []CrawlPage
	for rows.Next() {
		p, err := scanCrawlPage(rows)
		if err != nil {
			return nil, fmt.Errorf("crawl errors of %s: %w", source, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

const crawlSourceColumns = `name, run, run_started, run_finished, last_success, last_error, last_error_at, cursor, next_cursor, stats`

func scanCrawlSource(row scanner) (CrawlSource, error) {
	var c CrawlSource
	var started, finished, success, errAt string
	if err := row.Scan(&c.Name, &c.Run, &started, &finished, &success, &c.LastError, &errAt, &c.Cursor, &c.NextCursor, &c.Stats); err != nil {
		return CrawlSource{}, err
	}
	for _, f := range []struct {
		s string
		t *time.Time
	}{{started, &c.RunStarted}, {finished, &c.RunFinished}, {success, &c.LastSuccess}, {errAt, &c.LastErrorAt}} {
		if strings.TrimSpace(f.s) == "" {
			continue
		}
		t, err := parseTime(f.s)
		if err != nil {
			return CrawlSource{}, fmt.Errorf("crawl source %s: %w", c.Name, err)
		}
		*f.t = t
	}
	return c, nil
}
