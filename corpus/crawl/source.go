package crawl

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Source types.
const (
	TypeAuto      = "auto" // decided per seed from what it serves
	TypeHTML      = "html"
	TypeSitemap   = "sitemap"
	TypeFeed      = "feed"
	TypeDiscourse = "discourse"
)

// Source is one site (or part of a site) to crawl.
type Source struct {
	// Name identifies the source in the store and in document ids
	// ("<name>:<hash>"): letters, digits, '.', '-', '_'.
	Name string
	// Type is auto, html, sitemap, feed or discourse; "" means auto.
	Type string
	// URLs are the seeds: pages, sitemaps, feeds or a Discourse base URL.
	URLs []string
	// Scope lists URL prefixes the crawl stays in. Empty means each
	// seed's scheme, host and directory (https://h/help/faq -> https://h/help/).
	Scope []string
	// Schedule is how often Scheduler recrawls; 0 means only on demand.
	Schedule time.Duration
	// FollowLinks follows links on HTML pages (default: on for html and
	// auto sources, off for sitemaps and feeds).
	FollowLinks *bool
	// MaxDepth limits link following from the seeds; default 10.
	MaxDepth int
	// MaxPages caps the URLs fetched per run; default 50,000. The rest
	// waits in the frontier for the next run.
	MaxPages int
	// Lang is given to documents whose page names no language.
	Lang string
	// Tags are added to every document.
	Tags []string

	// Politeness: minimum time between requests to a host (default
	// 500ms; robots.txt's Crawl-delay wins when longer) and requests in
	// flight per host (default 2).
	Delay       time.Duration
	Concurrency int
	// Safety: per-request timeout (default 30s), response size cap
	// (default 10 MiB), redirects followed (default 5).
	Timeout      time.Duration
	MaxBytes     int64
	MaxRedirects int
	// AllowPrivate lets the crawler connect to private, loopback and
	// link-local addresses; AllowNetworks allows just these ranges.
	AllowPrivate  bool
	AllowNetworks []netip.Prefix
	// IgnoreRobots is for a site's own staff crawling their intranet;
	// off by default.
	IgnoreRobots bool
	// Sweep is how often a Discourse source fetches every topic it knows,
	// not only bumped ones, so topics deleted on the forum are retired
	// (default 7 days; negative: never). The first run of a source fetches
	// every topic anyway.
	Sweep time.Duration

	// APIKey and APIUsername are sent as Discourse's Api-Key and
	// Api-Username headers, to the forum's host only.
	APIKey      string
	APIUsername string

	// followListed: FollowLinks was set explicitly, so it applies to
	// pages a sitemap lists too.
	followListed bool
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// withDefaults checks s and fills its defaults; the error names the field
// at fault.
func (s Source) withDefaults() (Source, error) {
	if !nameRE.MatchString(s.Name) {
		return s, fmt.Errorf("source %q: name must be 1-64 letters, digits, '.', '-' or '_'", s.Name)
	}
	if s.Type == "" {
		s.Type = TypeAuto
	}
	switch s.Type {
	case TypeAuto, TypeHTML, TypeSitemap, TypeFeed, TypeDiscourse:
	default:
		return s, fmt.Errorf("source %s: unknown type %q (want auto, html, sitemap, feed or discourse)", s.Name, s.Type)
	}
	if len(s.URLs) == 0 {
		return s, fmt.Errorf("source %s: no urls", s.Name)
	}
	for _, raw := range s.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, fmt.Errorf("source %s: url %q: want an absolute http or https URL", s.Name, raw)
		}
	}
	if len(s.Scope) == 0 {
		for _, raw := range s.URLs {
			u, _ := url.Parse(raw)
			s.Scope = append(s.Scope, defaultScope(u, s.Type))
		}
	}
	for i, raw := range s.Scope {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, fmt.Errorf("source %s: scope %q: want an absolute http or https URL prefix", s.Name, raw)
		}
		s.Scope[i] = normalizeURL(u)
	}
	if s.FollowLinks == nil {
		f := s.Type == TypeAuto || s.Type == TypeHTML
		s.FollowLinks = &f
	} else {
		s.followListed = *s.FollowLinks
	}
	if s.MaxDepth <= 0 {
		s.MaxDepth = 10
	}
	if s.MaxPages <= 0 {
		s.MaxPages = 50000
	}
	if s.Lang = strings.ToLower(strings.TrimSpace(s.Lang)); s.Lang != "" && len(s.Lang) != 2 {
		return s, fmt.Errorf("source %s: lang %q: want a two-letter code", s.Name, s.Lang)
	}
	if s.Delay < 0 {
		s.Delay = 0
	} else if s.Delay == 0 {
		s.Delay = 500 * time.Millisecond
	}
	if s.Concurrency <= 0 {
		s.Concurrency = 2
	}
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
	if s.MaxBytes <= 0 {
		s.MaxBytes = 10 << 20
	}
	if s.MaxRedirects <= 0 {
		s.MaxRedirects = 5
	}
	if s.Sweep == 0 {
		s.Sweep = 7 * 24 * time.Hour
	}
	return s, nil
}

// NoDelay is a Delay that means "no gap between requests" (0 means the
// default).
const NoDelay = -1

// defaultScope is a seed's scheme, host and directory; a Discourse forum
// is all of its base URL.
func defaultScope(u *url.URL, typ string) string {
	c := *u
	c.RawQuery, c.Fragment = "", ""
	if typ == TypeDiscourse {
		c.Path = discourseBase(u).Path + "/"
	} else if i := strings.LastIndexByte(c.Path, '/'); i >= 0 {
		c.Path = c.Path[:i+1]
	} else {
		c.Path = "/"
	}
	c.RawPath = ""
	return c.String()
}

// normalizeURL lower-cases scheme and host, drops default ports, the
// fragment and utm_* tracking parameters, and gives an empty path "/".
func normalizeURL(u *url.URL) string {
	c := *u
	c.Scheme = strings.ToLower(c.Scheme)
	c.Host = strings.ToLower(c.Host)
	if c.Scheme == "http" && strings.HasSuffix(c.Host, ":80") || c.Scheme == "https" && strings.HasSuffix(c.Host, ":443") {
		c.Host = c.Host[:strings.LastIndexByte(c.Host, ':')]
	}
	c.Fragment, c.RawFragment = "", ""
	if c.Path == "" {
		c.Path = "/"
	}
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k := range q {
			if strings.HasPrefix(strings.ToLower(k), "utm_") {
				q.Del(k)
				changed = true
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	return c.String()
}

// inScope reports whether u lies under one of the source's scope
// prefixes. http and https count as the same site, and so do a host and
// its www. name: sites redirect between them, and a user who typed one
// means both.
func (s *Source) inScope(u *url.URL) bool {
	n := scopeKey(normalizeURL(u))
	for _, p := range s.Scope {
		if strings.HasPrefix(n, scopeKey(p)) {
			return true
		}
	}
	return false
}

func scopeKey(normalized string) string {
	_, rest, _ := strings.Cut(normalized, "://")
	return strings.TrimPrefix(rest, "www.")
}
