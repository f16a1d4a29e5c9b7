package tenant

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/oobe-dev/oobe/internal/totp"
)

// MFAMethods are a user's authentication methods beyond the password, as Entra's authentication
// methods policy registers them. The zero value is a user with a password only.
type MFAMethods struct {
	// Authenticator is the base32 secret of an authenticator app's TOTP (RFC 6238: SHA-1, six
	// digits, 30-second steps), the "software OATH token" of Entra's methods.
	Authenticator string `yaml:"authenticator"`
	// Passkey is a phishing-resistant method: a passkey, a FIDO2 security key or Windows Hello
	// for Business.
	Passkey bool `yaml:"passkey"`
	// TemporaryAccessPass is a time-limited passcode an admin issued; nil when there is none.
	TemporaryAccessPass *TemporaryAccessPass `yaml:"temporaryAccessPass"`
}

// TemporaryAccessPass is Entra's temporaryAccessPassAuthenticationMethod: a passcode that "serves
// as a strong credential" (Graph reference), usable once or many times within its lifetime. The
// simulator does not model the lifetime (10 minutes to 30 days): a pass lasts the run.
type TemporaryAccessPass struct {
	// Pass is the passcode (Graph's temporaryAccessPass).
	Pass string `yaml:"pass"`
	// UsableOnce is Graph's isUsableOnce: the pass works for one sign-in. Entra's default is false.
	UsableOnce bool `yaml:"usableOnce"`
}

// UnmarshalYAML takes the pass alone (`temporaryAccessPass: <pass>`, multi-use) or a mapping
// {pass, usableOnce}.
func (t *TemporaryAccessPass) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = TemporaryAccessPass{Pass: n.Value}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: temporaryAccessPass is the pass, or a mapping {pass, usableOnce}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "pass" && k != "usableOnce" {
			return fmt.Errorf("line %d: field %s not found in type tenant.TemporaryAccessPass", n.Content[i].Line, k)
		}
	}
	type plain TemporaryAccessPass
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*t = TemporaryAccessPass(p)
	return nil
}

// totpSkew is how many 30-second steps either side of now a code is still taken. Entra
// tolerates some clock drift on OATH tokens without documenting how much; one step is inferred.
const totpSkew = 1

// decodeTOTPSecret reads a base32 secret as authenticator apps take it (totp.Decode).
func decodeTOTPSecret(secret string) ([]byte, error) { return totp.Decode(secret) }

// totpAt is RFC 6238's TOTP of key at t.
func totpAt(key []byte, t time.Time, digits int) string { return totp.At(key, t, digits) }

// TOTP is the six-digit code an authenticator app shows at t for the base32 secret (RFC 6238:
// SHA-1, 30-second steps).
func TOTP(secret string, t time.Time) (string, error) { return totp.Code(secret, t) }

// totpMatches checks code against the secret's codes around now in constant time.
func totpMatches(secret, code string, now time.Time) bool {
	return totp.Matches(secret, code, now, totpSkew)
}

// mfaMethod is a second factor the MFA step can ask for.
type mfaMethod string

// The MFA step's methods; the page's form names them in its method field.
const (
	methodOTP     mfaMethod = "otp"
	methodPasskey mfaMethod = "passkey"
	methodTAP     mfaMethod = "tap"
)

// mfaDemand is how strong a sign-in must be.
type mfaDemand int

const (
	demandNone mfaDemand = iota
	// demandMFA is Conditional Access's "Require multifactor authentication" (Entra's built-in
	// "Multifactor authentication" strength): any second factor.
	demandMFA
	// demandPhishingResistant is the built-in "Phishing-resistant MFA" authentication strength:
	// Windows Hello for Business, FIDO2 security keys (passkeys) and multifactor certificates.
	// A Temporary Access Pass does not satisfy it (Graph's authenticationMethodModes: the
	// strength's combinations are fido2, windowsHelloForBusiness, x509CertificateMultiFactor).
	demandPhishingResistant
)

// satisfiedBy reports whether a sign-in with method meets the demand.
func (d mfaDemand) satisfiedBy(m mfaMethod) bool {
	switch d {
	case demandNone:
		return true
	case demandMFA:
		return m != ""
	}
	return m == methodPasskey
}

