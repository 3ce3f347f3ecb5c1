package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/sofort-chat/sofort/corpus"
)

const userSynopsis = `user add|passwd|list|disable|enable|delete [NAME] [--data DIR]

  add NAME       create a staff account; asks for the password twice
  passwd NAME    set a new password (ends the user's sessions)
  list           list accounts
  disable NAME   refuse logins and end sessions; enable NAME undoes it
  delete NAME    remove the account

On a terminal the password is asked for without echo; otherwise it is read
from the first line of standard input (printf '%s\n' "$PW" | sofort user add anna).`

func cmdUser(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("user", userSynopsis, io)
	data := fs.String("data", defaultDataDir(), "data `dir` (store)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: missing subcommand (add, passwd, list, disable, enable, delete)", errUsage)
	}
	sub, rest := pos[0], pos[1:]
	wantArgs := 1
	if sub == "list" {
		wantArgs = 0
	}
	switch sub {
	case "add", "passwd", "list", "disable", "enable", "delete":
	default:
		return fmt.Errorf("%w: unknown subcommand %q (want add, passwd, list, disable, enable or delete)", errUsage, sub)
	}
	if len(rest) != wantArgs {
		return fmt.Errorf("%w: user %s takes %d argument(s), got %d", errUsage, sub, wantArgs, len(rest))
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("create data dir %s: %w", *data, err)
	}
	st, err := corpus.Open(ctx, filepath.Join(*data, "sofort.db"))
	if err != nil {
		return err
	}
	defer st.Close()

	switch sub {
	case "list":
		users, err := st.StaffUsers(ctx)
		if err != nil {
			return err
		}
		if len(users) == 0 {
			fmt.Fprintln(io.out, "no staff accounts; create one with: sofort user add NAME")
		}
		for _, u := range users {
			state := ""
			if u.Disabled {
				state = "  (disabled)"
			}
			fmt.Fprintf(io.out, "%s  created %s%s\n", u.Name, u.Created.Format("2006-01-02"), state)
		}
		return nil
	case "disable", "enable":
		if err := st.SetStaffDisabled(ctx, rest[0], sub == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(io.out, "%sd %s\n", sub, rest[0])
		return nil
	case "delete":
		if err := st.DeleteStaff(ctx, rest[0]); err != nil {
			return err
		}
		fmt.Fprintf(io.out, "deleted %s\n", rest[0])
		return nil
	}

	name := rest[0]
	if err := corpus.ValidateStaffName(name); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	pw, err := readPassword(io, name)
	if err != nil {
		return err
	}
	if sub == "add" {
		if _, err := st.AddStaff(ctx, name, pw); err != nil {
			return err
		}
		fmt.Fprintf(io.out, "created staff account %s; log in at /staff/\n", name)
		return nil
	}
	if err := st.SetStaffPassword(ctx, name, pw); err != nil {
		return err
	}
	fmt.Fprintf(io.out, "password of %s changed; their sessions ended\n", name)
	return nil
}

// readPassword asks twice without echo on a terminal, or reads one line of
// standard input otherwise (scripts, tests).
func readPassword(io stdio, name string) (string, error) {
	if f, ok := io.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(io.err, "Password for %s (at least %d characters): ", name, corpus.MinPasswordLen)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(io.err)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if err := corpus.ValidatePassword(string(a)); err != nil {
			return "", err
		}
		fmt.Fprint(io.err, "Repeat the password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(io.err)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ; nothing changed")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.in).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read password from standard input: %w (pipe it in: printf '%%s\\n' \"$PW\" | sofort user add %s)", err, name)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
