package bot

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
)

// intent is what a visitor message is, before retrieval.
type intent int

const (
	intentQuestion intent = iota
	intentEmpty
	intentGreeting
	intentThanks
	intentBye
	intentPerson
	intentInsult
	intentYes
	intentNo
	intentNoWords // emoji, punctuation: nothing to search
)

// words normalises text into lower-case words without punctuation.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

var (
	greetingWords = set("hallo", "hi", "hello", "hey", "moin", "servus", "grüß", "gruß", "gott", "guten", "tag", "morgen", "abend",
		"good", "morning", "afternoon", "evening", "day", "hiya", "howdy", "grüezi", "na", "there", "zusammen", "liebe", "leute", "team")
	thanksWords = set("danke", "dankeschön", "vielen", "dank", "besten", "herzlichen", "thanks", "thank", "you", "thx", "ty", "cheers", "much",
		"so", "very", "many", "super", "toll", "prima", "great", "perfect", "perfekt", "klasse", "ok", "okay", "schön", "sehr",
		"for", "your", "the", "help", "helping", "me", "a", "lot", "all", "info", "answer", "assist", "das", "war", "hilfe", "für", "ihre", "deine", "die", "antwort", "mir", "hilfreich")
	byeWords = set("tschüss", "tschüs", "ciao", "bye", "goodbye", "auf", "wiedersehen", "wiederschauen", "bis", "bald", "dann", "see", "later", "ya")
	yesWords = set("ja", "yes", "yep", "yeah", "jawohl", "gerne", "gern", "bitte", "please", "ok", "okay", "sure", "genau", "klar", "hat", "geholfen", "helped", "it", "that", "did", "das", "danke", "thanks")
	noWords  = set("nein", "no", "nope", "nee", "nö", "nicht", "not", "leider", "hat", "geholfen", "help", "helped", "didn't", "didnt", "did", "it", "that", "das", "danke", "thanks", "unfortunately", "n't")
	// Words that, next to a request word, ask for a human.
	personWords = set("mitarbeiter", "mitarbeiterin", "menschen", "mensch", "person", "human", "agent", "agentin", "berater", "beraterin",
		"kundenberater", "kundenservice", "support", "operator", "representative", "rep", "someone", "somebody", "jemandem", "jemand",
		"real", "echten", "echte", "echter", "live", "kollegen", "kollegin", "servicemitarbeiter", "sachbearbeiter", "human's")
	insultWords = set("idiot", "idioten", "dumm", "dummer", "dumme", "blöd", "blöder", "blöde", "scheiß", "scheiss", "scheisse", "scheiße",
		"mist", "müll", "nutzlos", "nutzloser", "unfähig", "bescheuert", "kacke", "arsch", "arschloch", "depp", "trottel", "stupid", "useless",
		"idiotic", "dumb", "crap", "shit", "fuck", "fucking", "damn", "moron", "suck", "sucks", "garbage", "trash", "rubbish", "worthless", "pathetic")
)

