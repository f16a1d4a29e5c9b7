package tenant

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNewRefusesTenantsItCannotServe(t *testing.T) {
	cases := []struct {
		name   string
		tweak  func([]*Tenant) []*Tenant
		wanted string
	}{
		{"no tenants", func([]*Tenant) []*Tenant { return nil }, "no tenants"},
		{"a nil tenant", func(ts []*Tenant) []*Tenant { return append(ts, nil) }, "nil"},
		{"a tenant id that is not a GUID", func(ts []*Tenant) []*Tenant { ts[1].ID = "fabrikam"; return ts }, "not a GUID"},
		{"the same tenant twice", func(ts []*Tenant) []*Tenant { ts[1].ID = strings.ToUpper(ts[0].ID); return ts }, "served twice"},
		{"the same client id in two tenants", func(ts []*Tenant) []*Tenant { ts[1].Apps[0].ClientID = ts[0].Apps[0].ClientID; return ts }, "already registered"},
		{"an unknown cloud", func(ts []*Tenant) []*Tenant { ts[0].Cloud = "moon"; return ts }, "cloud"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(Config{Tenants: c.tweak(demoTenants(t))})
			if err == nil || !strings.Contains(err.Error(), c.wanted) {
				t.Fatalf("New error = %v, want one mentioning %q", err, c.wanted)
			}
		})
	}
}

func TestStartServesOnLoopbackUntilShutdown(t *testing.T) {
	srv, err := New(Config{Tenants: demoTenants(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown before Start: %v", err)
	}
	base, err := srv.Start("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || srv.URL() != base {
		t.Fatalf("base URL %q, URL() %q", base, srv.URL())
	}
	if srv.Authority(contosoID) != base+"/"+contosoID {
		t.Fatalf("Authority = %q", srv.Authority(contosoID))
	}
	if _, err := srv.Start(""); err == nil {
		t.Fatal("a second Start succeeded")
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/" + contosoID + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	if _, err := c.Get(base + "/devicelogin"); err == nil {
		t.Fatal("the server still answers after Shutdown")
	}
}

func TestTenantsAndSummariesHideNothingTheyShouldShowAndShowNoSecrets(t *testing.T) {
	h := newHarness(t)
	tenants := h.srv.Tenants()
	if len(tenants) != 2 || tenants[0].ID != contosoID || len(tenants[0].Keys) != 2 {
		t.Fatalf("Tenants() = %+v", tenants)
	}
	tenants[0].Name = "changed"
	if h.srv.Tenants()[0].Name != "Contoso" {
		t.Fatal("Tenants() hands out the server's own tenant")
	}
	resp, body := h.get("/_oobe/tenants")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	list := decodeJSON[struct {
		URL     string          `json:"url"`
		Tenants []TenantSummary `json:"tenants"`
	}](t, body)
	if list.URL != h.http.URL || len(list.Tenants) != 2 || list.Tenants[0].ClientID != contosoClient ||
		list.Tenants[0].Authority != h.url("/"+contosoID) {
		t.Fatalf("/_oobe/tenants = %s", body)
	}
	if contains(body, adelePassword) || contains(body, "password") {
		t.Fatal("/_oobe/tenants shows passwords")
	}
}

func TestSetBaseURLDropsTheTrailingSlash(t *testing.T) {
	srv, err := New(Config{Tenants: demoTenants(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetBaseURL("http://127.0.0.1:8080/")
	if srv.URL() != "http://127.0.0.1:8080" {
		t.Fatalf("URL() = %q", srv.URL())
	}
}

func TestErrorPageExplainsACode(t *testing.T) {
	h := newHarness(t)
	resp, body := h.get("/error?code=70016")
	if resp.StatusCode != http.StatusOK || !contains(body, "AADSTS70016") {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if resp, _ := h.get("/error?code=123"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown code: %d", resp.StatusCode)
	}
}
