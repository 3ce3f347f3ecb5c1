package corpus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrSchemaTooNew is returned by Open when the database was written by a
// newer sofort whose schema this build does not know. Opening it anyway
// could silently drop data the newer schema holds.
var ErrSchemaTooNew = errors.New("store schema is newer than this build")

// migrations is the schema's history: migrations[i] takes the database from
// version i to version i+1. Steps are only ever appended; an applied step is
// never edited, because existing databases have already run it.
var migrations = []string{
	// 1: documents, their change sequence, and key/value metadata.
	`
CREATE TABLE documents (
	id            TEXT PRIMARY KEY,
	kind          TEXT NOT NULL,
	lang          TEXT NOT NULL DEFAULT '',
	title         TEXT NOT NULL DEFAULT '',
	question      TEXT NOT NULL DEFAULT '',
	answer        TEXT NOT NULL DEFAULT '',
	body          TEXT NOT NULL DEFAULT '',
	alt_questions TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
	posts         TEXT NOT NULL DEFAULT '[]', -- JSON array of Post
	url           TEXT NOT NULL DEFAULT '',
	source        TEXT NOT NULL DEFAULT '',
	tags          TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
	status        TEXT NOT NULL,
	created       TEXT NOT NULL, -- RFC 3339, UTC
	updated       TEXT NOT NULL, -- RFC 3339, UTC
	hash          TEXT NOT NULL,
	seq           INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX documents_seq ON documents(seq);
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;
`,
	// 2: chat: conversations, their messages (AUTOINCREMENT: ids are never
	// reused, they are event ids) and escalations to staff.
	`
CREATE TABLE conversations (
	id      TEXT PRIMARY KEY,
	lang    TEXT NOT NULL DEFAULT '',
	status  TEXT NOT NULL,
	contact TEXT NOT NULL DEFAULT '',
	topic   TEXT NOT NULL DEFAULT '',
	misses  INTEGER NOT NULL DEFAULT 0,
	pending TEXT NOT NULL DEFAULT '',
	created TEXT NOT NULL,
	updated TEXT NOT NULL
) STRICT;
CREATE TABLE messages (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
	role            TEXT NOT NULL,
	text            TEXT NOT NULL,
	lang            TEXT NOT NULL DEFAULT '',
	decision        TEXT NOT NULL DEFAULT '',
	score           REAL NOT NULL DEFAULT 0,
	sources         TEXT NOT NULL DEFAULT '[]', -- JSON array of Source
	choices         TEXT NOT NULL DEFAULT '[]', -- JSON array of Choice
	actions         TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
	author          TEXT NOT NULL DEFAULT '',
	created         TEXT NOT NULL
) STRICT;
CREATE INDEX messages_conversation ON messages(conversation_id, id);
CREATE TABLE escalations (
	id              TEXT PRIMARY KEY,
	conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
	lang            TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL,
	reason          TEXT NOT NULL DEFAULT '',
	candidates      TEXT NOT NULL DEFAULT '[]', -- JSON array of Choice
	contact         TEXT NOT NULL DEFAULT '',
	claimed_by      TEXT NOT NULL DEFAULT '',
	created         TEXT NOT NULL,
	updated         TEXT NOT NULL
) STRICT;
CREATE INDEX escalations_status ON escalations(status, created);
CREATE INDEX escalations_conversation ON escalations(conversation_id, created);
`,
	// 3: crawler state: sources and their runs, every URL's frontier
	// position and validators, which documents each URL yields, and which
	// documents the crawler (not staff) retired.
	`
CREATE TABLE crawl_sources (
	name          TEXT PRIMARY KEY,
	run           INTEGER NOT NULL DEFAULT 0,
	run_started   TEXT NOT NULL DEFAULT '',
	run_finished  TEXT NOT NULL DEFAULT '',
	last_success  TEXT NOT NULL DEFAULT '',
	last_error    TEXT NOT NULL DEFAULT '',
	last_error_at TEXT NOT NULL DEFAULT '',
	cursor        TEXT NOT NULL DEFAULT '',
	next_cursor   TEXT NOT NULL DEFAULT '',
	stats         TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE TABLE crawl_urls (
	source        TEXT NOT NULL,
	url           TEXT NOT NULL,
	kind          TEXT NOT NULL DEFAULT 'page',
	depth         INTEGER NOT NULL DEFAULT 0,
	queued        INTEGER NOT NULL DEFAULT 0, -- run that queued it
	fetched       INTEGER NOT NULL DEFAULT 0, -- run that last fetched it
	state         TEXT NOT NULL DEFAULT '',
	http_status   INTEGER NOT NULL DEFAULT 0,
	etag          TEXT NOT NULL DEFAULT '',
	last_modified TEXT NOT NULL DEFAULT '',
	body_hash     TEXT NOT NULL DEFAULT '',
	content_hash  TEXT NOT NULL DEFAULT '',
	duplicate_of  TEXT NOT NULL DEFAULT '',
	error         TEXT NOT NULL DEFAULT '',
	fetched_at    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (source, url)
) STRICT;
CREATE INDEX crawl_urls_frontier ON crawl_urls(source, queued, fetched);
CREATE INDEX crawl_urls_content ON crawl_urls(source, content_hash);
CREATE TABLE crawl_docs (
	source TEXT NOT NULL,
	url    TEXT NOT NULL,
	doc_id TEXT NOT NULL,
	PRIMARY KEY (source, url, doc_id)
) STRICT;
CREATE INDEX crawl_docs_doc ON crawl_docs(doc_id);
CREATE TABLE crawl_retired (
	doc_id TEXT PRIMARY KEY,
	at     TEXT NOT NULL
) STRICT;
`,
	// 4: staff accounts (bcrypt hashes) and their login sessions (only the
	// SHA-256 of the cookie token is kept; expires is Unix seconds).
	`
CREATE TABLE staff_users (
	name          TEXT PRIMARY KEY,
	password_hash TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	created       TEXT NOT NULL,
	updated       TEXT NOT NULL
) STRICT;
CREATE TABLE staff_sessions (
	token_hash TEXT PRIMARY KEY,
	user       TEXT NOT NULL REFERENCES staff_users(name) ON DELETE CASCADE,
	csrf       TEXT NOT NULL,
	created    TEXT NOT NULL,
	expires    INTEGER NOT NULL
) STRICT;
CREATE INDEX staff_sessions_user ON staff_sessions(user);
CREATE INDEX staff_sessions_expires ON staff_sessions(expires);
`,
	// 5: conversations remember the newest answer the visitor rated, so a
	// repeated "did not help" on the same answer counts once.
	`ALTER TABLE conversations ADD COLUMN rated INTEGER NOT NULL DEFAULT 0;`,
	// 6: a sitemap's lastmod for each URL it lists, and the crawl run that
	// saw it (only this run's lastmod may spare a request).
	`
ALTER TABLE crawl_urls ADD COLUMN lastmod TEXT NOT NULL DEFAULT '';
ALTER TABLE crawl_urls ADD COLUMN lastmod_run INTEGER NOT NULL DEFAULT 0;
`,
}

// migrate brings db to the newest schema, one step per transaction, so a
// crash between steps leaves a database at a known version that the next
// Open continues from.
// Tests pass their own steps to exercise upgrades.
func migrate(ctx context.Context, db *sql.DB, steps []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	for {
		done, err := migrateStep(ctx, db, steps)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next pending migration, if any. It reads the
// version inside the write transaction, so two processes opening the same
// fresh file cannot both apply a step.
func migrateStep(ctx context.Context, db *sql.DB, steps []string) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()

	var version int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return false, fmt.Errorf("init schema_version: %w", err)
		}
	case err != nil:
		return false, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version > len(steps):
		return false, fmt.Errorf("%w: database has version %d, this build knows up to %d; use a newer sofort", ErrSchemaTooNew, version, len(steps))
	case version == len(steps):
		return true, tx.Commit()
	}
	if _, err := tx.ExecContext(ctx, steps[version]); err != nil {
		return false, fmt.Errorf("migrate to version %d: %w", version+1, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, version+1); err != nil {
		return false, fmt.Errorf("record version %d: %w", version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration to version %d: %w", version+1, err)
	}
	return false, nil
}
