package corpus

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// The staff tables (staff_users, staff_sessions) are created by migration
// step 4 in migrate.go.

// dummyHash is compared against when a login names an unknown user, so the
// answer takes as long as for a known one and does not reveal which names
// exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("sofort-timing-equaliser"), bcrypt.DefaultCost)

// AddStaff creates a staff account with a bcrypt hash of password. It
// fails with ErrInvalidRecord for a bad name or password and ErrConflict
// when the name is taken.
func (s *Store) AddStaff(ctx context.Context, name, password string) (StaffUser, error) {
	if err := ValidateStaffName(name); err != nil {
		return StaffUser{}, fmt.Errorf("add staff user: %w", err)
	}
	if err := ValidatePassword(password); err != nil {
		return StaffUser{}, fmt.Errorf("add staff user %q: %w", name, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return StaffUser{}, fmt.Errorf("add staff user %q: hash password: %w", name, err)
	}
	now := time.Now().UTC()
	_, err = s.db.ExecContext(ctx, `INSERT INTO staff_users (name, password_hash, disabled, created, updated) VALUES (?, ?, 0, ?, ?)`,
		name, string(hash), formatTime(now), formatTime(now))
	if err != nil {
		if isUniqueViolation(err) {
			return StaffUser{}, fmt.Errorf("add staff user %q: %w: the name is taken (use 'sofort user passwd' to change a password)", name, ErrConflict)
		}
		return StaffUser{}, fmt.Errorf("add staff user %q: %w", name, err)
	}
	return StaffUser{Name: name, Created: now, Updated: now}, nil
}

// SetStaffPassword replaces a staff member's password and ends all their
// sessions. It fails with ErrNotFound for an unknown name and
// ErrInvalidRecord for a bad password.
func (s *Store) SetStaffPassword(ctx context.Context, name, password string) error {
	if err := ValidatePassword(password); err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("set password of %q: hash password: %w", name, err)
	}
	return s.updateStaff(ctx, name, `UPDATE staff_users SET password_hash = ?, updated = ? WHERE name = ?`, string(hash), formatTime(time.Now().UTC()), name)
}

// SetStaffDisabled disables or enables an account; disabling ends its
// sessions. It fails with ErrNotFound for an unknown name.
func (s *Store) SetStaffDisabled(ctx context.Context, name string, disabled bool) error {
	return s.updateStaff(ctx, name, `UPDATE staff_users SET disabled = ?, updated = ? WHERE name = ?`, disabled, formatTime(time.Now().UTC()), name)
}

