package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"golang.org/x/time/rate"
)

// statusWriter remembers the status code for metrics and logs. It keeps
// Flush and the ResponseController working through Unwrap.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe counts every request by route pattern and status, times it, and
// turns a panic into a 500 that is logged with its stack.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					http.Error(sw, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				}
			}
			route := "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
			code := sw.status
			if code == 0 {
				code = http.StatusOK
			}
			s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Inc()
			if !strings.HasSuffix(route, "/events") {
				s.metrics.latency.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
			}
			s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "route", route, "status", code, "dur", time.Since(start))
		}()
		next.ServeHTTP(sw, r)
	})
}

// deadline bounds a request's handler by RequestTimeout.
func (s *Server) deadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Content-Security-Policies. Nothing is inline: scripts and styles come
// from the server's own files, so an injected tag cannot run.
const (
	cspAPI   = "default-src 'none'; frame-ancestors 'none'"
	cspStaff = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

func cspWidget(frameAncestors string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors " + frameAncestors
}

func headers(csp string, frameable bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			if !frameable {
				h.Set("X-Frame-Options", "DENY")
			}
			next.ServeHTTP(w, r)
		})
	}
}

// clientIP is the request's client address for limits and logs: the TCP
// peer, or with TrustProxy the last X-Forwarded-For entry (the one the
// proxy added; earlier entries are the client's to forge); IPv6 addresses
// are cut to their /64.
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return limitKey(ip.String())
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return limitKey(host)
}

// limitKey maps an IPv6 address to its /64: one subscriber usually holds a
// whole /64, so limits per single address would be trivial to evade.
func limitKey(ip string) string {
	p := net.ParseIP(ip)
	if p == nil || p.To4() != nil {
		return ip
	}
	return p.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// ipLimiter is a token bucket per client IP. Idle buckets are swept on
// insert once the table grows, so there is no goroutine to stop.
type ipLimiter struct {
	limit rate.Limit
	burst int
	off   bool

	mu      sync.Mutex
	buckets map[string]*bucket
	sweepAt int
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newIPLimiter(perSecond float64, burst int) *ipLimiter {
	return &ipLimiter{limit: rate.Limit(perSecond), burst: burst, off: perSecond < 0, buckets: map[string]*bucket{}, sweepAt: 1024}
}

func (l *ipLimiter) allow(ip string, now time.Time) bool {
	if l.off {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[ip]
	if !ok {
		if len(l.buckets) >= l.sweepAt {
			// A bucket idle long enough to have refilled holds no state.
			idle := time.Duration(float64(l.burst)/float64(l.limit)*float64(time.Second)) + time.Minute
			for k, v := range l.buckets {
				if now.Sub(v.seen) > idle {
					delete(l.buckets, k)
				}
			}
			l.sweepAt = max(1024, 2*len(l.buckets))
		}
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[ip] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// limit refuses visitor API requests over the per-IP rate with 429.
func (s *Server) limit(l *ipLimiter, name string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !l.allow(s.clientIP(r), time.Now()) {
				s.metrics.rateLimited.WithLabelValues(name).Inc()
				s.writeError(w, r, errStatus(http.StatusTooManyRequests, "too many requests from your address; wait a moment and try again"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// streamCounter caps open event streams in total and per IP.
type streamCounter struct {
	max, perIP int
	mu         sync.Mutex
	total      int
	byIP       map[string]int
}

func newStreamCounter(max, perIP int) *streamCounter {
	return &streamCounter{max: max, perIP: perIP, byIP: map[string]int{}}
}

func (c *streamCounter) acquire(ip string) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.total >= c.max:
		return nil, errStatus(http.StatusTooManyRequests, "the server holds its maximum of %d open event streams; try again later", c.max)
	case c.byIP[ip] >= c.perIP:
		return nil, errStatus(http.StatusTooManyRequests, "your address holds %d open event streams, the maximum; close one first", c.perIP)
	}
	c.total++
	c.byIP[ip]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.total--
			if c.byIP[ip]--; c.byIP[ip] <= 0 {
				delete(c.byIP, ip)
			}
		})
	}, nil
}

func (c *streamCounter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("%d streams from %d addresses", c.total, len(c.byIP))
}
