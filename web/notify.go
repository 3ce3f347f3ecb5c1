package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sofort-chat/sofort/corpus"
)

// WebhookConfig configures the optional outgoing webhook that tells a
// ticket system about escalations and staff replies.
type WebhookConfig struct {
	// URL receives a POST per event; empty switches the webhook off.
	URL string
	// Secret signs each body (HMAC-SHA256); required with URL.
	Secret string
	// Timeout per attempt (default 10 s); Attempts per event (default 5,
	// backing off 1 s, 2 s, 4 s, ...); Queue is how many events may wait
	// (default 1000; more are dropped and counted).
	Timeout  time.Duration
	Attempts int
	Queue    int
}

// Webhook events.
const (
	EventEscalationCreated  = "escalation.created"
	EventEscalationAnswered = "escalation.answered"
)

// WebhookPayload is the JSON body of a webhook POST. Transcript is set on
// escalation.created, Message (the staff reply) on escalation.answered.
// Escalation.Contact is how to reach a visitor who left the chat.
type WebhookPayload struct {
	Event      string            `json:"event"`
	ID         string            `json:"id"` // unique per event; receivers deduplicate retries by it
	Sent       time.Time         `json:"sent"`
	Escalation corpus.Escalation `json:"escalation"`
	Transcript []corpus.Message  `json:"transcript,omitempty"`
	Message    *corpus.Message   `json:"message,omitempty"`
}

// Notifier turns escalations and staff replies into metrics and webhook
// deliveries. Its OnEscalate and OnAgentReply are the bot's hooks
// (bot.Config.OnEscalate, OnAgentReply). Deliveries run on one background
// goroutine with retries, so a slow ticket system never slows a chat;
// Close drains the queue.
type Notifier struct {
	cfg     WebhookConfig
	metrics *Metrics
	log     *slog.Logger
	client  *http.Client

	queue     chan WebhookPayload
	pending   atomic.Int64 // queued or being delivered
	done      chan struct{}
	closeOnce sync.Once
	stop      context.CancelFunc
	ctx       context.Context
}

// NewNotifier checks cfg and starts the delivery goroutine when a URL is
// set. It fails for a URL that is not http(s) or a URL without a secret.
func NewNotifier(cfg WebhookConfig, m *Metrics, log *slog.Logger) (*Notifier, error) {
	if m == nil {
		m = NewMetrics()
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1000
	}
	n := &Notifier{cfg: cfg, metrics: m, log: log, done: make(chan struct{})}
	if cfg.URL == "" {
		close(n.done)
		return n, nil
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook URL %q: want an absolute http:// or https:// URL", cfg.URL)
	}
	if cfg.Secret == "" {
		return nil, errors.New("webhook URL set without a secret: set the signing secret too (receivers verify X-Sofort-Signature with it)")
	}
	n.client = &http.Client{Timeout: cfg.Timeout}
	n.queue = make(chan WebhookPayload, cfg.Queue)
	n.ctx, n.stop = context.WithCancel(context.Background())
	go n.run()
	return n, nil
}

// OnEscalate counts the escalation and queues escalation.created.
func (n *Notifier) OnEscalate(_ context.Context, e corpus.Escalation, transcript []corpus.Message) {
	n.metrics.escalations.WithLabelValues(e.Reason).Inc()
	n.enqueue(WebhookPayload{Event: EventEscalationCreated, Escalation: e, Transcript: transcript})
}

// OnAgentReply queues escalation.answered with the reply.
func (n *Notifier) OnAgentReply(_ context.Context, e corpus.Escalation, m corpus.Message) {
	n.enqueue(WebhookPayload{Event: EventEscalationAnswered, Escalation: e, Message: &m})
}

