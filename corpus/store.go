package corpus

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is the store of record: a SQLite database holding every document
// ever imported, with a change sequence that derived indexes replay. It is
// safe for use from several goroutines, and several processes may open the
// same file (writers take turns, readers never wait for them).
type Store struct {
	db    *sql.DB
	path  string
	stmts stmtCache // see conversation_store.go
}

// UpsertResult says what one Upsert did.
type UpsertResult struct {
	Added     int
	Updated   int
	Unchanged int
	// Changed lists the ids that were added or updated, in batch order.
	Changed []string
}

// Stats counts the store's documents.
type Stats struct {
	Total    int
	ByKind   map[Kind]int
	ByLang   map[string]int // "" counts documents with no language
	ByStatus map[Status]int
}

// busyTimeout is how long a writer waits for another writer (an import in a
// second process, say) before giving up with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Open opens the store at path, creating the file if needed and bringing
// its schema up to date. It fails with ErrSchemaTooNew if a newer sofort
// wrote the file, and with a wrapped driver error if the file is not a
// SQLite database.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, migrations)
}

func open(ctx context.Context, path string, steps []string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		// An in-memory database would be a different one on each pooled
		// connection, and a URI would bypass the settings below.
		return nil, fmt.Errorf("open store %q: want a file path", path)
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open store %q: path must not contain '?'", path)
	}
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	q.Set("_journal_mode", "WAL")
	// FULL, not NORMAL: an index may already have consumed a sequence
	// number, so a commit lost to a power cut would let that number be
	// reused for a different change the index would then skip.
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	// Writers take the lock at BEGIN: a deferred transaction that reads and
	// then writes fails at once with SQLITE_BUSY_SNAPSHOT when another
	// writer committed in between, instead of waiting its turn.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	if err := migrate(ctx, db, steps); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Close releases the database. Calls after Close fail.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// Check runs SQLite's integrity check and returns an error listing the
