package corpus

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestStaffAccounts(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)

	for _, tc := range []struct {
		name, user, pw string
		want           error
	}{
		{"ok", "anna", "correct horse battery", nil},
		{"taken", "anna", "another long password", ErrConflict},
		{"short password", "bert", "short", ErrInvalidRecord},
		{"long password", "bert", strings.Repeat("x", 73), ErrInvalidRecord},
		{"bad name", "bert<script>", "correct horse battery", ErrInvalidRecord},
		{"empty name", "", "correct horse battery", ErrInvalidRecord},
		{"umlaut name", "jürgen.m", "correct horse battery", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.AddStaff(ctx, tc.user, tc.pw)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("AddStaff(%q) = %v; want %v", tc.user, err, tc.want)
			}
		})
	}

	users, err := s.StaffUsers(ctx)
	if err != nil || len(users) != 2 || users[0].Name != "anna" {
		t.Fatalf("StaffUsers = %+v, %v; want anna and jürgen.m", users, err)
	}

	for _, tc := range []struct{ user, pw string }{
		{"anna", "wrong password!"},
		{"nobody", "correct horse battery"},
		{"ANNA", "correct horse battery"},
	} {
		if _, err := s.Authenticate(ctx, tc.user, tc.pw); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Authenticate(%q, %q) = %v; want ErrBadCredentials", tc.user, tc.pw, err)
		}
	}
	if u, err := s.Authenticate(ctx, "anna", "correct horse battery"); err != nil || u.Name != "anna" {
		t.Fatalf("Authenticate(anna) = %+v, %v", u, err)
	}
}

func TestStaffSessions(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	if _, err := s.AddStaff(ctx, "anna", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateStaffSession(ctx, "nobody", time.Hour); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session for unknown user: %v; want ErrNotFound", err)
	}
	token, ss, err := s.CreateStaffSession(ctx, "anna", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.StaffSession(ctx, token)
	if err != nil || got.User != "anna" || !got.CSRFEqual(ss.CSRF) || got.CSRFEqual("") || got.CSRFEqual(ss.CSRF+"x") {
		t.Fatalf("StaffSession = %+v, %v; want anna with csrf %q", got, err, ss.CSRF)
	}
	// The last character changed to another one (never to itself: a
	// token ending in "A" made this case a valid token once in 64 runs).
	last := "A"
	if strings.HasSuffix(token, last) {
		last = "B"
	}
	for _, bad := range []string{"", "x", token[:42] + last, strings.Repeat("A", 43)} {
		if _, err := s.StaffSession(ctx, bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("StaffSession(%q) = %v; want ErrNotFound", bad, err)
		}
	}

	// A password change ends every session of the user.
	if err := s.SetStaffPassword(ctx, "anna", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StaffSession(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session after password change: %v; want ErrNotFound", err)
	}
	if _, err := s.Authenticate(ctx, "anna", "a brand new password"); err != nil {
		t.Fatal(err)
	}

	// Disabling ends sessions and refuses logins and new sessions.
	token, _, err = s.CreateStaffSession(ctx, "anna", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetStaffDisabled(ctx, "anna", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StaffSession(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session after disable: %v; want ErrNotFound", err)
	}
	if _, err := s.Authenticate(ctx, "anna", "a brand new password"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("login of disabled user: %v; want ErrBadCredentials", err)
	}
	if _, _, err := s.CreateStaffSession(ctx, "anna", time.Hour); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session for disabled user: %v; want ErrNotFound", err)
	}
	if err := s.SetStaffDisabled(ctx, "anna", false); err != nil {
		t.Fatal(err)
	}

	// Expired sessions are refused and swept; logout deletes.
	expired, _, err := s.CreateStaffSession(ctx, "anna", -time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StaffSession(ctx, expired); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired session: %v; want ErrNotFound", err)
	}
	live, _, err := s.CreateStaffSession(ctx, "anna", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteExpiredStaffSessions(ctx, time.Now()); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredStaffSessions = %d, %v; want 1", n, err)
	}
	if err := s.DeleteStaffSession(ctx, live); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StaffSession(ctx, live); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session after logout: %v; want ErrNotFound", err)
	}
	if err := s.DeleteStaff(ctx, "anna"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteStaff(ctx, "anna"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v; want ErrNotFound", err)
	}
}
