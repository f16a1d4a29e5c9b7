package tenant

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
)

// closeHarness stops a harness's server the way a replay does between scenarios.
func closeHarness(t *testing.T, h *harness) {
	t.Helper()
	h.http.Close()
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
}

// startsFromItsFixtures checks that h serves the demo fixtures as a new server does: the
// fixture's restore page flag at version 1 since h's start, Adele's seven fixture settings, none
// for Megan, no restore results.
func startsFromItsFixtures(t *testing.T, h *harness, start time.Time) {
	t.Helper()
	admin := h.tokenFor(adminUPN, adminPassword)
	_, body := h.graphCall(http.MethodGet, enrollmentPath, admin, "")
	if rc := restoreConfigOf(t, body); rc.State != RestoreEnabled || rc.Version != 1 || !rc.CreatedDateTime.Equal(start) || !rc.LastModifiedDateTime.Equal(start) {
		t.Errorf("the restore page configuration is %+v, want the fixture's, version 1, created at the server's start %v", rc, start)
	}
	if all, _ := h.listAll("/v1.0/me/settings/windows", h.tokenFor(adeleUPN, adelePassword), 0); len(all) != 7 {
		t.Errorf("Adele has %d settings, want her fixture's 7", len(all))
	}
	if all, _ := h.listAll("/v1.0/me/settings/windows", h.tokenFor(meganUPN, meganPassword), 0); len(all) != 0 {
		t.Errorf("Megan has %d settings, want none: she has no backups in the fixture", len(all))
	}
	_, body = h.graphCall(http.MethodGet, "/_oobe/tenants/"+contosoID+"/restore-results", admin, "")
	if list := decodeJSON[restoreResultsAnswer](t, body); len(list.Value) != 0 {
		t.Errorf("restore results from another server: %s", body)
	}
}

// A replay starts a server per scenario, one after another or side by side: whatever one
// server's clients change, the next server — started while it still runs, or after it closed —
// serves its fixtures, and the first keeps its own change.
func TestAServerStartsFromItsFixturesWhateverAnotherDid(t *testing.T) {
	changes := []struct {
		name string
		// change is what the first server's clients do to its state; kept checks that the first
		// server still sees it.
		change func(t *testing.T, h *harness)
		kept   func(t *testing.T, h *harness)
	}{
		{"a flag change and a restore result", func(t *testing.T, h *harness) {
			admin := h.tokenFor(adminUPN, adminPassword)
			if resp, body := h.graphCall(http.MethodPatch, enrollmentPath+"/"+contosoID+"_WindowsRestore", admin, `{"state":"disabled"}`); resp.StatusCode != 200 {
				t.Fatalf("PATCH: %d %s", resp.StatusCode, body)
			}
			adele := h.tokenFor(adeleUPN, adelePassword)
			if resp, body := h.graphCall(http.MethodPost, backup.RestoreResultPath, adele, `{"windowsDeviceId":"`+meganDevice+`","status":"No Backup Profiles"}`); resp.StatusCode != 201 {
				t.Fatalf("restore result: %d %s", resp.StatusCode, body)
			}
		}, func(t *testing.T, h *harness) {
			admin := h.tokenFor(adminUPN, adminPassword)
			if got := h.flagOf(admin); got != "disabled" {
				t.Errorf("the first server's flag is %s, want its own change, disabled", got)
			}
			_, body := h.graphCall(http.MethodGet, "/_oobe/tenants/"+contosoID+"/restore-results", admin, "")
			if list := decodeJSON[restoreResultsAnswer](t, body); len(list.Value) != 1 {
				t.Errorf("the first server's restore results: %s", body)
			}
		}},
		{"an upload", func(t *testing.T, h *harness) {
			megan := h.tokenFor(meganUPN, meganPassword)
			if resp, body := h.graphCall(http.MethodPost, backup.UploadPath, megan, uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, h.clock.Now(), "dark")); resp.StatusCode != 201 {
				t.Fatalf("upload: %d %s", resp.StatusCode, body)
			}
		}, func(t *testing.T, h *harness) {
			if all, _ := h.listAll("/v1.0/me/settings/windows", h.tokenFor(meganUPN, meganPassword), 0); len(all) != 3 {
				t.Errorf("the first server lists %d settings for Megan, want her upload's 3", len(all))
			}
		}},
		{"a deletion", func(t *testing.T, h *harness) {
			admin := h.tokenFor(adminUPN, adminPassword)
			if resp, body := h.graphCall(http.MethodDelete, "/beta/users/"+adeleOID+"@"+contosoID+"/settings/windows", admin, ""); resp.StatusCode != 204 {
				t.Fatalf("delete: %d %s", resp.StatusCode, body)
			}
		}, func(t *testing.T, h *harness) {
			if all, _ := h.listAll("/v1.0/me/settings/windows", h.tokenFor(adeleUPN, adelePassword), 0); len(all) != 0 {
				t.Errorf("the first server lists %d settings for Adele after deleting them", len(all))
			}
		}},
	}
	for _, c := range changes {
		t.Run(c.name+" on a running server", func(t *testing.T) {
			first := newHarness(t)
			c.change(t, first)
			second := newHarness(t)
			second.clock.Advance(time.Hour)
			startsFromItsFixtures(t, second, testStart)
			c.kept(t, first)
		})
		t.Run(c.name+" on a closed server", func(t *testing.T) {
			first := newHarness(t)
			c.change(t, first)
			closeHarness(t, first)
			second := newHarness(t)
			second.clock.Advance(time.Hour)
			startsFromItsFixtures(t, second, testStart)
			// And the one after it too, started at another time.
			closeHarness(t, second)
			third := newHarness(t, func(c *Config) { c.Clock = clock.NewVirtual(testStart.Add(time.Minute)) })
			startsFromItsFixtures(t, third, testStart.Add(time.Minute))
		})
	}
}

