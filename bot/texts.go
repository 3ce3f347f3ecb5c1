package bot

import "fmt"

// textKey names one thing the bot says. Every key has a German and an
// English text; TestTexts checks that none is missing.
type textKey int

const (
	txtGreeting textKey = iota
	txtHello
	txtThanks
	txtBye
	txtEmpty
	txtNoWords
	txtInsult
	txtAskHelpful
	txtClarify
	txtClarifyOne
	txtNoMatch
	txtHelped
	txtNotHelped
	txtNotHelpedTwice
	txtHandoffDone
	txtHandoffActive
	txtContactThanks
	txtContactNoted
	txtContactDeclined
	txtContactInvalid
	txtHandoffDeclined
	txtFeedbackHelped
	txtFeedbackNotHelped
	txtTalkToPerson
	txtTruncated
	txtSourceLine
	txtChoicePrefix
)

var texts = map[string]map[textKey]string{
	"de": {
		txtGreeting:          "Hallo! Ich bin der virtuelle Assistent. Stellen Sie mir Ihre Frage, ich suche die Antwort in unserer Hilfe. Wenn ich nicht weiterweiß, verbinde ich Sie mit einem Mitarbeiter.",
		txtHello:             "Hallo! Wie kann ich Ihnen helfen? Schreiben Sie mir einfach Ihre Frage.",
		txtThanks:            "Gern geschehen! Kann ich sonst noch etwas für Sie tun?",
		txtBye:               "Auf Wiedersehen und einen schönen Tag!",
		txtEmpty:             "Ihre Nachricht ist leer. Schreiben Sie mir bitte Ihre Frage.",
		txtNoWords:           "Das habe ich nicht verstanden. Schreiben Sie mir Ihre Frage bitte in Worten.",
		txtInsult:            "Es tut mir leid, wenn etwas nicht geklappt hat. Ich helfe Ihnen gern weiter: Beschreiben Sie mir Ihr Anliegen, oder ich verbinde Sie mit einem Mitarbeiter.",
		txtAskHelpful:        "Hat Ihnen das geholfen?",
		txtClarify:           "Ich habe mehrere passende Antworten gefunden. Welche meinen Sie?",
		txtClarifyOne:        "Meinen Sie das hier?",
		txtNoMatch:           "Dazu habe ich leider keine passende Antwort gefunden. Soll ich Sie mit einem Mitarbeiter verbinden? Sie können Ihre Frage auch anders formulieren.",
		txtHelped:            "Das freut mich! Kann ich sonst noch helfen?",
		txtNotHelped:         "Das tut mir leid. Können Sie Ihre Frage anders formulieren? Oder ich verbinde Sie mit einem Mitarbeiter.",
		txtNotHelpedTwice:    "Das tut mir leid, ich komme hier nicht weiter. Soll ich Sie mit einem Mitarbeiter verbinden?",
		txtHandoffDone:       "Ich habe Ihr Anliegen mit dem bisherigen Gespräch an unser Team übergeben. Die Antwort erscheint hier im Chat. Wenn Sie möchten, hinterlassen Sie uns eine E-Mail-Adresse oder Telefonnummer, damit wir Sie auch erreichen, falls Sie den Chat schließen. Das ist freiwillig.",
		txtHandoffActive:     "Ihr Anliegen liegt bereits bei unserem Team. Die Antwort erscheint hier im Chat.",
		txtContactThanks:     "Danke! Wir melden uns unter %s, falls Sie nicht mehr im Chat sind.",
		txtContactNoted:      "Danke, ich habe Ihre Kontaktdaten notiert. Soll ich Ihr Anliegen an einen Mitarbeiter übergeben?",
		txtContactDeclined:   "In Ordnung, ohne Kontaktdaten. Die Antwort erscheint hier im Chat, auch wenn Sie später zurückkommen.",
		txtContactInvalid:    "Das sieht nicht nach einer E-Mail-Adresse oder Telefonnummer aus. Bitte versuchen Sie es noch einmal, oder schreiben Sie „nein“, wenn Sie keine Kontaktdaten hinterlassen möchten.",
		txtHandoffDeclined:   "In Ordnung. Stellen Sie mir gern eine andere Frage.",
		txtFeedbackHelped:    "Ja, das hat geholfen.",
		txtFeedbackNotHelped: "Nein, das hat nicht geholfen.",
		txtTalkToPerson:      "Ich möchte mit einem Mitarbeiter sprechen.",
		txtTruncated:         "… (weiter in der Quelle)",
		txtSourceLine:        "Quelle: %s",
		txtChoicePrefix:      "Ich meine: %s",
	},
	"en": {
		txtGreeting:          "Hello! I'm the virtual assistant. Ask me your question and I'll look for the answer in our help centre. If I can't help, I'll put you through to a person.",
		txtHello:             "Hello! How can I help you? Just type your question.",
		txtThanks:            "You're welcome! Is there anything else I can do for you?",
		txtBye:               "Goodbye and have a nice day!",
		txtEmpty:             "Your message is empty. Please type your question.",
		txtNoWords:           "I didn't understand that. Please type your question in words.",
		txtInsult:            "I'm sorry if something went wrong. I'd like to help: tell me what you need, or I can put you through to a person.",
		txtAskHelpful:        "Did this help?",
		txtClarify:           "I found several answers that might fit. Which one do you mean?",
		txtClarifyOne:        "Do you mean this?",
		txtNoMatch:           "Sorry, I couldn't find a good answer to that. Shall I put you through to a person? You can also rephrase your question.",
		txtHelped:            "Glad to hear it! Anything else I can help with?",
		txtNotHelped:         "I'm sorry. Could you rephrase your question? Or I can put you through to a person.",
		txtNotHelpedTwice:    "I'm sorry, I'm not getting anywhere with this. Shall I put you through to a person?",
		txtHandoffDone:       "I've passed your request and our conversation so far to our team. The answer will appear here in the chat. If you like, leave an e-mail address or phone number so we can reach you if you close the chat. This is optional.",
		txtHandoffActive:     "Your request is already with our team. The answer will appear here in the chat.",
		txtContactThanks:     "Thank you! We'll get back to you at %s if you're no longer in the chat.",
		txtContactNoted:      "Thank you, I've noted your contact details. Shall I pass your request to a person?",
		txtContactDeclined:   "All right, no contact details. The answer will appear here in the chat, also if you come back later.",
		txtContactInvalid:    "That doesn't look like an e-mail address or phone number. Please try again, or type \"no\" if you'd rather not leave contact details.",
		txtHandoffDeclined:   "All right. Feel free to ask me something else.",
		txtFeedbackHelped:    "Yes, that helped.",
		txtFeedbackNotHelped: "No, that didn't help.",
		txtTalkToPerson:      "I'd like to talk to a person.",
		txtTruncated:         "… (more in the source)",
		txtSourceLine:        "Source: %s",
		txtChoicePrefix:      "I mean: %s",
	},
}

// say returns the text for key in lang (German or English; anything else
// gets English), formatted with args.
func say(lang string, key textKey, args ...any) string {
	t, ok := texts[lang]
	if !ok {
		t = texts["en"]
	}
	s := t[key]
	if len(args) > 0 {
		s = fmt.Sprintf(s, args...)
	}
	return s
}
