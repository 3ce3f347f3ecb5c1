package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sofort-chat/sofort/corpus"
)

// Metrics are the server's Prometheus metrics, in their own registry so
// several servers (tests) can live in one process.
type Metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	decisions     *prometheus.CounterVec
	escalations   *prometheus.CounterVec
	feedback      *prometheus.CounterVec
	conversations prometheus.Counter
	agentReplies  prometheus.Counter
	streams       prometheus.Gauge
	rateLimited   *prometheus.CounterVec
	webhooks      *prometheus.CounterVec
}

// NewMetrics registers sofort's metrics and the Go runtime and process
// collectors in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sofort_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sofort_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern (event streams excluded).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sofort_bot_decisions_total", Help: "Bot replies to visitor questions by decision (answer, clarify, escalate).",
		}, []string{"decision"}),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sofort_escalations_total", Help: "Conversations handed to a person, by reason.",
		}, []string{"reason"}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sofort_feedback_total", Help: "Visitor feedback on answers (helped yes/no).",
		}, []string{"helped"}),
		conversations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sofort_conversations_started_total", Help: "Conversations started.",
		}),
		agentReplies: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sofort_agent_replies_total", Help: "Staff replies sent to visitors.",
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sofort_event_streams_open", Help: "Open server-sent event streams.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sofort_rate_limited_total", Help: "Requests refused by a per-IP limit, by limit.",
		}, []string{"limit"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sofort_webhook_deliveries_total", Help: "Outgoing webhook deliveries by event and result (ok, failed, dropped).",
		}, []string{"event", "result"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.decisions, m.escalations, m.feedback, m.conversations,
		m.agentReplies, m.streams, m.rateLimited, m.webhooks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Known label values start at zero, so rates exist before the first
	// event.
	for _, d := range []corpus.Decision{corpus.DecisionAnswer, corpus.DecisionClarify, corpus.DecisionEscalate} {
		m.decisions.WithLabelValues(string(d))
	}
	for _, r := range []string{corpus.ReasonNoMatch, corpus.ReasonAskedForPerson, corpus.ReasonNotHelped} {
		m.escalations.WithLabelValues(r)
	}
	m.feedback.WithLabelValues("yes")
	m.feedback.WithLabelValues("no")
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// countReplies counts the decisions among the bot's replies.
func (m *Metrics) countReplies(msgs []corpus.Message) {
	for _, msg := range msgs {
		if msg.Role == corpus.RoleBot && msg.Decision != corpus.DecisionNone {
			m.decisions.WithLabelValues(string(msg.Decision)).Inc()
		}
	}
}
