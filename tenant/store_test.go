package tenant

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/backup"
)

// withData keeps the tenant's state in dir.
func withData(dir string) func(*Config) { return func(c *Config) { c.DataDir = dir } }

// flagOf reads a tenant's restore page state.
func (h *harness) flagOf(token string) string {
	h.t.Helper()
	_, body := h.graphCall(http.MethodGet, enrollmentPath, token, "")
	return restoreConfigOf(h.t, body).State
}

func TestStateSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	first := newHarness(t, withData(dir))
	admin := first.tokenFor(adminUPN, adminPassword)
	megan := first.tokenFor(meganUPN, meganPassword)
	adele := first.tokenFor(adeleUPN, adelePassword)
	if resp, body := first.graphCall(http.MethodPatch, enrollmentPath+"/"+contosoID+"_WindowsRestore", admin, `{"state":"disabled"}`); resp.StatusCode != 200 {
		t.Fatalf("PATCH: %d %s", resp.StatusCode, body)
	}
	if resp, body := first.graphCall(http.MethodPost, backup.UploadPath, megan, uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, first.clock.Now(), "dark")); resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	if resp, body := first.graphCall(http.MethodDelete, "/beta/users/"+adeleOID+"@"+contosoID+"/settings/windows", admin, ""); resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	if resp, body := first.graphCall(http.MethodPost, backup.RestoreResultPath, megan, `{"windowsDeviceId":"`+meganDevice+`","status":"No Backup Profiles"}`); resp.StatusCode != 201 {
		t.Fatalf("restore result: %d %s", resp.StatusCode, body)
	}
	_, page := first.graphCall(http.MethodGet, "/v1.0/me/settings/windows", megan, "", "Prefer", "odata.maxpagesize=1")
	nextLink := decodeJSON[settingsPage](t, page).NextLink
	first.http.Close()
	if err := first.srv.Close(); err != nil {
		t.Fatal(err)
	}

	second := newHarness(t, withData(dir))
	admin = second.tokenFor(adminUPN, adminPassword)
	megan = second.tokenFor(meganUPN, meganPassword)
	adele = second.tokenFor(adeleUPN, adelePassword)
	if got := second.flagOf(admin); got != "disabled" {
		t.Errorf("after a restart the restore page is %s, want disabled", got)
	}
	if all, _ := second.listAll("/v1.0/me/settings/windows", megan, 0); !mapsEqual(deviceIDs(all), map[string]int{meganDevice: 3}) {
		t.Errorf("after a restart Megan's settings are %v", deviceIDs(all))
	}
	if all, _ := second.listAll("/v1.0/me/settings/windows", adele, 0); len(all) != 0 {
		t.Errorf("after a restart Adele's deleted backups came back from the fixture: %d settings", len(all))
	}
	// The device stays Megan's: Adele cannot report for it after the restart either.
	if resp, body := second.graphCall(http.MethodPost, backup.RestoreResultPath, adele, `{"windowsDeviceId":"`+meganDevice+`","status":"No Backup Profiles"}`); resp.StatusCode != 403 {
		t.Errorf("after a restart another user's report for Megan's device: %d %s", resp.StatusCode, body)
	}
	_, body := second.graphCall(http.MethodGet, "/_oobe/tenants/"+contosoID+"/restore-results", admin, "")
	if list := decodeJSON[restoreResultsAnswer](t, body); len(list.Value) != 1 || list.Value[0].Status != backup.StatusNoBackups {
		t.Errorf("after a restart the restore results are %s", body)
	}
	// A nextLink from before the restart still works: the paging key is in the database. The
	// new server listens on another port, so the link is followed by path.
	u := nextLink[strings.Index(nextLink, "/v1.0/"):]
	if resp, body := second.graphCall(http.MethodGet, u, megan, ""); resp.StatusCode != 200 {
		t.Errorf("a nextLink from before the restart: %d %s", resp.StatusCode, body)
	}
	if fab := second.tokenFor(alexUPN, alexPassword); second.flagOf(fab) != "notConfigured" {
		t.Error("Fabrikam's flag changed")
	}
}

