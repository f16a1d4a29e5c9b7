package tenant

import (
	"crypto/sha256"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// graphResourceURI is Graph's other accepted audience form.
const graphResourceURI = "https://graph.microsoft.com"

// maxBearerBytes bounds the token a request may carry; real Entra tokens are a few KiB.
const maxBearerBytes = 16 << 10

// principal is who a valid Graph access token speaks for: a signed-in user, or (user nil) an
// app on its own, with a client credentials token.
type principal struct {
	ts     *tenantState
	user   *User
	claims accessTokenIn
}

// by is the caller's object id for the logs: the user's, or the app's service principal's.
func (p *principal) by() string {
	if p.user != nil {
		return strings.ToLower(p.user.ObjectID)
	}
	return strings.ToLower(p.claims.Oid)
}

// accessTokenIn is how the Graph side reads a token: loosely typed, so a forged token fails with a
// 401 rather than a decoding surprise.
type accessTokenIn struct {
	Aud   json.RawMessage `json:"aud"`
	Iss   string          `json:"iss"`
	Exp   *json.Number    `json:"exp"`
	Nbf   *json.Number    `json:"nbf"`
	Tid   string          `json:"tid"`
	Oid   string          `json:"oid"`
	Scp   string          `json:"scp"`
	Sub   string          `json:"sub"`
	Appid string          `json:"appid"`
	Ver   string          `json:"ver"`
	Wids  []string        `json:"wids"`
	Idtyp string          `json:"idtyp"`
	Roles []string        `json:"roles"`
}

// graphFunc is a Graph handler, given the server and the signed-in user.
type graphFunc func(s *Server, w http.ResponseWriter, r *http.Request, p *principal)

// graphMethods is what each method of a Graph route needs of the token (permissions.go).
type graphMethods map[string]graphNeed

// graph wraps a Graph handler: GET (and HEAD) only, a valid bearer token from a served tenant,
// and the permission the route needs.
func graph(need graphNeed, h graphFunc) serverFunc {
	return graphAPI(graphMethods{http.MethodGet: need, http.MethodHead: need}, h)
}

// graphAPI wraps a Graph handler (or a simulator endpoint that answers like Graph): the given
// methods only, a valid bearer token from a served tenant, and what the method needs of it;
// a token without it gets Graph's 403 before the handler runs.
func graphAPI(methods graphMethods, h graphFunc) serverFunc {
	allow := strings.Join(slices.Sorted(maps.Keys(methods)), ", ")
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		need, ok := methods[r.Method]
		if !ok {
			w.Header().Set("Allow", allow)
			s.writeGraphError(w, r, http.StatusMethodNotAllowed, "Request_BadRequest",
				"Specified HTTP method is not allowed for the request uri.")
			return
		}
		p, msg := s.authenticateBearer(r)
		if p == nil {
			s.writeGraphError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
			return
		}
		info(r).tenant = p.ts.id
		if !p.allows(need) {
			s.refuse(w, r, p, need)
			return
		}
		h(s, w, r, p)
	}
}

// authenticateBearer validates the request's access token the way Graph does: RS256 only, a key the
// token's tenant publishes, that tenant's issuer, Graph's audience, and exp/nbf on the injected
// clock with no leeway. It returns a message for the 401 when the token is refused.
func (s *Server) authenticateBearer(r *http.Request) (*principal, string) {
	h := r.Header.Get("Authorization")
	if strings.TrimSpace(h) == "" {
		return nil, "Access token is empty."
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, "Access token is empty: the Authorization header must be 'Bearer <token>'."
	}
	if len(tok) > maxBearerBytes {
		return nil, "Access token validation failure: the token is too large."
	}
	if p := s.bearers.lookup(s, r, tok); p != nil {
		return p, ""
	}
	p, key, msg := s.verifyBearer(r, tok)
	if p != nil {
		s.bearers.add(tok, p, key)
	}
	return p, msg
}

