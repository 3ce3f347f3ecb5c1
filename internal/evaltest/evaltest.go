// Package evaltest reads the evaluation suites (../shared/eval) in tests.
// Tests that measure against them skip when the data is not beside the
// repository, so a bare clone still tests everything else.
package evaltest

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// ReadJSONL decodes one T per line of path. It skips the test when path
// does not exist and fails it, naming the line, on a malformed line.
func ReadJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("eval data not found at %s (../shared lies beside the repository): %v", path, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}
