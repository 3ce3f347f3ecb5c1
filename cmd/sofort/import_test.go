package main

import (
	"strings"
	"testing"
)

// A path import cannot read must fail before the data dir is opened: the
// store is not created and no index is loaded for nothing.
func TestImportBadPathsTouchNothing(t *testing.T) {
	tests := []struct {
		name    string
		paths   []string
		wantErr string
	}{
		{"missing file", []string{"testdata/nope.jsonl"}, "testdata/nope.jsonl: no such file or directory"},
		{"unknown extension", []string{"testdata/docs.csv", "import_test.go"}, `import_test.go: unknown file type ".go"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			code, out, errOut := sofort(t, "", append([]string{"import", "--data", data}, tt.paths...)...)
			if code != 1 {
				t.Errorf("got exit %d; want 1 (stderr %q)", code, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q; want it to contain %q", errOut, tt.wantErr)
			}
			if out != "" {
				t.Errorf("got stdout %q; want nothing", out)
			}
			assertUntouched(t, data)
		})
	}
}
