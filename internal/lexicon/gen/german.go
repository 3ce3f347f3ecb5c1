package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// dropLabels mark entries that are not words: abbreviations and symbols
// ("MA (Abkürzung)", "cm (Einheitenzeichen)") would only add noise such as
// "ma" or "cm" to a synonym expansion.
var dropLabels = map[string]bool{
	"abkürzung":        true,
	"symbol":           true,
	"einheitenzeichen": true,
	"formelzeichen":    true,
}

// weakLabels mark entries that stand in for the others only in a shifted
// sense (figurative, pejorative, jocular, archaic, proverbial, brand
// names); they get rank 2 so callers can prefer plain synonyms. Register
// labels such as "ugs." or "fachspr." are not weak: customers write
// colloquially and staff write technically, and both mean the same thing.
var weakLabels = map[string]bool{
	"fig.": true, "derb": true, "vulg.": true, "vulgär": true,
	"abwertend": true, "stark abwertend": true, "leicht abwertend": true,
	"ironisch": true, "iron.": true, "scherzhaft": true, "scherzhaft-ironisch": true,
	"sarkastisch": true, "spöttisch": true, "beleidigend": true, "schimpfwort": true,
	"verhüllend": true, "veraltet": true, "veraltend": true, "historisch": true,
	"histor.": true, "altertümelnd": true, "selten": true, "spruch": true,
	"sprichwort": true, "sprichwörtlich": true, "redensart": true,
	"redensartlich": true, "geflügeltes wort": true, "floskelhaft": true,
	"übertrieben": true, "poetisch": true, "literarisch": true, "lit.": true,
	"zitat": true, "markenname": true, "handelsname": true, "eigenname": true,
}

// readGerman parses OpenThesaurus' text format: one synonym set a line,
// entries separated by ";", comments starting with "#".
func readGerman(path string) ([]group, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read OpenThesaurus: %w", err)
	}
	var groups []group
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var g group
		for _, raw := range splitEntries(line) {
			m, ok := normalizeGerman(raw)
			if !ok {
				continue
			}
			if err := validMember(m.text); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, n, err)
			}
			g.members = addMember(g.members, m)
		}
		if len(g.members) > 0 {
			groups = append(groups, g)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return groups, nil
}

// splitEntries splits on ";" outside parentheses, because a few
// annotations contain one ("(lit.; journalistisch)"). A line whose
// parentheses do not balance (one entry is a lone "(") is split plainly.
func splitEntries(line string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range line {
		switch r {
		case '(':
			depth++
		case ')':
			depth = max(depth-1, 0)
		case ';':
			if depth == 0 {
				out = append(out, line[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return strings.Split(line, ";")
	}
	return append(out, line[start:])
}

// normalizeGerman strips parenthesised parts (labels such as "(ugs.)" and
// optional words such as "(sich)") and lowercases the rest. It reports
// false for entries that are not usable words: abbreviations, symbols,
// affixes ("Möchtegern-"), placeholders ("in ... liegen") and entries
// without a letter.
func normalizeGerman(raw string) (member, bool) {
	var text, paren strings.Builder
	var labels []string
	depth := 0
	for _, r := range raw {
		switch {
		case r == '(':
			if depth > 0 {
				paren.WriteRune(r)
			}
			depth++
		case r == ')' && depth > 0:
			depth--
			if depth == 0 {
				labels = append(labels, paren.String())
				paren.Reset()
			} else {
				paren.WriteRune(r)
			}
		case r == ')':
			// A stray closing parenthesis carries no text.
		case depth > 0:
			paren.WriteRune(r)
		default:
			text.WriteRune(r)
		}
	}
	m := member{rank: 1}
	for _, l := range labels {
		for _, part := range strings.FieldsFunc(l, func(r rune) bool { return r == ',' || r == ';' }) {
			part = strings.ToLower(strings.TrimSpace(part))
			if dropLabels[part] {
				return member{}, false
			}
			if weakLabels[part] {
				m.rank = 2
			}
		}
	}
	fields := strings.Fields(strings.ToLower(text.String()))
	s := strings.Join(fields, " ")
	// Exclamations ("Hammer!") and proverbs ("Totgesagte leben länger.")
	// keep their words; the final mark would only hinder lookup.
	s = strings.TrimRight(s, "!?")
	if len(fields) >= 3 {
		s = strings.TrimRight(s, ".")
	}
	switch {
	case s == "",
		strings.Contains(s, "...") || strings.Contains(s, "…"),
		strings.HasPrefix(s, "-") || strings.HasSuffix(s, "-"),
		strings.Contains(s, "."), // "z. B.", "Hrsg.", "Dipl.-Ing."
		!strings.ContainsFunc(s, unicode.IsLetter):
		return member{}, false
	}
	m.text = s
	return m, true
}

// germanLicense is the OpenThesaurus header (copyright and licence notice,
// verbatim) followed by the full LGPL 2.1 it refers to.
func germanLicense(thesaurusPath, lgplPath string) ([]byte, error) {
	data, err := os.ReadFile(thesaurusPath)
	if err != nil {
		return nil, fmt.Errorf("read OpenThesaurus: %w", err)
	}
	lgpl, err := os.ReadFile(lgplPath)
	if err != nil {
		return nil, fmt.Errorf("read LGPL text: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("The German synonym data in de.synsets.gz is derived from OpenThesaurus\n")
	b.WriteString("(https://www.openthesaurus.de), as shipped in the Debian package\n")
	b.WriteString("openthesaurus-de-text. Its header reads:\n\n")
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, "#") {
			break
		}
		b.WriteString(line)
	}
	b.WriteString("\n")
	b.Write(lgpl)
	return b.Bytes(), nil
}
