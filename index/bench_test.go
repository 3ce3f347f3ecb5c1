package index_test

// Benchmarks behind `make bench` (see docs/bench.md for figures and
// commands). They run only with -bench: nothing here is a Test, and all
// set-up is lazy, so `go test` without -bench pays nothing.
//
// Documents come from internal/benchdata, which recombines the real text
// of the evaluation suites in ../shared/eval (SOFORT_EVAL_DIR overrides
// the path); without them it falls back to the bundled demo corpus and
// says so. Each corpus size is built once (import, then index) and cached
// under $TMPDIR/sofort-bench, keyed by size, generator version and a hash
// of the test binary, so any code change rebuilds it and repeated runs of
// the same code do not. SOFORT_BENCH_SIZES (e.g. "1000,10000") limits the
// sizes.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/corpus/demo"
	"github.com/sofort-chat/sofort/index"
	"github.com/sofort-chat/sofort/internal/benchdata"
)

const (
	benchSeed = 1
	// benchK is how many hits a query asks for, as the eval runner does;
	// every hit costs a store read and a snippet.
	benchK = 10
	// benchWarmup queries run untimed before each search benchmark, so the
	// first timed ones do not pay for cold page caches.
	benchWarmup = 50
)

// defaultBenchSizes are the corpus sizes in documents.
var defaultBenchSizes = []int{1000, 10000, 100000}

// benchImportSize is the corpus size the import benchmark times: large
// enough that per-batch costs average out, small enough to repeat.
var defaultImportSizes = []int{10000}

// benchCache holds what one benchmark process builds once: the material
// and, per size, the built data dir. Benchmarks share it, so it is the one
// piece of package-level state, and only benchmarks touch it.
var benchCache struct {
	once sync.Once
	pool *benchdata.Pool
	note string
	key  string // generator version, material and test binary
	err  error

	mu     sync.Mutex
	builds map[int]*builtCorpus
}

type builtCorpus struct {
	once sync.Once
	dir  string
	err  error
}

// buildReport is what a build took; it is saved next to the data.
type buildReport struct {
	Docs     int           `json:"docs"`
	Passages int           `json:"passages"`
	Import   time.Duration `json:"import_ns"`
	Index    time.Duration `json:"index_ns"`
}

func benchPool(b *testing.B) *benchdata.Pool {
	b.Helper()
	c := &benchCache
	c.once.Do(func() {
		dir := os.Getenv("SOFORT_EVAL_DIR")
		if dir == "" {
			dir = filepath.Join("..", "..", "shared", "eval")
		}
		c.pool, c.err = benchdata.LoadSuites(dir)
		material := "eval"
		if errors.Is(c.err, fs.ErrNotExist) {
			c.pool, c.err = demoPool()
			material = "demo"
			c.note = fmt.Sprintf("NOTE: %s not found; documents are recombined from the bundled demo corpus, so figures are not comparable with docs/bench.md", dir)
		}
		if c.err != nil {
			return
		}
		exe, err := binaryHash()
		if err != nil {
			c.err = err
			return
		}
		c.key = "g" + benchdata.Version + "-" + material + "-" + exe
		c.builds = map[int]*builtCorpus{}
	})
	if c.err != nil {
		b.Fatal(c.err)
	}
	if c.note != "" {
		b.Log(c.note)
	}
	return c.pool
}

// demoPool turns the bundled demo corpus into benchmark material; its
// alternative phrasings serve as queries.
func demoPool() (*benchdata.Pool, error) {
	docs, err := demo.Documents()
	if err != nil {
		return nil, err
	}
	var entries []benchdata.Entry
	var queries []benchdata.Query
	for _, d := range docs {
		e := benchdata.Entry{Lang: d.Lang, Tags: d.Tags, Questions: []string{d.Title, d.Question}}
		text := []string{d.Answer, d.Body}
		for _, p := range d.Posts {
			text = append(text, p.Body)
		}
		e.Text = strings.Join(text, "\n")
		entries = append(entries, e)
		for _, a := range d.AltQuestions {
			queries = append(queries, benchdata.Query{Text: a, Lang: d.Lang, Suite: "demo"})
		}
	}
	return benchdata.NewPool("bundled demo corpus", entries, queries)
}

