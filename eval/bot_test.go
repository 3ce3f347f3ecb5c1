package eval_test

import (
	"context"
	"testing"

	"github.com/sofort-chat/sofort/bot"
	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/eval"
	"github.com/sofort-chat/sofort/index"
)

// scripted replies with a fixed decision per query: it checks the
// runner's arithmetic, which the real bot (TestRunBotReal) cannot pin
// down case by case.
type scripted map[string]corpus.Message

func (s scripted) Start(context.Context, string) (corpus.Conversation, []corpus.Message, error) {
	return corpus.Conversation{ID: "c"}, nil, nil
}

func (s scripted) Handle(_ context.Context, _ string, in bot.Input) ([]corpus.Message, error) {
	r := s[in.Text]
	r.Role = corpus.RoleBot
	return []corpus.Message{{Role: corpus.RoleVisitor, Text: in.Text}, r}, nil
}

func answer(doc string) corpus.Message {
	return corpus.Message{Decision: corpus.DecisionAnswer, Sources: []corpus.Source{{DocID: doc}}}
}

func clarify(docs ...string) corpus.Message {
	m := corpus.Message{Decision: corpus.DecisionClarify}
	for _, d := range docs {
		m.Choices = append(m.Choices, corpus.Choice{DocID: d})
	}
	return m
}

func TestRunBotArithmetic(t *testing.T) {
	cases := []eval.Case{
		{ID: "1", Query: "right", Expect: []string{"a"}},
		{ID: "2", Query: "wrong", Expect: []string{"b"}},
		{ID: "3", Query: "clarify first", Expect: []string{"c"}},
		{ID: "4", Query: "clarify second", Expect: []string{"d"}},
		{ID: "5", Query: "escalated in scope", Expect: []string{"e"}},
		{ID: "6", Query: "oos answered", Escalate: true},
		{ID: "7", Query: "oos escalated", Escalate: true},
		{ID: "8", Query: "oos small talk", Escalate: true},
	}
	b := scripted{
		"right":              answer("a"),
		"wrong":              answer("x"),
		"clarify first":      clarify("c", "y"),
		"clarify second":     clarify("y", "d"),
		"escalated in scope": {Decision: corpus.DecisionEscalate},
		"oos answered":       answer("a"),
		"oos escalated":      {Decision: corpus.DecisionEscalate},
		"oos small talk":     {},
	}
	rep, err := eval.RunBot(context.Background(), b, cases)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want float64
	}{
		{"cases", float64(rep.Cases), 8},
		{"answered", rep.Answered, 3.0 / 8},
		{"clarified", rep.Clarified, 2.0 / 8},
		{"escalated", rep.Escalated, 2.0 / 8},
		{"small talk", float64(rep.SmallTalk), 1},
		{"in-scope accuracy", *rep.InScopeAccuracy, 1.0 / 5},
		{"oos recall", *rep.OOSRecall, 2.0 / 3},
		{"answer precision", *rep.AnswerPrecision, 1.0 / 3},
		{"in scope answered", float64(rep.InScopeAnswered), 2},
		{"clarified, first expected", float64(rep.ClarifiedFirstExpected), 1},
		{"clarified, any expected", float64(rep.ClarifiedAnyExpected), 2},
		{"wrong answers listed", float64(len(rep.Misses)), 2},
	}
	for _, tt := range tests {
		if !near(tt.got, tt.want) {
			t.Errorf("%s: got %v; want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestRunBotUndefinedRates(t *testing.T) {
	rep, err := eval.RunBot(context.Background(), scripted{"q": {Decision: corpus.DecisionEscalate}}, []eval.Case{{ID: "1", Query: "q", Expect: []string{"a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OOSRecall != nil || rep.AnswerPrecision != nil || rep.InScopeAccuracy == nil || *rep.InScopeAccuracy != 0 {
		t.Errorf("got oos %v, precision %v, accuracy %v; want nil, nil, 0", rep.OOSRecall, rep.AnswerPrecision, rep.InScopeAccuracy)
	}
}

// The real bot over the real index of a small fixture: the answerable
// questions are answered right, requests for a person and an off-topic
// question are not answered.
func TestRunBotReal(t *testing.T) {
	ctx := context.Background()
	cases, err := eval.ReadCases("testdata/bot_cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	env, err := eval.Setup(ctx, "testdata/corpus.jsonl", "", index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	rep, err := eval.RunBot(ctx, bot.New(env.Store, env.Index, bot.Config{}, nil), cases)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cases != 6 || rep.InScope != 3 || rep.OOS != 3 {
		t.Fatalf("got %d cases, %d in scope, %d oos; want 6, 3, 3", rep.Cases, rep.InScope, rep.OOS)
	}
	if *rep.InScopeAccuracy != 1 || *rep.OOSRecall != 1 || *rep.AnswerPrecision != 1 {
		t.Errorf("got accuracy %v, oos recall %v, precision %v; want 1, 1, 1 (misses %+v)", *rep.InScopeAccuracy, *rep.OOSRecall, *rep.AnswerPrecision, rep.Misses)
	}
	// The two requests for a person escalate whatever the scores; the
	// off-topic question may get choices instead.
	if !near(rep.Answered, 0.5) || rep.Escalated < 2.0/6-1e-9 || !near(rep.Answered+rep.Clarified+rep.Escalated, 1) {
		t.Errorf("got answered %v, clarified %v, escalated %v; want 0.5 answered, at least 2/6 escalated, no small talk", rep.Answered, rep.Clarified, rep.Escalated)
	}
	if rep.Latency.P50 <= 0 || rep.Latency.P99 < rep.Latency.P50 {
		t.Errorf("latency %+v; want 0 < p50 <= p99", rep.Latency)
	}
}
