package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
	// defaultInterval is RFC 8628's interval when the server names none.
	defaultInterval = 5 * time.Second
	// slowDownStep is what RFC 8628 §3.5 adds to the interval on slow_down, for good.
	slowDownStep = 5 * time.Second
	// maxRetryAfter bounds how long one Retry-After can hold a poll back.
	maxRetryAfter = 2 * time.Minute
	// maxTransientFailures is how many network, 5xx or 429 answers in a row the polling survives.
	maxTransientFailures = 5
)

// DeviceCodePrompt is what the person must see to approve a device code sign-in.
type DeviceCodePrompt struct {
	UserCode        string        // the code to type on the verification page
	VerificationURI string        // where to type it
	Message         string        // Entra's instructions, verbatim
	ExpiresAt       time.Time     // when the code stops working, in the client's clock
	Interval        time.Duration // the initial polling interval
}

// LogValue leaves the user code out: it would let a reader of the logs approve the sign-in.
func (p DeviceCodePrompt) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("verification_uri", p.VerificationURI),
		slog.Time("expires_at", p.ExpiresAt),
		slog.Duration("interval", p.Interval),
	)
}

// deviceAuthorization is the device authorization endpoint's answer (RFC 8628 §3.2, Entra's fields).
type deviceAuthorization struct {
	DeviceCode      string
	UserCode        string
	VerificationURI string
	Message         string
	ExpiresIn       time.Duration
	Interval        time.Duration
}

// parseDeviceAuthorization reads the device authorization answer; httpsOnly demands an https
// verification URI, as for a real tenant.
func parseDeviceAuthorization(status int, body []byte, httpsOnly bool) (*deviceAuthorization, error) {
	if status != http.StatusOK {
		if e, ok := parseEntraError(body); ok {
			return nil, e.signInError()
		}
		code := CodeInvalidResponse
		switch {
		case status == http.StatusTooManyRequests:
			code = CodeThrottled
		case status >= 500:
			code = CodeServerError
		}
		return nil, newSignInError(code, 0, fmt.Errorf("HTTP %d from the device authorization endpoint", status))
	}
	var raw struct {
		DeviceCode      string      `json:"device_code"`
		UserCode        string      `json:"user_code"`
		VerificationURI string      `json:"verification_uri"`
		VerificationURL string      `json:"verification_url"` // Entra's v1 spelling
		Message         string      `json:"message"`
		ExpiresIn       flexSeconds `json:"expires_in"`
		Interval        flexSeconds `json:"interval"`
	}
	invalid := func(msg string) error {
		return newSignInError(CodeInvalidResponse, 0, errors.New("device authorization answer: "+msg))
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, invalid("not the expected JSON")
	}
	d := &deviceAuthorization{
		DeviceCode:      raw.DeviceCode,
		UserCode:        raw.UserCode,
		VerificationURI: raw.VerificationURI,
		Message:         raw.Message,
		ExpiresIn:       time.Duration(raw.ExpiresIn),
		Interval:        time.Duration(raw.Interval),
	}
	if d.VerificationURI == "" {
		d.VerificationURI = raw.VerificationURL
	}
	switch {
	case d.DeviceCode == "":
		return nil, invalid("no device_code")
	case d.UserCode == "" || strings.ContainsFunc(d.UserCode, isControl):
		return nil, invalid("no usable user_code")
	case d.ExpiresIn <= 0:
		return nil, invalid("no expires_in")
	}
	u, err := url.Parse(d.VerificationURI)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, invalid("verification_uri is not an absolute http(s) URL")
	}
	if httpsOnly && u.Scheme != "https" {
		return nil, invalid("verification_uri is not https")
	}
	if d.Interval <= 0 {
		d.Interval = defaultInterval
	}
	if d.Message == "" {
		d.Message = fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.",
			d.VerificationURI, d.UserCode)
	}
	return d, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// DeviceCode runs the device code flow: it asks Entra for a code, calls show once with what the
// person must do, then polls the token endpoint in the client's clock until the sign-in is
// approved, refused or the code expires. Failures are *SignInError.
func (c *Client) DeviceCode(ctx context.Context, show func(DeviceCodePrompt)) (*Result, error) {
	if c.disc.DeviceAuthorizationEndpoint == "" {
		return nil, newSignInError(CodeInvalidResponse, 0, errors.New("the discovery document names no device_authorization_endpoint"))
	}
	start := c.clock.Now()
	status, _, body, err := c.postForm(ctx, c.disc.DeviceAuthorizationEndpoint, url.Values{
		"client_id": {c.clientID},
		"scope":     {c.scope()},
	})
	if err != nil {
		return nil, transportError(ctx, "asking for a device code", err)
	}
	da, err := parseDeviceAuthorization(status, body, c.authority.https)
	if err != nil {
		return nil, err
	}
	prompt := DeviceCodePrompt{
		UserCode:        da.UserCode,
		VerificationURI: da.VerificationURI,
		Message:         da.Message,
		ExpiresAt:       start.Add(da.ExpiresIn),
		Interval:        da.Interval,
	}
	c.log.Info("device code issued", "prompt", prompt)
	if show != nil {
		show(prompt)
	}
	return c.pollDeviceCode(ctx, da.DeviceCode, prompt.ExpiresAt, da.Interval)
}

// pollDeviceCode polls until a final answer. It never polls faster than the interval, adds
// slowDownStep on slow_down for all later polls, and stops at the code's expiry.
func (c *Client) pollDeviceCode(ctx context.Context, deviceCode string, deadline time.Time, interval time.Duration) (*Result, error) {
	wait := interval
	failures := 0
	for {
		now := c.clock.Now()
		if !now.Before(deadline) {
			return nil, c.deviceCodeExpired(deadline)
		}
		if now.Add(wait).After(deadline) {
			wait = deadline.Sub(now)
		}
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return nil, newSignInError(CodeCancelled, 0, err)
		}
		if !c.clock.Now().Before(deadline) {
			return nil, c.deviceCodeExpired(deadline)
		}
		tok, err := c.redeem(ctx, url.Values{
			"grant_type":  {grantDeviceCode},
			"device_code": {deviceCode},
		})
		if err == nil {
			return c.finish(ctx, tok, "", FlowDevice)
		}
		var se *SignInError
		if !errors.As(err, &se) {
			return nil, err
		}
		switch {
		case se.Code == CodeAuthorizationPending:
			failures, wait = 0, interval
		case se.Code == CodeSlowDown:
			interval += slowDownStep
			failures, wait = 0, interval
			c.log.Info("Entra asked to slow down", "interval", interval)
		case se.temporary() && failures < maxTransientFailures:
			failures++
			wait = max(interval, min(se.retryAfter, maxRetryAfter))
			c.log.Warn("device code poll failed; retrying", "code", se.Code, "attempt", failures, "wait", wait, "error", err)
		default:
			c.log.Info("device code sign-in ended", "code", se.Code, "aadsts", se.AADSTS)
			return nil, se
		}
		c.log.Debug("device code poll", "answer", se.Code, "next_poll_in", wait)
	}
}

func (c *Client) deviceCodeExpired(deadline time.Time) *SignInError {
	c.log.Info("device code expired", "expired_at", deadline)
	return newSignInError(CodeExpiredToken, 0, fmt.Errorf("the code expired at %s", deadline.UTC().Format(time.RFC3339)))
}
