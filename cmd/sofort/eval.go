package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sofort-chat/sofort/bot"
	"github.com/sofort-chat/sofort/eval"
	"github.com/sofort-chat/sofort/index"
)

func cmdEval(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("eval", "eval --corpus FILE --cases FILE [--mode bm25|vector|hybrid|bot] [--json]", io)
	corpusPath := fs.String("corpus", "", "documents to import (JSONL, CSV or Markdown dir)")
	casesPath := fs.String("cases", "", "questions with expected documents (JSONL)")
	mode := fs.String("mode", "hybrid", "ranking: bm25, vector or hybrid, or bot (the conversation engine's decisions); several comma-separated in text mode")
	botCfg := bot.DefaultConfig()
	addBotFlags(fs, &botCfg)
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	misses := fs.Int("misses", 0, "also print up to `N` cases answered wrongly (text mode)")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, rest)
	}
	if *corpusPath == "" || *casesPath == "" {
		fs.Usage()
		return fmt.Errorf("%w: --corpus and --cases are required", errUsage)
	}
	var modes []index.Mode
	for _, s := range strings.Split(*mode, ",") {
		if index.Mode(strings.TrimSpace(strings.ToLower(s))) == modeBot {
			modes = append(modes, modeBot)
			continue
		}
		m, err := index.ParseMode(s)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		modes = append(modes, m)
	}
	if *asJSON && len(modes) > 1 {
		return fmt.Errorf("%w: --json reports one mode at a time", errUsage)
	}
	cases, err := eval.ReadCases(*casesPath)
	if err != nil {
		return err
	}
	emb, err := embedderFromEnv()
	if err != nil {
		return err
	}
	env, err := eval.Setup(ctx, *corpusPath, "", index.Options{Embedder: emb})
	if err != nil {
		return err
	}
	defer env.Close()
	if env.Import.Rejected > 0 {
		fmt.Fprintf(io.err, "eval: %d corpus records rejected, first: %s\n", env.Import.Rejected, env.Import.Errors[0])
	}
	if slices.Contains(modes, modeBot) {
		if err := botCfg.Validate(); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	for _, m := range modes {
		if m == modeBot {
			b := bot.New(env.Store, env.Index, botCfg, nil)
			rep, err := eval.RunBot(ctx, b, cases)
			if err != nil {
				return err
			}
			rep.Suite = suiteName(*casesPath)
			if err := printBot(io, rep, *asJSON, *misses); err != nil {
				return err
			}
			continue
		}
		rep, err := eval.RunRetrieval(ctx, env.Index, cases, m, nil)
		if err != nil {
			return err
		}
		rep.Suite = suiteName(*casesPath)
		if err := printRetrieval(io, rep, *asJSON, *misses); err != nil {
			return err
		}
	}
	return nil
}

func printRetrieval(io stdio, rep eval.RetrievalReport, asJSON bool, misses int) error {
	if asJSON {
		// Exactly the documented keys: scripts and release gates read them.
		return json.NewEncoder(io.out).Encode(struct {
			Cases   int          `json:"cases"`
			R1      float64      `json:"recall@1"`
			R5      float64      `json:"recall@5"`
			MRR     float64      `json:"mrr@10"`
			NDCG    float64      `json:"ndcg@10"`
			Latency eval.Latency `json:"latency_ms"`
		}{rep.Cases, rep.R1, rep.R5, rep.MRR, rep.NDCG, rep.Latency})
	}
	if err := rep.WriteText(io.out); err != nil {
		return err
	}
	for i, miss := range rep.Misses {
		if i >= misses {
			break
		}
		fmt.Fprintf(io.out, "  miss %s %q expect %v got %v (rank %d)\n", miss.Case.ID, miss.Case.Query, miss.Case.Expect, miss.Got, miss.Rank)
	}
	return nil
}

// addBotFlags registers the bot's decision thresholds (docs/bot.md) on fs,
// defaulting to cfg's values; serve and eval share them.
func addBotFlags(fs *flag.FlagSet, cfg *bot.Config) {
	fs.Float64Var(&cfg.AnswerThreshold, "answer-threshold", cfg.AnswerThreshold, "bot: final fused score needed to answer from an FAQ-style document")
	fs.Float64Var(&cfg.ClarifyThreshold, "clarify-threshold", cfg.ClarifyThreshold, "bot: score needed to offer choices instead of a person (FAQ-style)")
	fs.Float64Var(&cfg.Margin, "margin", cfg.Margin, "bot: lead over the second hit needed to answer (FAQ-style)")
	fs.Float64Var(&cfg.IntentAnswerThreshold, "intent-answer-threshold", cfg.IntentAnswerThreshold, "bot: answer threshold for documents with many phrasings (intent-style)")
	fs.Float64Var(&cfg.IntentClarifyThreshold, "intent-clarify-threshold", cfg.IntentClarifyThreshold, "bot: clarify threshold for intent-style documents")
	fs.Float64Var(&cfg.IntentMargin, "intent-margin", cfg.IntentMargin, "bot: margin for intent-style documents")
}

// modeBot is the eval mode that runs the conversation engine.
const modeBot index.Mode = "bot"

func printBot(io stdio, rep eval.BotReport, asJSON bool, misses int) error {
	if asJSON {
		// Exactly the documented keys (see eval.BotReport).
		return json.NewEncoder(io.out).Encode(rep)
	}
	if err := rep.WriteText(io.out); err != nil {
		return err
	}
	for i, miss := range rep.Misses {
		if i >= misses {
			break
		}
		fmt.Fprintf(io.out, "  wrong answer %s %q expect %v got %s (score %.3f)\n", miss.Case.ID, miss.Case.Query, miss.Case.Expect, miss.Got, miss.Score)
	}
	for i, c := range rep.SmallTalkCases {
		if i >= misses {
			break
		}
		fmt.Fprintf(io.out, "  small talk %s %q expect %v\n", c.ID, c.Query, c.Expect)
	}
	return nil
}

// suiteName names a suite after its folder (shared/eval/covid-de/dev.jsonl
// → covid-de), or its file when it has no folder.
func suiteName(path string) string {
	dir := filepath.Base(filepath.Dir(path))
	if dir == "." || dir == "/" {
		return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return dir
}
