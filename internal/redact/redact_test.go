package redact_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/internal/redact"
)

const (
	password = "Contoso-2026!"
	code     = "BQXK7MNP4"
	// jwt is shaped like an access token; its signature part is empty, as an unsigned one's.
	jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGVsZSJ9.c2lnbmF0dXJl"
)

func TestRedactTakesOutSecretsTokensAndSecretFields(t *testing.T) {
	r := redact.New([]string{password, password + "-not-it", code, "short", "P&ss<w>rd\"1"}, redact.With("[redacted]"), redact.With("[token]"))
	cases := []struct{ name, in, want string }{
		{"a password as it is", "pw " + password + ".", "pw [redacted]."},
		{"a wrong password that starts with the right one goes whole", "pw " + password + "-not-it.", "pw [redacted]."},
		{"a device code", "enter " + code, "enter [redacted]"},
		{"a secret shorter than MinSecret stays", "short and shorter", "short and shorter"},
		{"a JWT", "Bearer " + jwt, "Bearer [token]"},
		{"a JWT inside JSON", `{"access_token":"` + jwt + `","x":1}`, `{"access_token":"[token]","x":1}`},
		{"a secret inside JSON with its characters escaped", marshal(t, map[string]string{"said": "P&ss<w>rd\"1"}), `{"said":"[redacted]"}`},
		{"a refresh token in a JSON token response", `{"refresh_token":"AbC-123_xyz","expires_in":3600}`, `{"refresh_token":"[redacted]","expires_in":3600}`},
		{"a refresh token in a form", "grant_type=refresh_token&refresh_token=AbC-123_xyz&client_id=1", "grant_type=refresh_token&refresh_token=[redacted]&client_id=1"},
		{"a client secret in a form", "client_secret=s3cr3t&scope=x", "client_secret=[redacted]&scope=x"},
		{"a password field in JSON, with an escaped quote in it", `{"password":"a\"b","user":"adele"}`, `{"password":"[redacted]","user":"adele"}`},
		{"a password field in a query", "POST /devicelogin?user_code=X&password=hunter2", "POST /devicelogin?user_code=X&password=[redacted]"},
		{"the word password in a sentence stays", "The sign-in page refused the password (AADSTS50126)", "The sign-in page refused the password (AADSTS50126)"},
		{"a field named like a secret field stays", "old_password_hint=x", "old_password_hint=x"},
		{"eyJ without a token's shape stays", "eyJ is how a JWT begins", "eyJ is how a JWT begins"},
		{"nothing to take out", "Restored 12 items", "Restored 12 items"},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := r.Redact(c.in); got != c.want {
				t.Fatalf("Redact(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestReplacementsSeeWhatTheyReplace(t *testing.T) {
	var secrets, tokens []string
	r := redact.New([]string{code}, func(s string) string { secrets = append(secrets, s); return strings.Repeat("•", len(s)) },
		func(s string) string { tokens = append(tokens, s); return "T" })
	got := r.Redact(code + " " + jwt + " password=hunter2")
	if got != "••••••••• T password=•••••••" {
		t.Fatalf("Redact = %q", got)
	}
	if strings.Join(secrets, ",") != "hunter2,"+code || strings.Join(tokens, ",") != jwt {
		t.Fatalf("secret saw %q, token saw %q", secrets, tokens)
	}
}

func TestSecretsAreTheLongOnesLongestFirst(t *testing.T) {
	r := redact.New([]string{code, "short", password, code, password + "-not-it", ""}, redact.With(""), redact.With(""))
	got := strings.Join(r.Secrets(), ",")
	if want := password + "-not-it," + password + "," + code; got != want {
		t.Fatalf("Secrets = %q, want %q", got, want)
	}
	if n := len(redact.New(nil, redact.With(""), redact.With("")).Secrets()); n != 0 {
		t.Fatalf("no secrets given, %d kept", n)
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
