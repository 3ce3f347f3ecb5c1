package robots

import (
	"testing"
	"time"
)

func TestAllowed(t *testing.T) {
	const file = `# example
User-agent: *
Disallow: /private/
Allow: /private/public-faq
Disallow: /*.pdf$
Disallow: /search?
Crawl-delay: 9

User-agent: sofort
User-agent: otherbot
Disallow: /forum/admin
Allow: /forum/admin/help$
Disallow: /tmp
Crawl-delay: 0.5

User-agent: sofort
Disallow: /drafts

Sitemap: https://example.com/sitemap.xml
`
	tests := []struct {
		name  string
		agent string
		path  string
		want  bool
	}{
		{"star group applies to others", "googlebot", "/private/x", false},
		{"longer allow wins", "googlebot", "/private/public-faq/1", true},
		{"dollar anchors", "googlebot", "/docs/a.pdf", false},
		{"dollar needs the end", "googlebot", "/docs/a.pdf?x=1", true},
		{"query rule", "googlebot", "/search?q=x", false},
		{"own group replaces star", "sofort", "/private/x", true},
		{"own group rule", "sofort", "/forum/admin/users", false},
		{"anchored allow exact", "sofort", "/forum/admin/help", true},
		{"anchored allow not longer", "sofort", "/forum/admin/help2", false},
		{"merged groups", "sofort", "/drafts/1", false},
		{"case-insensitive agent", "Sofort", "/tmp/x", false},
		{"robots.txt always allowed", "sofort", "/robots.txt", true},
		{"unmatched allowed", "sofort", "/faq", true},
		{"percent escapes compare case-insensitively", "googlebot", "/private%2fx", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Parse([]byte(file), tc.agent)
			if got := r.Allowed(tc.path); got != tc.want {
				t.Errorf("%s may fetch %s: got %v; want %v", tc.agent, tc.path, got, tc.want)
			}
		})
	}
	if got := Parse([]byte(file), "sofort").CrawlDelay; got != 500*time.Millisecond {
		t.Errorf("sofort crawl-delay: got %v; want 500ms", got)
	}
	if got := Parse([]byte(file), "x").CrawlDelay; got != 9*time.Second {
		t.Errorf("star crawl-delay: got %v; want 9s", got)
	}
	if got := Parse([]byte(file), "x").Sitemaps; len(got) != 1 || got[0] != "https://example.com/sitemap.xml" {
		t.Errorf("sitemaps: got %v", got)
	}
}

func TestAllOrNothing(t *testing.T) {
	if !AllowAll().Allowed("/x") || DisallowAll().Allowed("/x") {
		t.Error("AllowAll/DisallowAll wrong")
	}
	if !Parse([]byte("User-agent: *\nDisallow:\n"), "sofort").Allowed("/x") {
		t.Error("empty Disallow must allow everything")
	}
	if Parse([]byte("User-agent: *\nDisallow: /\n"), "sofort").Allowed("/x") {
		t.Error("Disallow: / must disallow everything")
	}
	if !Parse([]byte("garbage\x00\nUser-agent *\n::::\n"), "sofort").Allowed("/x") {
		t.Error("unparseable lines must be skipped")
	}
}
