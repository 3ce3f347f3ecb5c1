package corpus

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// StaffUser is a support agent who may log in to the staff pages. The
// password hash never leaves the store.
type StaffUser struct {
	Name     string
	Created  time.Time
	Updated  time.Time
	Disabled bool
}

// StaffSession is a logged-in staff member's session. The cookie holds a
// random token; the store keeps only its SHA-256, so a copy of the database
// does not hand out live sessions.
type StaffSession struct {
	User string
	// CSRF is the token every state-changing staff form must echo.
	CSRF    string
	Created time.Time
	Expires time.Time
}

// Limits on staff credentials. bcrypt reads at most 72 bytes; a longer
// password would be silently cut, so it is refused instead.
const (
	MinPasswordLen   = 10
	MaxPasswordBytes = 72
	MaxStaffName     = 64
)

// ErrBadCredentials is returned by Authenticate for an unknown user, a
// wrong password or a disabled account alike, so a login form does not tell
// which names exist.
var ErrBadCredentials = errors.New("wrong user name or password")

// ValidateStaffName checks a login name: 1-64 letters, digits or . _ - @.
// The error wraps ErrInvalidRecord and says what is wrong.
func ValidateStaffName(name string) error {
	if name == "" || len(name) > MaxStaffName {
		return fmt.Errorf("%w: user name must be 1 to %d characters", ErrInvalidRecord, MaxStaffName)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-' && r != '@' {
			return fmt.Errorf("%w: user name %q may hold only letters, digits and . _ - @", ErrInvalidRecord, name)
		}
	}
	return nil
}

// ValidatePassword checks a new password's length. The error wraps
// ErrInvalidRecord.
func ValidatePassword(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return fmt.Errorf("%w: password is not valid UTF-8", ErrInvalidRecord)
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return fmt.Errorf("%w: password must have at least %d characters", ErrInvalidRecord, MinPasswordLen)
	case len(pw) > MaxPasswordBytes:
		return fmt.Errorf("%w: password must have at most %d bytes", ErrInvalidRecord, MaxPasswordBytes)
	}
	return nil
}

// newToken returns 256 random bits, URL-safe.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