func set(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// onlyFrom reports whether every word is in one of the sets (and there is
// at least one word).
func onlyFrom(ws []string, sets ...map[string]bool) bool {
	if len(ws) == 0 {
		return false
	}
	for _, w := range ws {
		ok := false
		for _, s := range sets {
			if s[w] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

var personRequest = regexp.MustCompile(`(?i)\b(mitarbeiter(in)?|menschen|mensch|berater(in)?|person|human|agent|operator|representative|someone real|real person|live chat|kundenservice|sachbearbeiter(in)?)\b`)

// classify names the small talk in text, or intentQuestion when it is a
// question for retrieval. It is deliberately conservative: a message that
// mixes a greeting with a question is a question ("Hallo, wie kündige
// ich?"), and only short messages count as thanks, yes or no.
func classify(text string) intent {
	ws := words(text)
	if len(ws) == 0 {
		switch {
		case strings.TrimSpace(text) == "":
			return intentEmpty
		case strings.Contains(text, "👍"):
			return intentYes
		case strings.Contains(text, "👎"):
			return intentNo
		}
		return intentNoWords
	}
	if askedForPerson(ws, text) {
		return intentPerson
	}
	for _, w := range ws {
		if insultWords[w] && len(ws) <= 8 {
			return intentInsult
		}
	}
	if len(ws) <= 4 {
		switch {
		case onlyFrom(ws, noWords) && (hasAny(ws, "nein", "no", "nope", "nee", "nö", "nicht", "not", "didn't", "didnt", "n't")):
			return intentNo
		case onlyFrom(ws, yesWords) && hasAny(ws, "ja", "yes", "yep", "yeah", "jawohl", "gerne", "gern", "sure", "genau", "klar", "geholfen", "helped"):
			return intentYes
		}
	}
	if len(ws) <= 6 {
		switch {
		case onlyFrom(ws, thanksWords, greetingWords) && hasAny(ws, "danke", "dankeschön", "dank", "thanks", "thank", "thx", "ty", "cheers"):
			return intentThanks
		case onlyFrom(ws, byeWords, thanksWords):
			return intentBye
		case onlyFrom(ws, greetingWords):
			return intentGreeting
		}
	}
	return intentQuestion
}

func hasAny(ws []string, xs ...string) bool {
	for _, w := range ws {
		for _, x := range xs {
			if w == x {
				return true
			}
		}
	}
	return false
}

// askedForPerson recognises a request for a human: a short message naming
// a person ("Mitarbeiter bitte", "agent"), or a request verb with a person
// ("I want to talk to a person", "Kann ich mit einem Menschen sprechen?").
// Asking whether the bot is a person ("are you a real person?") is not a
// request.
func askedForPerson(ws []string, text string) bool {
	if !personRequest.MatchString(text) {
		return false
	}
	if len(ws) <= 3 {
		return true
	}
	lower := strings.ToLower(text)
	for _, q := range []string{"are you", "you are", "you're", "bist du", "sind sie", "du bist"} {
		if strings.Contains(lower, q) {
			return false
		}
	}
	return hasAny(ws, "sprechen", "reden", "verbinden", "verbinde", "durchstellen", "weiterleiten", "talk", "speak", "connect", "transfer",
		"chat", "chatten", "want", "need", "möchte", "will", "brauche", "get")
}

// stripGreeting removes a leading greeting ("Hallo, ", "Hi there! ") from
// a question, so retrieval sees the question alone.
func stripGreeting(text string) string {
	t := strings.TrimSpace(text)
	for {
		i := strings.IndexFunc(t, func(r rune) bool { return !unicode.IsLetter(r) })
		if i <= 0 {
			return t
		}
		if !greetingWords[strings.ToLower(t[:i])] {
			return t
		}
		rest := strings.TrimLeftFunc(t[i:], func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if rest == "" {
			return t
		}
		t = rest
	}
}

var phoneRe = regexp.MustCompile(`^\+?[0-9][0-9 ()/.\-]{5,24}[0-9]$`)

// parseContact accepts an e-mail address or a phone number, trimmed; it
// returns "" for anything else.
func parseContact(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 254 || strings.ContainsAny(s, "\r\n\x00") {
		return ""
	}
	if phoneRe.MatchString(s) {
		return s
	}
	if a, err := mail.ParseAddress(s); err == nil && strings.Contains(a.Address, ".") && a.Address == s {
		return a.Address
	}
	return ""
}

// followUpMarkers are words that make a short question lean on the
// previous topic: pronouns and "and"-starts.
var followUpMarkers = set("das", "dies", "dieses", "diese", "dafür", "dazu", "davon", "damit", "darauf", "daran", "es", "er", "sie", "ihn",
	"dort", "da", "und", "auch", "noch", "it", "that", "this", "those", "these", "them", "there", "and", "also", "too", "then", "dann")

// isFollowUp reports whether a question is short and refers back ("und wie
// lange dauert das?", "what does it cost?").
func isFollowUp(text string) bool {
	ws := words(text)
	if len(ws) == 0 || len(ws) > 8 {
		return false
	}
	if ws[0] == "und" || ws[0] == "and" || ws[0] == "what" && len(ws) > 1 && ws[1] == "about" || ws[0] == "how" && len(ws) > 1 && ws[1] == "about" {
		return true
	}
	for _, w := range ws {
		if followUpMarkers[w] {
			return true
		}
	}
	return false
}

// Small-talk words that belong to one of the bot's languages only.
var (
	germanChat = set("hallo", "moin", "servus", "grüß", "guten", "tag", "morgen", "abend", "danke", "dankeschön", "vielen", "dank", "herzlichen",
		"tschüss", "tschüs", "wiedersehen", "ja", "nein", "nee", "nö", "bitte", "mitarbeiter", "mitarbeiterin", "menschen", "geholfen", "leider", "nicht",
		"gerne", "gern", "genau", "klar", "prima", "toll", "dumm", "blöd", "mist", "zusammen")
	englishChat = set("hi", "hello", "hey", "good", "morning", "evening", "thanks", "thank", "you", "cheers", "bye", "goodbye", "yes", "yeah", "yep",
		"no", "nope", "please", "agent", "human", "person", "helped", "didn't", "not", "sure", "great", "stupid", "useless", "there")
)

// smallTalkLang returns the language the words' small-talk vocabulary
// points to, or "" when it is mixed or absent.
func smallTalkLang(ws []string) string {
	de, en := 0, 0
	for _, w := range ws {
		if germanChat[w] {
			de++
		}
		if englishChat[w] {
			en++
		}
	}
	switch {
	case de > 0 && en == 0:
		return "de"
	case en > 0 && de == 0:
		return "en"
	}
	return ""
}