func TestEveryServerDrawsItsPagingKeyFromConfigRand(t *testing.T) {
	// The paging key comes from Config.Rand, so with the same seed a $skiptoken is the same on
	// every server, whatever ran before it.
	skiptoken := func(t *testing.T) string {
		h := newHarness(t, func(c *Config) { c.Rand = rand.NewChaCha8([32]byte{1}) })
		_, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows", h.tokenFor(adeleUPN, adelePassword), "", "Prefer", "odata.maxpagesize=1")
		next, err := url.Parse(decodeJSON[settingsPage](t, body).NextLink)
		if err != nil || next.Query().Get("$skiptoken") == "" {
			t.Fatalf("no $skiptoken in %s", body)
		}
		closeHarness(t, h)
		return next.Query().Get("$skiptoken")
	}
	first := skiptoken(t)
	if again := skiptoken(t); again != first {
		t.Errorf("with the same Config.Rand the second server's $skiptoken is %s, the first's %s", again, first)
	}
}

func TestAClosedServerAnswersWithServerErrors(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(adeleUPN, adelePassword)
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	other := newHarness(t)
	resp, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows", tok, "")
	wantGraphError(t, resp, body, http.StatusInternalServerError, "generalException")
	if all, _ := other.listAll("/v1.0/me/settings/windows", other.tokenFor(adeleUPN, adelePassword), 0); len(all) != 7 {
		t.Errorf("the other server lists %d settings for Adele, want 7", len(all))
	}
}

func TestAFixtureChangedBetweenServersIsServedAsChanged(t *testing.T) {
	profileOf := func(t *testing.T, h *harness) *backup.DeviceProfilePayload {
		t.Helper()
		in := h.profileInstances(adeleLaptop, h.tokenFor(adeleUPN, adelePassword))
		p, err := backup.DecodeDeviceProfile(in[0].Payload)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := newHarness(t)
	if got := profileOf(t, first).DeviceDisplayName; got != "ADELE-LAPTOP" {
		t.Fatalf("the fixture's laptop is %q", got)
	}
	closeHarness(t, first)
	second := newHarness(t, func(c *Config) { c.Tenants[0].Users[0].Backups[0].Device = "ADELE-RENAMED" })
	if got := profileOf(t, second).DeviceDisplayName; got != "ADELE-RENAMED" {
		t.Errorf("after the fixture changed the laptop is served as %q, want ADELE-RENAMED", got)
	}
}

func TestAVerifiedBearerTokenIsCheckedAgainOnEveryUse(t *testing.T) {
	cases := []struct {
		name   string
		change func(h *harness)
		want   string
	}{
		{"it expires on the virtual clock", func(h *harness) { h.clock.Advance(tokenLifetime) }, "token is expired"},
		{"a rotation that drops its key ends it", func(h *harness) {
			for range 2 {
				if err := h.srv.RotateKeys(contosoID); err != nil {
					h.t.Fatal(err)
				}
			}
		}, "signing key not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			tok := h.tokenFor(adeleUPN, adelePassword)
			for range 2 { // the second use is answered from the cache
				if resp, body := h.bearer("/v1.0/me", tok); resp.StatusCode != http.StatusOK {
					t.Fatalf("a fresh token: %d %s", resp.StatusCode, body)
				}
			}
			c.change(h)
			resp, body := h.getAddressedTo(h.http.URL, "/v1.0/me", "Authorization", "Bearer "+tok)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), c.want) {
				t.Fatalf("status %d, body %s; want a 401 saying %q", resp.StatusCode, body, c.want)
			}
		})
	}
	t.Run("the cache stays bounded", func(t *testing.T) {
		h := newHarness(t)
		for range maxVerifiedBearers + 3 {
			if resp, body := h.bearer("/v1.0/me", h.tokenFor(adeleUPN, adelePassword)); resp.StatusCode != http.StatusOK {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			h.clock.Advance(time.Second) // a new iat, so a new token
		}
		h.srv.bearers.mu.Lock()
		n := len(h.srv.bearers.m)
		h.srv.bearers.mu.Unlock()
		if n == 0 || n > maxVerifiedBearers {
			t.Fatalf("%d tokens cached, want 1 to %d", n, maxVerifiedBearers)
		}
	})
}

func TestServersShareTheEndpointTableButNotTheirState(t *testing.T) {
	contoso := newHarness(t, func(c *Config) { c.Tenants = c.Tenants[:1] })
	fabrikam := newHarness(t, func(c *Config) { c.Tenants = c.Tenants[1:] })
	for _, c := range []struct {
		name string
		h    *harness
		want string
	}{{"Contoso's server", contoso, contosoID}, {"Fabrikam's server", fabrikam, fabrikamID}} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := c.h.get("/_oobe/tenants")
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), c.want) || strings.Count(string(body), `"id"`) != 1 {
				t.Fatalf("%d %s: want only tenant %s", resp.StatusCode, body, c.want)
			}
		})
	}
}