// verifyBearer checks a bearer token in full; key is the published key that signed it. Graph
// takes only the v1.0 tokens Entra issues for it (graphtoken.go), never an ID token or a token
// for another resource.
func (s *Server) verifyBearer(r *http.Request, tok string) (*principal, *signingKey, string) {
	// Only RS256 with a nonce parses: alg none, HS256 (also keyed with the public key), tokens
	// shaped for other audiences and the rest fail here.
	pt, msg := parseGraphToken(tok)
	if pt == nil {
		return nil, nil, msg
	}
	// The tenant comes from the token itself, as Graph has no tenant in its URLs; nothing in the
	// payload is trusted until the signature checks out with that tenant's own key.
	var peek struct {
		Tid string `json:"tid"`
	}
	if err := json.Unmarshal(pt.payload, &peek); err != nil {
		return nil, nil, "Access token validation failure: the token payload is not JSON."
	}
	ts := s.tenantByID(peek.Tid)
	if ts == nil {
		return nil, nil, "Access token validation failure: the token's tenant is not served here."
	}
	key := ts.keys.byKid(pt.header.Kid)
	if key == nil {
		return nil, nil, "Access token validation failure: signing key not found; the kid is not one the tenant publishes."
	}
	if !pt.verify(&key.priv.PublicKey) {
		return nil, nil, "Access token validation failure: invalid signature."
	}
	var c accessTokenIn
	if err := json.Unmarshal(pt.payload, &c); err != nil {
		return nil, nil, "Access token validation failure: the claims are malformed."
	}
	if c.Iss != graphTokenIssuer(ts.id) {
		return nil, nil, "Access token validation failure. Invalid issuer."
	}
	var aud string
	if err := json.Unmarshal(c.Aud, &aud); err != nil || (aud != graphAppID && aud != graphResourceURI) {
		return nil, nil, "Access token validation failure. Invalid audience."
	}
	if c.Ver != "1.0" {
		return nil, nil, "Access token validation failure: the token is not a v1.0 token, which Microsoft Graph's tokens are."
	}
	if msg := checkLifetime(c, s.clock.Now().Unix()); msg != "" {
		return nil, nil, msg
	}
	if c.Idtyp == "app" {
		// An app's own token: its application permissions are in roles, checked per route.
		if _, ok := s.appByID(c.Appid); !ok || c.Scp != "" || c.Oid != servicePrincipalID(ts.id, c.Appid) {
			return nil, nil, "Access token validation failure: the token's app is not registered in the tenant."
		}
		return &principal{ts: ts, claims: c}, key, ""
	}
	if strings.TrimSpace(c.Scp) == "" {
		return nil, nil, "Access token validation failure: the token carries no delegated permissions (scp)."
	}
	u := ts.oids[strings.ToLower(c.Oid)]
	if u == nil {
		return nil, nil, "Access token validation failure: the token's user does not exist in the tenant."
	}
	return &principal{ts: ts, user: u, claims: c}, key, ""
}

// checkLifetime checks a token's exp and nbf at now (Unix seconds), with no leeway, and returns
// the 401's message when it is not valid then.
func checkLifetime(c accessTokenIn, now int64) string {
	exp, ok := numericDate(c.Exp)
	if !ok {
		return "Access token validation failure: the token has no expiry."
	}
	if now >= exp {
		return "Lifetime validation failed, the token is expired."
	}
	if nbf, ok := numericDate(c.Nbf); c.Nbf != nil && (!ok || now < nbf) {
		return "Lifetime validation failed, the token is not yet valid."
	}
	return ""
}

// maxVerifiedBearers bounds a server's cache of verified bearer tokens; a device holds a few.
const maxVerifiedBearers = 128

// bearerCache remembers bearer tokens that passed verifyBearer, by their exact text, so a
// client's next Graph call with the same token costs a map lookup instead of an RSA
// verification. Only what is a function of the token's bytes is remembered (its signature,
// claims, issuer, audience, scopes and user); what can change is checked again on every use: the
// signing key must still be published (a rotation ends its tokens), and exp and nbf are checked
// on the injected clock. Any of those failing sends the
// token back through the full verification, which gives the refusal its usual message.
type bearerCache struct {
	mu sync.Mutex
	m  map[string]verifiedBearer
}

