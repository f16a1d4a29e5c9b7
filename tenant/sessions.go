package tenant

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// sessionRoutes registers Graph's revokeSignInSessions, which ends a user's refresh tokens (what
// "Sign out everywhere" in My Account and an admin's "Revoke sessions" do), and changePassword,
// which does the same.
func sessionRoutes(handle func(pattern, endpoint string, h serverFunc)) {
	for _, v := range []string{"v1.0", "beta"} {
		handle("/"+v+"/me/changePassword", EndpointGraphChangePassword,
			graphAPI(graphMethods{http.MethodPost: needChangePassword}, (*Server).handleChangePassword))
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
		"by", p.by(), "trace_id", info(r).traceID)
	graphJSON(w, revokeAnswer{Context: s.baseURL(r) + "/v1.0/$metadata#Edm.Boolean", Value: true})
}

// maxPasswordBytes bounds a new password; Entra allows 256 characters.
const maxPasswordBytes = 256

// handleChangePassword is Graph's POST /me/changePassword: the current password and a new one.
// The change lives as long as the server (the fixture keeps its own) and revokes the user's
// refresh tokens, as a password change does in Entra.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request, p *principal) {
	if !isJSON(r) {
		s.writeGraphError(w, r, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "The request body must be application/json.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	var req struct {
		CurrentPassword *string `json:"currentPassword"`
		NewPassword     *string `json:"newPassword"`
	}
	if err != nil || json.Unmarshal(body, &req) != nil || req.CurrentPassword == nil || req.NewPassword == nil {
		s.writeGraphError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"The body must be a JSON object with currentPassword and newPassword.")
		return
	}
	if _, e := s.checkCredentials(p.ts, p.user.UPN, *req.CurrentPassword); e != nil {
		s.writeGraphError(w, r, http.StatusBadRequest, "Request_BadRequest", "The current password is not correct.")
		return
	}
	if n := *req.NewPassword; len(n) < 8 || len(n) > maxPasswordBytes || !utf8.ValidString(n) || n == *req.CurrentPassword {
		s.writeGraphError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"The new password does not comply with the password policy: 8 to 256 characters, and not the current password.")
		return
	}
	oid := strings.ToLower(p.user.ObjectID)
	s.mu.Lock()
	s.passwords[p.ts.id+"/"+oid] = *req.NewPassword
	s.mu.Unlock()
	s.revokeSessions(p.ts.id, oid)
	s.log.Info("password changed; sign-in sessions revoked", "tenant", p.ts.id, "user", oid, "trace_id", info(r).traceID)
	w.WriteHeader(http.StatusNoContent)
}
