package langdetect

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    string
		minConf float64
	}{
		// Hard short chat messages.
		{"de greeting", "hallo", "de", 0.6},
		{"de staff request", "Mitarbeiter bitte", "de", 0.9},
		{"en greeting", "hi", "en", 0.6},
		{"en thanks", "thanks", "en", 0.9},
		{"de thanks", "danke!", "de", 0.9},
		{"de ascii umlaut noun", "Kuendigung?", "de", 0.9},
		{"de umlaut noun", "Kündigung", "de", 0.9},
		{"de all caps", "KÜNDIGUNG", "de", 0.9},
		{"de duration", "wie lange dauert das", "de", 0.9},
		{"en duration", "how long does it take", "en", 0.9},
		{"de help", "Hilfe", "de", 0.9},
		{"en help", "help", "en", 0.9},
		{"de invoice", "Rechnung", "de", 0.9},
		{"en invoice", "invoice", "en", 0.9},
		{"de no capitals", "passwort vergessen", "de", 0.9},
		{"de costs", "Kosten?", "de", 0.9},
		{"de umlaut loanword", "Quarantäne", "de", 0.9},
		{"en please", "please", "en", 0.9},
		{"de please", "bitte", "de", 0.9},
		{"de yes thanks", "ja danke", "de", 0.9},
		{"en thank you", "thank you", "en", 0.9},
		{"de eszett", "Grüße", "de", 0.9},
		{"de acronym question", "Was ist COVID-19?", "de", 0.9},
		{"en acronym question", "What is COVID-19?", "en", 0.9},
		{"de with emoji", "danke 👍", "de", 0.9},
		{"de typo", "wass kostet dass", "de", 0.9},
		{"en typo", "how much dose it cost", "en", 0.9},
		// Full sentences.
		{"de cancel", "Ich möchte meinen Vertrag kündigen.", "de", 0.99},
		{"en cancel", "I would like to cancel my subscription.", "en", 0.99},
		{"de address", "Wie kann ich die Adresse auf der Rechnung ändern?", "de", 0.99},
		{"en address", "How can I change the address on my invoice?", "en", 0.99},
		{"de delivery", "Meine Bestellung ist noch nicht angekommen", "de", 0.99},
		{"en delivery", "My order still hasn't arrived", "en", 0.99},
		{"de no umlauts", "Koennen Sie mir bitte helfen, das Passwort zurueckzusetzen", "de", 0.99},
		{"en question", "Can I still travel internationally?", "en", 0.99},
		{"de question", "Darf ich schwanger fliegen?", "de", 0.99},
		{"de long", "Der Hauptübertragungsweg ist die Tröpfcheninfektion, die vorrangig über die Schleimhäute von Mund und Nase, aber auch durch den Kontakt über die Hände erfolgen kann.", "de", 0.99},
		{"en long", "The virus spreads mainly between people who are in close contact with each other, typically within one metre.", "en", 0.99},
		{"en with German name", "Where is the office in München?", "en", 0.9},
		{"de with English term", "Wie funktioniert der Login?", "de", 0.9},
		// Other languages must not be filed as English.
		{"fr", "Bonjour, je voudrais annuler ma commande", "fr", 0.99},
		{"es", "Hola, quiero cancelar mi pedido", "es", 0.99},
		{"it", "Ciao, vorrei annullare il mio ordine", "it", 0.99},
		{"nl", "Hallo, ik wil mijn bestelling annuleren", "nl", 0.99},
		{"fr question", "Combien de temps dure la livraison ?", "fr", 0.99},
		{"es question", "¿Cuánto tiempo tarda el envío?", "es", 0.99},
		{"it question", "Quanto tempo ci vuole per la consegna?", "it", 0.99},
		{"nl question", "Hoe lang duurt de levering?", "nl", 0.99},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, conf := Detect(tt.text)
			if got != tt.want {
				t.Errorf("Detect(%q) = %q (%.2f); want %q", tt.text, got, conf, tt.want)
			}
			if conf < tt.minConf || conf > 1 {
				t.Errorf("Detect(%q) confidence = %.3f; want in [%.2f, 1]", tt.text, conf, tt.minConf)
			}
		})
	}
}

