package tenant

import (
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// drainPool closes the in-memory databases closed servers left in memPool, so a test sees
// only the ones it puts there.
func drainPool(t *testing.T) {
	t.Helper()
	for {
		st := takePooled("")
		if st == nil {
			return
		}
		st.q.close()
		if err := st.db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// pooled lists the seed keys of the databases in memPool.
func pooled() []string {
	memPool.mu.Lock()
	defer memPool.mu.Unlock()
	var keys []string
	for _, st := range memPool.dbs {
		keys = append(keys, st.seedKey)
	}
	return keys
}

// closeHarness stops a harness's server the way a replay does between scenarios.
func closeHarness(t *testing.T, h *harness) {
	t.Helper()
	h.http.Close()
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAServerAfterAClosedOneStartsFromItsFixtures(t *testing.T) {
	cases := []struct {
		name string
		// change is what the first server's clients do to its state.
		change func(t *testing.T, h *harness)
		// keepsBackups says whether the database goes back to the pool with its backups.
		keepsBackups bool
	}{
		{"a flag change and a restore result leave the backups pooled", func(t *testing.T, h *harness) {
			admin := h.tokenFor(adminUPN, adminPassword)
			if resp, body := h.graphCall(http.MethodPatch, enrollmentPath+"/"+contosoID+"_WindowsRestore", admin, `{"state":"disabled"}`); resp.StatusCode != 200 {
				t.Fatalf("PATCH: %d %s", resp.StatusCode, body)
			}
			adele := h.tokenFor(adeleUPN, adelePassword)
			if resp, body := h.graphCall(http.MethodPost, backup.RestoreResultPath, adele, `{"windowsDeviceId":"`+meganDevice+`","status":"No Backup Profiles"}`); resp.StatusCode != 201 {
				t.Fatalf("restore result: %d %s", resp.StatusCode, body)
			}
		}, true},
		{"an upload empties the pooled database", func(t *testing.T, h *harness) {
			megan := h.tokenFor(meganUPN, meganPassword)
			if resp, body := h.graphCall(http.MethodPost, backup.UploadPath, megan, uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, h.clock.Now(), "dark")); resp.StatusCode != 201 {
				t.Fatalf("upload: %d %s", resp.StatusCode, body)
			}
		}, false},
		{"a deletion empties the pooled database", func(t *testing.T, h *harness) {
			admin := h.tokenFor(adminUPN, adminPassword)
			if resp, body := h.graphCall(http.MethodDelete, "/beta/users/"+adeleOID+"@"+contosoID+"/settings/windows", admin, ""); resp.StatusCode != 204 {
				t.Fatalf("delete: %d %s", resp.StatusCode, body)
			}
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			drainPool(t)
			first := newHarness(t)
			c.change(t, first)
			closeHarness(t, first)
			keys := pooled()
			if len(keys) != 1 || (keys[0] != "") != c.keepsBackups {
				t.Fatalf("the pool holds %d databases (keeping backups: %v), want 1 (keeping backups: %v)", len(keys), len(keys) == 1 && keys[0] != "", c.keepsBackups)
			}

			second := newHarness(t)
			second.clock.Advance(time.Hour)
			if n := len(pooled()); n != 0 {
				t.Fatalf("the second server left %d databases in the pool: it did not take the first one's", n)
			}
			admin := second.tokenFor(adminUPN, adminPassword)
			_, body := second.graphCall(http.MethodGet, enrollmentPath, admin, "")
			if rc := restoreConfigOf(t, body); rc.State != RestoreEnabled || rc.Version != 1 || !rc.CreatedDateTime.Equal(testStart) || !rc.LastModifiedDateTime.Equal(testStart) {
				t.Errorf("the restore page configuration is %+v, want the fixture's, version 1, created at the second server's start", rc)
			}
			if all, _ := second.listAll("/v1.0/me/settings/windows", second.tokenFor(adeleUPN, adelePassword), 0); len(all) != 9 {
				t.Errorf("Adele has %d settings, want her fixture's 9", len(all))
			}
			if all, _ := second.listAll("/v1.0/me/settings/windows", second.tokenFor(meganUPN, meganPassword), 0); len(all) != 0 {
				t.Errorf("Megan has %d settings, want none: she has no backups in the fixture", len(all))
			}
			_, body = second.graphCall(http.MethodGet, "/_oobe/tenants/"+contosoID+"/restore-results", admin, "")
			if list := decodeJSON[restoreResultsAnswer](t, body); len(list.Value) != 0 {
				t.Errorf("restore results from the first server: %s", body)
			}
		})
	}
}

func TestAPooledDatabaseDrawsTheSameRandomValuesAsANewOne(t *testing.T) {
	// The paging key comes from Config.Rand, so with the same seed a $skiptoken is the same
	// whether the database is new or pooled.
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
	drainPool(t)
	fresh := skiptoken(t)
	if len(pooled()) != 1 {
		t.Fatal("the first server's database did not go to the pool")
	}
	if reused := skiptoken(t); reused != fresh {
		t.Errorf("with a pooled database the $skiptoken is %s, with a new one %s", reused, fresh)
	}
}

func TestAClosedServerAnswersWithServerErrors(t *testing.T) {
	drainPool(t)
	h := newHarness(t)
	tok := h.tokenFor(adeleUPN, adelePassword)
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	// Its database went to the pool, and another server may hold it now: the closed server
	// must not reach it.
	other := newHarness(t)
	resp, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows", tok, "")
	wantGraphError(t, resp, body, http.StatusInternalServerError, "generalException")
	if all, _ := other.listAll("/v1.0/me/settings/windows", other.tokenFor(adeleUPN, adelePassword), 0); len(all) != 9 {
		t.Errorf("the other server lists %d settings for Adele, want 9", len(all))
	}
}

func TestAFixtureChangedBetweenServersIsServedAsChanged(t *testing.T) {
	profileOf := func(t *testing.T, h *harness) *backup.DeviceProfile {
		t.Helper()
		in := h.instances(settingID(adeleLaptop, backup.PayloadDeviceProfile), h.tokenFor(adeleUPN, adelePassword))
		p, err := backup.DecodeDeviceProfile(in[0].Payload)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	drainPool(t)
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

func TestTheBackupCacheAnswersAsTheDatabaseDoes(t *testing.T) {
	st, err := openStore("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	ctx := t.Context()
	u := User{UPN: pagingUPN, ObjectID: pagingOID, GenerateBackups: 12}
	settings, err := fixtureBackups(contosoID, &u)
	if err != nil {
		t.Fatal(err)
	}
	// Spread the expiries so that "alive at now" cuts through the list, and give one setting a
	// second, older instance.
	for i := range settings {
		in := &settings[i].Instances[0]
		in.Expires = testStart.Add(time.Duration(i%5) * time.Hour)
	}
	old := settings[4].Instances[0]
	old.ID, old.Payload = "00000000-0000-4000-8000-000000000000", "b2xk"
	old.Modified, old.Expires = old.Modified.Add(-time.Hour), testStart.Add(9*time.Hour)
	settings[4].Instances = append(settings[4].Instances, old)
	seed := tenantSeed{TenantID: contosoID, RestorePage: RestoreEnabled, Backups: map[string][]storedSetting{pagingOID: settings}}
	if _, err := st.seed(ctx, seed, testStart); err != nil {
		t.Fatal(err)
	}
	// The same store with its cache off asks the database.
	fromDB := func(f func() (any, error)) (any, error) {
		st.memory = false
		defer func() { st.memory = true }()
		return f()
	}
	device := settings[3].DeviceID
	filters := []settingFilter{{}, {SettingType: "backup"}, {SettingType: "roaming"}, {DeviceID: device}, {SettingType: "backup", DeviceID: device}, {DeviceID: "\x00"}}
	afters := []string{"", settings[5].ID, settings[len(settings)-1].ID, "{"}
	for _, at := range []time.Time{testStart.Add(-time.Hour), testStart, testStart.Add(90 * time.Minute), testStart.Add(5 * time.Hour), testStart.Add(10 * time.Hour)} {
		for _, f := range filters {
			for _, after := range afters {
				for _, limit := range []int{0, 1, 3, 111} {
					list := func() (any, error) { return st.liveSettings(ctx, contosoID, pagingOID, f, after, limit, at) }
					cached, err1 := list()
					db, err2 := fromDB(list)
					if err1 != nil || err2 != nil || !reflect.DeepEqual(cached, db) {
						t.Fatalf("at %v, filter %+v, after %q, limit %d: the cache lists %v (%v), the database %v (%v)", at, f, after, limit, cached, err1, db, err2)
					}
				}
			}
		}
		for _, id := range []string{settings[0].ID, settings[4].ID, settings[7].ID, "no such setting"} {
			read := func() (any, error) { return st.liveSetting(ctx, contosoID, pagingOID, id, at) }
			cached, err1 := read()
			db, err2 := fromDB(read)
			if err1 != nil || err2 != nil || !reflect.DeepEqual(cached, db) {
				t.Fatalf("at %v, setting %s: the cache reads %+v (%v), the database %+v (%v)", at, id, cached, err1, db, err2)
			}
		}
	}
	t.Run("a change to backups is read at once", func(t *testing.T) {
		if _, err := st.deleteUserSettings(ctx, contosoID, pagingOID); err != nil {
			t.Fatal(err)
		}
		if list, err := st.liveSettings(ctx, contosoID, pagingOID, settingFilter{}, "", 10, testStart); err != nil || len(list) != 0 {
			t.Fatalf("after the deletion the cache lists %d settings (%v)", len(list), err)
		}
	})
}
