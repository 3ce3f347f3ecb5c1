package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/sofort-chat/sofort/bot"
	"github.com/sofort-chat/sofort/web"
)

func cmdServe(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("serve", "serve [--data DIR] [--addr HOST:PORT] [flags]", io)
	data := fs.String("data", defaultDataDir(), "data `dir` (store and indexes); an empty one gets the demo corpus")
	addr := fs.String("addr", envOr("SOFORT_ADDR", "localhost:8080"), "listen `address` ($SOFORT_ADDR); :8080 listens on every interface")
	webhookURL := fs.String("webhook-url", os.Getenv("SOFORT_WEBHOOK_URL"), "POST escalations and staff replies as signed JSON to this `URL` ($SOFORT_WEBHOOK_URL)")
	rateLimit := fs.Float64("rate-limit", 5, "visitor API requests per second per client IP (burst 20); -1 switches the limit off")
	trustProxy := fs.Bool("trust-proxy", false, "take the client IP from X-Forwarded-For (only behind a reverse proxy)")
	secureCookies := fs.Bool("secure-cookies", false, "mark staff cookies Secure although requests arrive over plain HTTP (TLS ends at a proxy)")
	frameAncestors := fs.String("frame-ancestors", "*", "CSP frame-ancestors for the chat widget: the `sites` that may embed it")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	staffPrivate := fs.Bool("staff-allow-private", false, "let staff allow private and local network addresses for a source on the sources page (otherwise only the sources file can)")
	// The bot's thresholds are per deployment (docs/bot.md).
	cfg := bot.DefaultConfig()
	addBotFlags(fs, &cfg)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, *logLevel)
	}
	log := slog.New(slog.NewTextHandler(io.err, &slog.HandlerOptions{Level: level}))

	// Settings are checked before the (slow) index load.
	metrics := web.NewMetrics()
	notifier, err := web.NewNotifier(web.WebhookConfig{URL: *webhookURL, Secret: os.Getenv("SOFORT_WEBHOOK_SECRET")}, metrics, log)
	if err != nil {
		return fmt.Errorf("%w: %v (the secret comes from $SOFORT_WEBHOOK_SECRET)", errUsage, err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := notifier.Close(cctx); err != nil {
			log.Warn("webhook queue not drained", "err", err)
		}
	}()

	a, err := openApp(ctx, *data, openOptions{seedDemo: true}, io)
	if err != nil {
		return err
	}
	defer a.Close()

	cfg.OnEscalate = notifier.OnEscalate
	cfg.OnAgentReply = notifier.OnAgentReply
	b := bot.New(a.store, a.index, cfg, log)

	wcfg := web.DefaultConfig()
	wcfg.RateLimit = *rateLimit
	wcfg.TrustProxy = *trustProxy
	wcfg.SecureCookies = *secureCookies
	wcfg.FrameAncestors = *frameAncestors
	// Scheduled recrawls of <data>/sources.yaml (see docs/crawl.md), which
	// the staff sources page edits.
	crawls, sourcesFile, stopCrawls := startCrawlScheduler(ctx, a, log)
	defer stopCrawls()
	srv, err := web.New(wcfg, web.Options{Store: a.store, Bot: b, Metrics: metrics, Logger: log,
		Sources: web.SourcesOptions{File: sourcesFile, Crawls: crawls, AllowPrivate: *staffPrivate}})
	if err != nil {
		return err
	}

	if n, err := a.store.DeleteExpiredStaffSessions(ctx, time.Now()); err == nil && n > 0 {
		log.Info("removed expired staff sessions", "count", n)
	}
	users, err := a.store.StaffUsers(ctx)
	if err != nil {
		return err
	}
	return srv.ListenAndServe(ctx, *addr, func(bound net.Addr) {
		url := "http://" + displayAddr(bound.String())
		fmt.Fprintf(io.out, "sofort is running on %s/\n", url)
		fmt.Fprintf(io.out, "  chat:        %s/\n", url)
		fmt.Fprintf(io.out, "  staff inbox: %s/staff/\n", url)
		fmt.Fprintf(io.out, "  sources:     %s/staff/sources (crawler; file %s)\n", url, sourcesFile)
		fmt.Fprintf(io.out, "  operations:  %s/healthz  %s/readyz  %s/metrics\n", url, url, url)
		fmt.Fprintf(io.out, "  embed:       <script src=\"%s/embed.js\" async data-settings='{\"lang\":\"de\"}'></script>\n", url)
		if len(users) == 0 {
			fmt.Fprintf(io.out, "No staff account yet. Create the first one in another terminal:\n")
			fmt.Fprintf(io.out, "    go run ./cmd/sofort user add NAME --data %s      (with a built binary: sofort user add NAME --data %s)\n", *data, *data)
		}
		fmt.Fprintln(io.out, "Press Ctrl-C to stop.")
	})
}

// displayAddr turns a bound address into one a browser can open:
// "[::]:8080" and "0.0.0.0:8080" become "localhost:8080".
func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), port)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
