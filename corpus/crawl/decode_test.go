package crawl

import "testing"

func TestDecodeHTML(t *testing.T) {
	tests := []struct {
		name, contentType, body, want string
	}{
		{"header charset", "text/html; charset=ISO-8859-1", "<p>Gr\xfc\xdfe \x80</p>", "<p>Grüße €</p>"},
		{"meta charset", "text/html", `<meta charset="windows-1252"><p>K` + "\xfc" + `ndigung ` + "\x96" + ` jetzt</p>`, `<meta charset="windows-1252"><p>Kündigung – jetzt</p>`},
		{"meta http-equiv", "", `<meta http-equiv="Content-Type" content="text/html; charset=latin1"><p>` + "\xc4" + `nderung</p>`, `<meta http-equiv="Content-Type" content="text/html; charset=latin1"><p>Änderung</p>`},
		{"utf-8 stays", "text/html; charset=utf-8", "<p>Grüße</p>", "<p>Grüße</p>"},
		{"header wins over meta", "text/html; charset=utf-8", `<meta charset="iso-8859-1"><p>Grüße</p>`, `<meta charset="iso-8859-1"><p>Grüße</p>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(decodeHTML([]byte(tc.body), tc.contentType)); got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}
