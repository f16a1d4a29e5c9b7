package tenant

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
)

// The restore service's apps, whose tokens Conditional Access can refuse during setup
// (domain.md §2, "access"). A client asks for them with the scope "{appId}/.default".
const (
	// RestoreAppID is the restore app: a Conditional Access policy can block it, and the person
	// sees "You don't have access to this".
	RestoreAppID = "d32c68ad-72d2-4acb-a0c7-46bb2cf93873"
	// RestoreBackupsAppID is the restore experience app, for which an authentication strength
	// policy may demand phishing-resistant MFA.
	RestoreBackupsAppID = "74d197dc-b84d-4d43-a1b2-b5bf3bb91c11"
)

// restoreAppPermission is the one delegated permission the simulator gives the restore apps.
// Microsoft does not document their permissions; user_impersonation is what Microsoft's own
// first-party APIs (Azure Resource Manager, Key Vault, Storage) expose to delegated clients.
const restoreAppPermission = "user_impersonation"

// restoreResource reports whether app names one of the restore apps, and its canonical id.
func restoreResource(app string) (string, bool) {
	switch strings.ToLower(app) {
	case RestoreAppID:
		return RestoreAppID, true
	case RestoreBackupsAppID:
		return RestoreBackupsAppID, true
	}
	return "", false
}

// ConditionalAccess is what the tenant's Conditional Access policies do to the restore apps.
// The zero value lets everything through, as a tenant without such policies does.
type ConditionalAccess struct {
	// BlockRestoreApp is a policy that blocks RestoreAppID: tokens for it are refused with
	// AADSTS53003.
	BlockRestoreApp bool `yaml:"blockRestoreApp" json:"blockRestoreApp"`
	// RequirePhishingResistantMFA is an authentication strength policy demanding phishing-resistant
	// MFA for RestoreBackupsAppID: a token for it from a session that did not use a passkey is
	// refused with AADSTS50076 and a claims challenge, which an interactive sign-in with the
	// claims satisfies (the sign-in page asks for the passkey).
	RequirePhishingResistantMFA bool `yaml:"requirePhishingResistantMfa" json:"requirePhishingResistantMfa"`
	// RequireMFA is a policy granting access to every app only with multifactor authentication
	// ("Require multifactor authentication"): the sign-in pages ask for a second factor after
	// the password, and a token from a session without one is refused with AADSTS50076.
	RequireMFA bool `yaml:"requireMfa" json:"requireMfa"`
}

// UserConditionalAccess overrides the tenant's ConditionalAccess for one user (a policy that
// targets, or excludes, that user); a nil field keeps the tenant's value.
type UserConditionalAccess struct {
	BlockRestoreApp             *bool `yaml:"blockRestoreApp" json:"blockRestoreApp,omitempty"`
	RequirePhishingResistantMFA *bool `yaml:"requirePhishingResistantMfa" json:"requirePhishingResistantMfa,omitempty"`
	RequireMFA                  *bool `yaml:"requireMfa" json:"requireMfa,omitempty"`
}

// AccessFor is the Conditional Access that applies to u: the tenant's, with u's overrides. A nil
// u gets the tenant's.
func (t *Tenant) AccessFor(u *User) ConditionalAccess {
	ca := t.ConditionalAccess
	if u == nil || u.ConditionalAccess == nil {
		return ca
	}
	if v := u.ConditionalAccess.BlockRestoreApp; v != nil {
		ca.BlockRestoreApp = *v
	}
	if v := u.ConditionalAccess.RequirePhishingResistantMFA; v != nil {
		ca.RequirePhishingResistantMFA = *v
	}
	if v := u.ConditionalAccess.RequireMFA; v != nil {
		ca.RequireMFA = *v
	}
	return ca
}

// accessRefusal is Entra's answer when Conditional Access refuses the token a grant asks for,
// or nil when the token may be issued. It decides before the grant is spent, so a refused
// request leaves the refresh token (or code) usable, as with Entra. The session's strength is
// the grant's amr: a refresh token carries the one of the sign-in it came from.
func accessRefusal(g grantContext) *entraError {
	ca := g.ts.t.AccessFor(g.user)
	amr := g.methods()
	switch {
	case g.scope.resource == RestoreAppID && ca.BlockRestoreApp:
		return errBlockedByConditionalAccess()
	case ca.RequireMFA && !amrHasMFA(amr):
		return errStrongAuthRequired(g.scope.audience(), policyID(g.ts.id, policyRequireMFA))
	case g.scope.resource == RestoreBackupsAppID && ca.RequirePhishingResistantMFA && !amrPhishingResistant(amr):
		return errStrongAuthRequired(g.scope.resource, policyID(g.ts.id, policyPhishingResistant))
	}
	return nil
}

// logRefusal records a Conditional Access refusal by code and user, never a token.
func (s *Server) logRefusal(r *http.Request, g grantContext, e *entraError) {
	s.log.Info("token refused by Conditional Access", "tenant", g.ts.id, "user", strings.ToLower(g.user.ObjectID),
		"resource", g.scope.resource, "aadsts", e.Code, "trace_id", info(r).traceID)
}

// policyID is a stable id for one of the tenant's simulated Conditional Access policies, for the
// capolids claims challenge: the same tenant and policy always get the same GUID.
func policyID(tid, policy string) string {
	sum := sha256.Sum256([]byte("oobe simulated Conditional Access policy|" + tid + "|" + policy))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50 // a name-based GUID (version 5 layout)
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Entra's answers on the v2.0 token endpoint. The v2.0 endpoint reports these with error
// invalid_grant on a refresh_token or code grant, where the v1.0 endpoint said
// interaction_required: compare AADSTS70043 through v1.0 ("interaction_required", Azure/azure-cli
// issue 23822) and through /oauth2/v2.0/token ("invalid_grant", Azure/azure-sdk-for-python issue
// 28478).

// errBlockedByConditionalAccess is AADSTS53003 (BlockedByConditionalAccess, Entra's
// reference-error-codes page), with the suberror message_only Entra sends with it
// (dafthack/MSOLSpray issue 5 shows a real body): no interaction can fix it.
func errBlockedByConditionalAccess() *entraError {
	return &entraError{Err: "invalid_grant", Code: 53003, Suberror: "message_only",
		Desc: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."}
}

// errStrongAuthRequired is AADSTS50076 (UserStrongAuthClientAuthNRequired), shaped like the body
// in AzureAD/microsoft-authentication-library-for-js issue 5491: invalid_grant, suberror
// basic_action, and a claims challenge naming the policy (capolids) for the next interactive
// request. Entra documents no separate code for an unmet authentication strength; the
// strength shows in the sign-in log, not in the token endpoint's answer.
func errStrongAuthRequired(resource, policy string) *entraError {
	return &entraError{Err: "invalid_grant", Code: 50076, Suberror: "basic_action",
		Claims: `{"access_token":{"capolids":{"essential":true,"values":["` + policy + `"]}}}`,
		Desc:   fmt.Sprintf("Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '%s'.", resource)}
}

// errSeveralResources is AADSTS28000: one token is for one resource.
func errSeveralResources(raw string) *entraError {
	return &entraError{Err: "invalid_scope", Code: 28000, Desc: fmt.Sprintf(
		"Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.", clip(raw, 300))}
}