func TestTheDatabaseIsWALWithASchemaVersion(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withData(dir))
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, DataFileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var version int
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q (%v), want wal", mode, err)
	}
	if err := db.QueryRow(`SELECT version FROM schema_version`).Scan(&version); err != nil || version != schemaVersion {
		t.Fatalf("schema version %d (%v), want %d", version, err, schemaVersion)
	}
	// A database from a newer build is refused rather than misread.
	if _, err := db.Exec(`UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = New(Config{Tenants: demoTenants(t), DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "newer oobe") {
		t.Fatalf("New over a newer schema: %v", err)
	}
}

func TestATenantNewToTheDatabaseIsSeededAndTheOthersKeepTheirState(t *testing.T) {
	dir := t.TempDir()
	first := newHarness(t, withData(dir), func(c *Config) { c.Tenants = c.Tenants[:1] })
	admin := first.tokenFor(adminUPN, adminPassword)
	if resp, _ := first.graphCall(http.MethodPatch, enrollmentPath+"/"+contosoID+"_WindowsRestore", admin, `{"state":"notConfigured"}`); resp.StatusCode != 200 {
		t.Fatal("PATCH failed")
	}
	_ = first.srv.Close()

	second := newHarness(t, withData(dir))
	if got := second.flagOf(second.tokenFor(adminUPN, adminPassword)); got != "notConfigured" {
		t.Errorf("Contoso's flag went back to the fixture's: %s", got)
	}
	if all, _ := second.listAll("/v1.0/me/settings/windows", second.tokenFor(alexUPN, alexPassword), 0); len(all) != 3 {
		t.Errorf("Fabrikam, new to the database, has %d settings, want its fixture's 3", len(all))
	}
}

func TestAMutationIsAllOrNothing(t *testing.T) {
	errInjected := errors.New("injected failure")
	h := newHarness(t, withData(t.TempDir()))
	admin := h.tokenFor(adminUPN, adminPassword)
	megan := h.tokenFor(meganUPN, meganPassword)
	adele := h.tokenFor(adeleUPN, adelePassword)
	if resp, _ := h.graphCall(http.MethodPost, backup.UploadPath, megan, uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, h.clock.Now(), "dark")); resp.StatusCode != 201 {
		t.Fatal("the first upload failed")
	}
	before := h.instances(settingID(meganDevice, backup.PayloadContent), megan)[0]
	cases := []struct {
		name  string
		step  string
		do    func() (*http.Response, []byte)
		check func(t *testing.T)
	}{
		{"an upload that fails after deleting the old backup keeps the old backup", "upload.deleted",
			func() (*http.Response, []byte) {
				return h.graphCall(http.MethodPost, backup.UploadPath, megan, uploadBody(t, meganDevice, "MEGAN-PC", contosoID, meganOID, h.clock.Now(), "light"))
			},
			func(t *testing.T) {
				all, _ := h.listAll("/v1.0/me/settings/windows", megan, 0)
				now := h.instances(settingID(meganDevice, backup.PayloadContent), megan)[0]
				if len(all) != 3 || now.ID != before.ID || now.Payload != before.Payload {
					t.Fatalf("after a failed upload: %d settings, content instance %s (was %s)", len(all), now.ID, before.ID)
				}
			}},
		{"a delete that fails keeps every setting", "delete.settings",
			func() (*http.Response, []byte) {
				return h.graphCall(http.MethodDelete, "/beta/users/"+adeleOID+"@"+contosoID+"/settings/windows", admin, "")
			},
			func(t *testing.T) {
				if all, _ := h.listAll("/v1.0/me/settings/windows", adele, 0); len(all) != 7 {
					t.Fatalf("after a failed delete Adele has %d settings, want 7", len(all))
				}
			}},
		{"a PATCH that fails keeps the flag", "restore.state",
			func() (*http.Response, []byte) {
				return h.graphCall(http.MethodPatch, enrollmentPath+"/"+contosoID+"_WindowsRestore", admin, `{"state":"disabled"}`)
			},
			func(t *testing.T) {
				_, body := h.graphCall(http.MethodGet, enrollmentPath, admin, "")
				if rc := restoreConfigOf(t, body); rc.State != "enabled" || rc.Version != 1 {
					t.Fatalf("after a failed PATCH the flag is %+v", rc)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := h.srv.store.(*sqliteStore)
			st.failAt = func(step string) error {
				if step == c.step {
					return errInjected
				}
				return nil
			}
			resp, body := c.do()
			st.failAt = nil
			wantGraphError(t, resp, body, http.StatusInternalServerError, "generalException")
			c.check(t)
		})
	}
	t.Run("seeding a tenant that fails part-way leaves nothing of it", func(t *testing.T) {
		st, err := openStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer st.close()
		st.failAt = func(step string) error { return errInjected }
		seed := tenantSeed{TenantID: contosoID, RestorePage: RestoreEnabled, Backups: map[string][]storedSetting{}}
		if _, err := st.seed(context.Background(), seed, testStart); !errors.Is(err, errInjected) {
			t.Fatalf("seed error %v", err)
		}
		var n int
		if err := st.db.QueryRow(`SELECT count(*) FROM tenants`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d tenants after a failed seed (%v), want 0", n, err)
		}
		st.failAt = nil
		if seeded, err := st.seed(context.Background(), seed, testStart); err != nil || !seeded {
			t.Fatalf("seeding again: %v %v", seeded, err)
		}
	})
}

func TestADataDirectoryThatCannotHoldADatabaseIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := writeFile(file, "not a directory"); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{file, filepath.Join(t.TempDir(), "a?b")} {
		if _, err := New(Config{Tenants: demoTenants(t), DataDir: dir}); err == nil {
			t.Errorf("New with DataDir %q succeeded", dir)
		}
	}
}

func writeFile(name, content string) error { return os.WriteFile(name, []byte(content), 0o600) }

func TestTheDatabaseFileIsReadableByItsOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, DataFileName)
	if err := os.WriteFile(file, nil, 0o644); err != nil { // left loose by an older run
		t.Fatal(err)
	}
	srv, err := New(Config{Tenants: demoTenants(t), DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600: it holds every user's backups and the skiptoken key", file, st.Mode().Perm())
	}
}
