package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// committedDir holds the files package lexicon embeds.
const committedDir = "../data"

// TestGeneratedMatchesCommitted regenerates the data from the Debian files
// and requires the committed files to be byte-identical, so a change to the
// generator without regenerating fails here.
func TestGeneratedMatchesCommitted(t *testing.T) {
	c := defaultConfig()
	for _, p := range []string{c.openThesaurus, c.lgpl, filepath.Join(c.wordnet, "data.noun")} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("Debian source data missing (%v); install openthesaurus-de-text and wordnet-base to run this test", err)
		}
	}
	c.out = t.TempDir()
	if err := run(c); err != nil {
		t.Fatal(err)
	}
	generated, err := filepath.Glob(filepath.Join(c.out, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range generated {
		names = append(names, filepath.Base(p))
	}
	want := []string{deLicenseFile, enLicenseFile, deSynsets, enExceptions, enSynsets}
	if !slices.Equal(names, want) {
		t.Errorf("generated %q; want %q", names, want)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(c.out, name))
			if err != nil {
				t.Fatal(err)
			}
			committed, err := os.ReadFile(filepath.Join(committedDir, name))
			if err != nil {
				t.Fatalf("%v (run: go run ./internal/lexicon/gen -out internal/lexicon/data)", err)
			}
			if bytes.Equal(got, committed) {
				return
			}
			if strings.HasSuffix(name, ".gz") && bytes.Equal(gunzip(t, got), gunzip(t, committed)) {
				t.Fatalf("%s: same content but different compressed bytes (a Go version with a different compressor?); regenerate with go run ./internal/lexicon/gen -out internal/lexicon/data", name)
			}
			t.Fatalf("%s: committed file is stale (%d bytes; generated %d); regenerate with go run ./internal/lexicon/gen -out internal/lexicon/data", name, len(committed), len(got))
		})
	}
	t.Run("sizes", func(t *testing.T) {
		for _, name := range names {
			fi, err := os.Stat(filepath.Join(c.out, name))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() > 2<<20 {
				t.Errorf("%s is %d bytes; want at most 2 MiB to keep the repository small", name, fi.Size())
			}
		}
	})
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNormalizeGerman(t *testing.T) {
	tests := []struct {
		raw      string
		want     string
		wantRank int
		wantOK   bool
	}{
		{"abdüsen (ugs.)", "abdüsen", 1, true},
		{"intramuskulär (fachspr.)", "intramuskulär", 1, true},
		{"(eine Regel) mit den Füßen treten (ugs.)", "mit den füßen treten", 1, true},
		{"(sich) anstecken", "anstecken", 1, true},
		{"Pestilenz (fig.)", "pestilenz", 2, true},
		{"Sozis (derb)", "sozis", 2, true},
		{"Zecke (derb, stark abwertend)", "zecke", 2, true},
		{"Geißel der Menschheit (lit.; journalistisch)", "geißel der menschheit", 2, true},
		{"Totgesagte leben länger. (sprichwörtlich)", "totgesagte leben länger", 2, true},
		{"Hammer! (Jugendsprache) (ugs.)", "hammer", 1, true},
		{"behänd(e)", "behänd", 1, true},
		{"(ein) Fitzel(chen) (ugs.)", "fitzel", 1, true},
		{"Mund-Nasen-Schutz", "mund-nasen-schutz", 1, true},
		{"C#", "c#", 1, true},
		{"MA (Abkürzung)", "", 0, false},
		{"RAM (Abkürzung, engl.)", "", 0, false},
		{"cm (Einheitenzeichen)", "", 0, false},
		{"Cr (Symbol)", "", 0, false},
		{"z. B.", "", 0, false},
		{"Hrsg.", "", 0, false},
		{"Dipl.-Ing.", "", 0, false},
		{"Deputat...", "", 0, false},
		{"in ... liegen", "", 0, false},
		{"Möchtegern-", "", 0, false},
		{"&", "", 0, false},
		{"666", "", 0, false},
		{"(", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, ok := normalizeGerman(tt.raw)
			if ok != tt.wantOK || got.text != tt.want || got.rank != tt.wantRank {
				t.Errorf("normalizeGerman(%q) = %q rank %d, %v; want %q rank %d, %v",
					tt.raw, got.text, got.rank, ok, tt.want, tt.wantRank, tt.wantOK)
			}
		})
	}
}

func TestSplitEntries(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"a;b (ugs.);c", []string{"a", "b (ugs.)", "c"}},
		{"Plage;Geißel (lit.; journalistisch);Seuche", []string{"Plage", "Geißel (lit.; journalistisch)", "Seuche"}},
		{"öffnende runde Klammer;(;Klammer auf", []string{"öffnende runde Klammer", "(", "Klammer auf"}},
		{"einzeln", []string{"einzeln"}},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			if got := splitEntries(tt.line); !slices.Equal(got, tt.want) {
				t.Errorf("splitEntries(%q) = %q; want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestGroupLines(t *testing.T) {
	gs := []group{
		{pos: 'n', members: []member{{"cancel", 1}, {"call off", 3}}},
		{pos: 'n', members: []member{{"cancel", 1}, {"call off", 3}}}, // duplicate
		{pos: 'v', members: []member{{"cancel", 1}, {"call off", 3}}}, // same words, other POS
		{members: []member{{"kündigung", 1}, {"rauswurf", 2}}},
	}
	want := []string{"n\tcancel|call off#3", "v\tcancel|call off#3", "kündigung|rauswurf#2"}
	if got := groupLines(gs); !slices.Equal(got, want) {
		t.Errorf("groupLines = %q; want %q", got, want)
	}
}

func TestValidMember(t *testing.T) {
	tests := []struct {
		s       string
		wantErr bool
	}{
		{"c#", false},
		{"call off", false},
		{"", true},
		{"a|b", true},
		{"tab\there", true},
		{"word#2", true},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			if err := validMember(tt.s); (err != nil) != tt.wantErr {
				t.Errorf("validMember(%q) = %v; want error: %v", tt.s, err, tt.wantErr)
			}
		})
	}
}
