// Package graph is the client side of the Microsoft Graph calls the restore flow makes: the
// restore flag, the user's backups, and the simulator's own upload and report endpoints.
// It speaks only HTTP to a base URL; it never imports the simulated tenant.
package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/internal/httpbody"
)

// DefaultBaseURL is real Microsoft Graph.
const DefaultBaseURL = "https://graph.microsoft.com"

// maxResponseBytes bounds what one Graph answer may make the client read.
const maxResponseBytes = 64 << 20

// TokenSource returns a valid access token for Graph; it is asked before every request so an
// expiring token can be refreshed mid-listing.
type TokenSource func(ctx context.Context) (string, error)

// Config says where Graph is and how to call it.
type Config struct {
	// BaseURL is https://graph.microsoft.com, or the simulator's URL.
	BaseURL    string
	Token      TokenSource
	HTTPClient *http.Client
	Clock      clock.Clock
	Logger     *slog.Logger
	// MaxRetries bounds retries of 429 and 5xx answers (0 = 4).
	MaxRetries int
	// MaxRetryAfter caps one wait asked by Retry-After (0 = 2 minutes).
	MaxRetryAfter time.Duration
	// OnSkip, when set, is told of each previous PC a listing leaves out because its
	// deviceprofile cannot be read.
	OnSkip func(SkippedProfile)
}

// Client calls Graph for one signed-in user.
type Client struct {
	base          *url.URL
	baseStr       string // base.String(), for resolve
	lastBearer    atomic.Pointer[bearerHeader]
	token         TokenSource
	http          *http.Client
	clock         clock.Clock
	log           *slog.Logger
	maxRetries    int
	maxRetryAfter time.Duration
	onSkip        func(SkippedProfile)
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("graph base URL %q: want https://graph.microsoft.com or the simulator's http://127.0.0.1:PORT", cfg.BaseURL)
	}
	if cfg.Token == nil {
		return nil, errors.New("graph: no token source")
	}
	c := &Client{base: base, baseStr: base.String(), token: cfg.Token, http: cfg.HTTPClient, clock: cfg.Clock, log: cfg.Logger,
		maxRetries: cfg.MaxRetries, maxRetryAfter: cfg.MaxRetryAfter, onSkip: cfg.OnSkip}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.maxRetries == 0 {
		c.maxRetries = 4
	}
	if c.maxRetryAfter == 0 {
		c.maxRetryAfter = 2 * time.Minute
	}
	return c, nil
}

// Error is a Graph error answer: the HTTP status and Graph's error code and message.
type Error struct {
	Method, Path string
	Status       int
	Code         string
	Message      string
	RequestID    string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("Graph %s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RequestID != "" {
		msg += " (request-id " + e.RequestID + ")"
	}
	return msg
}

// Throttled reports whether Graph asked the client to slow down.
func (e *Error) Throttled() bool { return e.Status == http.StatusTooManyRequests }

type graphErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			RequestID string `json:"request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// request is one call: method, a path under the base URL (or an absolute nextLink), a JSON body.
type request struct {
	method  string
	target  string
	body    any
	headers map[string]string
}

// do sends r, retrying 429 and 5xx with Retry-After or bounded exponential backoff in the
// injected clock's time, and decodes a 2xx JSON answer into out (when out is not nil).
func (c *Client) do(ctx context.Context, r request, out any) error {
	u, err := c.resolve(r.target)
	if err != nil {
		return err
	}
	var payload []byte
	if r.body != nil {
		if payload, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("encoding the %s %s body: %w", r.method, u.Path, err)
		}
	}
	backoff := time.Second
	reauthorized := false
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return fmt.Errorf("getting a Graph token: %w", err)
		}
		var reqBody io.Reader // a GET has none
		if payload != nil {
			reqBody = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, u.String(), reqBody)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", c.bearer(tok))
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range r.headers {
			req.Header.Set(k, v)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if attempt >= c.maxRetries {
				return fmt.Errorf("Graph %s %s: %w", r.method, u.Path, err)
			}
			c.log.Info("graph request failed; retrying", "path", u.Path, "attempt", attempt+1, "error", err)
			if err := c.clock.Sleep(ctx, backoff); err != nil {
				return err
			}
			backoff = min(2*backoff, c.maxRetryAfter)
			continue
		}
		body, err := httpbody.Read(resp, maxResponseBytes)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("Graph %s %s: reading the answer: %w", r.method, u.Path, err)
		}
		if len(body) > maxResponseBytes {
			return fmt.Errorf("Graph %s %s: answer larger than %d MiB", r.method, u.Path, maxResponseBytes>>20)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			if out == nil || resp.StatusCode == http.StatusNoContent {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("Graph %s %s: the answer is not the expected JSON: %w", r.method, u.Path, err)
			}
			return nil
		}
		gerr := &Error{Method: r.method, Path: u.Path, Status: resp.StatusCode}
		var eb graphErrorBody
		if json.Unmarshal(body, &eb) == nil {
			gerr.Code, gerr.Message, gerr.RequestID = eb.Error.Code, eb.Error.Message, eb.Error.InnerError.RequestID
		}
		if resp.StatusCode == http.StatusUnauthorized && !reauthorized {
			// The token expired while the request was on its way (a slow Graph, a long
			// Retry-After): ask the token source again — it refreshes an expired token — once.
			reauthorized = true
			c.log.Info("graph refused the token; retrying with a fresh one", "path", u.Path)
			continue
		}
		retryable := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		if !retryable || attempt >= c.maxRetries {
			return gerr
		}
		wait := backoff
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
			wait = time.Duration(s) * time.Second
		}
		wait = min(wait, c.maxRetryAfter)
		c.log.Info("graph asked to retry", "path", u.Path, "status", resp.StatusCode, "wait", wait, "attempt", attempt+1)
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return err
		}
		backoff = min(2*backoff, c.maxRetryAfter)
	}
}

// resolve turns a path or an @odata.nextLink into a URL on the base host; a link that points
// anywhere else is refused, so the bearer token never leaves for another host.
func (c *Client) resolve(target string) (*url.URL, error) {
	if strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//") {
		// A path on the base, as nearly every request is: one parse. When it fails, the steps
		// below give the error they always gave. ("//" would start an authority on its own.)
		if u, err := url.Parse(c.baseStr + target); err == nil && u.Scheme == c.base.Scheme && u.Host == c.base.Host {
			return u, nil
		}
	}
	u, err := c.base.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("graph: bad request target %q: %w", target, err)
	}
	if strings.HasPrefix(target, "/") {
		u, err = url.Parse(c.baseStr + target)
		if err != nil {
			return nil, fmt.Errorf("graph: bad request target %q: %w", target, err)
		}
	}
	if u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return nil, fmt.Errorf("graph: refusing to follow %s://%s%s: not on %s", u.Scheme, u.Host, u.Path, c.base.Host)
	}
	return u, nil
}

// bearer returns the Authorization header for tok, made once per token: a token is a few KiB,
// and a listing sends it with every request.
func (c *Client) bearer(tok string) string {
	if last := c.lastBearer.Load(); last != nil && last.token == tok {
		return last.header
	}
	h := "Bearer " + tok
	c.lastBearer.Store(&bearerHeader{token: tok, header: h})
	return h
}

// bearerHeader is a token and its Authorization header.
type bearerHeader struct{ token, header string }