type verifiedBearer struct {
	p   principal
	key *signingKey
}

func (c *bearerCache) lookup(s *Server, r *http.Request, tok string) *principal {
	c.mu.Lock()
	v, ok := c.m[tok]
	c.mu.Unlock()
	if !ok || v.p.ts.keys.byKid(v.key.kid) != v.key ||
		checkLifetime(v.p.claims, s.clock.Now().Unix()) != "" {
		return nil
	}
	p := v.p
	return &p
}

func (c *bearerCache) add(tok string, p *principal, key *signingKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxVerifiedBearers || c.m == nil {
		// Starting afresh keeps the bound without bookkeeping: a dropped token is verified again.
		c.m = make(map[string]verifiedBearer)
	}
	c.m[tok] = verifiedBearer{p: *p, key: key}
}

// numericDate reads a JWT NumericDate (seconds, possibly fractional).
func numericDate(n *json.Number) (int64, bool) {
	if n == nil {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil || f > 1e15 || f < -1e15 {
		return 0, false
	}
	return int64(f), true
}

// graphJSON writes a Graph success body with Graph's content type.
func graphJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	buf, err := encodeJSON(v)
	if err != nil {
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	defer releaseJSON(buf)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len())) // see writeJSON
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// graphUser is Graph's default user projection.
type graphUser struct {
	Context           string   `json:"@odata.context"`
	BusinessPhones    []string `json:"businessPhones"`
	DisplayName       string   `json:"displayName"`
	GivenName         *string  `json:"givenName"`
	JobTitle          *string  `json:"jobTitle"`
	Mail              *string  `json:"mail"`
	MobilePhone       *string  `json:"mobilePhone"`
	OfficeLocation    *string  `json:"officeLocation"`
	PreferredLanguage *string  `json:"preferredLanguage"`
	Surname           *string  `json:"surname"`
	UserPrincipalName string   `json:"userPrincipalName"`
	ID                string   `json:"id"`
}

// splitName guesses given name and surname from a display name, as directory sync often leaves them.
func splitName(display string) (given, surname *string) {
	parts := strings.Fields(display)
	if len(parts) < 2 {
		return nil, nil
	}
	g, sn := parts[0], strings.Join(parts[1:], " ")
	return &g, &sn
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, p *principal) {
	given, surname := splitName(p.user.DisplayName)
	mail := p.user.UPN
	graphJSON(w, graphUser{
		Context:           s.baseURL(r) + "/v1.0/$metadata#users/$entity",
		BusinessPhones:    []string{},
		DisplayName:       p.user.DisplayName,
		GivenName:         given,
		Mail:              &mail,
		Surname:           surname,
		UserPrincipalName: p.user.UPN,
		ID:                strings.ToLower(p.user.ObjectID),
	})
}

// verifiedDomain is one entry of organization.verifiedDomains.
type verifiedDomain struct {
	Capabilities string `json:"capabilities"`
	IsDefault    bool   `json:"isDefault"`
	IsInitial    bool   `json:"isInitial"`
	Name         string `json:"name"`
	Type         string `json:"type"`
}

type graphOrganization struct {
	ID              string           `json:"id"`
	DisplayName     string           `json:"displayName"`
	TenantType      string           `json:"tenantType"`
	VerifiedDomains []verifiedDomain `json:"verifiedDomains"`
}

type graphCollection[T any] struct {
	Context string `json:"@odata.context"`
	Value   []T    `json:"value"`
}

