package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServe starts `sofort serve` on a fresh data dir as a user would,
// reads the announced URL, uses it, and stops it with a cancel (SIGINT in
// main), expecting a clean exit.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := sofort(t, "correct horse battery\n", "user", "add", "anna", "--data", dir); code != 0 {
		t.Fatalf("user add: exit %d: %s", code, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errw lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, stdio{in: strings.NewReader(""), out: &out, err: &errw})
	}()
	urlRe := regexp.MustCompile(`(?m)^sofort is running on (http://\S+)/$`)
	var base string
	for deadline := time.Now().Add(60 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited early with %d: %s%s", code, out.String(), errw.String())
		default:
		}
	}
	if base == "" {
		t.Fatalf("serve announced no URL:\n%s\n%s", out.String(), errw.String())
	}
	if strings.Contains(out.String(), "No staff account yet") {
		t.Errorf("serve asks for a first staff account although anna exists:\n%s", out.String())
	}
	for path, want := range map[string]string{"/healthz": `"ok"`, "/readyz": `"ready"`, "/": "<title>", "/embed.js": "sofort chat bubble"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d after cancel: %s", code, errw.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20 s of the interrupt")
	}
}

func TestServeAnnouncesFirstAccount(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errw lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, stdio{in: strings.NewReader(""), out: &out, err: &errw})
	}()
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(out.String(), "Press Ctrl-C") && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if !strings.Contains(out.String(), "No staff account yet") || !strings.Contains(out.String(), "user add NAME") {
		t.Fatalf("serve on a fresh data dir does not say how to create a staff account:\n%s", out.String())
	}
}

func TestServeFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--log-level", "loud"}, "--log-level"},
		{[]string{"serve", "--bogus"}, "bogus"},
	} {
		code, _, stderr := sofort(t, "", tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 mentioning %q", tc.args, code, stderr, tc.want)
		}
	}
	t.Setenv("SOFORT_WEBHOOK_SECRET", "")
	code, _, stderr := sofort(t, "", "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--webhook-url", "http://127.0.0.1:9/hook")
	if code != 2 || !strings.Contains(stderr, "SOFORT_WEBHOOK_SECRET") {
		t.Errorf("webhook without secret: exit %d, stderr %q; want 2 naming SOFORT_WEBHOOK_SECRET", code, stderr)
	}
}

func TestUser(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		stdin   string
		args    []string
		code    int
		inOut   string
		inError string
	}{
		{"", []string{"user", "list"}, 0, "no staff accounts", ""},
		{"correct horse battery\n", []string{"user", "add", "anna"}, 0, "created staff account anna", ""},
		{"correct horse battery\n", []string{"user", "add", "anna"}, 1, "", "taken"},
		{"short\n", []string{"user", "add", "bert"}, 1, "", "at least 10"},
		{"", []string{"user", "add", "bert"}, 1, "", "standard input"},
		{"correct horse battery\n", []string{"user", "add", "bad name!"}, 2, "", "letters, digits"},
		{"a much better password\n", []string{"user", "passwd", "anna"}, 0, "password of anna changed", ""},
		{"a much better password\n", []string{"user", "passwd", "nobody"}, 1, "", "not found"},
		{"", []string{"user", "disable", "anna"}, 0, "disabled anna", ""},
		{"", []string{"user", "list"}, 0, "anna  created", ""},
		{"", []string{"user", "enable", "anna"}, 0, "enabled anna", ""},
		{"", []string{"user", "delete", "anna"}, 0, "deleted anna", ""},
		{"", []string{"user"}, 2, "", "missing subcommand"},
		{"", []string{"user", "frobnicate"}, 2, "", "unknown subcommand"},
		{"", []string{"user", "add"}, 2, "", "takes 1 argument"},
	} {
		args := append(tc.args, "--data", dir)
		code, stdout, stderr := sofort(t, tc.stdin, args...)
		if code != tc.code || !strings.Contains(stdout, tc.inOut) || !strings.Contains(stderr, tc.inError) {
			t.Errorf("sofort %v: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				tc.args, code, stdout, stderr, tc.code, tc.inOut, tc.inError)
		}
	}
}
