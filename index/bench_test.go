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
// of the source that decides what is built (see buildSources): a change
// to the query path reuses the cached corpus, a change to import or
// indexing rebuilds it. SOFORT_BENCH_SIZES (e.g. "1000,10000") limits the
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
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// defaultBenchSizes are the corpus sizes in documents. 22,500 documents
// make about 100,000 passages, the size the latency targets name.
var defaultBenchSizes = []int{1000, 10000, 22500, 100000}

// defaultImportSizes are the corpus sizes the import benchmark times: large
// enough that per-batch costs average out, small enough to repeat.
var defaultImportSizes = []int{10000}

// benchCache holds what one benchmark process builds once: the material
// and, per size, the built data dir. Benchmarks share it, so it is the one
// piece of package-level state, and only benchmarks touch it.
var benchCache struct {
	once sync.Once
	pool *benchdata.Pool
	note string // why the material is not the eval suites
	key  string // generator version, material and build sources
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
		// Printed, not logged: a parent benchmark's log is not shown.
		fmt.Fprintf(os.Stderr, "benchmark material: %s; %d queries\n", c.pool.Source, len(c.pool.Queries()))
		if c.note != "" {
			fmt.Fprintln(os.Stderr, c.note)
		}
		src, err := sourceHash()
		if err != nil {
			c.err = err
			return
		}
		c.key = "g" + benchdata.Version + "-" + material + "-" + src
		c.builds = map[int]*builtCorpus{}
	})
	if c.err != nil {
		b.Fatal(c.err)
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

// buildSources are the source directories (relative to this package)
// whose code decides what a build puts on disk; queryOnly files in them
// only read it. Building 100,000 documents takes minutes, so a change to
// the query path must not trigger it.
var (
	buildSources = []string{".", "analyze", "localembed", "phrase", "../corpus", "../internal/lexicon", "../internal/lexicon/data", "../internal/langdetect", "../internal/benchdata"}
	queryOnly    = map[string]bool{"search.go": true}
)

// sourceHash hashes the files of buildSources but tests (and test
// binaries and profiles left there), so embedded data counts too. It fails when the source is not there, as when the test
// binary runs away from its package directory.
func sourceHash() (string, error) {
	h := sha256.New()
	for _, dir := range buildSources {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return "", fmt.Errorf("hash build sources: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || strings.HasSuffix(name, "_test.go") || queryOnly[name] && dir == "." {
				continue
			}
			if ext := filepath.Ext(name); ext == ".test" || ext == ".out" || ext == ".prof" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return "", fmt.Errorf("hash build sources: %w", err)
			}
			fmt.Fprintf(h, "%s/%s %d\n", dir, name, len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func benchSizes(b *testing.B, env string, def []int) []int {
	b.Helper()
	s := os.Getenv(env)
	if s == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: %q is not a positive number", env, s, f)
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
	for _, n := range benchSizes(b, "SOFORT_BENCH_SIZES", defaultBenchSizes) {
		b.Run("n="+short(n), func(b *testing.B) {
			env := openBuilt(b, built(b, n))
			defer env.close(b)
			for _, m := range modes {
				b.Run("mode="+m.name, func(b *testing.B) {
					// Labels let one CPU profile of all sizes and modes be
					// split: go tool pprof -tagfocus mode=hybrid,n=100k.
					labels := pprof.Labels("n", short(n), "mode", m.name)
					pprof.Do(context.Background(), labels, func(context.Context) {
						runQueries(b, env.idx, queries, m.mode, m.lang)
					})
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
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		hits += search(queries[i%len(queries)])
		durs = append(durs, time.Since(t0))
	}
	cpu := cpuTime() - cpu0
	reportLatency(b, durs)
	b.ReportMetric(float64(hits)/float64(len(durs)), "hits/op")
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(len(durs)), "cpu-ms/op")
	reportLoad(b)
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
	for _, n := range benchSizes(b, "SOFORT_BENCH_IMPORT_SIZES", defaultImportSizes) {
		b.Run("n="+short(n), func(b *testing.B) {
			var total buildReport
			cpu0 := cpuTime()
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
			cpu := cpuTime() - cpu0
			docs := float64(total.Docs)
			b.ReportMetric(docs/(total.Import+total.Index).Seconds(), "docs/s")
			b.ReportMetric(docs/cpu.Seconds(), "docs/cpu-s")
			b.ReportMetric(docs/total.Import.Seconds(), "import-docs/s")
			b.ReportMetric(docs/total.Index.Seconds(), "index-docs/s")
			b.ReportMetric(float64(total.Passages)/docs, "passages/doc")
			reportLoad(b)
		})
	}
}

// BenchmarkFootprint reports, per corpus size, the indexes' size on disk
// (full-text, vectors, and the store of record for comparison) and the
// memory opening them takes: Go heap in use after a GC, and the process's
// resident set (VmRSS), both as the difference between before and after
// index.Open. ns/op is the time index.Open takes on a warm page cache.
//
// n=0 opens an index over an empty store: heap-first-MB is the first
// open in the process, which loads process-wide tables (thesaurus,
// analyzers); heap-MB is a later one. The per-10k figures of the other
// sizes subtract that empty-index cost, so they are what each further
// 10,000 documents add.
func BenchmarkFootprint(b *testing.B) {
	benchPool(b)
	b.Run("n=0", func(b *testing.B) {
		dir := b.TempDir()
		first := openFootprint(b, dir, 0)
		var fp footprint
		for b.Loop() {
			fp = openFootprint(b, dir, 0)
		}
		b.ReportMetric(first.heap/mb, "heap-first-MB")
		b.ReportMetric(first.rss/mb, "rss-first-MB")
		b.ReportMetric(fp.heap/mb, "heap-MB")
		b.ReportMetric(fp.rss/mb, "rss-MB")
	})
	for _, n := range benchSizes(b, "SOFORT_BENCH_SIZES", defaultBenchSizes) {
		b.Run("n="+short(n), func(b *testing.B) {
			dir := built(b, n)
			base := emptyFootprint(b)
			var fp footprint
			first := true
			for b.Loop() {
				f := openFootprint(b, dir, n)
				if first {
					fp, first = f, false
				}
			}
			per10k := 10000 / float64(n)
			b.ReportMetric(float64(fp.stats.Passages)/float64(n), "passages/doc")
			b.ReportMetric(float64(fp.stats.FulltextBytes)/mb, "fulltext-MB")
			b.ReportMetric(float64(fp.stats.VectorBytes)/mb, "vectors-MB")
			b.ReportMetric(float64(fp.storeBytes)/mb, "store-MB")
			b.ReportMetric(fp.heap/mb, "heap-MB")
			b.ReportMetric(fp.rss/mb, "rss-MB")
			b.ReportMetric(float64(fp.stats.FulltextBytes)/mb*per10k, "fulltext-MB/10k")
			b.ReportMetric(float64(fp.stats.VectorBytes)/mb*per10k, "vectors-MB/10k")
			b.ReportMetric((fp.heap-base.heap)/mb*per10k, "heap-MB/10k")
			b.ReportMetric((fp.rss-base.rss)/mb*per10k, "rss-MB/10k")
			b.ReportMetric(float64(fp.stats.VectorMemory)/mb*per10k, "vecindex-MB/10k")
		})
	}
}

const mb = 1 << 20

type footprint struct {
	heap, rss  float64 // bytes added by index.Open
	stats      index.Stats
	storeBytes int64
}

// openFootprint opens the index of the data dir (creating an empty store
// and index when there is none), measures what the open added, and closes
// it. Only index.Open is timed.
func openFootprint(b *testing.B, dir string, n int) footprint {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	ctx := context.Background()
	st, err := corpus.Open(ctx, filepath.Join(dir, "sofort.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	heap0, rss0 := memNow()
	b.StartTimer()
	idx, err := index.Open(ctx, filepath.Join(dir, "index"), st, index.Options{})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	heap1, rss1 := memNow()
	fp := footprint{heap: float64(heap1 - heap0), rss: float64(rss1 - rss0)}
	if fp.stats, err = idx.Stats(); err != nil {
		b.Fatal(err)
	}
	if fp.stats.Documents != uint64(n) {
		b.Fatalf("index in %s holds %d documents; want %d", dir, fp.stats.Documents, n)
	}
	fp.storeBytes = fileSize(filepath.Join(dir, "sofort.db")) + fileSize(filepath.Join(dir, "sofort.db-wal"))
	if err := idx.Close(); err != nil {
		b.Fatal(err)
	}
	return fp
}

// emptyFootprint is what opening an index over an empty store costs once
// process-wide tables are loaded; measured once per process.
func emptyFootprint(b *testing.B) footprint {
	b.Helper()
	emptyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sofort-bench-empty-*")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		openFootprint(b, dir, 0) // loads the process-wide tables
		emptyBase = openFootprint(b, dir, 0)
	})
	return emptyBase
}

var (
	emptyOnce sync.Once
	emptyBase footprint
)

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

// cpuTime is the CPU time (user and system) the process has used: on a
// machine shared with other work, wall-clock figures include waiting for a
// core, CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportLoad records the one-minute load average when the benchmark
// ended, so a slow figure can be told from a busy machine.
func reportLoad(b *testing.B) {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	if f := strings.Fields(string(raw)); len(f) > 0 {
		if l, err := strconv.ParseFloat(f[0], 64); err == nil {
			b.ReportMetric(l, "load1")
		}
	}
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