// problems it found, if any.
func (s *Store) Check(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("check store %s: %w", s.path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("check store %s: %w", s.path, err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check store %s: %w", s.path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("check store %s: %s", s.path, strings.Join(problems, "; "))
	}
	return nil
}

// docColumns is the column list every document query selects, in the order
// scanDoc reads them.
const docColumns = `id, kind, lang, title, question, answer, body, alt_questions, posts, url, source, tags, status, created, updated, hash, seq`

// Upsert writes a batch of documents in one transaction: either all of the
// batch is stored or none of it. Each document is normalized (on a copy) and
// hashed; one whose id is stored with the same content hash is left alone,
// so repeating a batch changes nothing. Every added or changed document gets
// a new change sequence number. Created is kept from the input if set, else
// from the stored version, else set to now; Updated is set to now on every
// change. A document that fails Validate fails the whole batch with an
// error wrapping ErrInvalid: validation is the caller's job, and this check
// is the last line of defence.
func (s *Store) Upsert(ctx context.Context, docs []Document) (UpsertResult, error) {
	var res UpsertResult
	if len(docs) == 0 {
		return res, nil
	}
	// Prepare outside the transaction so the write lock is held only for
	// the writes.
	batch := make([]Document, len(docs))
	for i, d := range docs {
		// Normalize filters slices in place: work on copies so the caller's
		// documents stay as they were.
		d.AltQuestions = slices.Clone(d.AltQuestions)
		d.Tags = slices.Clone(d.Tags)
		d.Posts = slices.Clone(d.Posts)
		d.Normalize()
		if err := d.Validate(); err != nil {
			return res, fmt.Errorf("upsert: document %d of batch: %w", i, err)
		}
		d.Hash = d.ContentHash()
		batch[i] = d
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("upsert: begin: %w", err)
	}
	defer tx.Rollback()
	seq, err := maxSeq(ctx, tx)
	if err != nil {
		return res, fmt.Errorf("upsert: %w", err)
	}
	sel, err := tx.PrepareContext(ctx, `SELECT hash, created FROM documents WHERE id = ?`)
	if err != nil {
		return res, fmt.Errorf("upsert: %w", err)
	}
	defer sel.Close()
	put, err := tx.PrepareContext(ctx, `INSERT INTO documents (`+docColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			kind = excluded.kind, lang = excluded.lang, title = excluded.title,
			question = excluded.question, answer = excluded.answer, body = excluded.body,
			alt_questions = excluded.alt_questions, posts = excluded.posts,
			url = excluded.url, source = excluded.source, tags = excluded.tags,
			status = excluded.status, created = excluded.created,
			updated = excluded.updated, hash = excluded.hash, seq = excluded.seq`)
	if err != nil {
		return res, fmt.Errorf("upsert: %w", err)
	}
	defer put.Close()

	now := time.Now().UTC()
	var changed []string
	for _, d := range batch {
		var oldHash, oldCreated string
		err := sel.QueryRowContext(ctx, d.ID).Scan(&oldHash, &oldCreated)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return UpsertResult{}, fmt.Errorf("upsert document %q: %w", d.ID, err)
		}
		if exists && oldHash == d.Hash {
			res.Unchanged++
			continue
		}
		if d.Created.IsZero() {
			d.Created = now
			if exists {
				if d.Created, err = parseTime(oldCreated); err != nil {
					return UpsertResult{}, fmt.Errorf("upsert document %q: stored created: %w", d.ID, err)
				}
			}
		}
		d.Updated = now
		seq++
		if _, err := put.ExecContext(ctx, docArgs(&d, seq)...); err != nil {
			return UpsertResult{}, fmt.Errorf("upsert document %q: %w", d.ID, err)
		}
		if exists {
			res.Updated++
		} else {
			res.Added++
		}
		changed = append(changed, d.ID)
	}
	if err := tx.Commit(); err != nil {
		return UpsertResult{}, fmt.Errorf("upsert: commit: %w", err)
	}
	res.Changed = changed
	return res, nil
}

// Get returns the document with the given id, or an error wrapping
// ErrNotFound if there is none.
func (s *Store) Get(ctx context.Context, id string) (Document, error) {
	d, _, err := scanDoc(s.db.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, fmt.Errorf("document %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Document{}, fmt.Errorf("get document %q: %w", id, err)
	}
	return d, nil
}

// getManyChunk bounds the ids bound into one query, well below SQLite's
// limit on host parameters.
const getManyChunk = 500

// GetMany returns the stored documents among ids, keyed by id, in one
// query per 500 ids: the retriever loads its ten hits at once instead of
// paying a round trip each. Unknown ids are left out of the map, not an
// error; duplicates are harmless.
func (s *Store) GetMany(ctx context.Context, ids []string) (map[string]Document, error) {
	out := make(map[string]Document, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), getManyChunk)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		q := `SELECT ` + docColumns + ` FROM documents WHERE id IN (?` + strings.Repeat(",?", len(chunk)-1) + `)`
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("get %d documents: %w", len(chunk), err)
		}
		for rows.Next() {
			d, _, err := scanDoc(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("get %d documents: %w", len(chunk), err)
			}
			out[d.ID] = d
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("get %d documents: %w", len(chunk), err)
		}
	}
	return out, nil
}

// SetStatus moves a document to status st. A change gets a new sequence
// number, so indexes replaying Changes notice that a document was retired
// or brought back; setting the status it already has changes nothing. It
// fails with ErrNotFound for an unknown id and ErrInvalid for an unknown
// status.
func (s *Store) SetStatus(ctx context.Context, id string, st Status) error {
	if !st.Valid() {
		return fmt.Errorf("set status of %q: %w: unknown status %q (want draft, published or retired)", id, ErrInvalid, st)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set status of %q: begin: %w", id, err)
	}
	defer tx.Rollback()
	d, _, err := scanDoc(tx.QueryRowContext(ctx, `SELECT `+docColumns+` FROM documents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("set status: document %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("set status of %q: %w", id, err)
	}
	if d.Status == st {
		return nil
	}
	seq, err := maxSeq(ctx, tx)
	if err != nil {
		return fmt.Errorf("set status of %q: %w", id, err)
	}
	d.Status = st
	d.Hash = d.ContentHash()
	d.Updated = time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `UPDATE documents SET status = ?, hash = ?, updated = ?, seq = ? WHERE id = ?`,
		string(st), d.Hash, formatTime(d.Updated), seq+1, id); err != nil {
		return fmt.Errorf("set status of %q: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set status of %q: commit: %w", id, err)
	}
	return nil
}

// MaxSeq returns the highest change sequence number in the store, 0 for an
// empty store. An index that has applied every change up to MaxSeq is
// current.
func (s *Store) MaxSeq(ctx context.Context) (int64, error) {
	seq, err := maxSeq(ctx, s.db)
	if err != nil {
		return 0, fmt.Errorf("max seq: %w", err)
	}
	return seq, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func maxSeq(ctx context.Context, q queryer) (int64, error) {
	var seq int64
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM documents`).Scan(&seq); err != nil {
		return 0, err
	}
	return seq, nil
}

// pageSize is how many documents Changes and Each read per query.
const pageSize = 256

// Changes calls fn for each document changed after afterSeq, in sequence
// order, with the document's current sequence number; limit > 0 stops
// after that many documents. A document changed several times appears once,
// at its latest number. Because each write transaction's numbers are higher
// than any committed before it, a caller that stores the last number it
// handled and calls Changes again from there misses nothing.
//
// Documents are read a page at a time and fn is called with no database
// resources held, so fn may call back into the Store. An error from fn
// stops the iteration and is returned as is.
func (s *Store) Changes(ctx context.Context, afterSeq int64, limit int, fn func(Document, int64) error) error {
	delivered := 0
	for {
		n := pageSize
		if limit > 0 {
			n = min(n, limit-delivered)
			if n <= 0 {
				return nil
			}
		}
		docs, seqs, err := s.page(ctx, `SELECT `+docColumns+` FROM documents WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, n)
		if err != nil {
			return fmt.Errorf("changes after %d: %w", afterSeq, err)
		}
		for i, d := range docs {
			if err := fn(d, seqs[i]); err != nil {
				return err
			}
			afterSeq = seqs[i]
			delivered++
		}
		if len(docs) < n {
			return nil
		}
	}
}

