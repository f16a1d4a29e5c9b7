package tenant

import (
	"net/http"
	"strings"
)

// Graph's GET /users/{id | userPrincipalName} (Microsoft Graph reference: user-get): one user of
// the caller's own tenant, named by object id or UPN, in the default projection /me answers.

// EndpointGraphUsers is /{v1.0,beta}/users/{id | userPrincipalName}: reading one user.
const EndpointGraphUsers = "graph.users"

// userRoutes registers the user reads. The patterns sit beside /users/{user}/settings/windows and
// /users/{user}/revokeSignInSessions, which are longer, so Go's mux never confuses them.
func userRoutes(handle func(pattern, endpoint string, h serverFunc)) {
	for _, v := range []string{"v1.0", "beta"} {
		handle("/"+v+"/users/{user}", EndpointGraphUsers, graph(needUserGet, (*Server).handleGetUser))
	}
}

// needUserGet is what the route asks before the handler looks at whom the path names: any
// permission that reads a user, the signed-in user's own included; handleGetUser asks
// needUserReadAll for anyone else.
var needUserGet = graphNeed{scopes: needUserRead.scopes, appRoles: needUserReadAll.appRoles}

// handleGetUser answers the user the path names, by object id (a GUID) or UPN (compared without
// case, as Entra compares them), in the caller's tenant only: a user of another tenant is not
// found, as Graph finds it. User.Read reads the signed-in user alone ("the signed-in user only"
// [user-get]); anyone else needs needUserReadAll. The permission is checked before the lookup, so
// a token that may not read other users learns nothing of who exists. Beta answers the v1.0
// default projection; real beta returns more properties by default.
func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("user")
	if (p.user == nil || !p.user.isNamedBy(id)) && !p.allows(needUserReadAll) {
		s.refuse(w, r, p, needUserReadAll)
		return
	}
	var u *User
	if IsGUID(id) {
		u = p.ts.oids[strings.ToLower(id)]
	} else {
		u = p.ts.userByUPN(id)
	}
	if u == nil {
		s.writeGraphError(w, r, http.StatusNotFound, "Request_ResourceNotFound",
			"Resource '"+clip(id, 100)+"' does not exist or one of its queried reference-property objects are not present.")
		return
	}
	version, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	graphJSON(w, toGraphUser(u, s.baseURL(r)+"/"+version+"/$metadata#users/$entity"))
}

// isNamedBy reports whether id is the user's object id or UPN.
func (u *User) isNamedBy(id string) bool {
	return strings.EqualFold(id, u.ObjectID) || strings.EqualFold(id, u.UPN)
}

// toGraphUser is Graph's default user projection of u, as /me answers it.
func toGraphUser(u *User, context string) graphUser {
	given, surname := splitName(u.DisplayName)
	mail := u.UPN
	return graphUser{
		Context:           context,
		BusinessPhones:    []string{},
		DisplayName:       u.DisplayName,
		GivenName:         given,
		Mail:              &mail,
		Surname:           surname,
		UserPrincipalName: u.UPN,
		ID:                strings.ToLower(u.ObjectID),
	}
}
