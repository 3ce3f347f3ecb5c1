package corpus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DefaultBatchSize is how many documents Import writes per transaction.
const DefaultBatchSize = 500

// ImportOptions tune Import. The zero value is usable.
type ImportOptions struct {
	// BatchSize is how many documents go into one transaction; 0 means
	// DefaultBatchSize. A killed import leaves whole batches stored.
	BatchSize int
	// Progress, if set, is called after each batch is stored and once at
	// the end. done and total are bytes of input: how many records the
	// files hold is not known before reading them.
	Progress func(done, total int)
	// DefaultLang is given to documents that name no language.
	DefaultLang string
}

// format is an input file's format, chosen by extension.
type format int

const (
	formatJSONL format = iota + 1
	formatCSV
	formatMarkdown
)

const knownExtensions = ".jsonl, .ndjson, .csv, .md or .markdown"

func formatOf(name string) (format, bool) {
	switch strings.ToLower(path.Ext(name)) {
	case ".jsonl", ".ndjson":
		return formatJSONL, true
	case ".csv":
		return formatCSV, true
	case ".md", ".markdown":
		return formatMarkdown, true
	}
	return 0, false
}

// source is one input file: a path inside fsys, and the name messages use.
type source struct {
	fsys   fs.FS
	path   string // slash-separated, relative to the root the user named
	name   string // as the user would write it
	format format
	size   int64
}

// Import reads documents from paths and stores them in batches. A path is
// a file, whose extension picks the format (.jsonl/.ndjson, .csv,
// .md/.markdown), or a directory, walked in lexical order for files with
// those extensions (others and hidden entries are skipped); Markdown ids
// default to the path below that directory without extension.
//
// Every path is checked before anything is stored: a missing path or an
// unknown extension is an error and imports nothing. A bad record is
// rejected into the report ("file:line: reason") and the others are kept;
// an id seen earlier in the same import is rejected too, so the first
// occurrence wins and re-running an import changes nothing. Each batch is
// one transaction: if the process dies, the store holds whole batches, and
// running the same import again stores the rest.
//
// Import stops with an error, returning the report so far, when a file is
// unusable as a whole (bad CSV header, binary or UTF-16 file), reading
// fails, the store fails, or ctx ends. The report then counts what was
// stored; records read but not yet written are not counted.
func Import(ctx context.Context, s *Store, paths []string, opt ImportOptions) (ImportReport, error) {
	var rep ImportReport
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	lang := strings.ToLower(strings.TrimSpace(opt.DefaultLang))
	if lang != "" && !validLang(lang) {
		return rep, fmt.Errorf("import: default language %q is not a two-letter language code", opt.DefaultLang)
	}
	if len(paths) == 0 {
		return rep, errors.New("import: no files or directories given")
	}
	srcs, err := sources(paths)
	if err != nil {
		return rep, fmt.Errorf("import: %w", err)
	}
	var total int64
	for _, src := range srcs {
		total += src.size
	}

	var read int64
	batch := make([]Document, 0, opt.BatchSize)
	flush := func() error {
		if len(batch) > 0 {
			res, err := s.Upsert(ctx, batch)
			if err != nil {
				return err
			}
			rep.Added += res.Added
			rep.Updated += res.Updated
			rep.Unchanged += res.Unchanged
			batch = batch[:0]
		}
		if opt.Progress != nil {
			opt.Progress(int(min(read, total)), int(total))
		}
		return nil
	}
	visit := newDedupe().wrap(func(rec Record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rec.Err != nil {
			rep.Reject(rec.Reject())
			return nil
		}
		if rec.Doc.Lang == "" {
			rec.Doc.Lang = lang
		}
		batch = append(batch, rec.Doc)
		if len(batch) >= opt.BatchSize {
			return flush()
		}
		return nil
	})
	for _, src := range srcs {
		if err := readSource(src, &read, visit); err != nil {
			return rep, fmt.Errorf("import: %w", err)
		}
	}
	read = total
	if err := flush(); err != nil {
		return rep, fmt.Errorf("import: %w", err)
	}
	return rep, nil
}

