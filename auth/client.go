package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/oobe-dev/oobe/clock"
)

// DefaultScopes are requested when Config.Scopes is empty: an ID token, a refresh token and a
// Graph access token for the signed-in user.
func DefaultScopes() []string { return []string{"openid", "profile", "offline_access", "User.Read"} }

// Config says which Entra tenant and app registration to sign in to.
type Config struct {
	// Authority is https://login.microsoftonline.com/<tenant-guid|organizations|common>, or
	// http://127.0.0.1:PORT/<tenant> for the simulator.
	Authority string
	// ClientID is the public client's application (client) ID.
	ClientID string
	// Scopes requested; nil means DefaultScopes. Must include openid.
	Scopes []string
	// Clock gives the time for token checks and the device-code polling; nil means clock.Real{}.
	Clock clock.Clock
	// HTTPClient talks to Entra; nil means a client with a 30 s timeout. Redirects are never followed.
	HTTPClient *http.Client
	// Logger receives progress; never tokens or codes. nil discards.
	Logger *slog.Logger
}

// Client signs people in to one authority as one public client.
type Client struct {
	authority authority
	clientID  string
	scopes    []string
	clock     clock.Clock
	http      *http.Client
	log       *slog.Logger
	disc      *discovery
	verifier  *oidc.IDTokenVerifier
	perTenant tenantKeySets // under common or organizations: each tenant's own keys
}

// New checks cfg, fetches the authority's discovery document and refuses one whose issuer, keys
// or endpoints break the https-vs-loopback rule.
func New(ctx context.Context, cfg Config) (*Client, error) {
	a, err := parseAuthority(cfg.Authority)
	if err != nil {
		return nil, err
	}
	clientID := strings.ToLower(strings.TrimSpace(cfg.ClientID))
	if !isGUID(clientID) {
		return nil, fmt.Errorf("client ID %q is not a GUID; use the app registration's Application (client) ID", cfg.ClientID)
	}
	scopes := slices.Clone(cfg.Scopes)
	if len(scopes) == 0 {
		scopes = DefaultScopes()
	}
	if !slices.Contains(scopes, "openid") {
		return nil, fmt.Errorf("scopes %q lack openid: signing in needs an ID token", scopes)
	}
	c := &Client{
		authority: a,
		clientID:  clientID,
		scopes:    scopes,
		clock:     cfg.Clock,
		http:      noRedirects(cfg.HTTPClient),
		log:       cfg.Logger,
	}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("authority", a.String())
	c.disc, err = fetchDiscovery(ctx, c.http, a)
	if err != nil {
		return nil, err
	}
	c.verifier = c.newVerifier()
	c.log.Debug("discovery document accepted", "issuer", c.disc.Issuer, "jwks_uri", c.disc.JWKSURI)
	return c, nil
}

// Authority returns the canonical authority URL (lower-case host and tenant, no trailing slash).
func (c *Client) Authority() string { return c.authority.String() }

// ClientID returns the public client's application ID.
func (c *Client) ClientID() string { return c.clientID }

// Issuer returns the issuer from discovery; for common and organizations it holds {tenantid}.
func (c *Client) Issuer() string { return c.disc.Issuer }

// GraphURL is Microsoft Graph's base URL for this authority's cloud, from the discovery
// document's msgraph_host (https://graph.microsoft.com for Entra's global cloud, the simulator's
// own URL for the simulator, also behind a public URL), or "" when it names none this client
// may use.
func (c *Client) GraphURL() string { return c.disc.graphURL(c.authority) }

// scope is the space-separated scope parameter.
func (c *Client) scope() string { return strings.Join(c.scopes, " ") }
