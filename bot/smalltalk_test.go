package bot

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct {
		text string
		want intent
	}{
		{"", intentEmpty},
		{"   \n", intentEmpty},
		{"👍", intentYes},
		{"👎", intentNo},
		{"?!", intentNoWords},
		{"Hallo", intentGreeting},
		{"Guten Morgen!", intentGreeting},
		{"hi there", intentGreeting},
		{"Hallo, wie kündige ich?", intentQuestion},
		{"Danke!", intentThanks},
		{"Vielen Dank", intentThanks},
		{"thank you so much", intentThanks},
		{"thanks for your help", intentThanks},
		{"Danke für Ihre Hilfe!", intentThanks},
		{"thanks, but how do I cancel?", intentQuestion},
		{"Tschüss", intentBye},
		{"bye", intentBye},
		{"Mitarbeiter bitte", intentPerson},
		{"agent", intentPerson},
		{"I want to talk to a person", intentPerson},
		{"Kann ich mit einem Menschen sprechen?", intentPerson},
		{"Ich möchte mit einem Mitarbeiter sprechen", intentPerson},
		{"connect me to a human agent", intentPerson},
		{"are you a real person?", intentQuestion},
		{"can you act and think like a real person", intentQuestion},
		{"Wie erreiche ich den Kundenservice telefonisch?", intentQuestion}, // the corpus answers this
		{"du bist so dumm", intentInsult},
		{"this bot is useless", intentInsult},
		{"ja", intentYes},
		{"yes please", intentYes},
		{"nein", intentNo},
		{"no, that didn't help", intentNo},
		{"Nein, hat nicht geholfen", intentNo},
		{"Wie lange dauert die Lieferung?", intentQuestion},
		{"no data after the update", intentQuestion},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := classify(tt.text); got != tt.want {
				t.Errorf("classify(%q) = %d; want %d", tt.text, got, tt.want)
			}
		})
	}
}

func TestDetectLang(t *testing.T) {
	tests := []struct {
		text, fallback, want string
	}{
		{"Wie kündige ich meinen Vertrag?", "en", "de"},
		{"How do I cancel my contract?", "de", "en"},
		{"Vielen Dank!", "en", "de"}, // the detector reads this as Dutch
		{"thanks", "de", "en"},
		{"ok", "de", "de"},
		{"eSIM", "en", "en"},
		{"max@example.com", "de", "de"},
		{"<script>alert(1)</script>", "de", "de"},
		{"Bonjour, comment ça va?", "", "en"},
		{"Guten Tag, ich habe eine Frage zu meiner Rechnung", "", "de"},
	}
	for _, tt := range tests {
		if got := detectLang(tt.text, tt.fallback); got != tt.want {
			t.Errorf("detectLang(%q, %q) = %q; want %q", tt.text, tt.fallback, got, tt.want)
		}
	}
}

func TestParseContact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"anna@example.org", "anna@example.org"},
		{"  anna@example.org ", "anna@example.org"},
		{"+49 341 555-0100", "+49 341 555-0100"},
		{"0341/5550100", "0341/5550100"},
		{"Anna <anna@example.org>", ""},
		{"anna@localhost", ""},
		{"call me maybe", ""},
		{"12", ""},
		{"a@b.example\nBcc: x@y.example", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := parseContact(tt.in); got != tt.want {
			t.Errorf("parseContact(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsFollowUp(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"und wie lange dauert das?", true},
		{"Was kostet das?", true},
		{"and how much is it?", true},
		{"what about roaming?", true},
		{"Wie kündige ich meinen Vertrag?", false},
		{"How do I reset my password?", false},
		{"Wie lange dauert das, wenn ich im Ausland bin und mein Vertrag bald endet und ich umziehe?", false},
	}
	for _, tt := range tests {
		if got := isFollowUp(tt.text); got != tt.want {
			t.Errorf("isFollowUp(%q) = %v; want %v", tt.text, got, tt.want)
		}
	}
}

func TestStripGreeting(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hallo, wie kündige ich?", "wie kündige ich?"},
		{"Hi there! How do I reset my password?", "How do I reset my password?"},
		{"Hallo", "Hallo"},
		{"Wie kündige ich?", "Wie kündige ich?"},
	}
	for _, tt := range tests {
		if got := stripGreeting(tt.in); got != tt.want {
			t.Errorf("stripGreeting(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// Every text exists in both languages, and formatted ones take their
// argument in both.
func TestTexts(t *testing.T) {
	for k := txtGreeting; k <= txtChoicePrefix; k++ {
		for _, lang := range []string{"de", "en"} {
			if texts[lang][k] == "" {
				t.Errorf("text %d missing in %s", k, lang)
			}
		}
	}
	if len(texts["de"]) != len(texts["en"]) {
		t.Errorf("%d German texts, %d English; want the same", len(texts["de"]), len(texts["en"]))
	}
	if got := say("fr", txtHello); got != texts["en"][txtHello] {
		t.Errorf("say(fr) = %q; want the English text", got)
	}
}
