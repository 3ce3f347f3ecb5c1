// Package web is sofort's HTTP face: the visitor chat API with live
// events (SSE), the embeddable chat widget, the staff inbox behind a login,
// health checks and Prometheus metrics. It drives the bot through the Bot
// interface and reads staff accounts and escalations from the store.
package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sofort-chat/sofort/bot"
	"github.com/sofort-chat/sofort/corpus"
)

// Bot is the conversation engine the server drives (*bot.Bot). Every
// message a method returns is already stored; the server publishes it to
// the conversation's live streams.
type Bot interface {
	Start(ctx context.Context, lang string) (corpus.Conversation, []corpus.Message, error)
	Handle(ctx context.Context, convID string, in bot.Input) ([]corpus.Message, error)
	Feedback(ctx context.Context, convID string, messageID int64, helped bool) ([]corpus.Message, error)
	AgentReply(ctx context.Context, escalationID, staff, text string) (corpus.Message, error)
}

// Config holds the server's limits and switches. Zero fields take the
// defaults of DefaultConfig.
type Config struct {
	// MaxBodyBytes caps a visitor API request body; larger ones get 413.
	MaxBodyBytes int64
	// MaxFormBytes caps a staff form body.
	MaxFormBytes int64
	// RateLimit is the visitor API's sustained requests per second per
	// client IP, RateBurst the burst on top. RateLimit < 0 switches the
	// limit off (load tests from one address).
	RateLimit float64
	RateBurst int
	// LoginRate limits login attempts per client IP (per second), with
	// LoginBurst on top: bcrypt is deliberately slow, and guessing must be.
	LoginRate  float64
	LoginBurst int
	// TrustProxy takes the client IP from the last X-Forwarded-For entry;
	// only set it behind a reverse proxy that writes that header.
	TrustProxy bool
	// SecureCookies marks cookies Secure even on plain HTTP requests, for
	// a TLS-terminating proxy in front. Requests over TLS always get them.
	SecureCookies bool
	// SessionTTL is how long a staff login lasts.
	SessionTTL time.Duration
	// RequestTimeout bounds a request's handler (not the event streams);
	// ReadTimeout the reading of a whole request.
	RequestTimeout time.Duration
	ReadTimeout    time.Duration
	// MaxStreams caps open event streams in total, MaxStreamsPerIP per
	// client IP; more get 429.
	MaxStreams      int
	MaxStreamsPerIP int
	// Heartbeat is the interval of SSE keep-alive comments, so proxies do
	// not cut an idle stream.
	Heartbeat time.Duration
	// ShutdownTimeout bounds the graceful shutdown.
	ShutdownTimeout time.Duration
	// FrameAncestors is the CSP frame-ancestors source list for the chat
	// widget page, i.e. the sites that may embed it ("*" = any).
	FrameAncestors string
}

// DefaultConfig returns the defaults: 16 KiB bodies, 5 requests/s per IP
// (burst 20) on the visitor API, 12 h staff sessions, 10 s per request.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:    16 << 10,
		MaxFormBytes:    64 << 10,
		RateLimit:       5,
		RateBurst:       20,
		LoginRate:       0.2,
		LoginBurst:      10,
		SessionTTL:      12 * time.Hour,
		RequestTimeout:  10 * time.Second,
		ReadTimeout:     15 * time.Second,
		MaxStreams:      2000,
		MaxStreamsPerIP: 20,
		Heartbeat:       25 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		FrameAncestors:  "*",
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	if c.MaxFormBytes <= 0 {
		c.MaxFormBytes = d.MaxFormBytes
	}
	if c.RateLimit == 0 {
		c.RateLimit = d.RateLimit
	}
	if c.RateBurst <= 0 {
		c.RateBurst = d.RateBurst
	}
	if c.LoginRate == 0 {
		c.LoginRate = d.LoginRate
	}
	if c.LoginBurst <= 0 {
		c.LoginBurst = d.LoginBurst
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = d.SessionTTL
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = d.RequestTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.MaxStreams <= 0 {
		c.MaxStreams = d.MaxStreams
	}
	if c.MaxStreamsPerIP <= 0 {
		c.MaxStreamsPerIP = d.MaxStreamsPerIP
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = d.Heartbeat
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = d.ShutdownTimeout
	}
	if c.FrameAncestors == "" {
		c.FrameAncestors = d.FrameAncestors
	}
	return c
}

// Server serves sofort over HTTP. Create it with New, serve with Serve.
type Server struct {
	cfg     Config
	store   *corpus.Store
	bot     Bot
	metrics *Metrics
	log     *slog.Logger
	hub     *hub
	router  chi.Router
	tmpl    *template.Template

	visitorLimit *ipLimiter
	loginLimit   *ipLimiter
	streams      *streamCounter
	ready        func(context.Context) error
	draining     atomic.Bool
	sources      *sourcesState
}

// Options are New's collaborators besides the config.
type Options struct {
	Store *corpus.Store
	Bot   Bot
	// Metrics is shared with the Notifier; nil makes a new registry.
	Metrics *Metrics
	Logger  *slog.Logger
	// Ready reports whether the server can answer (index loaded, store
	// reachable); nil checks the store only.
	Ready func(context.Context) error
	// Sources is the sources file and crawl scheduler behind the staff
	// sources page.
	Sources SourcesOptions
}

// New builds the server and its routes. It fails if Store or Bot is
// missing.
func New(cfg Config, o Options) (*Server, error) {
	if o.Store == nil || o.Bot == nil {
		return nil, errors.New("web: New needs a store and a bot")
	}
	cfg = cfg.withDefaults()
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Server{
		cfg:          cfg,
		store:        o.Store,
		bot:          o.Bot,
		metrics:      o.Metrics,
		log:          o.Logger,
		hub:          newHub(),
		visitorLimit: newIPLimiter(cfg.RateLimit, cfg.RateBurst),
		loginLimit:   newIPLimiter(cfg.LoginRate, cfg.LoginBurst),
		streams:      newStreamCounter(cfg.MaxStreams, cfg.MaxStreamsPerIP),
		ready:        o.Ready,
		sources:      &sourcesState{SourcesOptions: o.Sources},
	}
	if s.ready == nil {
		s.ready = func(ctx context.Context) error {
			_, err := s.store.MaxSeq(ctx)
			return err
		}
	}
	s.router = s.routes()
	return s, nil
}

// Handler returns the server's routes, for tests and for embedding in
// another server.
func (s *Server) Handler() http.Handler { return s.router }

// Serve answers requests on ln until ctx is cancelled, then shuts down
// gracefully: /readyz turns 503, open event streams end (browsers
// reconnect and replay from the store), in-flight requests get
// ShutdownTimeout to finish. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout,
		// Event streams push their own write deadline forward.
		WriteTimeout:   s.cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.hub.close()
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// ListenAndServe listens on addr and calls Serve; announce, if not nil, is
// called with the bound address once the socket accepts connections.
func (s *Server) ListenAndServe(ctx context.Context, addr string, announce func(net.Addr)) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	if announce != nil {
		announce(ln.Addr())
	}
	return s.Serve(ctx, ln)
}
