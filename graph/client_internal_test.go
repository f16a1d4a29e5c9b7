package graph

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadBodyReadsWhatWasSentWhateverItsAnnouncedLength(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	cases := []struct {
		name      string
		announced int64
		r         io.Reader
		limit     int64
		want      string
	}{
		{"the announced length", int64(len(body)), strings.NewReader(body), 1 << 20, body},
		{"the announced length, a byte at a time", int64(len(body)), iotest.OneByteReader(strings.NewReader(body)), 1 << 20, body},
		{"no length announced", -1, strings.NewReader(body), 1 << 20, body},
		{"a length announced short", 10, strings.NewReader(body), 1 << 20, body},
		{"an empty body", 0, strings.NewReader(""), 1 << 20, ""},
		{"more than the limit stops one byte past it", int64(len(body)), strings.NewReader(body), 100, body[:101]},
		{"an announced length over the limit", 1 << 30, strings.NewReader(body), 100, body[:101]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := &http.Response{ContentLength: c.announced, Body: io.NopCloser(c.r)}
			got, err := readBody(resp, c.limit)
			if err != nil || !bytes.Equal(got, []byte(c.want)) {
				t.Fatalf("read %d bytes (%v), want %d", len(got), err, len(c.want))
			}
		})
	}
	t.Run("a read error is returned", func(t *testing.T) {
		resp := &http.Response{ContentLength: 100, Body: io.NopCloser(iotest.ErrReader(io.ErrUnexpectedEOF))}
		if _, err := readBody(resp, 1<<20); err != io.ErrUnexpectedEOF {
			t.Fatalf("error %v, want io.ErrUnexpectedEOF", err)
		}
	})
}

// resolveAsBefore is resolve as it was: every target through base.Parse first.
func resolveAsBefore(c *Client, target string) (*url.URL, error) {
	u, err := c.base.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("graph: bad request target %q: %w", target, err)
	}
	if strings.HasPrefix(target, "/") {
		u, err = url.Parse(c.base.String() + target)
		if err != nil {
			return nil, fmt.Errorf("graph: bad request target %q: %w", target, err)
		}
	}
	if u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return nil, fmt.Errorf("graph: refusing to follow %s://%s%s: not on %s", u.Scheme, u.Host, u.Path, c.base.Host)
	}
	return u, nil
}

func TestResolveAnswersAsItDidBeforeItsShortcut(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8080", "https://graph.microsoft.com"} {
		c, err := New(Config{BaseURL: base, Token: func(context.Context) (string, error) { return "t", nil }})
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{
			"/v1.0/me", "/v1.0/me/settings/windows/{b7f0eefc}$windows.data/instances", "/v1.0/me/settings/windows?$filter=settingType%20eq%20'backup'",
			"/v1.0/a%2Fb", "/bad%zz", "/ctl\x7f", "//evil.example/x", "//[bad/x", "/", base + "/v1.0/next?$skiptoken=x", "http://evil.example/v1.0/me",
			"relative/path", "/a/../b", "/a#frag",
		} {
			t.Run(base+" "+target, func(t *testing.T) {
				got, errGot := c.resolve(target)
				want, errWant := resolveAsBefore(c, target)
				if fmt.Sprint(errGot) != fmt.Sprint(errWant) || (got == nil) != (want == nil) || got != nil && *got != *want {
					t.Fatalf("resolve = %v, %v; before = %v, %v", got, errGot, want, errWant)
				}
			})
		}
	}
}
