package eval

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/sofort-chat/sofort/bot"
	"github.com/sofort-chat/sofort/corpus"
)

// Chatter is what the bot evaluation needs: new conversations and turns.
type Chatter interface {
	Start(ctx context.Context, lang string) (corpus.Conversation, []corpus.Message, error)
	Handle(ctx context.Context, convID string, in bot.Input) ([]corpus.Message, error)
}

// BotReport holds the figures of one bot run. Shares are over all cases;
// a nil rate means it is undefined (no case of that kind).
type BotReport struct {
	Suite string `json:"-"`
	Cases int    `json:"cases"`
	// Shares of the cases the bot answered, clarified, escalated; the
	// rest got small talk (SmallTalk).
	Answered  float64 `json:"answered"`
	Clarified float64 `json:"clarified"`
	Escalated float64 `json:"escalated"`
	// InScopeAccuracy: over cases with a non-empty expect, the share
	// answered with an expected document.
	InScopeAccuracy *float64 `json:"in_scope_accuracy"`
	// OOSRecall: over escalate cases, the share not answered with a
	// document.
	OOSRecall *float64 `json:"oos_recall"`
	// AnswerPrecision: correct answers over all answers.
	AnswerPrecision *float64 `json:"answer_precision"`
	Latency         Latency  `json:"latency_ms"`

	// Not in the JSON report (its keys are fixed):
	SmallTalk int `json:"-"` // cases answered with small talk, no decision
	InScope   int `json:"-"` // cases with a non-empty expect
	OOS       int `json:"-"` // escalate cases
	// InScopeAnswered counts in-scope cases answered (right or wrong).
	InScopeAnswered int `json:"-"`
	// ClarifiedFirstExpected counts in-scope clarifications whose first
	// choice is an expected document, ClarifiedAnyExpected those with an
	// expected document among the choices: the visitor is one click from
	// the answer.
	ClarifiedFirstExpected int       `json:"-"`
	ClarifiedAnyExpected   int       `json:"-"`
	Misses                 []BotMiss `json:"-"`
	// SmallTalkCases lists the cases that got small talk.
	SmallTalkCases []Case `json:"-"`
}

// BotMiss is a case the bot answered wrongly.
type BotMiss struct {
	Case     Case
	Decision corpus.Decision
	Got      string // answered document, or first choice
	Score    float64
}

// RunBot asks each case as a new conversation (the case's language as the
// UI language) and scores the bot's reply to it.
func RunBot(ctx context.Context, b Chatter, cases []Case) (BotReport, error) {
	var rep BotReport
	var lat []float64
	var answered, clarified, escalated, correct, answers, inScopeRight, oosRight int
	for _, c := range cases {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		conv, _, err := b.Start(ctx, c.Lang)
		if err != nil {
			return rep, fmt.Errorf("case %s: %w", c.ID, err)
		}
		t0 := time.Now()
		msgs, err := b.Handle(ctx, conv.ID, bot.Input{Text: c.Query, Lang: c.Lang})
		lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
		if err != nil {
			return rep, fmt.Errorf("case %s: %w", c.ID, err)
		}
		reply := decisive(msgs)
		rep.Cases++
		inScope := len(c.Expect) > 0
		if inScope {
			rep.InScope++
		}
		if c.Escalate {
			rep.OOS++
		}
		got := ""
		switch reply.Decision {
		case corpus.DecisionAnswer:
			answered++
			answers++
			if len(reply.Sources) > 0 {
				got = reply.Sources[0].DocID
			}
			right := slices.Contains(c.Expect, got)
			if right {
				correct++
			}
			if inScope {
				rep.InScopeAnswered++
				if right {
					inScopeRight++
				}
			}
			if !right {
				rep.Misses = append(rep.Misses, BotMiss{Case: c, Decision: reply.Decision, Got: got, Score: reply.Score})
			}
		case corpus.DecisionClarify:
			clarified++
			if inScope && len(reply.Choices) > 0 {
				if slices.Contains(c.Expect, reply.Choices[0].DocID) {
					rep.ClarifiedFirstExpected++
				}
				if slices.ContainsFunc(reply.Choices, func(ch corpus.Choice) bool { return slices.Contains(c.Expect, ch.DocID) }) {
					rep.ClarifiedAnyExpected++
				}
			}
		case corpus.DecisionEscalate:
			escalated++
		default:
			rep.SmallTalk++
			rep.SmallTalkCases = append(rep.SmallTalkCases, c)
		}
		if c.Escalate && reply.Decision != corpus.DecisionAnswer {
			oosRight++
		}
	}
	if rep.Cases > 0 {
		n := float64(rep.Cases)
		rep.Answered, rep.Clarified, rep.Escalated = float64(answered)/n, float64(clarified)/n, float64(escalated)/n
	}
	rep.InScopeAccuracy = ratio(inScopeRight, rep.InScope)
	rep.OOSRecall = ratio(oosRight, rep.OOS)
	rep.AnswerPrecision = ratio(correct, answers)
	rep.Latency = Percentiles(lat)
	return rep, nil
}

// decisive returns the bot's reply that carries the turn's decision: the
// last bot message (a turn ends with the bot's reply).
func decisive(msgs []corpus.Message) corpus.Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == corpus.RoleBot {
			return msgs[i]
		}
	}
	return corpus.Message{}
}

func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	r := float64(a) / float64(b)
	return &r
}

// WriteText prints a bot report for people.
func (r BotReport) WriteText(w io.Writer) error {
	name := r.Suite
	if name == "" {
		name = "suite"
	}
	f := func(p *float64) string {
		if p == nil {
			return "  n/a"
		}
		return fmt.Sprintf("%.3f", *p)
	}
	_, err := fmt.Fprintf(w, "%-10s %-7s cases %5d  answered %.3f  clarified %.3f  escalated %.3f  in-scope acc %s  oos recall %s  answer precision %s  latency p50 %.2f ms p99 %.2f ms\n",
		name, "bot", r.Cases, r.Answered, r.Clarified, r.Escalated, f(r.InScopeAccuracy), f(r.OOSRecall), f(r.AnswerPrecision), r.Latency.P50, r.Latency.P99)
	if err != nil {
		return err
	}
	if r.InScope > 0 {
		_, err = fmt.Fprintf(w, "%-10s %-7s in scope %d: answered %d (%.3f), clarified with the expected document first %d (%.3f), among the choices %d (%.3f); small talk %d\n",
			name, "bot", r.InScope, r.InScopeAnswered, float64(r.InScopeAnswered)/float64(r.InScope),
			r.ClarifiedFirstExpected, float64(r.ClarifiedFirstExpected)/float64(r.InScope),
			r.ClarifiedAnyExpected, float64(r.ClarifiedAnyExpected)/float64(r.InScope), r.SmallTalk)
	}
	return err
}