// tenantDomains marks the initial domain (the first *.onmicrosoft.com one, else the first) and the
// default domain (the first custom domain, else the initial one).
func tenantDomains(t *Tenant) []verifiedDomain {
	initial, def := -1, -1
	for i, d := range t.Domains {
		isMS := strings.HasSuffix(strings.ToLower(d), ".onmicrosoft.com")
		if isMS && initial < 0 {
			initial = i
		}
		if !isMS && def < 0 {
			def = i
		}
	}
	if initial < 0 {
		initial = 0
	}
	if def < 0 {
		def = initial
	}
	out := make([]verifiedDomain, len(t.Domains))
	for i, d := range t.Domains {
		out[i] = verifiedDomain{Capabilities: "Email, OfficeCommunicationsOnline", IsDefault: i == def,
			IsInitial: i == initial, Name: d, Type: "Managed"}
	}
	return out
}

func (s *Server) handleOrganization(w http.ResponseWriter, r *http.Request, p *principal) {
	graphJSON(w, graphCollection[graphOrganization]{
		Context: s.baseURL(r) + "/v1.0/$metadata#organization",
		Value: []graphOrganization{{
			ID:              p.ts.id,
			DisplayName:     p.ts.t.Name,
			TenantType:      "AAD",
			VerifiedDomains: tenantDomains(p.ts.t),
		}},
	})
}

type graphDevice struct {
	ID                     string `json:"id"`
	AccountEnabled         bool   `json:"accountEnabled"`
	DeviceID               string `json:"deviceId"`
	DisplayName            string `json:"displayName"`
	OperatingSystem        string `json:"operatingSystem"`
	OperatingSystemVersion string `json:"operatingSystemVersion"`
	TrustType              string `json:"trustType"`
}

// deviceFilterRE is the one $filter the simulator understands on /devices.
var deviceFilterRE = regexp.MustCompile(`^\s*deviceId\s+eq\s+'([^']*)'\s*$`)

// deviceObjectID derives a device's directory object id, stable per tenant and device id.
func deviceObjectID(tid, deviceID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(tid) + "/device/" + strings.ToLower(deviceID)))
	return formatGUID(sum[:16])
}

func (s *Server) handleDevices(w http.ResponseWriter, r *http.Request, p *principal) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "The query string is malformed.")
		return
	}
	filters := q["$filter"]
	if len(filters) > 1 {
		s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "Query option '$filter' was specified more than once, but it must be specified at most once.")
		return
	}
	want := ""
	if len(filters) == 1 {
		m := deviceFilterRE.FindStringSubmatch(filters[0])
		if m == nil {
			s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "Invalid filter clause: the simulator supports deviceId eq '<device id>' only.")
			return
		}
		want = m[1]
		if want == "" {
			want = "\x00" // an empty id matches nothing
		}
	}
	out := []graphDevice{}
	for _, d := range p.ts.t.Devices {
		if want != "" && !strings.EqualFold(d.DeviceID, want) {
			continue
		}
		out = append(out, graphDevice{
			ID:                     deviceObjectID(p.ts.id, d.DeviceID),
			AccountEnabled:         true,
			DeviceID:               strings.ToLower(d.DeviceID),
			DisplayName:            d.DisplayName,
			OperatingSystem:        d.OperatingSystem,
			OperatingSystemVersion: d.OperatingSystemVersion,
			TrustType:              d.TrustType,
		})
	}
	graphJSON(w, graphCollection[graphDevice]{Context: s.baseURL(r) + "/v1.0/$metadata#devices", Value: out})
}

// userInfo is the OIDC userinfo answer Entra serves from Graph's host.
type userInfo struct {
	Sub        string  `json:"sub"`
	Name       string  `json:"name"`
	FamilyName *string `json:"family_name,omitempty"`
	GivenName  *string `json:"given_name,omitempty"`
	Email      string  `json:"email"`
}

func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request, p *principal) {
	given, surname := splitName(p.user.DisplayName)
	sub := pairwiseSub(p.ts.id, p.user.ObjectID, p.claims.Appid)
	writeJSON(w, http.StatusOK, userInfo{Sub: sub, Name: p.user.DisplayName, FamilyName: surname,
		GivenName: given, Email: p.user.UPN})
}
