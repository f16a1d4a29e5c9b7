package graph_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/restore/graph"
)

// Reading a user by object id or UPN through the real client, signed in against the simulated
// tenant (Graph's user-get).

func TestAUserIsReadByObjectIDOrUPN(t *testing.T) {
	s := newSim(t, nil)
	admin := s.graphFor(t, "admin@contoso.com", "User.ReadBasic.All")
	for _, id := range []string{adele.ObjectID, strings.ToUpper(adele.ObjectID), "adele.vance@contoso.com", "Adele.Vance@Contoso.com"} {
		t.Run(id, func(t *testing.T) {
			u, err := admin.User(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != adele.ObjectID || u.UserPrincipalName != "adele.vance@contoso.com" || u.DisplayName != "Adele Vance" {
				t.Fatalf("read %+v", u)
			}
		})
	}
}

func TestAUserNotInTheCallersTenantIsGraphsNotFound(t *testing.T) {
	s := newSim(t, nil)
	admin := s.graphFor(t, "admin@contoso.com", "User.ReadBasic.All")
	for _, id := range []string{"nobody@contoso.com", "alex.wilber@fabrikam.onmicrosoft.com", "42f7c418-95ef-49c2-975a-3e1b7239d49d"} {
		t.Run(id, func(t *testing.T) {
			_, err := admin.User(context.Background(), id)
			var gerr *graph.Error
			if !errors.As(err, &gerr) || gerr.Status != http.StatusNotFound || gerr.Code != "Request_ResourceNotFound" {
				t.Fatalf("got %v, want Graph's 404 Request_ResourceNotFound", err)
			}
		})
	}
}

func TestReadingAnotherUserWithUserReadAloneIsRefused(t *testing.T) {
	s := newSim(t, nil)
	megan := s.graphFor(t, "megan.bowen@contoso.com") // User.Read and UserWindowsSettings.Read
	if u, err := megan.User(context.Background(), "megan.bowen@contoso.com"); err != nil || u.DisplayName != "Megan Bowen" {
		t.Fatalf("reading herself: %+v %v", u, err)
	}
	_, err := megan.User(context.Background(), "adele.vance@contoso.com")
	var gerr *graph.Error
	if !errors.As(err, &gerr) || gerr.Status != http.StatusForbidden || gerr.Code != "Authorization_RequestDenied" {
		t.Fatalf("got %v, want Graph's 403", err)
	}
}

func TestAGuestsUPNIsSentWithItsHashEscapedAndOnlyTheNamingFieldsAskedFor(t *testing.T) {
	var gotPath, gotSelect string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotSelect = r.URL.EscapedPath(), r.URL.Query().Get("$select")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"0b5c4c2e-8d4e-4b7a-9f0e-2a1b3c4d5e6f","userPrincipalName":"alex_fabrikam.com#EXT#@contoso.com","displayName":"Alex"}`))
	}))
	t.Cleanup(srv.Close)
	gc, err := graph.New(graph.Config{BaseURL: srv.URL, Token: func(context.Context) (string, error) { return "t", nil }})
	if err != nil {
		t.Fatal(err)
	}
	u, err := gc.User(context.Background(), "alex_fabrikam.com#EXT#@contoso.com")
	if err != nil || u.DisplayName != "Alex" {
		t.Fatalf("%+v %v", u, err)
	}
	if gotPath != "/v1.0/users/alex_fabrikam.com%23EXT%23@contoso.com" || gotSelect != "id,userPrincipalName,displayName,mail" {
		t.Fatalf("sent %s with $select=%s", gotPath, gotSelect)
	}
}
