package crawl

import (
	"net/url"
	"testing"
)

func TestScope(t *testing.T) {
	src, err := Source{Name: "help", URLs: []string{"http://example.com/hilfe/faq?x=1"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://example.com/hilfe/"; len(src.Scope) != 1 || src.Scope[0] != want {
		t.Fatalf("default scope: got %v; want [%s]", src.Scope, want)
	}
	tests := []struct {
		url string
		in  bool
	}{
		{"http://example.com/hilfe/", true},
		{"https://example.com/hilfe/rechnung", true},
		{"https://www.example.com/hilfe/rechnung", true},
		{"HTTP://EXAMPLE.COM:80/hilfe/x#frag", true},
		{"http://example.com/hilfe", false},
		{"http://example.com/shop/", false},
		{"http://example.com.evil.example/hilfe/", false},
		{"http://evilexample.com/hilfe/", false},
		{"http://sub.example.com/hilfe/", false},
		{"http://example.com:8080/hilfe/", false},
	}
	for _, tc := range tests {
		u, _ := url.Parse(tc.url)
		if got := src.inScope(u); got != tc.in {
			t.Errorf("%s in scope: got %v; want %v", tc.url, got, tc.in)
		}
	}
	u, _ := url.Parse("https://Example.com:443/a/?utm_source=x&id=2#top")
	if got, want := normalizeURL(u), "https://example.com/a/?id=2"; got != want {
		t.Errorf("normalize: got %s; want %s", got, want)
	}
}
