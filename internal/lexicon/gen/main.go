// Command gen turns the Debian packages openthesaurus-de-text and
// wordnet-base into the compact data files that package lexicon embeds, so
// that sofort needs neither apt nor a download at run time.
//
//	go run ./internal/lexicon/gen -out internal/lexicon/data
//
// The output is deterministic: the same input files give the same bytes,
// which the package test checks against the committed files.
//
// Synonym files hold one group a line, members separated by "|",
// lowercased; multiword members contain spaces. A member may end in "#N"
// (N >= 2), its rank in the group; rank 1 is left out. English lines start
// with a part of speech (n, v, a, r) and a tab; the rank is WordNet's sense
// number of that word for that synset (1 = most frequent). German lines have
// no part of speech; rank 2 marks a member that OpenThesaurus labels
// figurative, pejorative, archaic, jocular, proverbial or a brand name.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// config names the input files; the defaults are where Debian installs them.
type config struct {
	out           string
	openThesaurus string // openthesaurus.txt
	lgpl          string // full text of the LGPL 2.1
	wordnet       string // directory with data.{noun,verb,adj,adv} and *.exc
}

func defaultConfig() config {
	return config{
		out:           "internal/lexicon/data",
		openThesaurus: "/usr/share/openthesaurus-de/openthesaurus.txt",
		lgpl:          "/usr/share/common-licenses/LGPL-2.1",
		wordnet:       "/usr/share/wordnet",
	}
}

// Output file names, shared with the test that compares them with the
// committed files.
const (
	deSynsets     = "de.synsets.gz"
	enSynsets     = "en.synsets.gz"
	enExceptions  = "en.exc.gz"
	deLicenseFile = "LICENSE-openthesaurus.txt"
	enLicenseFile = "LICENSE-wordnet.txt"
)

func main() {
	c := defaultConfig()
	flag.StringVar(&c.out, "out", c.out, "output directory")
	flag.StringVar(&c.openThesaurus, "openthesaurus", c.openThesaurus, "OpenThesaurus text file")
	flag.StringVar(&c.lgpl, "lgpl", c.lgpl, "LGPL 2.1 licence text")
	flag.StringVar(&c.wordnet, "wordnet", c.wordnet, "WordNet 3.0 database directory")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "lexicon gen:", err)
		os.Exit(1)
	}
}

// run reads all inputs first so that a missing file leaves out untouched.
func run(c config) error {
	de, err := readGerman(c.openThesaurus)
	if err != nil {
		return err
	}
	deLicense, err := germanLicense(c.openThesaurus, c.lgpl)
	if err != nil {
		return err
	}
	en, err := readEnglish(c.wordnet)
	if err != nil {
		return err
	}
	enLicense, err := englishLicense(c.wordnet)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.out, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	if err := writeGzip(filepath.Join(c.out, deSynsets), groupLines(de)); err != nil {
		return err
	}
	if err := writeGzip(filepath.Join(c.out, enSynsets), groupLines(en.groups)); err != nil {
		return err
	}
	if err := writeGzip(filepath.Join(c.out, enExceptions), en.exceptions); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.out, deLicenseFile), deLicense, 0o644); err != nil {
		return fmt.Errorf("write licence: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.out, enLicenseFile), enLicense, 0o644); err != nil {
		return fmt.Errorf("write licence: %w", err)
	}
	return nil
}

// member is one entry of a synonym group.
type member struct {
	text string // lowercased, single spaces
	rank int    // 1 = best
}

// group is one synonym group; pos is 0 for German.
type group struct {
	pos     byte
	members []member
}

// rankSuffix is what the loader strips as a rank; a member that would
// itself match it could not be read back, so the generator refuses it.
var rankSuffix = regexp.MustCompile(`#[0-9]+$`)

func validMember(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty member")
	case strings.ContainsAny(s, "|\t\n"):
		return fmt.Errorf("member %q contains a separator", s)
	case rankSuffix.MatchString(s):
		return fmt.Errorf("member %q ends like a rank suffix", s)
	}
	return nil
}

// addMember appends m unless the group already has it, keeping the better
// rank: lowercasing and stripping annotations make duplicates.
func addMember(ms []member, m member) []member {
	for i := range ms {
		if ms[i].text == m.text {
			ms[i].rank = min(ms[i].rank, m.rank)
			return ms
		}
	}
	return append(ms, m)
}

// groupLines formats groups, dropping exact duplicates (same part of
// speech and members in the same order) after the first.
func groupLines(gs []group) []string {
	seen := make(map[string]bool, len(gs))
	lines := make([]string, 0, len(gs))
	for _, g := range gs {
		var b strings.Builder
		if g.pos != 0 {
			b.WriteByte(g.pos)
			b.WriteByte('\t')
		}
		for i, m := range g.members {
			if i > 0 {
				b.WriteByte('|')
			}
			b.WriteString(m.text)
			if m.rank > 1 {
				b.WriteByte('#')
				b.WriteString(strconv.Itoa(m.rank))
			}
		}
		line := b.String()
		if seen[line] {
			continue
		}
		seen[line] = true
		lines = append(lines, line)
	}
	return lines
}

// writeGzip writes lines with a zero gzip header (no name, no time) so the
// bytes depend only on the content and the Go version's compressor.
func writeGzip(path string, lines []string) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, l := range lines {
		if _, err := io.WriteString(zw, l+"\n"); err != nil {
			return fmt.Errorf("%s: compress: %w", path, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("%s: compress: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
