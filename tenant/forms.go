package tenant

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// singleParams may appear at most once in a request (RFC 6749 §3.1, §3.2); a repeat is refused
// rather than guessed at.
var singleParams = []string{
	"grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type", "code",
	"redirect_uri", "code_verifier", "refresh_token", "device_code", "scope", "user_code", "username",
	"password", "action", "flow", "state", "nonce", "code_challenge", "code_challenge_method",
	"response_type", "response_mode", "login_hint", "prompt", "post_logout_redirect_uri", "claims",
	"method", "otc", "tap", "passkey", "switch",
}

// readForm reads a form body of at most maxFormBytes. A body that is not
// application/x-www-form-urlencoded reads as empty, as Entra ignores it, so missing-parameter
// errors follow.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *entraError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errMalformed("The request body is larger than 64 KiB.")
		}
		return nil, errMalformed("The request body could not be read.")
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return url.Values{}, nil
	}
	return parseParams(string(body))
}

// parseParams parses url-encoded parameters and refuses repeated protocol parameters.
func parseParams(raw string) (url.Values, *entraError) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return nil, errMalformed("The parameters are not valid application/x-www-form-urlencoded.")
	}
	for _, k := range singleParams {
		if len(vals[k]) > 1 {
			return nil, errMalformed("The parameter '" + k + "' appears more than once.")
		}
	}
	return vals, nil
}

// clientIDOf takes the client id from the form or, failing that, from HTTP Basic authentication.
func clientIDOf(r *http.Request, form url.Values) (string, *entraError) {
	id := form.Get("client_id")
	if user, _, ok := r.BasicAuth(); ok {
		if u, err := url.QueryUnescape(user); err == nil {
			user = u
		}
		if id != "" && !strings.EqualFold(id, user) {
			return "", errMalformed("The client_id in the body and in the Authorization header differ.")
		}
		id = user
	}
	return id, nil
}

// authenticateClient refuses credentials from public clients (AADSTS700025) and checks a
// confidential client's secret, sent in the body or with HTTP Basic.
func authenticateClient(r *http.Request, form url.Values, app *App) *entraError {
	secret, hasSecret := form.Get("client_secret"), form.Has("client_secret")
	if _, pass, ok := r.BasicAuth(); ok {
		if p, err := url.QueryUnescape(pass); err == nil {
			pass = p
		}
		secret, hasSecret = pass, true
	}
	hasAssertion := form.Has("client_assertion") || form.Has("client_assertion_type")
	if app.Public {
		if hasSecret || hasAssertion {
			return errPublicClientSecret()
		}
		return nil
	}
	if !hasSecret || secret == "" {
		return errMissingSecret()
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(app.Secret)) != 1 {
		return errBadSecret(app.ClientID)
	}
	return nil
}

// Scopes.

// graphAppID is Microsoft Graph's application id, the audience of Graph access tokens.
const graphAppID = "00000003-0000-0000-c000-000000000000"

