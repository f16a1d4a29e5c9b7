package auth

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// CheckKeyTenant names the multi-tenant check that the signing key is one the token's own
// tenant publishes.
const CheckKeyTenant = "key-tid"

// maxTenantKeySets bounds the tenants whose keys a multi-tenant client keeps: each one costs a
// discovery and a JWKS fetch, and a sign-in only ever meets a few.
const maxTenantKeySets = 32

// tenantKeySets are, under common or organizations, each tenant's own published keys. The
// authority's key set publishes every tenant's keys under the {tenantid} template, so a key
// found there says nothing about which tenant it signs for: a token claiming tenant A signed
// with tenant B's key verifies against it. Microsoft.IdentityModel closes this gap by checking
// the key's issuer against the token's tid (EnableAadSigningKeyIssuerValidation); this client
// verifies the signature again with the keys of the tenant the token names, fetched from that
// tenant's own discovery document.
type tenantKeySets struct {
	mu   sync.Mutex
	sets map[string]*keySet // by lower-case tenant GUID
}

// tenantKeys returns tid's key set, fetching the tenant's discovery document the first time.
// The issuer there must be the one the token carries.
func (c *Client) tenantKeys(ctx context.Context, tid, issuer string) (*keySet, error) {
	tid = strings.ToLower(tid)
	c.perTenant.mu.Lock()
	ks := c.perTenant.sets[tid]
	c.perTenant.mu.Unlock()
	if ks != nil {
		return ks, nil
	}
	a := c.authority
	a.tenant = tid
	d, err := fetchDiscovery(ctx, c.http, a)
	if err != nil {
		return nil, err
	}
	if d.Issuer != issuer {
		return nil, fmt.Errorf("tenant %s's discovery names the issuer %q, not the token's %q", tid, d.Issuer, issuer)
	}
	ks = newKeySet(c.http, d.JWKSURI)
	c.perTenant.mu.Lock()
	defer c.perTenant.mu.Unlock()
	if old := c.perTenant.sets[tid]; old != nil {
		return old, nil
	}
	if c.perTenant.sets == nil || len(c.perTenant.sets) >= maxTenantKeySets {
		c.perTenant.sets = map[string]*keySet{}
	}
	c.perTenant.sets[tid] = ks
	return ks, nil
}

// checkKeyTenant verifies raw's signature with its own tenant's keys, under a multi-tenant
// authority; a single-tenant authority's key set is that tenant's already.
func (c *Client) checkKeyTenant(ctx context.Context, raw string, cl *Claims) error {
	if !c.authority.multiTenant() {
		return nil
	}
	ks, err := c.tenantKeys(ctx, cl.TenantID, cl.Issuer)
	if err != nil {
		return &VerifyError{Check: CheckKeys, Err: fmt.Errorf("fetching the signing keys of tenant %s: %w", cl.TenantID, err)}
	}
	if _, err := ks.VerifySignature(ctx, raw); err != nil {
		return refuse(CheckKeyTenant, "signed with a key tenant %s does not publish (a token for one tenant signed by another's key): %v", cl.TenantID, err)
	}
	return nil
}
