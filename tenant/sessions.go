package tenant

import (
	"net/http"
	"strings"
)

// sessionRoutes registers Graph's revokeSignInSessions, which ends a user's refresh tokens: what
// "Sign out everywhere" in My Account and an admin's "Revoke sessions" do.
func sessionRoutes(handle func(pattern, endpoint string, h serverFunc)) {
	for _, v := range []string{"v1.0", "beta"} {
		handle("/"+v+"/me/revokeSignInSessions", EndpointGraphRevokeSessions,
			graphAPI(graphMethods{http.MethodPost: needRevokeOwnSessions}, (*Server).handleRevokeOwnSessions))
		handle("/"+v+"/users/{user}/revokeSignInSessions", EndpointGraphRevokeSessions,
			graphAPI(graphMethods{http.MethodPost: needRevokeSessions}, (*Server).handleRevokeSessions))
	}
}

// revokeAnswer is revokeSignInSessions' answer: an OData boolean.
type revokeAnswer struct {
	Context string `json:"@odata.context"`
	Value   bool   `json:"value"`
}

func (s *Server) handleRevokeOwnSessions(w http.ResponseWriter, r *http.Request, p *principal) {
	s.revoke(w, r, p, p.user)
}

// handleRevokeSessions revokes another user's sessions, for a Global Administrator of the same
// tenant; the user is named by object id or UPN, as Graph allows.
func (s *Server) handleRevokeSessions(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("user")
	u := p.ts.oids[strings.ToLower(id)]
	if u == nil {
		u = p.ts.userByUPN(id)
	}
	if u == nil {
		s.writeGraphError(w, r, http.StatusNotFound, "Request_ResourceNotFound",
			"Resource '"+clip(id, 100)+"' does not exist or one of its queried reference-property objects are not present.")
		return
	}
	s.revoke(w, r, p, u)
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, p *principal, u *User) {
	s.revokeSessions(p.ts.id, u.ObjectID)
	s.log.Info("sign-in sessions revoked", "tenant", p.ts.id, "user", strings.ToLower(u.ObjectID),
		"by", strings.ToLower(p.user.ObjectID), "trace_id", info(r).traceID)
	graphJSON(w, revokeAnswer{Context: s.baseURL(r) + "/v1.0/$metadata#Edm.Boolean", Value: true})
}
