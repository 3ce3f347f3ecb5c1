package eval_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sofort-chat/sofort/eval"
)

func TestParseCases(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    []eval.Case
		wantErr string // substring of the error; "" for success
	}{
		{
			name: "all fields, blank lines and an escalate case",
			input: `{"id":"a","query":"Wie kündige ich?","lang":"de","expect":["faq-1","faq-2"]}

   
{"id":"b","query":"Mit einem Menschen sprechen","escalate":true}
{"id":"c","query":"refund","expect":["faq-3"],"escalate":true}`,
			want: []eval.Case{
				{ID: "a", Query: "Wie kündige ich?", Lang: "de", Expect: []string{"faq-1", "faq-2"}},
				{ID: "b", Query: "Mit einem Menschen sprechen", Escalate: true},
				{ID: "c", Query: "refund", Expect: []string{"faq-3"}, Escalate: true},
			},
		},
		{
			name: "duplicate ids are allowed",
			input: `{"id":"a","query":"one","expect":["x"]}
{"id":"a","query":"two","expect":["y"]}`,
			want: []eval.Case{
				{ID: "a", Query: "one", Expect: []string{"x"}},
				{ID: "a", Query: "two", Expect: []string{"y"}},
			},
		},
		{
			name:  "CRLF line ends",
			input: "{\"id\":\"a\",\"query\":\"q\",\"expect\":[\"x\"]}\r\n{\"id\":\"b\",\"query\":\"r\",\"expect\":[\"y\"]}\r\n",
			want: []eval.Case{
				{ID: "a", Query: "q", Expect: []string{"x"}},
				{ID: "b", Query: "r", Expect: []string{"y"}},
			},
		},
		{
			name: "bad JSON names its line",
			input: `{"id":"a","query":"q","expect":["x"]}

{"id":"b","query":"q",`,
			wantErr: "suite.jsonl:3:",
		},
		{
			name: "missing id",
			input: `{"id":"a","query":"q","expect":["x"]}
{"query":"q","expect":["x"]}`,
			wantErr: "suite.jsonl:2: case without id",
		},
		{
			name:    "no query",
			input:   `{"id":"a","query":"   ","expect":["x"]}`,
			wantErr: "suite.jsonl:1: case a has no query",
		},
		{
			name:    "expects nothing without escalate",
			input:   `{"id":"a","query":"q","expect":[]}`,
			wantErr: "suite.jsonl:1: case a expects nothing and is not marked escalate",
		},
		{
			name:    "unknown field",
			input:   `{"id":"a","query":"q","expect":["x"],"expected":["y"]}`,
			wantErr: `suite.jsonl:1: json: unknown field "expected"`,
		},
		{
			name:    "wrong type",
			input:   `{"id":"a","query":"q","expect":"x"}`,
			wantErr: "suite.jsonl:1:",
		},
		{
			name:    "empty file",
			input:   "\n\n",
			wantErr: "suite.jsonl: no cases",
		},
		{
			name:    "line over 4 MiB",
			input:   `{"id":"a","query":"` + strings.Repeat("x", 5<<20) + `","expect":["x"]}`,
			wantErr: "suite.jsonl:1: line longer than 4 MiB",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eval.ParseCases(strings.NewReader(tt.input), "suite.jsonl")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v; want an error containing %q", err, tt.wantErr)
				}
				if got != nil {
					t.Errorf("got %d cases with the error; want none", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v; want no error", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestReadCases(t *testing.T) {
	cases, err := eval.ReadCases("testdata/cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 8 {
		t.Errorf("got %d cases; want 8", len(cases))
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"id\":\"a\",\"query\":\"q\",\"expect\":[\"x\"]}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := eval.ReadCases(bad); err == nil || !strings.Contains(err.Error(), bad+":2:") {
		t.Errorf("got %v; want an error naming %s:2", err, bad)
	}
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	if _, err := eval.ReadCases(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("got %v; want an error naming %s", err, missing)
	}
}
