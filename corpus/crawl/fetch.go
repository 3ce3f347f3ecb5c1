package crawl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/html/charset"

	"github.com/sofort-chat/sofort/corpus/crawl/robots"
)

// Errors a fetch fails with, wrapped with the URL and details.
var (
	ErrPrivateAddress = errors.New("refused: private, loopback or link-local address")
	ErrTooLarge       = errors.New("response larger than the size cap")
	ErrTooManyRedirs  = errors.New("too many redirects")
	ErrScheme         = errors.New("only http and https URLs are crawled")
	ErrOutOfScope     = errors.New("outside the source's scope")
	ErrRobots         = errors.New("disallowed by robots.txt")
)

// special holds address ranges that are not the public internet beyond
// what netip's predicates cover: carrier-grade NAT, IETF protocol
// assignments, benchmarking, documentation, NAT64 and 6to4 relays, the
// "this network" block.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
}

// AddressPolicy decides which resolved addresses the crawler may connect
// to. The zero value allows only public unicast addresses.
type AddressPolicy struct {
	// AllowPrivate allows every address.
	AllowPrivate bool
	// Allow lists ranges allowed although private (tests allow
	// 127.0.0.0/8 and nothing else).
	Allow []netip.Prefix
}

// Check returns nil if ip may be connected to, else an error wrapping
// ErrPrivateAddress.
func (p AddressPolicy) Check(ip netip.Addr) error {
	ip = ip.Unmap()
	if p.AllowPrivate {
		return nil
	}
	for _, a := range p.Allow {
		if a.Contains(ip) {
			return nil
		}
	}
	bad := !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified()
	for _, s := range special {
		bad = bad || s.Contains(ip)
	}
	if bad {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ip)
	}
	return nil
}

// control runs after DNS resolution and before connecting, for every
// connection: redirects and a name that resolves differently the second
// time (DNS rebinding) are checked too.
func (p AddressPolicy) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	return p.Check(ip)
}

// fetchConfig is one source's fetch settings.
type fetchConfig struct {
	userAgent    string
	agentToken   string // product token for robots.txt
	timeout      time.Duration
	maxBytes     int64
	maxRedirects int
	policy       AddressPolicy
	delay        time.Duration // minimum time between requests to a host
	concurrency  int           // requests in flight per host
	header       http.Header   // extra headers (Discourse API key) ...
	headerHost   string        // ... sent to this host only
	inScope      func(*url.URL) bool
}

// fetcher does a source's HTTP: a client whose dialer refuses private
// addresses, robots.txt per host, politeness per host, size caps.
type fetcher struct {
	cfg      fetchConfig
	client   *http.Client
	hosts    *hostLimits
	requests atomic.Int64

	mu     sync.Mutex
	robots map[string]*robotsEntry
}

type robotsEntry struct {
	once  sync.Once
	rules *robots.Rules
	err   error
}

func newFetcher(cfg fetchConfig, hosts *hostLimits) *fetcher {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: cfg.policy.control}
	tr := &http.Transport{
		// No proxy from the environment: through a proxy the dialer
		// would check the proxy's address, not the target's.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.timeout,
		MaxIdleConnsPerHost:   max(cfg.concurrency, 2),
		IdleConnTimeout:       60 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	f := &fetcher{cfg: cfg, hosts: hosts, robots: map[string]*robotsEntry{}}
	f.client = &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.maxRedirects {
				return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirs, cfg.maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: redirect to %s", ErrScheme, req.URL.Redacted())
			}
			if scoped, _ := req.Context().Value(scopedKey{}).(bool); scoped && cfg.inScope != nil && !cfg.inScope(req.URL) {
				return fmt.Errorf("%w: redirect to %s", ErrOutOfScope, req.URL.Redacted())
			}
			// The client forwards every header on a redirect; an API key
			// must not reach another host.
			if !strings.EqualFold(req.URL.Host, cfg.headerHost) {
				for k := range cfg.header {
					req.Header.Del(k)
				}
			}
			return nil
		},
	}
	return f
}

func (f *fetcher) close() { f.client.CloseIdleConnections() }

type scopedKey struct{}

// response is a fetched URL.
type response struct {
	url         *url.URL // after redirects
	status      int
	header      http.Header
	body        []byte
	notModified bool
}

// request describes one fetch.
type request struct {
	url          string
	etag         string
	lastModified string
	// scoped refuses redirects that leave the source's scope.
	scoped bool
	// robots checks robots.txt first (off for robots.txt itself).
	robots bool
}

