package tenant

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// entraError is one protocol failure as Entra reports it: an OAuth error string, an AADSTS code and a
// sentence for people. Clients branch on Err, never on Desc.
type entraError struct {
	Status int
	Err    string
	Code   int
	Desc   string
	// Suberror and Claims are sent with some interaction errors: how the client may recover, and
	// the claims challenge (JSON) to pass to the next interactive request.
	Suberror string
	Claims   string
}

// entraErrorBody is Entra's error JSON, fields in Entra's order.
type entraErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
	Suberror         string `json:"suberror,omitempty"`
	Claims           string `json:"claims,omitempty"`
}

// entraTimestamp is Entra's timestamp layout in error bodies.
const entraTimestamp = "2006-01-02 15:04:05Z"

// describe renders "AADSTS<code>: <desc> Trace ID: … Correlation ID: … Timestamp: …" as Entra does.
func (s *Server) describe(r *http.Request, e *entraError) string {
	ri := info(r)
	return fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
		e.Code, e.Desc, ri.traceID, ri.corrID, s.clock.Now().UTC().Format(entraTimestamp))
}

// writeEntraError writes e as Entra's error JSON.
func (s *Server) writeEntraError(w http.ResponseWriter, r *http.Request, e *entraError) {
	ri := info(r)
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, entraErrorBody{
		Error:            e.Err,
		ErrorDescription: s.describe(r, e),
		ErrorCodes:       []int{e.Code},
		Timestamp:        s.clock.Now().UTC().Format(entraTimestamp),
		TraceID:          ri.traceID,
		CorrelationID:    ri.corrID,
		ErrorURI:         s.baseURL(r) + "/error?code=" + strconv.Itoa(e.Code),
		Suberror:         e.Suberror,
		Claims:           e.Claims,
	})
}

// graphErrorBody is Graph's error JSON.
type graphErrorBody struct {
	Error graphError `json:"error"`
}

type graphError struct {
	Code       string          `json:"code"`
	Message    string          `json:"message"`
	InnerError graphInnerError `json:"innerError"`
}

type graphInnerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// writeGraphError writes Graph's error JSON; 401s also carry Graph's WWW-Authenticate challenge.
func (s *Server) writeGraphError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	ri := info(r)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(
			`Bearer realm="", authorization_uri="%s/common/oauth2/v2.0/authorize", client_id="%s", error="invalid_token"`,
			s.baseURL(r), graphAppID))
	}
	writeJSON(w, status, graphErrorBody{Error: graphError{
		Code:    code,
		Message: msg,
		InnerError: graphInnerError{
			Date:            s.clock.Now().UTC().Format("2006-01-02T15:04:05"),
			RequestID:       ri.traceID,
			ClientRequestID: ri.corrID,
		},
	}})
}

// The errors below use Entra's AADSTS codes and wording where Entra has one for the case.

func errUnknownTenant(seg string) *entraError {
	return &entraError{Err: "invalid_tenant", Code: 90002, Desc: fmt.Sprintf(
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
		clip(seg, 64))}
}

func errMissingParam(name string) *entraError {
	return &entraError{Err: "invalid_request", Code: 900144, Desc: fmt.Sprintf(
		"The request body must contain the following parameter: '%s'.", name)}
}

func errMalformed(why string) *entraError {
	return &entraError{Err: "invalid_request", Code: 9002313, Desc: "Invalid request. Request is malformed or invalid. " + why}
}

func errPostOnly(method string) *entraError { return errMethod([]string{"POST"}, method) }

func errMethod(allowed []string, method string) *entraError {
	return &entraError{Err: "invalid_request", Code: 900561, Desc: fmt.Sprintf(
		"The endpoint only accepts %s requests. Received a %s request.", strings.Join(allowed, ", "), clip(method, 16))}
}

func errNoEndpoint(path string) *entraError {
	return &entraError{Status: http.StatusNotFound, Err: "invalid_request", Code: 9002313, Desc: fmt.Sprintf(
		"Invalid request. Request is malformed or invalid. The path '%s' is not an endpoint the simulator serves.", clip(path, 200))}
}

