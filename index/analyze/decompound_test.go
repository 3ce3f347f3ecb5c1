package analyze

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

func testSplitter(t *testing.T, splitKnown, unknownModifier bool) *splitter {
	t.Helper()
	f, err := os.Open("testdata/words.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var words []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			words = append(words, w)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return newSplitter(words, lightStem, germanStopWords(), splitKnown, unknownModifier)
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name            string
		word            string // folded, as the filter sees it
		splitKnown      bool
		unknownModifier bool
		want            []string
	}{
		{"linking s", "rechnungsadresse", false, true, []string{"rechnungs", "adresse"}},
		{"linking en", "krankenhaus", false, true, []string{"kranken", "haus"}},
		{"linking er", "kindergarten", false, true, []string{"kinder", "garten"}},
		{"dropped e", "schulbuch", false, true, []string{"schul", "buch"}},
		{"verb stem", "impfstoff", false, true, []string{"impf", "stoff"}},
		{"inflected head", "paketsendungen", false, true, []string{"paket", "sendungen"}},
		{"three parts and pairs", "atemschutzmasken", false, true,
			[]string{"atem", "schutz", "masken", "atemschutz", "schutzmasken"}},
		{"short head after linking s", "geburtstag", false, true, []string{"geburts", "tag"}},
		{"s belongs to the suffix", "gesundheitsamt", false, true, []string{"gesundheits", "amt"}},
		{"preposition is no head", "bundesamt", false, true, []string{"bundes", "amt"}},
		{"ende after linking n", "wochenende", false, true, []string{"wochen", "ende"}},
		{"participle is no compound", "reisende", false, true, nil},
		{"stemmer leftovers are no linking", "abgabemengen", false, true, []string{"abgabe", "mengen"}},
		{"s starts the head", "lohnsteuer", false, true, []string{"lohn", "steuer"}},
		{"unknown loanword modifier", "coronaviren", false, true, []string{"corona", "viren"}},
		{"unknown modifier with linking s", "inkubationszeit", false, true, []string{"inkubations", "zeit"}},
		{"unknown modifier off", "inkubationszeit", false, false, nil},
		{"unknown modifier too short", "abcdzeit", false, true, nil},
		{"known word stays whole", "adresse", false, true, nil},
		{"known inflected word stays whole", "adressen", false, true, nil},
		{"known compound split on request", "freundschaft", true, true, nil},
		{"suffix is no head", "gutschaft", false, true, nil},
		{"stop word is no modifier", "ubertragen", false, true, nil},
		{"participle prefix is no modifier", "angereisen", false, true, nil},
		{"digits", "covid19zeit", false, true, nil},
		{"too short", "hausamt", false, true, nil},
		{"too long", strings.Repeat("haus", 11), false, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSplitter(t, tt.splitKnown, tt.unknownModifier)
			got := s.split([]rune(tt.word))
			if !slices.Equal(got, tt.want) {
				t.Errorf("split(%q) = %q; want %q", tt.word, got, tt.want)
			}
		})
	}
}

func TestSplitKnownWords(t *testing.T) {
	// "krankenhaus" is a word of its own once the dictionary has it.
	tests := []struct {
		name       string
		splitKnown bool
		want       []string
	}{
		{"kept whole", false, nil},
		{"split", true, []string{"kranken", "haus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSplitter(t, tt.splitKnown, true)
			s.known[string(lightStem([]rune("krankenhaus")))] = true
			if got := s.split([]rune("krankenhaus")); !slices.Equal(got, tt.want) {
				t.Errorf("split(krankenhaus) = %q; want %q", got, tt.want)
			}
		})
	}
}
