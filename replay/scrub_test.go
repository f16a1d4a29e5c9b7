package replay

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/internal/redact"
)

func TestContainsFoldMatchesWhatLoweringTheTextMatches(t *testing.T) {
	cases := []struct {
		name, s, sub string
	}{
		{"the word in lower case", "the request-id: 1", "request-id"},
		{"the word in upper case", "REQUEST-ID 1", "request-id"},
		{"the word in mixed case", "Correlation Id", "correlation"},
		{"the word at the end", "no Trace", "trace"},
		{"the word cut short at the end", "no Trac", "trace"},
		{"another word", "request id", "request-id"},
		{"an empty text", "", "trace"},
		{"a word spread over a multi-byte letter", "tra\u00e7e", "trace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := strings.Contains(strings.ToLower(c.s), c.sub)
			if got := containsFold(c.s, c.sub); got != want {
				t.Fatalf("containsFold(%q, %q) = %v, lowering finds %v", c.s, c.sub, got, want)
			}
		})
	}
}

func TestScrubTakesOutRequestIDsInAnyASCIICase(t *testing.T) {
	const id = "0d6a3a51-8e36-4f0b-9d7e-5b0c2f1e4a77"
	r := &run{}
	cases := []struct {
		name, in, want string
	}{
		{"Graph's request-id", "Graph said no (request-id: " + id + ")", "Graph said no (request-id: [id])"},
		{"in upper case", "REQUEST-ID=" + id, "REQUEST-ID=[id]"},
		{"Entra's trace id", "AADSTS50126 Trace ID: " + id, "AADSTS50126 Trace ID: [id]"},
		{"a correlation id", `"correlation_id":"` + id + `"`, `"correlation_id":"[id]"`},
		// A dotted capital I lowers to i, but requestRE does not fold it: the text stays.
		{"a dotted capital I", "REQUEST-İD: " + id, "REQUEST-İD: " + id},
		{"an id with no name before it", "device " + id, "device " + id},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := r.scrub(c.in); got != c.want {
				t.Fatalf("scrub(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestContainsAnyFoldFindsAnyOfTheWords(t *testing.T) {
	words := []string{"request-id", "correlation", "trace"}
	for _, s := range []string{"", "x", "Trace", "a CORRELATION id", "request-i", "Request-Id: 1", "tracing", "t", "@RACE [RACE", "corr elation"} {
		t.Run(s, func(t *testing.T) {
			want := false
			for _, w := range words {
				want = want || strings.Contains(strings.ToLower(s), w)
			}
			if got := containsAnyFold(s, words...); got != want {
				t.Fatalf("containsAnyFold(%q) = %v, lowering finds %v", s, got, want)
			}
		})
	}
}

// TestScrubTakesTheRunsSecretsOutOfTextAndDetails: the password, a wrong password that
// starts with it and the device code go whole, in a transcript line and in an event's JSON
// detail where encoding/json escaped them, and so do tokens.
func TestScrubTakesTheRunsSecretsOutOfTextAndDetails(t *testing.T) {
	const password = "Tom&Jerry-2026!"
	r := &run{redactor: redact.New([]string{password, password + "-not-it", "KQ7XDRT4M"}, redact.With("[redacted]"), redact.With("[token]"))}
	detail, err := json.Marshal(map[string]string{"typed": password + "-not-it", "code": "KQ7XDRT4M"})
	if err != nil {
		t.Fatal(err)
	}
	events := r.scrubEvents([]Event{{
		Text:   "signed in with " + password + " and token eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl",
		Detail: detail,
	}})
	if got, want := events[0].Text, "signed in with [redacted] and token [token]"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got, want := string(events[0].Detail), `{"code":"[redacted]","typed":"[redacted]"}`; got != want {
		t.Errorf("detail = %s, want %s", got, want)
	}
}
