package interop

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/oobe-dev/oobe/interop/internal/browser"
	"github.com/oobe-dev/oobe/interop/internal/sim"
)

// TestMSALBehindAPublicURL signs in to a simulator that a QA lab reaches at a DNS name of its own
// (oobe serve --tls --public-url https://login.oobe.test): MSAL is given that authority and
// nothing about the listening address, which only the test's transport knows, as DNS or a
// reverse proxy would. Issuer, endpoints, the device login page and Graph are all on the name.
func TestMSALBehindAPublicURL(t *testing.T) {
	ctx := testContext(t)
	const lab = "https://login.oobe.test" // the QA lab's name for the simulator
	pub, err := sim.Serve(oobeBin, t.TempDir(), "--public-url", lab)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.Stop)
	if pub.URL != lab || !strings.HasPrefix(pub.Listen, "https://127.0.0.1:") {
		t.Fatalf("oobe serve --json: url %q, listen %q; want the public URL and the loopback address", pub.URL, pub.Listen)
	}
	tn, err := pub.Tenant(demoTenant)
	if err != nil {
		t.Fatal(err)
	}
	if tn.Authority != lab+"/"+tn.ID {
		t.Fatalf("authority %q, want it on the public URL", tn.Authority)
	}
	app, err := public.New(tn.ClientID, public.WithAuthority(tn.Authority), public.WithInstanceDiscovery(false),
		public.WithHTTPClient(pub.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := app.AcquireTokenByDeviceCode(ctx, []string{"User.Read"})
	if err != nil {
		t.Fatalf("AcquireTokenByDeviceCode: %v", err)
	}
	if want := lab + "/devicelogin"; dc.Result.VerificationURL != want {
		t.Errorf("VerificationURL = %q, want %q", dc.Result.VerificationURL, want)
	}
	person := &browser.Browser{Client: pub.HTTPClient(), Username: demoUPN, Password: demoPassword}
	if p, err := person.ApproveDeviceCode(ctx, dc.Result.VerificationURL, dc.Result.UserCode); err != nil {
		t.Fatalf("approving the code: %v\n%s", err, p.Body)
	}
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		t.Fatalf("DeviceCode.AuthenticationResult: %v", err)
	}
	if want := lab + "/" + tn.ID + "/v2.0"; res.IDToken.Issuer != want {
		t.Errorf("ID token issuer %q, want %q", res.IDToken.Issuer, want)
	}
	if want := demoOID + "." + tn.ID; res.Account.HomeAccountID != want {
		t.Errorf("home account %q, want %q", res.Account.HomeAccountID, want)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, lab+"/v1.0/me", nil)
	req.Header.Set("Authorization", "Bearer "+res.AccessToken)
	resp, err := pub.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("GET /v1.0/me at the public URL: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), demoUPN) {
		t.Fatalf("GET /v1.0/me at the public URL: %d %s", resp.StatusCode, body)
	}
}