// Each calls fn for every document in id order, whatever its status. It
// reads a page at a time like Changes, so fn may call back into the Store;
// an error from fn stops the iteration and is returned as is.
func (s *Store) Each(ctx context.Context, fn func(Document) error) error {
	after := ""
	for {
		docs, _, err := s.page(ctx, `SELECT `+docColumns+` FROM documents WHERE id > ? ORDER BY id LIMIT ?`, after, pageSize)
		if err != nil {
			return fmt.Errorf("each document after %q: %w", after, err)
		}
		for _, d := range docs {
			if err := fn(d); err != nil {
				return err
			}
			after = d.ID
		}
		if len(docs) < pageSize {
			return nil
		}
	}
}

func (s *Store) page(ctx context.Context, query string, args ...any) ([]Document, []int64, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var docs []Document
	var seqs []int64
	for rows.Next() {
		d, seq, err := scanDoc(rows)
		if err != nil {
			return nil, nil, err
		}
		docs = append(docs, d)
		seqs = append(seqs, seq)
	}
	return docs, seqs, rows.Err()
}

// Stats counts the documents by kind, language and status. The counts come
// from one snapshot, so they add up even while an import runs.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{ByKind: map[Kind]int{}, ByLang: map[string]int{}, ByStatus: map[Status]int{}}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	defer tx.Rollback()
	count := func(col string, add func(key string, n int)) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+col+`, COUNT(*) FROM documents GROUP BY `+col)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var key string
			var n int
			if err := rows.Scan(&key, &n); err != nil {
				return err
			}
			add(key, n)
		}
		return rows.Err()
	}
	if err := count("kind", func(k string, n int) { st.ByKind[Kind(k)] = n; st.Total += n }); err != nil {
		return Stats{}, fmt.Errorf("stats by kind: %w", err)
	}
	if err := count("lang", func(k string, n int) { st.ByLang[k] = n }); err != nil {
		return Stats{}, fmt.Errorf("stats by lang: %w", err)
	}
	if err := count("status", func(k string, n int) { st.ByStatus[Status(k)] = n }); err != nil {
		return Stats{}, fmt.Errorf("stats by status: %w", err)
	}
	return st, nil
}

// Meta returns the value stored under key, or an error wrapping ErrNotFound
// if the key was never set. Derived indexes keep their bookkeeping here.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("meta key %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get meta key %q: %w", key, err)
	}
	return v, nil
}

// SetMeta stores value under key, replacing any earlier value.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("set meta key %q: %w", key, err)
	}
	return nil
}

func docArgs(d *Document, seq int64) []any {
	return []any{
		d.ID, string(d.Kind), d.Lang, d.Title, d.Question, d.Answer, d.Body,
		jsonList(d.AltQuestions), jsonList(d.Posts), d.URL, d.Source, jsonList(d.Tags),
		string(d.Status), formatTime(d.Created), formatTime(d.Updated), d.Hash, seq,
	}
}

// jsonList encodes a slice as a JSON array, "[]" when empty, so the column
// never holds null.
func jsonList[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Strings, and Posts of strings, ints, bools and times, always
		// marshal.
		panic(fmt.Sprintf("corpus: encode %T: %v", v, err))
	}
	return string(b)
}

type scanner interface {
	Scan(dest ...any) error
}

func scanDoc(row scanner) (Document, int64, error) {
	var (
		d                 Document
		kind, status      string
		alts, posts, tags string
		created, updated  string
		seq               int64
	)
	if err := row.Scan(&d.ID, &kind, &d.Lang, &d.Title, &d.Question, &d.Answer, &d.Body,
		&alts, &posts, &d.URL, &d.Source, &tags, &status, &created, &updated, &d.Hash, &seq); err != nil {
		return Document{}, 0, err
	}
	d.Kind, d.Status = Kind(kind), Status(status)
	var err error
	if d.AltQuestions, err = decodeList[string](alts); err != nil {
		return Document{}, 0, fmt.Errorf("document %q: column alt_questions: %w", d.ID, err)
	}
	if d.Posts, err = decodeList[Post](posts); err != nil {
		return Document{}, 0, fmt.Errorf("document %q: column posts: %w", d.ID, err)
	}
	if d.Tags, err = decodeList[string](tags); err != nil {
		return Document{}, 0, fmt.Errorf("document %q: column tags: %w", d.ID, err)
	}
	if d.Created, err = parseTime(created); err != nil {
		return Document{}, 0, fmt.Errorf("document %q: column created: %w", d.ID, err)
	}
	if d.Updated, err = parseTime(updated); err != nil {
		return Document{}, 0, fmt.Errorf("document %q: column updated: %w", d.ID, err)
	}
	return d, seq, nil
}

// decodeList decodes a JSON array column; an empty array gives nil, as a
// normalized document holds.
func decodeList[T any](s string) ([]T, error) {
	var v []T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
