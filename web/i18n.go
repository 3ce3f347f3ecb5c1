package web

import (
	"net/http"
	"strconv"
	"strings"
)

// acceptLang picks "de" or "en" from the Accept-Language header by
// quality, English when neither is asked for.
func acceptLang(r *http.Request) string {
	best, bestQ := "en", -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if (base == "de" || base == "en") && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// staffTexts are the staff pages' visible texts.
var staffTexts = map[string]map[string]string{
	"en": {
		"title":            "sofort staff",
		"login":            "Log in",
		"logout":           "Log out",
		"user":             "User name",
		"password":         "Password",
		"badLogin":         "Wrong user name or password.",
		"badForm":          "The form has expired. Please try again.",
		"inbox":            "Inbox",
		"active":           "Active",
		"open":             "Open",
		"claimed":          "Claimed",
		"answered":         "Answered",
		"closed":           "Closed",
		"all":              "All",
		"none":             "No escalations here.",
		"created":          "Created",
		"lang":             "Language",
		"reason":           "Reason",
		"status":           "Status",
		"claimedBy":        "Claimed by",
		"contact":          "Contact",
		"noContact":        "none given",
		"question":         "Question",
		"transcript":       "Conversation",
		"candidates":       "The bot's candidates",
		"claim":            "Claim",
		"reply":            "Send reply",
		"replyLabel":       "Your reply to the visitor",
		"close":            "Close escalation",
		"back":             "Back to the inbox",
		"no_match":         "no fitting answer",
		"asked_for_person": "asked for a person",
		"not_helped":       "answers did not help",
		"visitor":          "Visitor",
		"bot":              "Bot",
		"agent":            "Agent",
		"system":           "System",
		"error":            "Error",
		"signedInAs":       "Signed in as",
		"presence":         "Visitor",
		"online":           "has the chat open: a reply appears at once",
		"offline":          "has left the chat: a reply waits for their return (or goes out with the webhook)",
		"deliveryNote":     "The reply appears in the visitor's chat at once if it is open, otherwise when they come back; with a webhook configured it also goes to the ticket system with the contact.",
	},
	"de": {
		"title":            "sofort Team",
		"login":            "Anmelden",
		"logout":           "Abmelden",
		"user":             "Benutzername",
		"password":         "Passwort",
		"badLogin":         "Benutzername oder Passwort ist falsch.",
		"badForm":          "Das Formular ist abgelaufen. Bitte noch einmal versuchen.",
		"inbox":            "Posteingang",
		"active":           "Aktiv",
		"open":             "Offen",
		"claimed":          "Übernommen",
		"answered":         "Beantwortet",
		"closed":           "Geschlossen",
		"all":              "Alle",
		"none":             "Keine Übergaben in dieser Ansicht.",
		"created":          "Erstellt",
		"lang":             "Sprache",
		"reason":           "Grund",
		"status":           "Status",
		"claimedBy":        "Übernommen von",
		"contact":          "Kontakt",
		"noContact":        "nicht angegeben",
		"question":         "Frage",
		"transcript":       "Gesprächsverlauf",
		"candidates":       "Kandidaten des Bots",
		"claim":            "Übernehmen",
		"reply":            "Antwort senden",
		"replyLabel":       "Ihre Antwort an die Besucherin / den Besucher",
		"close":            "Übergabe schließen",
		"back":             "Zurück zum Posteingang",
		"no_match":         "keine passende Antwort",
		"asked_for_person": "wollte einen Menschen",
		"not_helped":       "Antworten halfen nicht",
		"visitor":          "Besucher",
		"bot":              "Bot",
		"agent":            "Team",
		"system":           "System",
		"error":            "Fehler",
		"signedInAs":       "Angemeldet als",
		"presence":         "Besucher",
		"online":           "hat den Chat offen: eine Antwort erscheint sofort",
		"offline":          "hat den Chat verlassen: die Antwort wartet auf die Rückkehr (oder geht über den Webhook hinaus)",
		"deliveryNote":     "Die Antwort erscheint sofort im Chat, wenn er noch offen ist, sonst beim nächsten Besuch; ist ein Webhook eingerichtet, geht sie mit dem Kontakt auch an das Ticketsystem.",
	},
}
