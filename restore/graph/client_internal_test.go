package graph

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

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
