// Package robots parses robots.txt files and answers whether a crawler may
// fetch a path, as RFC 9309 specifies: the group for the crawler's product
// token (else the "*" group), the longest matching rule wins, allow wins a
// tie, "*" and "$" in patterns, /robots.txt itself always allowed. It also
// reads the widespread Crawl-delay and Sitemap extensions.
package robots

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"time"
)

// MaxSize is how much of a robots.txt file is parsed; RFC 9309 asks
// crawlers to parse at least 500 KiB.
const MaxSize = 500 << 10

// Rules are the rules that apply to one crawler.
type Rules struct {
	rules []rule
	// all is set for AllowAll and DisallowAll, which ignore rules.
	all *bool
	// CrawlDelay is the group's Crawl-delay, 0 if none.
	CrawlDelay time.Duration
	// Sitemaps lists the file's Sitemap lines (they belong to no group).
	Sitemaps []string
}

type rule struct {
	allow   bool
	pattern string
}

// AllowAll is what applies when robots.txt is missing (any 4xx).
func AllowAll() *Rules { t := true; return &Rules{all: &t} }

// DisallowAll is what applies when robots.txt is unreachable (5xx, network
// error): the site may be down, and the crawler must assume it disallows
// everything.
func DisallowAll() *Rules { f := false; return &Rules{all: &f} }

// Parse reads a robots.txt body and returns the rules for the crawler whose
// product token is agent (case-insensitive, e.g. "sofort"). Unparseable
// lines are skipped, as the RFC asks.
func Parse(body []byte, agent string) *Rules {
	if len(body) > MaxSize {
		body = body[:MaxSize]
	}
	agent = strings.ToLower(agent)
	type group struct {
		agents []string
		rules  []rule
		delay  time.Duration
		hasDly bool
	}
	var groups []*group
	var cur *group
	lastWasAgent := false
	out := &Rules{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), MaxSize+1)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		switch key {
		case "user-agent", "useragent", "user agent":
			if cur == nil || !lastWasAgent {
				cur = &group{}
				groups = append(groups, cur)
			}
			cur.agents = append(cur.agents, strings.ToLower(val))
			lastWasAgent = true
			continue
		case "allow", "disallow":
			if cur != nil && val != "" {
				cur.rules = append(cur.rules, rule{allow: key == "allow", pattern: normalize(val)})
			}
		case "crawl-delay", "crawl_delay":
			if cur != nil {
				if f, err := strconv.ParseFloat(val, 64); err == nil && f >= 0 && f < 86400 {
					cur.delay = time.Duration(f * float64(time.Second))
					cur.hasDly = true
				}
			}
		case "sitemap":
			if val != "" {
				out.Sitemaps = append(out.Sitemaps, val)
			}
		}
		lastWasAgent = false
	}
	// The groups naming the agent, merged; else the "*" groups, merged.
	matched := false
	for _, pass := range []func(string) bool{
		func(a string) bool { return a == agent || productToken(a) == agent },
		func(a string) bool { return a == "*" },
	} {
		for _, g := range groups {
			for _, a := range g.agents {
				if pass(a) {
					out.rules = append(out.rules, g.rules...)
					if g.hasDly && g.delay > out.CrawlDelay {
						out.CrawlDelay = g.delay
					}
					matched = true
					break
				}
			}
		}
		if matched {
			break
		}
	}
	return out
}

// productToken takes "sofort/1.0 (+url)" to "sofort", for files that name
// a full User-Agent string.
func productToken(a string) string {
	if i := strings.IndexAny(a, "/ "); i >= 0 {
		return a[:i]
	}
	return a
}

// Allowed reports whether the crawler may fetch the URL whose escaped path
// and query (as url.URL.RequestURI gives them) is pathQuery.
func (r *Rules) Allowed(pathQuery string) bool {
	if r.all != nil {
		return *r.all
	}
	if pathQuery == "" {
		pathQuery = "/"
	}
	if pathQuery == "/robots.txt" {
		return true
	}
	pathQuery = normalize(pathQuery)
	best, allow := -1, true
	for _, ru := range r.rules {
		if !match(ru.pattern, pathQuery) {
			continue
		}
		n := len(ru.pattern)
		if n > best || n == best && ru.allow {
			best, allow = n, ru.allow
		}
	}
	return allow
}

// match reports whether pattern (with "*" for any run of characters and a
// trailing "$" for the end) matches a prefix of path.
func match(pattern, path string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	if anchored {
		pattern = pattern[:len(pattern)-1]
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(path, parts[0]) {
		return false
	}
	pos := len(parts[0])
	if len(parts) == 1 {
		return !anchored || pos == len(path)
	}
	for i, p := range parts[1:] {
		last := i == len(parts)-2
		if last && anchored {
			return len(path)-pos >= len(p) && strings.HasSuffix(path, p)
		}
		j := strings.Index(path[pos:], p)
		if j < 0 {
			return false
		}
		pos += j + len(p)
	}
	return true
}

// normalize percent-encodes non-ASCII octets and upper-cases percent
// escapes, so a pattern and a path written differently compare equal.
func normalize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80 || c <= ' ':
			b.WriteString("%")
			b.WriteString(strings.ToUpper(strconv.FormatUint(uint64(c)>>4, 16)))
			b.WriteString(strings.ToUpper(strconv.FormatUint(uint64(c)&15, 16)))
		case c == '%' && i+2 < len(s):
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(s[i+1 : i+3]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
