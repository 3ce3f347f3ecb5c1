package bot_test

import (
	"context"
	"testing"

	"github.com/sofort-chat/sofort/bot"
)

// BenchmarkTurn measures one visitor turn end to end over the demo corpus:
// language, small talk check, hybrid retrieval, decision, and the turn's
// SQLite transaction (synchronous=FULL, so one fsync per turn).
func BenchmarkTurn(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"answer", "Wie kündige ich meinen Vertrag?"},
		{"escalate", "Who painted the Mona Lisa?"},
		{"smalltalk", "Vielen Dank!"},
		{"empty", " "}, // no retrieval: the storage part of a turn
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, bot.Config{MaxMessages: 1 << 30})
			ctx := context.Background()
			conv, _, err := e.bot.Start(ctx, "de")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.bot.Handle(ctx, conv.ID, bot.Input{Text: bc.text}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
