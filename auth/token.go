package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxLifetime bounds expires_in and interval values: anything longer is a broken answer.
const maxLifetime = 366 * 24 * time.Hour

// tokenResponse is a successful answer from the token endpoint.
type tokenResponse struct {
	TokenType    string
	Scope        string
	ExpiresIn    time.Duration
	AccessToken  string
	RefreshToken string
	IDToken      string
}

// entraError is Entra's JSON error body.
type entraError struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	Codes         []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
	ErrorURI      string `json:"error_uri"`
	Suberror      string `json:"suberror"`
	Claims        string `json:"claims"`
}

// aadsts is the first of Entra's error_codes, or the number after "AADSTS" at the start of the
// description when error_codes is absent (the authorize redirect carries only the description).
func (e entraError) aadsts() int {
	if len(e.Codes) > 0 && e.Codes[0] > 0 {
		return e.Codes[0]
	}
	return aadstsFromDescription(e.Description)
}

// aadstsFromDescription reads the leading "AADSTS<digits>" of a description; only the number is
// used, never the text.
func aadstsFromDescription(d string) int {
	rest, ok := strings.CutPrefix(strings.TrimSpace(d), "AADSTS")
	if !ok {
		return 0
	}
	end := 0
	for end < len(rest) && end < 9 && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return 0
	}
	return n
}

// signInError turns Entra's error body into a SignInError.
func (e entraError) signInError() *SignInError {
	code := sanitizeCode(e.Error)
	if code == "" {
		code = CodeInvalidResponse // an error value with nothing printable in it
	}
	se := newSignInError(code, e.aadsts(), nil)
	se.Description = sanitize(e.Description)
	se.CorrelationID = sanitizeCode(e.CorrelationID)
	se.Suberror = sanitizeCode(e.Suberror)
	se.Claims = claimsChallenge(e.Claims)
	return se
}

// maxClaimsBytes bounds a claims challenge kept from an error; real ones are a few hundred bytes.
const maxClaimsBytes = 4 << 10

// claimsChallenge keeps Entra's claims challenge when it is a JSON object of sane size, for the
// next interactive request; anything else is dropped rather than passed on.
func claimsChallenge(c string) string {
	c = strings.TrimSpace(c)
	if c == "" || len(c) > maxClaimsBytes || c[0] != '{' || !json.Valid([]byte(c)) {
		return ""
	}
	return c
}

// sanitizeCode keeps an identifier-like value (error code, correlation id) printable and short.
func sanitizeCode(s string) string {
	if len(s) > 100 {
		s = s[:100]
	}
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// parseEntraError decodes an error body; ok is false when the body is not Entra's JSON shape.
func parseEntraError(body []byte) (entraError, bool) {
	var e entraError
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		return entraError{}, false
	}
	return e, true
}

// flexSeconds accepts a number of seconds as a JSON number or string: Entra's v1 endpoints sent
// strings and some proxies still do.
type flexSeconds time.Duration

func (f *flexSeconds) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("not a whole number of seconds")
	}
	if n < 0 || time.Duration(n) > maxLifetime/time.Second {
		return fmt.Errorf("%d seconds is out of range", n)
	}
	*f = flexSeconds(time.Duration(n) * time.Second)
	return nil
}

// parseTokenResponse reads the token endpoint's answer: tokens on 200, a SignInError otherwise.
// Error text never quotes the body, which may hold tokens.
func parseTokenResponse(status int, header http.Header, body []byte) (*tokenResponse, error) {
	if status == http.StatusOK {
		var raw struct {
			TokenType    string      `json:"token_type"`
			Scope        string      `json:"scope"`
			ExpiresIn    flexSeconds `json:"expires_in"`
			AccessToken  string      `json:"access_token"`
			RefreshToken string      `json:"refresh_token"`
			IDToken      string      `json:"id_token"`
		}
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, newSignInError(CodeInvalidResponse, 0, errors.New("the token response is not the expected JSON"))
		}
		if raw.AccessToken == "" {
			return nil, newSignInError(CodeInvalidResponse, 0, errors.New("the token response has no access_token"))
		}
		if !strings.EqualFold(raw.TokenType, "Bearer") {
			return nil, newSignInError(CodeInvalidResponse, 0, fmt.Errorf("token_type %q, want Bearer", sanitizeCode(raw.TokenType)))
		}
		return &tokenResponse{
			TokenType:    raw.TokenType,
			Scope:        raw.Scope,
			ExpiresIn:    time.Duration(raw.ExpiresIn),
			AccessToken:  raw.AccessToken,
			RefreshToken: raw.RefreshToken,
			IDToken:      raw.IDToken,
		}, nil
	}
	e, isEntra := parseEntraError(body)
	var se *SignInError
	switch {
	case status == http.StatusTooManyRequests:
		se = newSignInError(CodeThrottled, e.aadsts(), nil)
		se.CorrelationID = sanitizeCode(e.CorrelationID)
	case status >= 500 && !(isEntra && (e.Error == CodeServerError || e.Error == CodeTemporarilyUnavail)):
		se = newSignInError(CodeServerError, e.aadsts(), fmt.Errorf("HTTP %d from the token endpoint", status))
		se.CorrelationID = sanitizeCode(e.CorrelationID)
	case isEntra:
		se = e.signInError()
	default:
		se = newSignInError(CodeInvalidResponse, 0, fmt.Errorf("HTTP %d from the token endpoint without Entra's error body", status))
	}
	se.retryAfter = retryAfter(header)
	return nil, se
}

// retryAfter reads a Retry-After header given in seconds; HTTP dates are ignored because they
// would tie the wait to the wall clock.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	if time.Duration(n) > maxLifetime/time.Second {
		return maxLifetime
	}
	return time.Duration(n) * time.Second
}

// redeem posts one grant to the token endpoint and returns the tokens or a *SignInError.
func (c *Client) redeem(ctx context.Context, form url.Values) (*tokenResponse, error) {
	form.Set("client_id", c.clientID)
	status, header, body, err := c.postForm(ctx, c.disc.TokenEndpoint, form)
	if err != nil {
		return nil, transportError(ctx, "posting to the token endpoint", err)
	}
	return parseTokenResponse(status, header, body)
}
