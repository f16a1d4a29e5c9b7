package interop

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// graphDefault is the scope azidentity's callers ask for: Graph with the app's permissions.
var graphDefault = []string{"https://graph.microsoft.com/.default"}

// azClientOptions points azcore at the simulator as at any private cloud: its authority host,
// and a transport that trusts the simulator's CA and no other.
func azClientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.URL + "/"},
		Transport: srv.HTTPClient(),
	}
}

// userCredential is a user credential that can record who signed in.
type userCredential interface {
	azcore.TokenCredential
	Authenticate(ctx context.Context, opts *policy.TokenRequestOptions) (azidentity.AuthenticationRecord, error)
}

// azFlows are azidentity's two interactive user credentials. Each counts how often it asked the
// person to sign in.
var azFlows = []struct {
	name string
	// new returns the credential and how many times so far it asked the person to sign in.
	new func(t *testing.T) (userCredential, func() int, error)
}{
	{
		name: "DeviceCodeCredential",
		new: func(t *testing.T) (userCredential, func() int, error) {
			tn := contoso(t)
			var prompts atomic.Int32
			cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
				ClientOptions:            azClientOptions(),
				TenantID:                 tn.ID,
				ClientID:                 tn.ClientID,
				DisableInstanceDiscovery: true,
				// azidentity polls only after the prompt returns, so the person approves here.
				UserPrompt: func(ctx context.Context, m azidentity.DeviceCodeMessage) error {
					prompts.Add(1)
					if want := srv.URL + "/devicelogin"; m.VerificationURL != want {
						t.Errorf("VerificationURL = %q, want %q", m.VerificationURL, want)
					}
					p, err := person().ApproveDeviceCode(ctx, m.VerificationURL, m.UserCode)
					if err != nil && p != nil {
						t.Logf("the device login page said: %s", p.Text())
					}
					return err
				},
			})
			return cred, func() int { return int(prompts.Load()) }, err
		},
	},
	{
		name: "InteractiveBrowserCredential",
		new: func(t *testing.T) (userCredential, func() int, error) {
			tn := contoso(t)
			opened := fakeXDGOpen(t)
			count := func() int {
				data, _ := os.ReadFile(opened)
				urls := strings.Fields(string(data))
				for _, u := range urls {
					if want := tn.Authority + "/oauth2/v2.0/authorize?"; !strings.HasPrefix(u, want) {
						t.Errorf("the browser opened %q, want the tenant's authorization endpoint %s…", u, want)
					}
				}
				return len(urls)
			}
			cred, err := azidentity.NewInteractiveBrowserCredential(&azidentity.InteractiveBrowserCredentialOptions{
				ClientOptions:            azClientOptions(),
				TenantID:                 tn.ID,
				ClientID:                 tn.ClientID,
				DisableInstanceDiscovery: true,
				// The app registers http://localhost, so RedirectURL may stay empty: MSAL
				// listens on http://localhost:PORT.
			})
			return cred, count, err
		},
	},
}

// TestAzidentity signs in with each credential (Authenticate, which records the account), then
// GetToken returns a Graph token from the cache without asking the person again, and Graph
// accepts it.
func TestAzidentity(t *testing.T) {
	for _, flow := range azFlows {
		t.Run(flow.name, func(t *testing.T) {
			ctx := testContext(t)
			tn := contoso(t)
			cred, prompts, err := flow.new(t)
			if err != nil {
				t.Fatalf("new credential: %v", err)
			}
			rec, err := cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: graphDefault})
			if err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if want := demoOID + "." + tn.ID; rec.HomeAccountID != want {
				t.Errorf("AuthenticationRecord.HomeAccountID = %q, want %q", rec.HomeAccountID, want)
			}
			if rec.TenantID != tn.ID || rec.ClientID != tn.ClientID || !strings.EqualFold(rec.Username, demoUPN) {
				t.Errorf("AuthenticationRecord = %+v; want tenant %s, client %s, user %s", rec, tn.ID, tn.ClientID, demoUPN)
			}
			if rec.Authority != srv.URL {
				t.Errorf("AuthenticationRecord.Authority = %q, want %q", rec.Authority, srv.URL)
			}

			tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: graphDefault})
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			if tok.Token == "" || tok.ExpiresOn.IsZero() {
				t.Fatalf("GetToken: empty token or expiry (%v)", tok.ExpiresOn)
			}
			graphMe(ctx, t, tok.Token)
			again, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: graphDefault})
			if err != nil || again.Token != tok.Token {
				t.Errorf("GetToken again: %v, same token %v; want the cached token", err, again.Token == tok.Token)
			}
			if n := prompts(); n != 1 {
				t.Errorf("the person was asked to sign in %d times, want once (Authenticate; GetToken uses the cache)", n)
			}
		})
	}
}

// fakeXDGOpen builds internal/xdgopen as xdg-open into a directory put first on PATH, so
// github.com/pkg/browser runs it for azidentity. It returns the file it notes the opened URLs in.
func fakeXDGOpen(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "xdg-open"), "./internal/xdgopen")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the fake xdg-open: %v\n%s", err, out)
	}
	opened := filepath.Join(dir, "opened.txt")
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("OOBE_INTEROP_CA", srv.CACert)
	t.Setenv("OOBE_INTEROP_USER", demoUPN)
	t.Setenv("OOBE_INTEROP_PASSWORD", demoPassword)
	t.Setenv("OOBE_INTEROP_OPENED", opened)
	return opened
}

// The demo tenant's confidential client for admin tooling (docs/fixtures.md); the secret is the
// simulator's only.
const (
	toolsClientID = "2f1a6b8e-6c1d-4f0e-9a57-3c2b1d4e5f60"
	toolsSecret   = "Contoso-Tools-Secret-2026"
)

// TestAzidentityClientSecretCredential gets an app's own Graph token (client credentials) and
// reads the restore flag with it, as an admin's tool would; Graph refuses /me, which is for a
// user's token only.
func TestAzidentityClientSecretCredential(t *testing.T) {
	ctx := testContext(t)
	tn := contoso(t)
	cred, err := azidentity.NewClientSecretCredential(tn.ID, toolsClientID, toolsSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azClientOptions(), DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatalf("new credential: %v", err)
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: graphDefault})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	get := func(path string) (int, []byte) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, body
	}
	code, body := get("/beta/deviceManagement/deviceEnrollmentConfigurations")
	var page struct {
		Value []struct {
			Type  string `json:"@odata.type"`
			State string `json:"state"`
		} `json:"value"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &page) != nil {
		t.Fatalf("the restore flag with the app's token: %d %s", code, body)
	}
	found := false
	for _, v := range page.Value {
		found = found || v.Type == "#microsoft.graph.windowsRestoreDeviceEnrollmentConfiguration" && v.State == "enabled"
	}
	if !found {
		t.Errorf("no enabled windowsRestoreDeviceEnrollmentConfiguration in %s", body)
	}
	if code, body := get("/v1.0/me"); code != http.StatusBadRequest {
		t.Errorf("GET /v1.0/me with an app's token: %d %s, want 400", code, body)
	}
}
