package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// wordNetFiles maps WordNet's file suffixes to the part of speech written
// to the output, in output order. Adjective satellites ("s") are written
// as "a": callers choosing by word class do not care about the difference.
var wordNetFiles = []struct {
	name string
	pos  byte
}{{"noun", 'n'}, {"verb", 'v'}, {"adj", 'a'}, {"adv", 'r'}}

type english struct {
	groups     []group
	exceptions []string // "pos\tinflected|base|base..."
}

func readEnglish(dir string) (english, error) {
	senses := make(map[string][][]string) // lemma → per wordNetFiles entry, synset offsets in sense order
	for fi, f := range wordNetFiles {
		if err := readSenses(filepath.Join(dir, "index."+f.name), fi, senses); err != nil {
			return english{}, err
		}
	}
	counts, err := readTagCounts(filepath.Join(dir, "cntlist.rev"))
	if err != nil {
		return english{}, err
	}
	ranks, err := rankSenses(senses, counts)
	if err != nil {
		return english{}, err
	}
	var en english
	for _, f := range wordNetFiles {
		gs, err := readSynsets(filepath.Join(dir, "data."+f.name), f.pos, ranks)
		if err != nil {
			return english{}, err
		}
		en.groups = append(en.groups, gs...)
		exc, err := readExceptions(filepath.Join(dir, f.name+".exc"), f.pos, ranks)
		if err != nil {
			return english{}, err
		}
		en.exceptions = append(en.exceptions, exc...)
	}
	return en, nil
}

// senseKey identifies one sense: a lemma in one synset.
type senseKey struct {
	lemma  string
	pos    byte
	offset string // unique within one part of speech only
}

// readSenses reads an index file, whose synset offsets per lemma are
// listed in sense order (most frequent first), into senses[lemma][fi].
func readSenses(path string, fi int, senses map[string][][]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read WordNet index: %w", err)
	}
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		if strings.HasPrefix(line, "  ") { // licence header
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 {
			return fmt.Errorf("%s:%d: %d fields, want at least 6", path, n, len(f))
		}
		cnt, err := strconv.Atoi(f[2])
		if err != nil || cnt < 1 || cnt > len(f)-4 {
			return fmt.Errorf("%s:%d: bad synset count %q", path, n, f[2])
		}
		if senses[f[0]] == nil {
			senses[f[0]] = make([][]string, len(wordNetFiles))
		}
		senses[f[0]][fi] = f[len(f)-cnt:]
	}
	return nil
}

// tagKey is one sense by number: WordNet's tag counts are keyed that way.
type tagKey struct {
	lemma string
	pos   byte
	sense int
}

// readTagCounts reads cntlist.rev: "lemma%ss_type:... sense_number tag_cnt",
// how often each sense was tagged in the semantic concordance texts.
func readTagCounts(path string) (map[tagKey]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read WordNet tag counts: %w", err)
	}
	// ss_type 5 (adjective satellite) counts as an adjective, like the index.
	ssType := map[byte]byte{'1': 'n', '2': 'v', '3': 'a', '4': 'r', '5': 'a'}
	counts := make(map[tagKey]int)
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		f := strings.Fields(line)
		lemma, key, ok := strings.Cut(f[0], "%")
		if len(f) != 3 || !ok || key == "" || ssType[key[0]] == 0 {
			return nil, fmt.Errorf("%s:%d: want \"lemma%%type:... sense count\"", path, n)
		}
		sense, err1 := strconv.Atoi(f[1])
		cnt, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s:%d: bad sense number or count", path, n)
		}
		counts[tagKey{strings.ToLower(lemma), ssType[key[0]], sense}] += cnt
	}
	return counts, nil
}