func errUnknownClient(clientID, directory string) *entraError {
	if !IsGUID(clientID) {
		return &entraError{Err: "unauthorized_client", Code: 700038, Desc: "The client_id is not a valid application identifier: it must be a GUID."}
	}
	return &entraError{Err: "unauthorized_client", Code: 700016, Desc: fmt.Sprintf(
		"Application with identifier '%s' was not found in %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
		strings.ToLower(clientID), directoryName(directory))}
}

func directoryName(name string) string {
	if name == "the directory" {
		return name
	}
	return "the directory '" + name + "'"
}

func errPublicClientSecret() *entraError {
	return &entraError{Status: http.StatusUnauthorized, Err: "invalid_client", Code: 700025,
		Desc: "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."}
}

func errMissingSecret() *entraError {
	return &entraError{Status: http.StatusUnauthorized, Err: "invalid_client", Code: 7000218,
		Desc: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
}

func errBadSecret(clientID string) *entraError {
	return &entraError{Status: http.StatusUnauthorized, Err: "invalid_client", Code: 7000215, Desc: fmt.Sprintf(
		"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.",
		strings.ToLower(clientID))}
}

func errUnsupportedGrant() *entraError {
	return &entraError{Err: "unsupported_grant_type", Code: 70003, Desc: "The app requested an unsupported grant type: use authorization_code, refresh_token, urn:ietf:params:oauth:grant-type:device_code (or device_code) or client_credentials."}
}

func errInvalidScope(why string) *entraError {
	return &entraError{Err: "invalid_scope", Code: 70011, Desc: "The provided value for the input parameter 'scope' is not valid. " + why}
}

func errUnknownResource(tenantName string) *entraError {
	return &entraError{Err: "invalid_resource", Code: 500011, Desc: fmt.Sprintf(
		"The resource principal named in the scope was not found in the tenant named %s. Only Microsoft Graph and the restore service's apps ("+RestoreAppID+", "+RestoreBackupsAppID+") are simulated.", tenantName)}
}

func errBadAuthCode(why string) *entraError {
	return &entraError{Err: "invalid_grant", Code: 70000, Desc: "The provided authorization code is not valid. " + why}
}

func errCodeRedeemed() *entraError {
	return &entraError{Err: "invalid_grant", Code: 54005, Desc: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."}
}

func errCodeExpired() *entraError {
	return &entraError{Err: "invalid_grant", Code: 70008, Desc: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."}
}

func errCodeOtherTenant() *entraError {
	return &entraError{Err: "invalid_grant", Code: 700005, Desc: "Provided Authorization Code is intended to use against other tenant, thus rejected."}
}

func errBadRefreshToken(why string) *entraError {
	return &entraError{Err: "invalid_grant", Code: 70000, Desc: "The provided value for the input parameter 'refresh_token' is not valid. " + why}
}

// errGrantRevoked is AADSTS50173: the refresh token was revoked (revokeSignInSessions, a
// password change), and only a new interactive sign-in gets tokens again.
func errGrantRevoked() *entraError {
	return &entraError{Err: "invalid_grant", Code: 50173, Suberror: "bad_token", Desc: "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued before the user's sign-in sessions were revoked."}
}

func errRedirectMismatch(clientID string) *entraError {
	return &entraError{Err: "invalid_request", Code: 50011, Desc: fmt.Sprintf(
		"The redirect URI specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application.",
		strings.ToLower(clientID))}
}

func errVerifierMismatch() *entraError {
	return &entraError{Err: "invalid_grant", Code: 50148, Desc: "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE."}
}

func errVerifierMissing() *entraError {
	return &entraError{Err: "invalid_grant", Code: 501481, Desc: "The Code_Verifier does not match the code_challenge supplied in the authorization request: the authorization request had a code_challenge, so the token request must send code_verifier."}
}

func errPending() *entraError {
	return &entraError{Err: "authorization_pending", Code: 70016, Desc: "OAuth 2.0 device flow error. Authorization is pending. Continue polling."}
}

func errSlowDown(interval int) *entraError {
	return &entraError{Err: "slow_down", Code: 70016, Desc: fmt.Sprintf(
		"OAuth 2.0 device flow error. Polling too fast: wait at least %d seconds between polls.", interval)}
}

func errDeclined() *entraError {
	return &entraError{Err: "authorization_declined", Code: 65004, Desc: "User declined to consent to access the app. Stop polling."}
}

func errBadDeviceCode() *entraError {
	return &entraError{Err: "bad_verification_code", Code: 70018, Desc: "Invalid verification code: the device_code sent to the token endpoint was not recognized for this client."}
}

func errDeviceCodeExpired() *entraError {
	return &entraError{Err: "expired_token", Code: 70019, Desc: "Verification code expired. Start a new device code sign-in."}
}

func errThrottled() *entraError {
	return &entraError{Status: http.StatusTooManyRequests, Err: "temporarily_unavailable", Code: 90055,
		Desc: "TenantThrottlingThreshold: There are too many incoming requests. Retry after the number of seconds in Retry-After."}
}

func errServer(status int) *entraError {
	e := &entraError{Status: status, Err: "server_error", Code: 90033, Desc: "A transient error has occurred. Please try again."}
	if status == http.StatusServiceUnavailable {
		e.Err = "temporarily_unavailable"
	}
	return e
}

// errorCatalog explains the codes the simulator uses, for the /error page that error_uri points to.
var errorCatalog = map[int]string{
	50011:   "The redirect URI in the request does not match one registered for the app. Loopback URIs match whatever their port.",
	50034:   "The user account does not exist in this tenant's directory.",
	50058:   "A silent sign-in (prompt=none) was asked for, but no user is signed in.",
	28000:   "The scope names more than one resource: a token is for one resource, so ask for each resource's token separately.",
	50076:   "Multifactor authentication is required for this resource (here: phishing-resistant MFA, demanded by an authentication strength policy). Sign in interactively with a method that satisfies it, with the claims challenge.",
	53003:   "Access has been blocked by Conditional Access policies: the access policy does not allow token issuance for this app. An administrator must change the policy.",
	50089:   "The sign-in flow expired or is unknown. Start the sign-in again.",
	50126:   "Error validating credentials due to invalid username or password.",
	50148:   "The PKCE code_verifier does not match the code_challenge of the authorization request.",
	501481:  "The authorization request had a PKCE code_challenge but the token request sent no code_verifier.",
	54005:   "The authorization code (or device code) was already redeemed. Codes are single use.",
	65004:   "The user declined to sign in or consent.",
	70000:   "The grant (authorization code or refresh token) is not valid.",
	70003:   "The grant type is not supported.",
	70008:   "The authorization code or refresh token has expired.",
	70011:   "The scope parameter is not valid.",
	70016:   "The user has not finished signing in yet: keep polling at the interval (slow_down: the interval grew).",
	70018:   "The device code or user code is not valid.",
	70019:   "The device code expired. Start a new device code sign-in.",
	90002:   "The tenant in the URL does not exist here.",
	90033:   "A transient server error.",
	90055:   "Too many requests: wait for the Retry-After seconds.",
	500011:  "The scope names a resource other than Microsoft Graph and the restore service's apps.",
	700005:  "The authorization code belongs to another tenant.",
	700016:  "The client_id is not an app registered in this tenant.",
	700025:  "A public client sent a client secret or assertion. Public clients must not.",
	700038:  "The client_id is not a GUID.",
	700054:  "The response_type is not supported; use code.",
	7000215: "The client secret is wrong.",
	7000218: "A confidential client sent no client secret.",
	900144:  "A required parameter is missing.",
	900561:  "The endpoint does not accept this HTTP method.",
	9002313: "The request is malformed, or its path is not an endpoint.",
}
