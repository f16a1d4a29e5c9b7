package tenant

import (
	"net/http"
	"net/url"
	"strings"
)

// discoveryDoc is Entra's v2.0 OpenID configuration. It deliberately has no
// code_challenge_methods_supported: Entra omits it although it supports PKCE S256. The lists copy
// Entra's values even where the simulator implements less (response_type code only, client
// secrets but no private_key_jwt), so a client that reads them sees what it would see in Entra.
type discoveryDoc struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	KerberosEndpoint                  string   `json:"kerberos_endpoint"`
	TenantRegionScope                 *string  `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
	CloudGraphHostName                string   `json:"cloud_graph_host_name"`
	MSGraphHost                       string   `json:"msgraph_host"`
	RBACURL                           string   `json:"rbac_url"`
}

// entraGraphHost is what Entra puts in cloud_graph_host_name: the retired Azure AD Graph host,
// not Microsoft Graph. Clients must take Microsoft Graph's host from msgraph_host.
const entraGraphHost = "graph.windows.net"

// handleDiscovery serves a tenant's configuration, or the multi-tenant one under /common and
// /organizations whose issuer is the literal "{tenantid}" template.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	base := s.baseURL(r)
	var (
		issuer, authority string
		region            *string
		cloud             = cloudInfos["global"]
	)
	if isMultiTenantSegment(seg) {
		authority = base + "/" + strings.ToLower(seg)
		issuer = base + "/{tenantid}/v2.0"
	} else {
		ts := s.tenantBySegment(seg)
		if ts == nil {
			s.writeEntraError(w, r, errUnknownTenant(seg))
			return
		}
		authority = base + "/" + ts.id
		issuer = s.issuer(r, ts)
		cloud = ts.cloud
		rs := cloud.regionScope
		region = &rs
	}
	graphHost := base
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		graphHost = u.Host
	}
	doc := discoveryDoc{
		TokenEndpoint:                     authority + "/oauth2/v2.0/token",
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		JWKSURI:                           authority + "/discovery/v2.0/keys",
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
		ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
		Issuer:                            issuer,
		RequestURIParameterSupported:      false,
		UserinfoEndpoint:                  base + "/oidc/userinfo",
		AuthorizationEndpoint:             authority + "/oauth2/v2.0/authorize",
		DeviceAuthorizationEndpoint:       authority + "/oauth2/v2.0/devicecode",
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		EndSessionEndpoint:                authority + "/oauth2/v2.0/logout",
		ClaimsSupported: []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
			"cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce",
			"preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		KerberosEndpoint:   authority + "/kerberos",
		TenantRegionScope:  region,
		CloudInstanceName:  cloud.instance,
		CloudGraphHostName: entraGraphHost,
		MSGraphHost:        graphHost,
		RBACURL:            "https://pas.windows.net",
	}
	w.Header().Set("Cache-Control", "max-age=86400, private")
	writeJSON(w, http.StatusOK, doc)
}

// instanceDiscovery is Entra's answer at /common/discovery/instance, which MSAL asks before
// it trusts an authority host: where the tenant's OpenID configuration is, and the host's
// aliases. The simulator is its own cloud, so its host is the only alias.
type instanceDiscovery struct {
	TenantDiscoveryEndpoint string             `json:"tenant_discovery_endpoint"`
	APIVersion              string             `json:"api-version"`
	Metadata                []instanceMetadata `json:"metadata"`
}

type instanceMetadata struct {
	PreferredNetwork string   `json:"preferred_network"`
	PreferredCache   string   `json:"preferred_cache"`
	Aliases          []string `json:"aliases"`
}

// handleInstanceDiscovery answers instance discovery for an authorization_endpoint on this
// simulator's host; any other host is Entra's invalid_instance (AADSTS50049).
func (s *Server) handleInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	q, e := parseParams(r.URL.RawQuery)
	if e != nil {
		s.writeEntraError(w, r, e)
		return
	}
	base := s.baseURL(r)
	bu, err := url.Parse(base)
	if err != nil {
		s.writeEntraError(w, r, errServer(http.StatusInternalServerError))
		return
	}
	raw := q.Get("authorization_endpoint")
	if raw == "" {
		s.writeEntraError(w, r, errMissingParam("authorization_endpoint"))
		return
	}
	seg, rest, host := "", "", ""
	if u, err := url.Parse(raw); err == nil {
		host = u.Host
		seg, rest, _ = strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	}
	if !strings.EqualFold(host, bu.Host) || rest != "oauth2/v2.0/authorize" || seg == "" ||
		(!isMultiTenantSegment(seg) && s.tenantBySegment(seg) == nil) {
		s.writeEntraError(w, r, &entraError{Err: "invalid_instance", Code: 50049, Desc: "Unknown or invalid instance. " +
			"The authorization_endpoint must be this simulator's: " + base + "/{tenant}/oauth2/v2.0/authorize."})
		return
	}
	w.Header().Set("Cache-Control", "max-age=86400, private")
	writeJSON(w, http.StatusOK, instanceDiscovery{
		TenantDiscoveryEndpoint: base + "/" + seg + "/v2.0/.well-known/openid-configuration",
		APIVersion:              "1.1",
		Metadata:                []instanceMetadata{{PreferredNetwork: bu.Host, PreferredCache: bu.Host, Aliases: []string{bu.Host}}},
	})
}
