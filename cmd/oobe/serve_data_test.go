package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// serveOnce starts `oobe serve --json` with args and returns its base URL and Contoso's tenant.
func serveOnce(t *testing.T, args ...string) (*cliRun, serveInfo) {
	t.Helper()
	return serveOnceIn(t, cli{}, args...)
}

// serveOnceIn is serveOnce run as c says.
func serveOnceIn(t *testing.T, c cli, args ...string) (*cliRun, serveInfo) {
	t.Helper()
	r := c.start(t, append([]string{"serve", "--json"}, args...)...)
	line := r.out.waitFor(t, regexp.MustCompile(`(?m)^(\{.*\})\n`))[1]
	var info serveInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("serve --json printed %q: %v", line, err)
	}
	return r, info
}

// adminToken signs the demo admin in with the device code flow, as a script would.
func adminToken(t *testing.T, info serveInfo) string {
	t.Helper()
	ten := info.Tenants[0]
	post := func(target string, form url.Values) map[string]any {
		resp, err := http.PostForm(target, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %s", target, resp.StatusCode, body)
		}
		var out map[string]any
		_ = json.Unmarshal(body, &out)
		return out
	}
	dc := post(ten.Authority+"/oauth2/v2.0/devicecode", url.Values{"client_id": {ten.ClientID}, "scope": {"openid offline_access https://graph.microsoft.com/.default"}})
	post(info.URL+"/devicelogin", url.Values{"user_code": {dc["user_code"].(string)}, "username": {"admin@contoso.com"},
		"password": {"Admin-2026!"}, "action": {"approve"}})
	tok := post(ten.Authority+"/oauth2/v2.0/token", url.Values{"client_id": {ten.ClientID},
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dc["device_code"].(string)}})
	return tok["access_token"].(string)
}

// restoreFlag reads (and with a state, first changes) Contoso's restore page setting.
func restoreFlag(t *testing.T, info serveInfo, token, state string) string {
	t.Helper()
	target := info.URL + "/beta/deviceManagement/deviceEnrollmentConfigurations/" + info.Tenants[0].ID + "_WindowsRestore"
	method, body := http.MethodGet, ""
	if state != "" {
		method, body = http.MethodPatch, `{"state":"`+state+`"}`
	}
	req, _ := http.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		State string `json:"state"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s restore configuration: %d %v", method, resp.StatusCode, err)
	}
	return out.State
}

func TestServeWithDataKeepsStateAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	r, info := serveOnce(t, "--data", dir)
	if got := restoreFlag(t, info, adminToken(t, info), "disabled"); got != "disabled" {
		t.Fatalf("PATCH answered state %q", got)
	}
	r.cancel()
	if code := r.wait(t); code != 0 {
		t.Fatalf("serve stopped with exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "oobe.db")); err != nil {
		t.Fatalf("no database in the data directory: %v", err)
	}

	_, info = serveOnce(t, "--data", dir)
	if got := restoreFlag(t, info, adminToken(t, info), ""); got != "disabled" {
		t.Fatalf("after a restart with --data the restore page is %q, want disabled", got)
	}
	_, fresh := serveOnce(t)
	if got := restoreFlag(t, fresh, adminToken(t, fresh), ""); got != "enabled" {
		t.Fatalf("without --data the restore page is %q, want the fixture's enabled", got)
	}
}

func TestServeRefusesADataPathThatIsAFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "serve", "--data", file)
	if code != 2 || !strings.Contains(stderr, "not a directory") {
		t.Fatalf("exit %d, stderr %q; want 2 naming the problem", code, stderr)
	}
}

func TestServeRefusesAGarbageDatabaseAsBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "oobe.db"), []byte(strings.Repeat("not a database ", 64)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "serve", "--data", dir)
	if code != 2 || !strings.Contains(stderr, "oobe.db") || !strings.Contains(stderr, "another --data directory") {
		t.Fatalf("exit %d, stderr %q; want 2 naming the database and what to do", code, stderr)
	}
}

func TestServePrintsTheAdminSecretThatTheControlsTake(t *testing.T) {
	t.Parallel()
	_, info := serveOnce(t)
	if len(info.AdminSecret) < 40 {
		t.Fatalf("--json adminSecret %q", info.AdminSecret)
	}
	clear := func(header ...string) int {
		req, _ := http.NewRequest(http.MethodDelete, info.URL+"/_oobe/faults", nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := clear(); got != http.StatusUnauthorized {
		t.Errorf("without the secret: %d, want 401", got)
	}
	if got := clear("Authorization", "Bearer "+info.AdminSecret); got != http.StatusNoContent {
		t.Errorf("with the printed secret: %d, want 204", got)
	}
}