// rankSenses numbers each lemma's senses across parts of speech, so that
// "cancel" (verb: tagged 9 times; noun, a musical sign: never) lists its
// verb senses first. Per part of speech WordNet's sense order is kept; the
// parts are merged by tag count, ties going to the part of speech tagged
// more often in all, then to the lower sense number, then to noun, verb,
// adjective, adverb.
func rankSenses(senses map[string][][]string, counts map[tagKey]int) (map[senseKey]int, error) {
	ranks := make(map[senseKey]int)
	for lemma, byPOS := range senses {
		next := make([]int, len(byPOS))  // next sense index per part of speech
		total := make([]int, len(byPOS)) // tag count per part of speech
		for fi, offs := range byPOS {
			for i := range offs {
				total[fi] += counts[tagKey{lemma, wordNetFiles[fi].pos, i + 1}]
			}
		}
		for rank := 1; ; rank++ {
			best, bestCount := -1, 0
			for fi, offs := range byPOS {
				if next[fi] >= len(offs) {
					continue
				}
				c := counts[tagKey{lemma, wordNetFiles[fi].pos, next[fi] + 1}]
				if best < 0 || c > bestCount ||
					(c == bestCount && (total[fi] > total[best] ||
						(total[fi] == total[best] && next[fi] < next[best]))) {
					best, bestCount = fi, c
				}
			}
			if best < 0 {
				break
			}
			if rank > 255 {
				return nil, fmt.Errorf("%q has more than 255 senses", lemma)
			}
			ranks[senseKey{lemma, wordNetFiles[best].pos, byPOS[best][next[best]]}] = rank
			next[best]++
		}
	}
	return ranks, nil
}

// readSynsets reads a data file: "offset lex_filenum ss_type w_cnt word
// lex_id [word lex_id ...] p_cnt ... | gloss", w_cnt in hexadecimal.
func readSynsets(path string, pos byte, ranks map[senseKey]int) ([]group, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read WordNet data: %w", err)
	}
	var groups []group
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "  ") {
			continue
		}
		head, _, _ := strings.Cut(line, " | ")
		f := strings.Fields(head)
		if len(f) < 6 {
			return nil, fmt.Errorf("%s:%d: %d fields, want at least 6", path, n, len(f))
		}
		wcnt, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil || wcnt == 0 || int(4+2*wcnt) > len(f) {
			return nil, fmt.Errorf("%s:%d: bad word count %q", path, n, f[3])
		}
		g := group{pos: pos}
		for i := range int(wcnt) {
			word := strings.ToLower(f[4+2*i])
			// Adjectives may carry a syntactic marker: "alone(p)", "running(a)".
			if j := strings.IndexByte(word, '('); j > 0 && strings.HasSuffix(word, ")") {
				word = word[:j]
			}
			rank, ok := ranks[senseKey{word, pos, f[0]}]
			if !ok {
				return nil, fmt.Errorf("%s:%d: %q in synset %s is missing from the index", path, n, word, f[0])
			}
			text := strings.ReplaceAll(word, "_", " ")
			if err := validMember(text); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, n, err)
			}
			g.members = addMember(g.members, member{text: text, rank: rank})
		}
		groups = append(groups, g)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return groups, nil
}

// readExceptions reads a morphological exception list ("mice mouse"),
// keeping only base forms that the index knows for this part of speech.
func readExceptions(path string, pos byte, ranks map[senseKey]int) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read WordNet exceptions: %w", err)
	}
	known := make(map[string]bool)
	for k := range ranks {
		if k.pos == pos {
			known[k.lemma] = true
		}
	}
	var out []string
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil, fmt.Errorf("%s:%d: want an inflected form and a base form", path, n)
		}
		parts := []string{strings.ReplaceAll(f[0], "_", " ")}
		for _, base := range f[1:] {
			if known[base] && base != f[0] {
				parts = append(parts, strings.ReplaceAll(base, "_", " "))
			}
		}
		if len(parts) < 2 {
			continue
		}
		for _, p := range parts {
			if err := validMember(p); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, n, err)
			}
		}
		out = append(out, string(pos)+"\t"+strings.Join(parts, "|"))
	}
	return out, nil
}

// englishLicense is the licence WordNet prints at the top of each data
// file, verbatim without the line numbers.
func englishLicense(dir string) ([]byte, error) {
	path := filepath.Join(dir, "data.noun")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read WordNet data: %w", err)
	}
	var b bytes.Buffer
	b.WriteString("The English synonym data in en.synsets.gz and en.exc.gz is derived from\n")
	b.WriteString("WordNet 3.0 (https://wordnet.princeton.edu), as shipped in the Debian\n")
	b.WriteString("package wordnet-base. Its licence, as printed at the top of each\n")
	b.WriteString("WordNet data file:\n\n")
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		// "  14 WordNet 3.0 Copyright ..." → "WordNet 3.0 Copyright ..."
		rest := strings.TrimLeft(line, " ")
		if _, text, ok := strings.Cut(rest, " "); ok {
			rest = text
		} else {
			rest = ""
		}
		b.WriteString(strings.TrimRight(rest, " \n"))
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}
