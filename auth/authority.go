package auth

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// ErrBadAuthority is wrapped by every error about the configured authority URL.
var ErrBadAuthority = errors.New("unusable authority")

// The multi-tenant authorities: the issuer in their discovery document is a template.
const (
	tenantCommon        = "common"
	tenantOrganizations = "organizations"
	// consumersTenant is the Microsoft account (MSA) tenant; "organizations" must never let it in.
	consumersTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
)

// authority is a parsed, canonical authority URL: scheme://host/tenant.
type authority struct {
	origin string // scheme://host[:port], lower case
	tenant string // a lower-case tenant GUID, "common" or "organizations"
	https  bool
	// loopback is set for the simulator on this machine, over http or https; only an https
	// authority on a DNS name is held to the rule that no endpoint may be loopback.
	loopback bool
}

// String returns the canonical authority URL.
func (a authority) String() string { return a.origin + "/" + a.tenant }

// multiTenant reports whether the authority names no single tenant.
func (a authority) multiTenant() bool {
	return a.tenant == tenantCommon || a.tenant == tenantOrganizations
}

// parseAuthority accepts https://host/<tenant> for real Entra and http(s)://127.0.0.1:PORT/<tenant>
// for the simulator, so that a plain-http or loopback issuer can never stand in for a real one:
// an https authority on a loopback host is the simulator's, and is checked as such.
func parseAuthority(raw string) (authority, error) {
	bad := func(format string, args ...any) (authority, error) {
		return authority{}, fmt.Errorf("authority %q: %s: %w", raw, fmt.Sprintf(format, args...), ErrBadAuthority)
	}
	if raw == "" {
		return bad("empty; use https://login.microsoftonline.com/<tenant-guid>")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("not a URL (%v)", err)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return bad("must be scheme://host/<tenant> with no user, query or fragment")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return bad("has no host")
	}
	a := authority{origin: strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)}
	switch strings.ToLower(u.Scheme) {
	case "https":
		a.https = true
		// The simulator over TLS (oobe serve --tls); its endpoints must then be its own origin.
		a.loopback = isLoopbackHost(host)
		if !a.loopback && numericHost(host) {
			return bad("an https authority must be a host name (or the simulator on 127.0.0.1), not an IP address")
		}
	case "http":
		if !isLoopbackHost(host) {
			return bad("plain http is only allowed for the simulator on 127.0.0.1; real Entra needs https")
		}
		a.loopback = true
	default:
		return bad("scheme must be https (or http for the simulator on 127.0.0.1)")
	}
	tenant := strings.ToLower(strings.Trim(u.Path, "/"))
	switch {
	case tenant == tenantCommon || tenant == tenantOrganizations:
	case isGUID(tenant):
	case tenant == "":
		return bad("names no tenant; append the tenant GUID, \"organizations\" or \"common\"")
	case tenant == "consumers":
		return bad("personal Microsoft accounts are not supported; use the work tenant's GUID")
	default:
		return bad("tenant %q must be the tenant GUID (a domain name is not accepted), \"organizations\" or \"common\"", tenant)
	}
	a.tenant = tenant
	return a, nil
}

// isLoopbackHost reports whether host names this machine: localhost, 127.0.0.0/8, ::1 or an
// unspecified address (which also reaches this machine).
func isLoopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsUnspecified()
}

// numericHost reports whether host is an IP address in any spelling ("127.1", "0x7f.0.0.1" and
// "2130706433" reach loopback through some resolvers); no DNS top-level label is numeric.
func numericHost(host string) bool {
	h := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), ".")
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	last := h[strings.LastIndexByte(h, '.')+1:]
	if strings.HasPrefix(last, "0x") {
		return true
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return true
}