// updateStaff runs one UPDATE on a staff row and drops the user's sessions
// in the same transaction: whatever changed an account's access must not
// leave an old session alive.
func (s *Store) updateStaff(ctx context.Context, name, query string, args ...any) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update staff user %q: begin: %w", name, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update staff user %q: %w", name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("staff user %q: %w", name, ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE user = ?`, name); err != nil {
		return fmt.Errorf("update staff user %q: end sessions: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update staff user %q: commit: %w", name, err)
	}
	return nil
}

// DeleteStaff removes an account and its sessions. It fails with
// ErrNotFound for an unknown name.
func (s *Store) DeleteStaff(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM staff_users WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete staff user %q: %w", name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("staff user %q: %w", name, ErrNotFound)
	}
	return nil
}

// StaffUsers lists all accounts by name.
func (s *Store) StaffUsers(ctx context.Context) ([]StaffUser, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, disabled, created, updated FROM staff_users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list staff users: %w", err)
	}
	defer rows.Close()
	var out []StaffUser
	for rows.Next() {
		var u StaffUser
		var created, updated string
		if err := rows.Scan(&u.Name, &u.Disabled, &created, &updated); err != nil {
			return nil, fmt.Errorf("list staff users: %w", err)
		}
		if u.Created, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("staff user %q: column created: %w", u.Name, err)
		}
		if u.Updated, err = parseTime(updated); err != nil {
			return nil, fmt.Errorf("staff user %q: column updated: %w", u.Name, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list staff users: %w", err)
	}
	return out, nil
}

// Authenticate checks a name and password. It returns ErrBadCredentials
// for an unknown name, a wrong password and a disabled account alike, and
// takes a bcrypt comparison's time in every case.
func (s *Store) Authenticate(ctx context.Context, name, password string) (StaffUser, error) {
	var hash string
	var disabled bool
	err := s.db.QueryRowContext(ctx, `SELECT password_hash, disabled FROM staff_users WHERE name = ?`, name).Scan(&hash, &disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return StaffUser{}, ErrBadCredentials
	case err != nil:
		return StaffUser{}, fmt.Errorf("authenticate %q: %w", name, err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil || disabled {
		return StaffUser{}, ErrBadCredentials
	}
	return StaffUser{Name: name}, nil
}

// CreateStaffSession starts a session for user lasting ttl and returns the
// token for the cookie. It fails with ErrNotFound for an unknown user.
func (s *Store) CreateStaffSession(ctx context.Context, user string, ttl time.Duration) (string, StaffSession, error) {
	token := newToken()
	now := time.Now().UTC()
	ss := StaffSession{User: user, CSRF: newToken(), Created: now, Expires: now.Add(ttl).Truncate(time.Second)}
	res, err := s.db.ExecContext(ctx, `INSERT INTO staff_sessions (token_hash, user, csrf, created, expires)
		SELECT ?, name, ?, ?, ? FROM staff_users WHERE name = ? AND disabled = 0`,
		hashToken(token), ss.CSRF, formatTime(ss.Created), ss.Expires.Unix(), user)
	if err != nil {
		return "", StaffSession{}, fmt.Errorf("create session for %q: %w", user, err)
	}
	// The INSERT ... SELECT inserts nothing for an unknown or disabled
	// user; check rather than hand out a dead token.
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return "", StaffSession{}, fmt.Errorf("create session: staff user %q (or disabled): %w", user, ErrNotFound)
	}
	return token, ss, nil
}

// StaffSession returns the live session for a cookie token. An unknown,
// expired or malformed token, or one whose user was disabled, gives
// ErrNotFound.
func (s *Store) StaffSession(ctx context.Context, token string) (StaffSession, error) {
	if len(token) != 43 { // base64 of 32 bytes
		return StaffSession{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	var ss StaffSession
	var created string
	var expires int64
	err := s.db.QueryRowContext(ctx, `SELECT s.user, s.csrf, s.created, s.expires FROM staff_sessions s
		JOIN staff_users u ON u.name = s.user WHERE s.token_hash = ? AND u.disabled = 0`, hashToken(token)).
		Scan(&ss.User, &ss.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return StaffSession{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return StaffSession{}, fmt.Errorf("get session: %w", err)
	}
	if ss.Created, err = parseTime(created); err != nil {
		return StaffSession{}, fmt.Errorf("session: column created: %w", err)
	}
	ss.Expires = time.Unix(expires, 0).UTC()
	if !time.Now().Before(ss.Expires) {
		return StaffSession{}, fmt.Errorf("session expired: %w", ErrNotFound)
	}
	return ss, nil
}

// DeleteStaffSession ends a session (logout). Unknown tokens are not an
// error: the result is the same.
func (s *Store) DeleteStaffSession(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM staff_sessions WHERE token_hash = ?`, hashToken(token)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredStaffSessions removes sessions expired before now and
// returns how many it removed.
func (s *Store) DeleteExpiredStaffSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM staff_sessions WHERE expires <= ?`, now.Unix())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// CSRFEqual compares a submitted CSRF token with the session's in constant
// time.
func (ss StaffSession) CSRFEqual(token string) bool {
	return ss.CSRF != "" && subtle.ConstantTimeCompare([]byte(ss.CSRF), []byte(token)) == 1
}