// Entra's amr values (the access token claims reference: pwd, rsa, otp, mfa, ngcmfa, ...; "fido"
// for a FIDO2 credential, as identity providers federating MFA to Entra map security keys).
// Which of them Entra writes for a password followed by each second factor is not documented:
// the lists below are inferred, with "mfa" whenever a second factor was given.
func amrFor(m mfaMethod) []string {
	switch m {
	case methodOTP:
		return []string{"pwd", "otp", "mfa"}
	case methodPasskey:
		return []string{"pwd", "fido", "mfa"}
	case methodTAP:
		return []string{"pwd", "mfa"} // inferred: Entra documents no amr value for a TAP
	}
	return []string{"pwd"}
}

// amrHasMFA reports whether the session had a second factor.
func amrHasMFA(amr []string) bool {
	return slices.Contains(amr, "mfa") || slices.Contains(amr, "ngcmfa")
}

// amrPhishingResistant reports whether the session used a phishing-resistant method.
func amrPhishingResistant(amr []string) bool {
	return slices.Contains(amr, "fido") || slices.Contains(amr, "ngcmfa")
}

// Policy names behind the capolids claims challenges (policyID).
const (
	policyRequireMFA        = "require MFA"
	policyPhishingResistant = "phishing-resistant MFA"
)

// claimsPolicies reads the capolids an authorize request's claims parameter names (the claims
// challenge a token endpoint refusal carried, which MSAL passes back on the interactive
// request). Other claims requests, such as MSAL's xms_cc client capabilities, are ignored.
func claimsPolicies(raw string) ([]string, *entraError) {
	if raw == "" {
		return nil, nil
	}
	var c struct {
		AccessToken struct {
			Capolids struct {
				Values []string `json:"values"`
			} `json:"capolids"`
		} `json:"access_token"`
	}
	if len(raw) > 8<<10 || json.Unmarshal([]byte(raw), &c) != nil {
		// inferred: Entra's code for a malformed claims parameter is not documented
		return nil, errMalformed("The claims parameter is not a JSON claims request.")
	}
	var out []string
	for _, v := range c.AccessToken.Capolids.Values {
		out = append(out, strings.ToLower(v))
	}
	return out, nil
}

// demandFor is what Conditional Access asks of u's sign-in for scope, given the policies an
// authorize request's claims challenge names.
func demandFor(ts *tenantState, u *User, scope scopeSet, challenged []string) mfaDemand {
	ca := ts.t.AccessFor(u)
	d := demandNone
	if ca.RequireMFA {
		d = demandMFA
	}
	if ca.RequirePhishingResistantMFA && (scope.resource == RestoreBackupsAppID || slices.Contains(challenged, policyID(ts.id, policyPhishingResistant))) {
		d = demandPhishingResistant
	}
	return d
}

// mfaOffers are the methods the MFA step offers u: those registered that meet the demand, in
// the order Entra prefers them (inferred: the authenticator first, as the default method).
func mfaOffers(u *User, d mfaDemand) []mfaMethod {
	var out []mfaMethod
	if u.MFA == nil {
		return nil
	}
	if d == demandPhishingResistant {
		if u.MFA.Passkey {
			out = append(out, methodPasskey)
		}
		return out
	}
	if u.MFA.Authenticator != "" {
		out = append(out, methodOTP)
	}
	if u.MFA.Passkey {
		out = append(out, methodPasskey)
	}
	if u.MFA.TemporaryAccessPass != nil {
		out = append(out, methodTAP)
	}
	return out
}

// mfaStep is a sign-in between its password and its second factor: the password was right,
// and the page asks for method.
type mfaStep struct {
	ts     *tenantState
	oid    string
	demand mfaDemand
	method mfaMethod // "" when the user has no method that meets the demand
}

// The MFA step's form fields (internal/signinpage and internal/devicelogin name them too).
const (
	fieldMethod  = "method"
	fieldOTC     = "otc" // Entra's own name for the one-time code field
	fieldTAP     = "tap"
	fieldPasskey = "passkey"
	fieldSwitch  = "switch"
	// passkeyUsed is what a browser posts in fieldPasskey when its passkey answered: the
	// simulator cannot run WebAuthn, so the assertion is a fixed field.
	passkeyUsed = "used"
)

// Entra's answers on the MFA step.

