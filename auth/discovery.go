package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// ErrInsecureEndpoint is wrapped when the discovery document of an https authority on a DNS
// name points at plain http or at a loopback host: a simulated issuer must never pass for a
// real one.
var ErrInsecureEndpoint = errors.New("insecure endpoint for an https authority")

// ErrForeignEndpoint is wrapped when a discovery document points away from the authority's host.
var ErrForeignEndpoint = errors.New("endpoint on another host than the authority")

// DiscoveryError says which field of the discovery document was refused and why.
type DiscoveryError struct {
	Authority string // the canonical authority the document was fetched for
	Field     string // the JSON field, e.g. "jwks_uri"
	Value     string // the refused value
	Err       error  // what is wrong with it
}

func (e *DiscoveryError) Error() string {
	return fmt.Sprintf("discovery document for %s: %s %q refused: %v; check that the authority URL is right",
		e.Authority, e.Field, e.Value, e.Err)
}

func (e *DiscoveryError) Unwrap() error { return e.Err }

// discovery is the part of Entra's openid-configuration this client relies on.
type discovery struct {
	Issuer                      string   `json:"issuer"`
	AuthorizationEndpoint       string   `json:"authorization_endpoint"`
	TokenEndpoint               string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint string   `json:"device_authorization_endpoint"`
	JWKSURI                     string   `json:"jwks_uri"`
	SigningAlgs                 []string `json:"id_token_signing_alg_values_supported"`
	ResponseModes               []string `json:"response_modes_supported"`
	// MSGraphHost is where Microsoft Graph is for this authority's cloud (Entra: graph.microsoft.com,
	// graph.microsoft.us, …; the simulator: its own host).
	MSGraphHost string `json:"msgraph_host"`
}

// graphURL is Microsoft Graph's base URL from msgraph_host, or "" when the document names none
// that this authority may use: a bare host[:port]; https and a DNS name for an https authority on
// a DNS name; the authority's own origin for the simulator on loopback, which serves Graph there.
func (d *discovery) graphURL(a authority) string {
	h := strings.ToLower(d.MSGraphHost)
	if h == "" || strings.ContainsAny(h, "/?#@ \\") {
		return ""
	}
	u, err := url.Parse("https://" + h)
	if err != nil || u.Host != h || u.Hostname() == "" {
		return ""
	}
	if a.loopback {
		if scheme, _, _ := strings.Cut(a.origin, "://"); scheme+"://"+h == a.origin {
			return a.origin
		}
		return ""
	}
	if isLoopbackHost(u.Hostname()) || numericHost(u.Hostname()) {
		return ""
	}
	return "https://" + h
}

// discoveryURL is where Entra serves the v2.0 document for an authority.
func discoveryURL(a authority) string { return a.String() + "/v2.0/.well-known/openid-configuration" }

// fetchDiscovery downloads and checks the authority's discovery document.
func fetchDiscovery(ctx context.Context, hc *http.Client, a authority) (*discovery, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, discoveryURL(a), nil)
	if err != nil {
		return nil, fmt.Errorf("building the discovery request for %s: %w", a, err)
	}
	req.Header.Set("Accept", "application/json")
	status, _, body, err := do(hc, req)
	if err != nil {
		return nil, fmt.Errorf("fetching the discovery document for %s (check the authority URL and the network): %w", a, err)
	}
	if status != http.StatusOK {
		msg := "check the tenant in the authority URL"
		if e, ok := parseEntraError(body); ok && e.Error != "" {
			msg = fmt.Sprintf("Entra answered %s (AADSTS%d); %s", e.Error, e.aadsts(), msg)
		}
		return nil, fmt.Errorf("fetching the discovery document for %s: HTTP %d: %s", a, status, msg)
	}
	return parseDiscovery(body, a)
}

// parseDiscovery decodes a discovery document and applies the https-vs-loopback and issuer rules.
func parseDiscovery(body []byte, a authority) (*discovery, error) {
	var d discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("discovery document for %s is not valid JSON: %w", a, err)
	}
	refuse := func(field, value string, err error) error {
		return &DiscoveryError{Authority: a.String(), Field: field, Value: value, Err: err}
	}
	fields := []struct {
		name, value string
		required    bool
	}{
		{"issuer", d.Issuer, true},
		{"jwks_uri", d.JWKSURI, true},
		{"authorization_endpoint", d.AuthorizationEndpoint, true},
		{"token_endpoint", d.TokenEndpoint, true},
		{"device_authorization_endpoint", d.DeviceAuthorizationEndpoint, false},
	}
	for _, f := range fields {
		if f.value == "" {
			if f.required {
				return nil, refuse(f.name, "", errors.New("missing"))
			}
			continue
		}
		if err := checkEndpoint(a, f.value); err != nil {
			return nil, refuse(f.name, f.value, err)
		}
	}
	if want := expectedIssuer(a); d.Issuer != want {
		return nil, refuse("issuer", d.Issuer, fmt.Errorf("want %q for this authority", want))
	}
	if len(d.SigningAlgs) > 0 && !slices.Contains(d.SigningAlgs, "RS256") {
		return nil, refuse("id_token_signing_alg_values_supported", strings.Join(d.SigningAlgs, " "),
			errors.New("RS256 is not offered and it is the only algorithm this client accepts"))
	}
	return &d, nil
}

// expectedIssuer is Entra's issuer for an authority: the tenant's own, or the {tenantid} template
// served by common and organizations.
func expectedIssuer(a authority) string {
	if a.multiTenant() {
		return a.origin + "/{tenantid}/v2.0"
	}
	return a.String() + "/v2.0"
}

// checkEndpoint refuses a URL that could let a simulated or intercepted endpoint stand in for the
// authority's: http or loopback under an https authority, or any other host.
func checkEndpoint(a authority, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if !u.IsAbs() || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	if u.User != nil || u.Fragment != "" {
		return errors.New("must not carry user information or a fragment")
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if a.https && !a.loopback { // a loopback authority is the simulator: same origin is the rule
		if scheme != "https" {
			return fmt.Errorf("uses %s: %w", scheme, ErrInsecureEndpoint)
		}
		if isLoopbackHost(host) || numericHost(host) {
			return fmt.Errorf("points at %s: %w", host, ErrInsecureEndpoint)
		}
	}
	if origin := scheme + "://" + strings.ToLower(u.Host); origin != a.origin {
		return fmt.Errorf("is on %s, not %s: %w", origin, a.origin, ErrForeignEndpoint)
	}
	return nil
}
