package graph

import (
	"context"
	"errors"
	"net/url"
	"strings"
)

// Reading one directory user, Graph's GET /v1.0/users/{id | userPrincipalName} (user-get): for
// an admin tool that is given a UPN where Graph's other routes want the object id. Another user
// needs User.ReadBasic.All (delegated, least privileged) or User.Read.All; User.Read reads the
// signed-in user only.

// User is the part of Graph's user resource a tool needs to name someone.
type User struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	Mail              string `json:"mail,omitempty"`
}

// userSelect is the $select of User's fields: User.ReadBasic.All reads only basic properties,
// and asking for no more keeps the answer the same under every permission.
const userSelect = "id,userPrincipalName,displayName,mail"

// User reads the user named by object id or UPN in the caller's tenant. A user who is not there
// (also one of another tenant) is an *Error with Graph's 404 Request_ResourceNotFound.
func (c *Client) User(ctx context.Context, idOrUPN string) (*User, error) {
	idOrUPN = strings.TrimSpace(idOrUPN)
	if idOrUPN == "" {
		return nil, errors.New("graph: reading a user: no object id or UPN given")
	}
	var u User
	// PathEscape keeps '@' and escapes '#' (a guest's #EXT#) as user-get asks. A UPN that starts
	// with '$' needs Graph's /users('$…') form instead, which the simulated tenant does not serve.
	target := "/v1.0/users/" + url.PathEscape(idOrUPN) + "?$select=" + userSelect
	if err := c.do(ctx, request{method: "GET", target: target}, &u); err != nil {
		return nil, err
	}
	if u.ID == "" {
		return nil, errors.New("graph: GET /v1.0/users/" + idOrUPN + ": the answer has no id")
	}
	return &u, nil
}
