package tenant

import (
	"net/http"
	"strings"
)

// An admin's view of one user's Windows settings, Graph beta's /users/{user-id}@{tenant-id}/
// settings/windows (domain.md §7.4 [G]): the same listing, paging and $filter as /me's, one
// setting, and the delete of them all. The route's graphNeed asks for the permission and the
// Microsoft 365 Backup Administrator role; these handlers check whom the path names.

// handleUserSettings lists (GET) or deletes (DELETE) every Windows setting of the user the
// path names.
func (s *Server) handleUserSettings(w http.ResponseWriter, r *http.Request, p *principal) {
	oid, ok := s.namedUserOr4xx(w, r, p)
	if !ok {
		return
	}
	if r.Method == http.MethodDelete {
		s.deleteUserSettings(w, r, p, oid)
		return
	}
	s.listSettings(w, r, p, oid)
}

// handleGetUserSetting reads one of the named user's settings, as GET /me/settings/windows/{id}
// reads the caller's own.
func (s *Server) handleGetUserSetting(w http.ResponseWriter, r *http.Request, p *principal) {
	oid, ok := s.namedUserOr4xx(w, r, p)
	if !ok {
		return
	}
	st := s.liveSettingOf(w, r, p.ts.id, oid, "the user '"+oid+"'")
	if st == nil {
		return
	}
	out := toGraphSetting(*st)
	out.Context = s.settingsContext(r, oid) + "/$entity"
	graphJSON(w, out)
}

// namedUserOr4xx reads {user-id}@{tenant-id} from the path and returns the user's object id in
// lower case, or answers the refusal. Graph documents the user as {user-id} and its example is
// an object id, so a UPN is refused rather than looked up. "The {tenant-id} value must match the
// tenant ID of the calling user" [G]; what Graph answers when it does not is not documented:
// a 403 Authorization_RequestDenied is inferred, the safe reading (nothing of another tenant is
// reached, and the caller learns nothing about it).
func (s *Server) namedUserOr4xx(w http.ResponseWriter, r *http.Request, p *principal) (string, bool) {
	oid, tid, ok := strings.Cut(r.PathValue("user"), "@")
	if !ok || !IsGUID(oid) || !IsGUID(tid) {
		s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest",
			"The user must be named as {user object id}@{tenant id}.")
		return "", false
	}
	if !strings.EqualFold(tid, p.ts.id) {
		s.writeGraphError(w, r, http.StatusForbidden, "Authorization_RequestDenied",
			"Insufficient privileges to complete the operation. The tenant id in the request URL must match the tenant id of the calling user.")
		return "", false
	}
	oid = strings.ToLower(oid)
	if p.ts.oids[oid] == nil {
		s.writeGraphError(w, r, http.StatusNotFound, "Request_ResourceNotFound",
			"Resource '"+oid+"' does not exist or one of its queried reference-property objects are not present.")
		return "", false
	}
	return oid, true
}

// deleteUserSettings deletes every Windows setting of the user oid and answers 204, also when
// there was nothing to delete. Graph has no per-device delete and no undo [G].
func (s *Server) deleteUserSettings(w http.ResponseWriter, r *http.Request, p *principal, oid string) {
	n, err := s.store.deleteUserSettings(r.Context(), p.ts.id, oid)
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	s.log.Info("windows settings deleted", "tenant", p.ts.id, "user", oid, "by", strings.ToLower(p.user.ObjectID),
		"settings", n, "trace_id", info(r).traceID)
	w.WriteHeader(http.StatusNoContent)
}
