package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/internal/httpbody"
)

// maxBody bounds every response this client reads; Entra's answers are a few kilobytes.
const maxBody = 1 << 20

// defaultHTTPTimeout guards against a stalled connection; protocol waits use the clock instead.
const defaultHTTPTimeout = 30 * time.Second

// noRedirects copies hc so that it never follows a redirect: a token or key endpoint that
// redirects elsewhere would dodge the https-vs-loopback rule.
func noRedirects(hc *http.Client) *http.Client {
	if hc == nil {
		hc = &http.Client{Timeout: defaultHTTPTimeout}
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// do sends req and reads at most maxBody bytes of the answer.
func do(hc *http.Client, req *http.Request) (int, http.Header, []byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := httpbody.Read(resp, maxBody)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("reading the answer from %s: %w", req.URL.Redacted(), err)
	}
	if len(body) > maxBody {
		return 0, nil, nil, fmt.Errorf("the answer from %s is larger than %d bytes", req.URL.Redacted(), maxBody)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// postForm sends one form post; a public client authenticates with client_id in the body only.
func (c *Client) postForm(ctx context.Context, endpoint string, form url.Values) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("building the request to %s: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return do(c.http, req)
}