func (n *Notifier) enqueue(p WebhookPayload) {
	if n.queue == nil {
		return
	}
	p.ID = corpus.NewID()
	p.Sent = time.Now().UTC()
	n.pending.Add(1)
	select {
	case <-n.ctx.Done():
		n.pending.Add(-1)
		n.metrics.webhooks.WithLabelValues(p.Event, "dropped").Inc()
	case n.queue <- p:
	default:
		n.pending.Add(-1)
		n.metrics.webhooks.WithLabelValues(p.Event, "dropped").Inc()
		n.log.Error("webhook queue full, event dropped", "event", p.Event, "escalation", p.Escalation.ID)
	}
}

func (n *Notifier) run() {
	defer close(n.done)
	for {
		select {
		case p := <-n.queue:
			n.deliver(p)
			n.pending.Add(-1)
		case <-n.ctx.Done():
			return
		}
	}
}

func (n *Notifier) deliver(p WebhookPayload) {
	body, err := json.Marshal(p)
	if err != nil {
		n.log.Error("webhook: encode payload", "event", p.Event, "err", err)
		return
	}
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		err := n.post(p.Event, body)
		if err == nil {
			n.metrics.webhooks.WithLabelValues(p.Event, "ok").Inc()
			return
		}
		if attempt >= n.cfg.Attempts {
			n.metrics.webhooks.WithLabelValues(p.Event, "failed").Inc()
			n.log.Error("webhook delivery failed, giving up", "event", p.Event, "escalation", p.Escalation.ID, "attempts", attempt, "err", err)
			return
		}
		n.log.Warn("webhook delivery failed, retrying", "event", p.Event, "attempt", attempt, "in", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-n.ctx.Done():
			n.metrics.webhooks.WithLabelValues(p.Event, "failed").Inc()
			return
		}
		backoff *= 2
	}
}

// Sign returns the X-Sofort-Signature value for body sent at ts:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>". The
// timestamp is signed with the body, so a receiver can refuse replays of
// old deliveries.
func Sign(secret string, ts time.Time, body []byte) string {
	t := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + t + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a signature header made by Sign, refusing
// timestamps further than maxAge from now. Receivers written in Go can use
// it; others recompute the HMAC as Sign documents.
func VerifySignature(secret, header string, body []byte, now time.Time, maxAge time.Duration) error {
	var t, v1 string
	for _, part := range bytes.Split([]byte(header), []byte(",")) {
		k, v, _ := bytes.Cut(part, []byte("="))
		switch string(k) {
		case "t":
			t = string(v)
		case "v1":
			v1 = string(v)
		}
	}
	sec, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v1 == "" {
		return errors.New("malformed signature header")
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > maxAge || d < -maxAge {
		return fmt.Errorf("signature timestamp %s is outside the allowed %s", ts.UTC().Format(time.RFC3339), maxAge)
	}
	_, want, _ := strings.Cut(Sign(secret, ts, body), ",v1=")
	if !hmac.Equal([]byte(want), []byte(v1)) {
		return errors.New("signature mismatch")
	}
	return nil
}

func (n *Notifier) post(event string, body []byte) error {
	req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sofort-webhook/1")
	req.Header.Set("X-Sofort-Event", event)
	req.Header.Set("X-Sofort-Signature", Sign(n.cfg.Secret, time.Now(), body))
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook %s answered %s", n.cfg.URL, resp.Status)
	}
	return nil
}

// Close stops taking events and delivers what is queued until ctx ends;
// what is left then is dropped and counted.
func (n *Notifier) Close(ctx context.Context) error {
	if n.queue == nil {
		return nil
	}
	var err error
	n.closeOnce.Do(func() {
		// Drain: wait until nothing is queued or in flight, or ctx ends.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
	drain:
		for n.pending.Load() > 0 {
			select {
			case <-ctx.Done():
				err = fmt.Errorf("webhook: %d events left undelivered: %w", n.pending.Load(), ctx.Err())
				break drain
			case <-tick.C:
			}
		}
		n.stop()
		<-n.done
		for len(n.queue) > 0 {
			p := <-n.queue
			n.metrics.webhooks.WithLabelValues(p.Event, "dropped").Inc()
		}
	})
	return err
}