// binaryHash identifies the code under test: the same code builds the
// same test binary.
func binaryHash() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find test binary: %w", err)
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", fmt.Errorf("hash test binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash test binary %s: %w", exe, err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func benchSizes(b *testing.B, def []int) []int {
	b.Helper()
	s := os.Getenv("SOFORT_BENCH_SIZES")
	if s == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("SOFORT_BENCH_SIZES=%q: %q is not a positive number", s, f)
		}
		out = append(out, n)
	}
	return out
}

func short(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// built returns the data dir holding an imported and indexed corpus of n
// documents, building it at most once per process and reusing one a
// previous run of the same binary left complete.
func built(b *testing.B, n int) string {
	b.Helper()
	pool := benchPool(b)
	c := &benchCache
	c.mu.Lock()
	bc := c.builds[n]
	if bc == nil {
		bc = &builtCorpus{}
		c.builds[n] = bc
	}
	c.mu.Unlock()
	bc.once.Do(func() {
		root := filepath.Join(os.TempDir(), "sofort-bench")
		pruneCache(root, c.key)
		bc.dir = filepath.Join(root, c.key+"-n"+strconv.Itoa(n))
		if _, err := os.Stat(filepath.Join(bc.dir, "complete.json")); err == nil {
			return
		}
		if err := os.RemoveAll(bc.dir); err != nil {
			bc.err = err
			return
		}
		if err := os.MkdirAll(bc.dir, 0o755); err != nil {
			bc.err = err
			return
		}
		start := time.Now()
		rep, err := buildCorpus(context.Background(), pool, bc.dir, n)
		if err != nil {
			bc.err = fmt.Errorf("build %d-document corpus in %s: %w", n, bc.dir, err)
			return
		}
		b.Logf("built %d documents (%d passages) in %s: import %.0f docs/s, index %.0f docs/s",
			n, rep.Passages, time.Since(start).Round(time.Second),
			float64(n)/rep.Import.Seconds(), float64(n)/rep.Index.Seconds())
		js, _ := json.Marshal(rep)
		bc.err = os.WriteFile(filepath.Join(bc.dir, "complete.json"), js, 0o644)
	})
	if bc.err != nil {
		b.Fatal(bc.err)
	}
	return bc.dir
}

// pruneCache removes builds of other code versions, once they have not
// been touched for an hour (another benchmark run may still be using a
// fresh one).
func pruneCache(root, key string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), key+"-n") {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// buildCorpus writes n generated documents to dir/corpus.jsonl, imports
// them into dir/sofort.db and indexes them in dir/index: what `sofort
// import` does. Only the import and the indexing are timed.
func buildCorpus(ctx context.Context, pool *benchdata.Pool, dir string, n int) (buildReport, error) {
	rep := buildReport{Docs: n}
	jsonl := filepath.Join(dir, "corpus.jsonl")
	if err := writeCorpus(pool, jsonl, n); err != nil {
		return rep, err
	}
	t0 := time.Now()
	st, err := corpus.Open(ctx, filepath.Join(dir, "sofort.db"))
	if err != nil {
		return rep, err
	}
	defer st.Close()
	ir, err := corpus.Import(ctx, st, []string{jsonl}, corpus.ImportOptions{})
	if err != nil {
		return rep, err
	}
	if ir.Rejected > 0 || ir.Added != n {
		return rep, fmt.Errorf("import added %d of %d documents: %s", ir.Added, n, ir)
	}
	t1 := time.Now()
	idx, err := index.Open(ctx, filepath.Join(dir, "index"), st, index.Options{})
	if err != nil {
		return rep, err
	}
	defer idx.Close()
	sr, err := idx.Sync(ctx, nil)
	if err != nil {
		return rep, err
	}
	t2 := time.Now()
	if sr.Indexed != n {
		return rep, fmt.Errorf("sync indexed %d of %d documents", sr.Indexed, n)
	}
	rep.Import, rep.Index, rep.Passages = t1.Sub(t0), t2.Sub(t1), sr.Embedded
	return rep, nil
}

func writeCorpus(pool *benchdata.Pool, path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pool.WriteJSONL(f, n, benchSeed); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchEnv is a built corpus opened for searching.
type benchEnv struct {
	store *corpus.Store
	idx   *index.Index
}

func openBuilt(b *testing.B, dir string) *benchEnv {
	b.Helper()
	ctx := context.Background()
	st, err := corpus.Open(ctx, filepath.Join(dir, "sofort.db"))
	if err != nil {
		b.Fatal(err)
	}
	idx, err := index.Open(ctx, filepath.Join(dir, "index"), st, index.Options{})
	if err != nil {
		st.Close()
		b.Fatal(err)
	}
	// A cached build is complete, so this is a no-op unless the index
	// layout changed under the same binary (it cannot) or the build was
	// interrupted between marker and state (it is written last).
	if r, err := idx.Sync(ctx, nil); err != nil || r.Indexed > 0 {
		idx.Close()
		st.Close()
		b.Fatalf("cached index in %s was not up to date (indexed %d, err %v)", dir, r.Indexed, err)
	}
	return &benchEnv{store: st, idx: idx}
}

func (e *benchEnv) close(b *testing.B) {
	if err := errors.Join(e.idx.Close(), e.store.Close()); err != nil {
		b.Error(err)
	}
}

// BenchmarkSearch measures single-query latency per corpus size and mode,
// as a visitor's question arrives: no language given (it is detected),
// ten hits with snippets. ns/op is the mean; p50-ms and p99-ms are over the
// benchmark's own queries, so run it with enough of them
// (-benchtime 1000x; see docs/bench.md). "lang" is hybrid restricted to the
// question's language, as the eval runner asks.
func BenchmarkSearch(b *testing.B) {
	queries := benchPool(b).Queries()
	modes := []struct {
		name string
		mode index.Mode
		lang bool
	}{
		{"bm25", index.ModeBM25, false},
		{"vector", index.ModeVector, false},
		{"hybrid", index.ModeHybrid, false},
		{"hybrid-lang", index.ModeHybrid, true},
	}
	for _, n := range benchSizes(b, defaultBenchSizes) {
		b.Run("n="+short(n), func(b *testing.B) {
			env := openBuilt(b, built(b, n))
			defer env.close(b)
			for _, m := range modes {
				b.Run("mode="+m.name, func(b *testing.B) {
					runQueries(b, env.idx, queries, m.mode, m.lang)
				})
			}
		})
	}
}

func runQueries(b *testing.B, idx *index.Index, queries []benchdata.Query, mode index.Mode, withLang bool) {
	ctx := context.Background()
	search := func(q benchdata.Query) int {
		iq := index.Query{Text: q.Text, Mode: mode, K: benchK}
		if withLang {
			iq.Lang = q.Lang
		}
		hits, err := idx.Search(ctx, iq)
		if err != nil {
			b.Fatalf("search %q: %v", q.Text, err)
		}
		return len(hits)
	}
	for i := range benchWarmup {
		search(queries[len(queries)-1-i%len(queries)])
	}
	durs := make([]time.Duration, 0, max(b.N, 1))
	hits := 0
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		hits += search(queries[i%len(queries)])
		durs = append(durs, time.Since(t0))
	}
	reportLatency(b, durs)
	b.ReportMetric(float64(hits)/float64(len(durs)), "hits/op")
}

func reportLatency(b *testing.B, durs []time.Duration) {
	slices.Sort(durs)
	pct := func(p float64) float64 {
		return float64(durs[int(p*float64(len(durs)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(durs[len(durs)-1])/float64(time.Millisecond), "max-ms")
}

// BenchmarkImport times what `sofort import` does with a fresh data dir:
// corpus.Import of a JSONL file into a new store, then index.Sync with the
// local embedder (fitting its weights, full-text and vectors). docs/s is
// for both; import-docs/s and index-docs/s for each part. One op is one
// whole corpus, so run it with -benchtime 1x.
func BenchmarkImport(b *testing.B) {
	pool := benchPool(b)
	for _, n := range benchSizes(b, defaultImportSizes) {
		b.Run("n="+short(n), func(b *testing.B) {
			var total buildReport
			for b.Loop() {
				b.StopTimer()
				dir, err := os.MkdirTemp("", "sofort-bench-import-*")
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				// buildCorpus times the two parts itself and leaves the
				// generation of the input file out of them; the op's
				// ns/op includes it.
				rep, err := buildCorpus(context.Background(), pool, dir, n)
				b.StopTimer()
				os.RemoveAll(dir)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				total.Docs += rep.Docs
				total.Passages += rep.Passages
				total.Import += rep.Import
				total.Index += rep.Index
			}
			docs := float64(total.Docs)
			b.ReportMetric(docs/(total.Import+total.Index).Seconds(), "docs/s")
			b.ReportMetric(docs/total.Import.Seconds(), "import-docs/s")
			b.ReportMetric(docs/total.Index.Seconds(), "index-docs/s")
			b.ReportMetric(float64(total.Passages)/docs, "passages/doc")
		})
	}
}

// BenchmarkFootprint reports, per corpus size, the indexes' size on disk
// (full-text, vectors, and the store of record for comparison) and the
// memory opening them takes: Go heap in use after a GC, and the process's
// resident set (VmRSS), both as the difference between before and after
// index.Open. Each is also given per 10,000 documents. ns/op is the time
// index.Open takes on a warm page cache.
func BenchmarkFootprint(b *testing.B) {
	for _, n := range benchSizes(b, defaultBenchSizes) {
		b.Run("n="+short(n), func(b *testing.B) {
			dir := built(b, n)
			ctx := context.Background()
			st, err := corpus.Open(ctx, filepath.Join(dir, "sofort.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			var heap, rss int64
			var stats index.Stats
			first := true
			for b.Loop() {
				b.StopTimer()
				heap0, rss0 := memNow()
				b.StartTimer()
				idx, err := index.Open(ctx, filepath.Join(dir, "index"), st, index.Options{})
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if first {
					heap1, rss1 := memNow()
					heap, rss = heap1-heap0, rss1-rss0
					if stats, err = idx.Stats(); err != nil {
						b.Fatal(err)
					}
					first = false
				}
				// Keep the index reachable until measured.
				runtime.KeepAlive(idx)
				if err := idx.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			per10k := 10000 / float64(n)
			const mb = 1 << 20
			dbBytes := fileSize(filepath.Join(dir, "sofort.db")) + fileSize(filepath.Join(dir, "sofort.db-wal"))
			b.ReportMetric(float64(stats.Passages)/float64(n), "passages/doc")
			b.ReportMetric(float64(stats.FulltextBytes)/mb, "fulltext-MB")
			b.ReportMetric(float64(stats.VectorBytes)/mb, "vectors-MB")
			b.ReportMetric(float64(dbBytes)/mb, "store-MB")
			b.ReportMetric(float64(heap)/mb, "heap-MB")
			b.ReportMetric(float64(rss)/mb, "rss-MB")
			b.ReportMetric(float64(stats.FulltextBytes)/mb*per10k, "fulltext-MB/10k")
			b.ReportMetric(float64(stats.VectorBytes)/mb*per10k, "vectors-MB/10k")
			b.ReportMetric(float64(heap)/mb*per10k, "heap-MB/10k")
			b.ReportMetric(float64(rss)/mb*per10k, "rss-MB/10k")
			b.ReportMetric(float64(stats.VectorMemory)/mb*per10k, "vecindex-MB/10k")
		})
	}
}

// memNow returns the Go heap in use after a full collection, and the
// resident set size (0 where /proc is missing). Freed memory is returned
// to the OS first, so the two readings of a before/after pair compare.
func memNow() (heapInuse, vmRSS int64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse), readVmRSS()
}

func readVmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