func TestDetectNoEvidence(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"spaces", "   \t\n"},
		{"emoji", "😀👍🎉"},
		{"numbers", "12345 67,89"},
		{"punctuation", "?!...;-)"},
		{"invalid utf-8", "\xff\xfe\xfd"},
		{"control characters", "\x00\x01\x07\x1b\x7f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, conf := Detect(tt.text)
			if got != "" || conf != 0 {
				t.Errorf("Detect(%q) = %q, %.3f; want \"\", 0", tt.text, got, conf)
			}
		})
	}
}

func TestDetectLongText(t *testing.T) {
	// A megabyte of German must still be German, and quickly: only the
	// first maxRunes letters are read.
	text := strings.Repeat("Wie lange dauert die Lieferung meiner Bestellung? ", 20000)
	got, conf := Detect(text)
	if got != "de" || conf < 0.99 {
		t.Errorf("Detect(1 MB German) = %q, %.3f; want \"de\", >= 0.99", got, conf)
	}
}

func TestParseModelErrors(t *testing.T) {
	tests := []struct {
		name     string
		profiles string
		lists    map[string]string
		wantErr  string
	}{
		{"missing field", "de\tich\n", nil, "want 3 tab-separated fields"},
		{"unknown language", "xx\tich\t-1.0\n", nil, "unknown language"},
		{"bad number", "de\tich\tabc\n", nil, "log-probability"},
		{"empty", "# comment only\n", nil, "no trigrams"},
		{"unknown word list", "de\tich\t-1.0\n", map[string]string{"xx": "a"}, "unknown language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseModel(tt.profiles, tt.lists)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseModel() error = %v; want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestAccuracyOnEvalQueries measures Detect on the visitor questions of
// the covid suites in ../shared (written by people, with typos and
// acronyms).
func TestAccuracyOnEvalQueries(t *testing.T) {
	tests := []struct {
		suite string
		want  string
		min   float64
	}{
		{"covid-de", "de", 0.98},
		{"covid-en", "en", 0.98},
	}
	for _, tt := range tests {
		t.Run(tt.suite, func(t *testing.T) {
			path := filepath.Join("..", "..", "..", "shared", "eval", tt.suite, "dev.jsonl")
			f, err := os.Open(path)
			if os.IsNotExist(err) {
				t.Skipf("eval data not found at %s (../shared lies beside the repository): %v", path, err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			n, ok := 0, 0
			sc := bufio.NewScanner(f)
			for line := 1; sc.Scan(); line++ {
				var c struct {
					Query string `json:"query"`
					Lang  string `json:"lang"`
				}
				if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
					t.Fatalf("%s:%d: %v", path, line, err)
				}
				if c.Lang != tt.want {
					t.Fatalf("%s:%d: lang = %q; want %q", path, line, c.Lang, tt.want)
				}
				n++
				if got, conf := Detect(c.Query); got == c.Lang {
					ok++
				} else {
					t.Logf("miss: %q -> %s (%.2f)", c.Query, got, conf)
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if n == 0 {
				t.Fatalf("%s: no cases", path)
			}
			acc := float64(ok) / float64(n)
			t.Logf("%s: %d/%d = %.3f", tt.suite, ok, n, acc)
			if acc < tt.min {
				t.Errorf("accuracy on %s = %.3f; want >= %.2f", tt.suite, acc, tt.min)
			}
		})
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{"hallo", "thanks", "", "\xff", "Kündigung", "😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lang, conf := Detect(s)
		if (lang == "") != (conf == 0) || conf < 0 || conf > 1 {
			t.Errorf("Detect(%q) = %q, %v; want a language with confidence in (0, 1] or \"\", 0", s, lang, conf)
		}
	})
}

func BenchmarkDetect(b *testing.B) {
	for _, text := range []string{"Mitarbeiter bitte", "Wie kann ich die Adresse auf der Rechnung ändern?"} {
		b.Run(text, func(b *testing.B) {
			for b.Loop() {
				Detect(text)
			}
		})
	}
}
