package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
)

// TestEveryStaffRouteNeedsSession walks every route the router has. Each
// must be listed in PublicRoutes or live under /staff, and no staff route
// may answer without a valid session: no cookie, a forged one, an expired
// session, a logged-out session and a disabled user's session all get a
// redirect to the login or 403, never the page or the action.
func TestEveryStaffRouteNeedsSession(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	id := e.start("en").Conversation.ID
	e.say(id, map[string]any{"text": "secret-visitor-words: please connect me to a person"})
	e.say(id, map[string]any{"handoff": true})
	esc, err := e.store.EscalationByConversation(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	e.addStaff("anna", "correct horse battery")
	expired, _, err := e.store.CreateStaffSession(ctx, "anna", -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	loggedOut, _, err := e.store.CreateStaffSession(ctx, "anna", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteStaffSession(ctx, loggedOut); err != nil {
		t.Fatal(err)
	}
	e.addStaff("gone", "correct horse battery")
	disabled, disabledSess, err := e.store.CreateStaffSession(ctx, "gone", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetStaffDisabled(ctx, "gone", true); err != nil {
		t.Fatal(err)
	}
	creds := map[string]string{
		"no cookie":     "",
		"forged":        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"expired":       expired,
		"logged out":    loggedOut,
		"disabled user": disabled,
	}

	var routes []string
	seen := map[string]bool{}
	err = chi.Walk(e.srv.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := method + " " + route
		seen[key] = true
		routes = append(routes, key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(routes)
	for key := range PublicRoutes {
		if !seen[key] {
			t.Errorf("PublicRoutes lists %q, which the router does not have", key)
		}
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	staffRoutes := 0
	for _, key := range routes {
		if PublicRoutes[key] {
			continue
		}
		method, route, _ := strings.Cut(key, " ")
		if !strings.HasPrefix(route, "/staff/") {
			t.Errorf("route %s is neither public (PublicRoutes) nor under /staff/", key)
			continue
		}
		staffRoutes++
		path := strings.NewReplacer("{id}", esc.ID, "*", "x").Replace(route)
		for name, token := range creds {
			t.Run(key+"/"+name, func(t *testing.T) {
				form := url.Values{"csrf": {disabledSess.CSRF}, "text": {"hijacked reply"}}
				req, _ := http.NewRequest(method, e.url+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if token != "" {
					req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
				}
				resp, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/staff/login"):
				case resp.StatusCode == http.StatusForbidden:
				default:
					t.Fatalf("%s %s with %s: status %d, Location %q; want 303 to /staff/login or 403", method, path, name, resp.StatusCode, resp.Header.Get("Location"))
				}
				if strings.Contains(string(body), "secret-visitor-words") || strings.Contains(string(body), "<table") {
					t.Fatalf("%s %s with %s leaked escalation data:\n%s", method, path, name, body)
				}
			})
		}
	}
	if staffRoutes < 6 {
		t.Fatalf("walked %d staff routes; want the inbox, escalation page, claim, reply, close, logout, API", staffRoutes)
	}
	if got, _ := e.store.Escalation(ctx, esc.ID); got.Status != "open" || got.ClaimedBy != "" {
		t.Fatalf("escalation changed by unauthenticated requests: %+v", got)
	}

	// A valid session without the CSRF token, or from another site, may
	// not change anything.
	staff := e.login("anna", "correct horse battery")
	for _, path := range []string{"/staff/escalations/" + esc.ID + "/claim", "/staff/escalations/" + esc.ID + "/close", "/staff/logout"} {
		if st, _ := staff.post(path, url.Values{"csrf": {"wrong"}}); st != http.StatusForbidden {
			t.Errorf("POST %s with a wrong CSRF token: status %d; want 403", path, st)
		}
		req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(url.Values{"csrf": {staff.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := staff.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: status %d; want 403", path, resp.StatusCode)
		}
	}
	if got, _ := e.store.Escalation(ctx, esc.ID); got.Status != "open" {
		t.Fatalf("escalation changed by forged requests: %+v", got)
	}
}

// TestLogin covers the login form: wrong passwords, the double-submit
// token, cookies' flags, logout.
func TestLogin(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{SecureCookies: true}})
	e.addStaff("anna", "correct horse battery")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := noRedirect.Get(e.url + "/staff/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var loginTok string
	for _, c := range resp.Cookies() {
		if c.Name == loginCookie {
			loginTok = c.Value
		}
	}
	if m := csrfField.FindStringSubmatch(string(body)); m == nil || m[1] != loginTok || loginTok == "" {
		t.Fatalf("login form token %v does not match its cookie %q", m, loginTok)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("staff CSP %q", csp)
	}

	// German staff get German pages.
	req, _ := http.NewRequest("GET", e.url+"/staff/login", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "Benutzername") || !strings.Contains(string(b), `lang="de"`) {
			t.Errorf("login page for Accept-Language de is not German")
		}
	}

	post := func(form url.Values, cookie string) *http.Response {
		req, _ := http.NewRequest("POST", e.url+"/staff/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: loginCookie, Value: cookie})
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		cookie string
		want   int
	}{
		{"wrong password", url.Values{"csrf": {loginTok}, "user": {"anna"}, "password": {"wrong password!"}}, loginTok, http.StatusUnauthorized},
		{"unknown user", url.Values{"csrf": {loginTok}, "user": {"zoe"}, "password": {"correct horse battery"}}, loginTok, http.StatusUnauthorized},
		{"no login cookie", url.Values{"csrf": {loginTok}, "user": {"anna"}, "password": {"correct horse battery"}}, "", http.StatusForbidden},
		{"token mismatch", url.Values{"csrf": {"other"}, "user": {"anna"}, "password": {"correct horse battery"}}, loginTok, http.StatusForbidden},
	} {
		if resp := post(tc.form, tc.cookie); resp.StatusCode != tc.want {
			t.Errorf("%s: status %d; want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	resp = post(url.Values{"csrf": {loginTok}, "user": {"anna"}, "password": {"correct horse battery"}, "next": {"//evil.example/x"}}, loginTok)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/staff/" {
		t.Fatalf("login: status %d, Location %q; want 303 to /staff/ (foreign next refused)", resp.StatusCode, resp.Header.Get("Location"))
	}
	var sess *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || !sess.Secure || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/staff" {
		t.Fatalf("session cookie %+v; want HttpOnly, Secure, SameSite=Lax, Path=/staff", sess)
	}
	ss, err := e.store.StaffSession(context.Background(), sess.Value)
	if err != nil || ss.User != "anna" {
		t.Fatalf("session in store: %+v, %v", ss, err)
	}
}

// TestLoginRateLimit: guessing passwords is slowed down per address.
func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{LoginRate: 0.001, LoginBurst: 3}})
	codes := map[int]int{}
	for range 5 {
		st, _ := e.do("POST", "/staff/login", "application/x-www-form-urlencoded", strings.NewReader("user=a&password=b"))
		codes[st]++
	}
	if codes[http.StatusTooManyRequests] != 2 {
		t.Fatalf("5 quick logins gave %v; want 3 answered and 2 refused with 429", codes)
	}
}

func TestAcceptLang(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "en"},
		{"de-DE,de;q=0.9,en;q=0.8", "de"},
		{"en-GB,en;q=0.9,de;q=0.8", "en"},
		{"fr-FR,fr;q=0.9,de;q=0.7,en;q=0.5", "de"},
		{"fr, it", "en"},
		{"de;q=0.2, en;q=0.3", "en"},
		{"DE-at", "de"},
		{"de;q=garbage", "de"},
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", tc.header)
		if got := acceptLang(r); got != tc.want {
			t.Errorf("acceptLang(%q) = %q; want %q", tc.header, got, tc.want)
		}
	}
}

func TestClientIP(t *testing.T) {
	for _, tc := range []struct {
		remote, xff string
		trust       bool
		want        string
	}{
		{"192.0.2.7:5555", "", false, "192.0.2.7"},
		{"192.0.2.7:5555", "203.0.113.9", false, "192.0.2.7"},
		{"192.0.2.7:5555", "198.51.100.1, 203.0.113.9", true, "203.0.113.9"},
		{"192.0.2.7:5555", "garbage", true, "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", false, "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "", false, "2001:db8:1:2::/64"},
		{"192.0.2.7:5555", "2001:db8:9:9::1", true, "2001:db8:9:9::/64"},
	} {
		s := &Server{cfg: Config{TrustProxy: tc.trust}}
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("clientIP(%s, XFF %q, trust %v) = %q; want %q", tc.remote, tc.xff, tc.trust, got, tc.want)
		}
	}
}

// Both languages of the staff pages have every text.
func TestStaffTextsComplete(t *testing.T) {
	for key := range staffTexts["en"] {
		if staffTexts["de"][key] == "" {
			t.Errorf("staff text %q has no German version", key)
		}
	}
	for key := range staffTexts["de"] {
		if staffTexts["en"][key] == "" {
			t.Errorf("staff text %q has no English version", key)
		}
	}
}