var (
	graphScopePrefixes = []string{"https://graph.microsoft.com/", graphAppID + "/"}
	scopeNameRE        = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._-]{0,99}$`)
	// defaultGraphScopes is what a scope of OIDC names only gets, when the app has it consented.
	defaultGraphScopes = []string{"User.Read"}
)

const maxScopes = 50

// scopeSet is a parsed scope parameter: the OIDC scopes, the one resource the access token is
// for, and that resource's delegated permissions.
type scopeSet struct {
	// resource is "" for Microsoft Graph, or the app id of one of the restore service's apps.
	resource string
	// prefix is how the request first qualified the resource ("https://graph.microsoft.com/",
	// "{appId}/", or "" for Graph's bare names); a .default is echoed with it.
	prefix string
	// graph holds the resource's delegated permissions (Graph's, or a restore app's): as asked for
	// until the app's consent resolves them, then as granted.
	graph []string
	// spelt is each permission's prefix as the request wrote it, by index of graph: Entra echoes
	// scopes in the form they were asked for, and MSAL counts a requested scope missing from
	// the answer as declined. A permission granted by .default takes prefix.
	spelt []string
	// wantDefault is a request for "{resource}/.default": every permission consented for the app.
	wantDefault bool
	// oidcOnly is a scope that names no resource: Graph's defaultGraphScopes, as far as consented.
	oidcOnly                        bool
	openid, profile, email, offline bool
}

// String is the granted scope as the token response spells it: the resource's permissions in
// the form they were asked for, then "{resource}/.default" when that was asked for, then the OIDC
// scopes for Graph (Entra echoes openid, profile and email with Graph's permissions, and not
// with another resource's). offline_access is never echoed: it shows as a refresh token.
func (sc scopeSet) String() string {
	parts := make([]string, 0, len(sc.graph)+4)
	for i, p := range sc.graph {
		prefix := sc.prefix
		if i < len(sc.spelt) {
			prefix = sc.spelt[i]
		}
		parts = append(parts, prefix+p)
	}
	if sc.wantDefault {
		parts = append(parts, sc.prefix+".default")
	}
	if sc.resource == "" {
		parts = sc.appendOIDC(parts)
	}
	return strings.Join(parts, " ")
}

// appendOIDC adds the OIDC scopes asked for, in Entra's order.
func (sc scopeSet) appendOIDC(parts []string) []string {
	for _, p := range []struct {
		on   bool
		name string
	}{{sc.openid, "openid"}, {sc.profile, "profile"}, {sc.email, "email"}} {
		if p.on {
			parts = append(parts, p.name)
		}
	}
	return parts
}

// scp is the access token's scp claim: permission names without a resource. Graph's tokens carry
// the OIDC scopes too; another resource's carry its own permissions only.
func (sc scopeSet) scp() string {
	parts := append([]string(nil), sc.graph...)
	if sc.resource != "" {
		return strings.Join(parts, " ")
	}
	return strings.Join(sc.appendOIDC(parts), " ")
}

// audience is the access token's aud: Graph's app id, or the other resource's.
func (sc scopeSet) audience() string {
	if sc.resource != "" {
		return sc.resource
	}
	return graphAppID
}

// splitScope names the resource a scope is for ("" for Graph), the prefix it was written with
// and the permission it asks for. ok is false for a resource the simulator does not know.
func splitScope(f string) (resource, prefix, name string, ok bool) {
	for _, p := range graphScopePrefixes {
		if len(f) > len(p) && strings.EqualFold(f[:len(p)], p) {
			return "", f[:len(p)], f[len(p):], true
		}
	}
	if app, perm, found := strings.Cut(f, "/"); found {
		if r, known := restoreResource(app); known {
			return r, app + "/", perm, true
		}
	}
	if strings.Contains(f, "/") || strings.Contains(f, ":") {
		return "", "", "", false
	}
	return "", "", f, true
}

// parseScope reads a space-separated scope. Bare permission names and ".default" mean Microsoft
// Graph, as with Entra; "{appId}/.default" names one of the restore service's apps (tenant's
// RestoreAppID, RestoreBackupsAppID). Any other resource is unknown to the simulator, and one
// request may name only one resource (Entra's AADSTS28000). A scope of OIDC names only asks for
// Graph's User.Read, as Entra's does. The app's consent decides later what is granted
// (consentSet.resolve).
func parseScope(raw, tenantName string) (scopeSet, *entraError) {
	var sc scopeSet
	fields := strings.Fields(raw)
	if len(fields) == 0 {
		return sc, errMissingParam("scope")
	}
	if len(fields) > maxScopes {
		return sc, errInvalidScope("It names more than 50 scopes.")
	}
	seen := map[string]bool{}
	resourceSet := false
	for _, f := range fields {
		switch strings.ToLower(f) {
		case "openid":
			sc.openid = true
			continue
		case "profile":
			sc.profile = true
			continue
		case "email":
			sc.email = true
			continue
		case "offline_access":
			sc.offline = true
			continue
		}
		resource, prefix, name, ok := splitScope(f)
		if !ok {
			return sc, errUnknownResource(tenantName)
		}
		if resourceSet && resource != sc.resource {
			return sc, errSeveralResources(raw)
		}
		if !resourceSet {
			sc.resource, sc.prefix, resourceSet = resource, prefix, true
		}
		if name == ".default" {
			sc.wantDefault = true
			continue
		}
		if !scopeNameRE.MatchString(name) {
			return sc, errInvalidScope("A scope is not a permission name like User.Read.")
		}
		if sc.resource != "" && !strings.EqualFold(name, restoreAppPermission) {
			return sc, errInvalidScope(fmt.Sprintf("The scope '%s' does not exist on the resource '%s': it has only %s.",
				clip(name, 100), sc.resource, restoreAppPermission))
		}
		if !seen[strings.ToLower(name)] {
			seen[strings.ToLower(name)] = true
			sc.graph = append(sc.graph, name)
			sc.spelt = append(sc.spelt, prefix)
		}
	}
	if sc.wantDefault && len(sc.graph) > 0 {
		return sc, errInvalidScope("The scope '.default' cannot be combined with other permissions of the same resource.")
	}
	if !resourceSet {
		sc.oidcOnly = true
		sc.graph = append(sc.graph, defaultGraphScopes...)
	}
	return sc, nil
}

// Redirect URIs.

// redirectMatches reports whether requested is one of the registered redirect URIs. As in Entra, a
// loopback URI (http://127.0.0.1, http://localhost, http://[::1]) matches whatever its port, and an
// empty path equals "/".
func redirectMatches(registered []string, requested string) bool {
	req, ok := parseRedirect(requested)
	if !ok {
		return false
	}
	for _, reg := range registered {
		if reg == requested {
			return true
		}
		u, ok := parseRedirect(reg)
		if !ok || u.Scheme != req.Scheme || u.RawQuery != req.RawQuery || cleanPath(u.Path) != cleanPath(req.Path) {
			continue
		}
		if !strings.EqualFold(u.Hostname(), req.Hostname()) {
			continue
		}
		if u.Scheme == "http" && isLoopbackHost(u.Hostname()) {
			return true
		}
		if strings.EqualFold(u.Host, req.Host) {
			return true
		}
	}
	return false
}

// parseRedirect accepts absolute http(s) URLs without user info or fragment.
func parseRedirect(s string) (*url.URL, bool) {
	if s == "" || len(s) > 2048 {
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" || strings.Contains(s, "#") {
		return nil, false
	}
	return u, true
}

func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func isLoopbackHost(h string) bool {
	return h == "127.0.0.1" || strings.EqualFold(h, "localhost") || h == "::1"
}

// originOf returns scheme://host of a URL, for Content-Security-Policy form-action.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
