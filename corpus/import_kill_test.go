package corpus

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeGenerated writes n FAQ documents as JSONL, ids gen-000000 upwards,
// with text of a realistic size (a sentence of question, a paragraph of
// answer).
func writeGenerated(t testing.TB, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	words := strings.Fields("account billing card cancel contract delivery invoice login order parcel password payment refund return shipping subscription tariff voucher")
	for i := range n {
		var q, a strings.Builder
		for j := range 8 {
			q.WriteString(words[(i+j*7)%len(words)] + " ")
		}
		for j := range 60 {
			a.WriteString(words[(i*3+j*5)%len(words)] + " ")
		}
		d := Document{
			ID: fmt.Sprintf("gen-%06d", i), Kind: KindFAQ, Lang: "en",
			Title: fmt.Sprintf("Question %d", i), Question: q.String() + "?", Answer: a.String(),
			Tags: []string{words[i%len(words)]}, AltQuestions: []string{fmt.Sprintf("variant %d", i)},
		}
		if err := enc.Encode(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

const (
	killChildEnv = "SOFORT_CORPUS_KILL_CHILD"
	killBatch    = 50
	killDocs     = 5000
)

// TestImportKilled imports in a child process, kills it with SIGKILL in the
// middle, and checks that the store holds whole batches (a prefix of the
// file, a multiple of the batch size), passes SQLite's integrity check,
// and that running the import again adds exactly the rest.
func TestImportKilled(t *testing.T) {
	if spec := os.Getenv(killChildEnv); spec != "" {
		killChild(spec)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "big.jsonl")
	db := filepath.Join(dir, "corpus.db")
	writeGenerated(t, src, killDocs)

	cmd := exec.Command(os.Args[0], "-test.run=^TestImportKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+db+"\n"+src)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill after a few batches are in, half a batch's time after the
	// fifth, so that the sixth is most likely being written.
	sc := bufio.NewScanner(out)
	batches := 0
	var first time.Time
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "batch ") {
			continue
		}
		if batches++; batches == 1 {
			first = time.Now()
		}
		if batches == 5 {
			time.Sleep(time.Since(first) / 8)
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	err = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed mid-import (exit: %v); it finished before the kill", err)
	}

	s, err := Open(ctx, db)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer s.Close()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("integrity after kill: %v", err)
	}
	var ids []string
	if err := s.Each(ctx, func(d Document) error { ids = append(ids, d.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	n := len(ids)
	if n < 5*killBatch || n >= killDocs || n%killBatch != 0 {
		t.Fatalf("after kill: %d documents; want a multiple of %d between %d and %d", n, killBatch, 5*killBatch, killDocs)
	}
	for i, id := range ids {
		if want := fmt.Sprintf("gen-%06d", i); id != want {
			t.Fatalf("document %d after kill: got %s; want %s (whole batches in file order)", i, id, want)
		}
	}
	if seq, _ := s.MaxSeq(ctx); seq != int64(n) {
		t.Errorf("MaxSeq after kill: got %d; want %d", seq, n)
	}
	t.Logf("killed after %d of %d documents", n, killDocs)

	rep, err := Import(ctx, s, []string{src}, ImportOptions{BatchSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if want := (ImportReport{Added: killDocs - n, Unchanged: n}); rep.Added != want.Added || rep.Unchanged != want.Unchanged || rep.Updated != 0 || rep.Rejected != 0 {
		t.Errorf("re-run: got %v; want %v", rep, want)
	}
	if st, err := s.Stats(ctx); err != nil || st.Total != killDocs {
		t.Errorf("after re-run: %d documents, %v; want %d", st.Total, err, killDocs)
	}
}

// killChild is the child side of TestImportKilled: it imports and reports
// each stored batch on stdout until it is killed.
func killChild(spec string) {
	db, src, _ := strings.Cut(spec, "\n")
	ctx := context.Background()
	s, err := Open(ctx, db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	batches := 0
	_, err = Import(ctx, s, []string{src}, ImportOptions{
		BatchSize: killBatch,
		Progress: func(done, total int) {
			batches++
			fmt.Printf("batch %d %d/%d\n", batches, done, total)
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Reaching here means the parent did not kill in time; it reports that.
	os.Exit(0)
}

func BenchmarkImportJSONL(b *testing.B) {
	const n = 10000
	src := filepath.Join(b.TempDir(), "bench.jsonl")
	writeGenerated(b, src, n)
	ctx := context.Background()

	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s, err := Open(ctx, filepath.Join(b.TempDir(), "corpus.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			rep, err := Import(ctx, s, []string{src}, ImportOptions{})
			if err != nil || rep.Added != n {
				b.Fatalf("import: %v, %v", rep, err)
			}
			b.StopTimer()
			s.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "docs/s")
	})
	b.Run("unchanged", func(b *testing.B) {
		s, err := Open(ctx, filepath.Join(b.TempDir(), "corpus.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if _, err := Import(ctx, s, []string{src}, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			rep, err := Import(ctx, s, []string{src}, ImportOptions{})
			if err != nil || rep.Unchanged != n {
				b.Fatalf("import: %v, %v", rep, err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "docs/s")
	})
	b.Run("read-only", func(b *testing.B) {
		for b.Loop() {
			docs := 0
			if err := ReadPath(src, func(r Record) error { docs++; return r.Err }); err != nil || docs != n {
				b.Fatalf("read: %d docs, %v", docs, err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "docs/s")
	})
}