// errWrongOTP is a wrong or stale code. Entra's page says "You didn't enter the expected
// verification code. Please try again."; the sign-in log records AADSTS500121 ("Authentication
// failed during strong authentication request").
func errWrongOTP() *entraError {
	return &entraError{Err: "invalid_grant", Code: 500121, Desc: "You didn't enter the expected verification code. Please try again."}
}

// errWrongTAP is a wrong, used or expired Temporary Access Pass (code inferred: the same strong
// authentication failure).
func errWrongTAP() *entraError {
	return &entraError{Err: "invalid_grant", Code: 500121, Desc: "The Temporary Access Pass is not valid: it is wrong, expired or already used. Ask your administrator for a new one."}
}

// errNoPasskey is the browser answering without its passkey (the person cancelled the prompt,
// or the device has none to offer).
func errNoPasskey() *entraError {
	return &entraError{Err: "invalid_grant", Code: 500121, Desc: "Authentication failed during strong authentication request: the passkey or security key did not answer."}
}

// errMFARegistration is AADSTS50079 (UserStrongAuthEnrollmentRequired): the policy demands a
// method the user has not registered. Entra then interrupts with "More information required";
// the simulator does not model registration.
func errMFARegistration(d mfaDemand) *entraError {
	what := "multifactor authentication"
	if d == demandPhishingResistant {
		what = "a phishing-resistant method (a passkey, a FIDO2 security key or Windows Hello for Business)"
	}
	return &entraError{Err: "interaction_required", Code: 50079,
		Desc: "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in " + what + " to access this resource."}
}

// checkMFA checks the answer posted for step's method; TAP use is recorded.
func (s *Server) checkMFA(step *mfaStep, u *User, method mfaMethod, otc, tap, passkey string) *entraError {
	switch method {
	case methodOTP:
		if u.MFA == nil || u.MFA.Authenticator == "" || !totpMatches(u.MFA.Authenticator, strings.TrimSpace(otc), s.clock.Now()) {
			return errWrongOTP()
		}
	case methodPasskey:
		if u.MFA == nil || !u.MFA.Passkey || passkey != passkeyUsed {
			return errNoPasskey()
		}
	case methodTAP:
		if u.MFA == nil || u.MFA.TemporaryAccessPass == nil {
			return errWrongTAP()
		}
		p := u.MFA.TemporaryAccessPass
		key := step.ts.id + "/" + step.oid
		s.mu.Lock()
		defer s.mu.Unlock()
		if subtle.ConstantTimeCompare([]byte(tap), []byte(p.Pass)) != 1 || (p.UsableOnce && s.tapUsed[key]) {
			return errWrongTAP()
		}
		if p.UsableOnce {
			s.tapUsed[key] = true
		}
	default:
		return errWrongOTP()
	}
	return nil
}

// mfaPage is what the MFA step's page shows for method: Entra's headings and words where they
// are known; the passkey page's text is inferred.
func mfaPage(m mfaMethod) (heading, message, verb string) {
	switch m {
	case methodOTP:
		return "Enter code", "Enter the code displayed in the authenticator app on your mobile device", "Verify"
	case methodPasskey:
		return "Sign in with a passkey", "Use your passkey, security key or Windows Hello to verify your identity. (Simulated: the browser answers for its passkey with a form field; WebAuthn does not run here.)", "Use passkey"
	case methodTAP:
		return "Enter Temporary Access Pass", "Enter the Temporary Access Pass your administrator gave you.", "Sign in"
	}
	return "More information required", "Your organization needs more information to keep your account secure.", ""
}

// mfaOption is another way to sign in the page offers.
type mfaOption struct{ Method, Label string }

var mfaLabels = map[mfaMethod]string{
	methodOTP:     "Use a verification code",
	methodPasskey: "Use a passkey or security key",
	methodTAP:     "Use a Temporary Access Pass",
}

// fillMFA sets the MFA step's fields of pd.
func fillMFA(pd *pageData, step *mfaStep, u *User) {
	pd.Heading, pd.Message, pd.Verb = mfaPage(step.method)
	pd.Method = string(step.method)
	for _, m := range mfaOffers(u, step.demand) {
		if m != step.method {
			pd.Others = append(pd.Others, mfaOption{Method: string(m), Label: mfaLabels[m]})
		}
	}
}
