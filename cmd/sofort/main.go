// Command sofort is the self-hosted answer bot: it imports and indexes a
// support corpus, searches it, evaluates it and (later) serves the chat.
// This file only wires packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

type stdio struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, args []string, io stdio) error
}

func commands() map[string]command {
	return map[string]command{
		"import":  {"import documents from JSONL, CSV or Markdown files", cmdImport},
		"search":  {"search the corpus and print ranked hits", cmdSearch},
		"reindex": {"rebuild the search indexes from the store", cmdReindex},
		"stats":   {"show document counts, index sizes and the embedder", cmdStats},
		"eval":    {"measure retrieval quality on a suite of questions", cmdEval},
		"shell":   {"interactive search prompt on the data dir", cmdShell},
		"serve":   {"run the chat server: widget, visitor API, staff inbox, metrics", cmdServe},
		"user":    {"manage staff accounts for the staff inbox (add, passwd, list, ...)", cmdUser},
		"crawl":   {"crawl help centres, forums, feeds and sitemaps into the corpus", cmdCrawl},
	}
}

// errUsage marks errors that are the caller's wording: they exit 2.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, io stdio) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(io.out, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(io.err, "sofort: unknown command %q\n\n", args[0])
		usage(io.err, cmds)
		return 2
	}
	err := c.run(ctx, args[1:], io)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(io.err, "sofort %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(io.err, "sofort %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "sofort: a self-hosted answer bot for customer service")
	fmt.Fprintln(w, "\nUsage: sofort <command> [flags] [arguments]")
	fmt.Fprintln(w, "\nCommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'sofort <command> -h' for a command's flags.")
	fmt.Fprintln(w, "The data dir is ./data, or $SOFORT_DATA if set, or --data DIR.")
	fmt.Fprintln(w, "\nEmbeddings are computed locally by default. To use an OpenAI-compatible")
	fmt.Fprintln(w, "endpoint (Ollama, LocalAI, vLLM, OpenAI) instead, set SOFORT_EMBED_URL")
	fmt.Fprintln(w, "(e.g. http://localhost:11434/v1), SOFORT_EMBED_MODEL and, if needed,")
	fmt.Fprintln(w, "SOFORT_EMBED_KEY; the index re-embeds everything when the model changes.")
}

// newFlags makes a flag set that prints its usage to io.err and returns
// errors instead of exiting.
func newFlags(name, synopsis string, io stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.err)
	fs.Usage = func() {
		fmt.Fprintf(io.err, "Usage: sofort %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags allowing them after positional arguments too
// ("sofort search "question" -k 3"), which the standard flag package stops
// at.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(args) == 0 || !strings.HasPrefix(args[0], "-") {
			// Collect the run of positionals, then parse flags again.
			for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
				pos = append(pos, args[0])
				args = args[1:]
			}
			if len(args) == 0 {
				return pos, nil
			}
		}
	}
}

func defaultDataDir() string {
	if d := os.Getenv("SOFORT_DATA"); d != "" {
		return d
	}
	return "data"
}
