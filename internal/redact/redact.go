// Package redact takes secrets out of text bound for a report, a log or a recording: the
// passwords and device codes a run knows, and tokens and secret form fields by their shape.
// It only rewrites strings; what to mask with is the caller's choice.
package redact

import (
	"bytes"
	"cmp"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// MinSecret is the length of the shortest secret a Redactor masks: a shorter one would mask
// ordinary words. No password or device code is that short.
const MinSecret = 6

// jwtRE is an access or ID token (a JWT): three base64url parts, the first a JSON header.
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// fieldNames are the wire fields whose values are secrets whatever they hold: a refresh
// token is opaque, so only its field gives it away.
var fieldNames = []string{"refresh_token", "client_secret", "password"}

// jsonFieldRE is a secret field in JSON ("password":"…"); formFieldRE one in a form or a
// query (password=…). The value is the second group.
var (
	jsonFieldRE = regexp.MustCompile(`("(?:refresh_token|client_secret|password)"\s*:\s*")((?:\\.|[^"\\])+)`)
	formFieldRE = regexp.MustCompile(`((?:^|[?&\s])(?:refresh_token|client_secret|password)=)([^&\s"]+)`)
)

// Redactor replaces known secrets, JWTs and the values of secret fields in text.
type Redactor struct {
	// plain are the secrets as given, longest first; match adds their JSON-escaped forms.
	plain, match []string
	secret       func(string) string
	token        func(string) string
}

// New returns a Redactor that replaces each of secrets (those at least MinSecret long; the
// shorter ones are left) and each secret field's value with secret(what it matched), and
// each JWT with token(the JWT). A secret is also found in the form JSON escapes it to
// ("a&b" as "a\u0026b"), so a detail marshalled as JSON keeps nothing back.
func New(secrets []string, secret, token func(matched string) string) *Redactor {
	r := &Redactor{secret: secret, token: token}
	for _, s := range secrets {
		if len(s) >= MinSecret && !slices.Contains(r.plain, s) {
			r.plain = append(r.plain, s)
		}
	}
	// Longest first: a wrong password is the password and more, and must go whole.
	slices.SortStableFunc(r.plain, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, s := range r.plain {
		for _, f := range append([]string{s}, jsonForms(s)...) {
			if !slices.Contains(r.match, f) {
				r.match = append(r.match, f)
			}
		}
	}
	slices.SortStableFunc(r.match, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return r
}

// With returns a replacement that is always text: With("[redacted]").
func With(text string) func(string) string { return func(string) string { return text } }

// Secrets are the secrets r looks for, as given, longest first.
func (r *Redactor) Secrets() []string { return slices.Clone(r.plain) }

// Redact returns s with its secret fields, secrets and JWTs replaced. Most texts hold none:
// cheap substring checks spare them the regular expressions.
func (r *Redactor) Redact(s string) string {
	if hasField(s) {
		s = jsonFieldRE.ReplaceAllStringFunc(s, r.field(jsonFieldRE))
		s = formFieldRE.ReplaceAllStringFunc(s, r.field(formFieldRE))
	}
	for _, sec := range r.match {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, r.secret(sec))
		}
	}
	if strings.Contains(s, "eyJ") {
		s = jwtRE.ReplaceAllStringFunc(s, r.token)
	}
	return s
}

// field replaces the value (re's second group) of one match of re.
func (r *Redactor) field(re *regexp.Regexp) func(string) string {
	return func(m string) string {
		g := re.FindStringSubmatchIndex(m)
		return m[:g[4]] + r.secret(m[g[4]:g[5]]) + m[g[5]:]
	}
}

func hasField(s string) bool {
	return slices.ContainsFunc(fieldNames, func(f string) bool { return strings.Contains(s, f) })
}

// jsonForms are the forms other than s itself that s takes inside a JSON string: with the
// HTML characters escaped (encoding/json's default) and without.
func jsonForms(s string) []string {
	var out []string
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(html)
		if e.Encode(s) != nil {
			continue
		}
		q := strings.TrimSuffix(b.String(), "\n")
		if f := q[1 : len(q)-1]; f != s && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