// ReadPath reads documents from a file or directory as Import does, without
// a store, calling fn with each record (see Record). It returns fn's error
// as is, or an error naming the path when the path is missing, has an
// unknown extension or is unusable as a whole.
func ReadPath(p string, fn func(Record) error) error {
	srcs, err := sources([]string{p})
	if err != nil {
		return err
	}
	return readSources(srcs, fn)
}

// ReadFS reads every .jsonl, .ndjson, .csv, .md and .markdown file in fsys
// (an embedded folder, say) in lexical order, skipping hidden entries, as
// Import reads a directory. Record.File is the path inside fsys. Errors are
// as for ReadPath.
func ReadFS(fsys fs.FS, fn func(Record) error) error {
	srcs, err := walkSources(fsys, ".", "")
	if err != nil {
		return err
	}
	return readSources(srcs, fn)
}

// readSources reads srcs in order, dropping repeated ids across all of them.
func readSources(srcs []source, fn func(Record) error) error {
	fn = newDedupe().wrap(fn)
	var read int64
	for _, src := range srcs {
		if err := readSource(src, &read, fn); err != nil {
			return err
		}
	}
	return nil
}

// CheckPaths reports the first path Import would refuse (missing, or of an
// unknown type), so a caller can fail before opening anything costly.
func CheckPaths(paths []string) error {
	if len(paths) == 0 {
		return errors.New("no files or directories given")
	}
	_, err := sources(paths)
	return err
}

// sources lists the input files behind paths, checking each.
func sources(paths []string) ([]source, error) {
	var all []source
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			srcs, err := walkSources(os.DirFS(p), ".", p)
			if err != nil {
				return nil, err
			}
			all = append(all, srcs...)
			continue
		}
		f, ok := formatOf(p)
		if !ok {
			return nil, fmt.Errorf("%s: unknown file type %q (want %s)", p, filepath.Ext(p), knownExtensions)
		}
		all = append(all, source{
			fsys: os.DirFS(filepath.Dir(p)), path: filepath.Base(p), name: p,
			format: f, size: fi.Size(),
		})
	}
	return all, nil
}

// walkSources lists the files of known formats under root in fsys. Names
// in messages are prefix joined with the path, or the bare path when
// prefix is empty.
func walkSources(fsys fs.FS, root, prefix string) ([]source, error) {
	var srcs []source
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		f, ok := formatOf(p)
		if d.IsDir() || !ok {
			return nil
		}
		fi, err := fs.Stat(fsys, p)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		name := p
		if prefix != "" {
			name = filepath.Join(prefix, filepath.FromSlash(p))
		}
		srcs = append(srcs, source{fsys: fsys, path: p, name: name, format: f, size: fi.Size()})
		return nil
	})
	if err != nil {
		if prefix != "" {
			return nil, fmt.Errorf("walk %s: %w", prefix, err)
		}
		return nil, fmt.Errorf("walk: %w", err)
	}
	return srcs, nil
}

// readSource reads one file, adding the bytes it reads to *read.
func readSource(src source, read *int64, fn func(Record) error) error {
	f, err := src.fsys.Open(src.path)
	if err != nil {
		return fmt.Errorf("%s: %w", src.name, err)
	}
	defer f.Close()
	r := &countingReader{r: f, n: read}
	switch src.format {
	case formatJSONL:
		return readJSONL(r, src.name, fn)
	case formatCSV:
		return readCSV(r, src.name, fn)
	case formatMarkdown:
		rec, err := ReadMarkdown(r, src.name, markdownID(src.path))
		if err != nil {
			return err
		}
		return fn(rec)
	}
	return fmt.Errorf("%s: no reader for format %d", src.name, src.format)
}

// markdownID derives an id from a slash path: "billing/refunds.md" →
// "billing/refunds".
func markdownID(p string) string {
	return strings.TrimSuffix(p, path.Ext(p))
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}