// get fetches a URL politely: robots.txt, the host's rate and concurrency
// limit, conditional headers, the size cap. A 429 or 503 with a short
// Retry-After is retried once. A non-2xx status is not an error: the
// caller decides (404 retires, 5xx is an error for that URL).
func (f *fetcher) get(ctx context.Context, r request) (*response, error) {
	u, err := url.Parse(r.url)
	if err != nil {
		return nil, fmt.Errorf("parse url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, ErrScheme
	}
	if r.robots {
		rules, rerr := f.robotsFor(ctx, u)
		if !rules.Allowed(u.RequestURI()) {
			if rerr != nil {
				// Not the site's wish but a failure to reach it: said as such.
				return nil, fmt.Errorf("robots.txt unreachable, so nothing may be fetched (RFC 9309): %w", rerr)
			}
			return nil, ErrRobots
		}
	}
	for attempt := 0; ; attempt++ {
		resp, retryAfter, err := f.once(ctx, u, r)
		if err != nil || retryAfter <= 0 || attempt > 0 {
			return resp, err
		}
		select {
		case <-time.After(retryAfter):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (f *fetcher) once(ctx context.Context, u *url.URL, r request) (*response, time.Duration, error) {
	release, err := f.hosts.acquire(ctx, u.Host, f.delayFor(u), f.cfg.concurrency)
	if err != nil {
		return nil, 0, err
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, f.cfg.timeout)
	defer cancel()
	if r.scoped {
		ctx = context.WithValue(ctx, scopedKey{}, true)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("User-Agent", f.cfg.userAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,application/json;q=0.9,*/*;q=0.5")
	if r.etag != "" {
		req.Header.Set("If-None-Match", r.etag)
	}
	if r.lastModified != "" {
		req.Header.Set("If-Modified-Since", r.lastModified)
	}
	if f.cfg.header != nil && strings.EqualFold(u.Host, f.cfg.headerHost) {
		for k, v := range f.cfg.header {
			req.Header[k] = v
		}
	}
	f.requests.Add(1)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, 0, cleanErr(err, f.cfg.timeout)
	}
	defer resp.Body.Close()
	out := &response{url: resp.Request.URL, status: resp.StatusCode, header: resp.Header}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.notModified = true
		return out, 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 && s <= 30 {
			return out, time.Duration(s)*time.Second + time.Millisecond, nil
		}
		return out, 0, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// The body of an error page is not needed.
		return out, 0, nil
	}
	if resp.ContentLength > f.cfg.maxBytes {
		return nil, 0, fmt.Errorf("%w: Content-Length %d, cap %d bytes", ErrTooLarge, resp.ContentLength, f.cfg.maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.cfg.maxBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read body: %w", cleanErr(err, f.cfg.timeout))
	}
	if int64(len(body)) > f.cfg.maxBytes {
		return nil, 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, f.cfg.maxBytes)
	}
	out.body = body
	return out, 0, nil
}

// cleanErr turns a deadline into a message that names the timeout.
func cleanErr(err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return fmt.Errorf("timed out after %v: %w", timeout, err)
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// delayFor is the wait between requests to u's host: the source's delay
// or the host's robots.txt Crawl-delay, whichever is longer (a
// Crawl-delay above a minute is capped there, or one line could stall a
// crawl for days).
func (f *fetcher) delayFor(u *url.URL) time.Duration {
	d := f.cfg.delay
	f.mu.Lock()
	e := f.robots[robotsKey(u)]
	f.mu.Unlock()
	if e != nil && e.rules != nil && e.rules.CrawlDelay > d {
		d = min(e.rules.CrawlDelay, time.Minute)
	}
	return d
}

func robotsKey(u *url.URL) string { return u.Scheme + "://" + strings.ToLower(u.Host) }

// robotsFor returns the robots.txt rules for u's host, fetching them once
// per crawl run. As RFC 9309 says: a 4xx means no rules, a 5xx or a
// network failure means everything is disallowed; the error then says
// why robots.txt was unreachable.
func (f *fetcher) robotsFor(ctx context.Context, u *url.URL) (*robots.Rules, error) {
	key := robotsKey(u)
	f.mu.Lock()
	e := f.robots[key]
	if e == nil {
		e = &robotsEntry{}
		f.robots[key] = e
	}
	f.mu.Unlock()
	e.once.Do(func() {
		resp, err := f.get(ctx, request{url: key + "/robots.txt"})
		switch {
		case err != nil:
			e.rules, e.err = robots.DisallowAll(), err
		case resp.status >= 200 && resp.status < 300:
			e.rules = robots.Parse(resp.body, f.cfg.agentToken)
		case resp.status == http.StatusTooManyRequests || resp.status >= 500:
			e.rules, e.err = robots.DisallowAll(), fmt.Errorf("robots.txt: HTTP %d", resp.status)
		default:
			e.rules = robots.AllowAll()
		}
	})
	return e.rules, e.err
}

// hostLimits enforces per-host politeness across every source of a
// crawler: at most n requests in flight and a minimum gap between request
// starts.
type hostLimits struct {
	mu    sync.Mutex
	hosts map[string]*hostLimit
}

type hostLimit struct {
	sem  chan struct{}
	mu   sync.Mutex
	next time.Time
}

func newHostLimits() *hostLimits { return &hostLimits{hosts: map[string]*hostLimit{}} }

func (h *hostLimits) acquire(ctx context.Context, host string, delay time.Duration, n int) (func(), error) {
	host = strings.ToLower(host)
	h.mu.Lock()
	l := h.hosts[host]
	if l == nil {
		l = &hostLimit{sem: make(chan struct{}, max(n, 1))}
		h.hosts[host] = l
	}
	h.mu.Unlock()
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-l.sem }
	if delay > 0 {
		l.mu.Lock()
		now := time.Now()
		start := now
		if l.next.After(now) {
			start = l.next
		}
		l.next = start.Add(delay)
		l.mu.Unlock()
		if wait := start.Sub(now); wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				release()
				return nil, ctx.Err()
			}
		}
	}
	return release, nil
}

// decodeHTML converts an HTML body to UTF-8 using the Content-Type
// charset, a BOM or a <meta charset> (ISO-8859-1 is read as windows-1252,
// as browsers do).
func decodeHTML(body []byte, contentType string) []byte {
	enc, name, _ := charset.DetermineEncoding(body, contentType)
	if name == "utf-8" || enc == nil {
		return body
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return body
	}
	return out
}

func hashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
