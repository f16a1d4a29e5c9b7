package tenant

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

const backupFilter = "?$filter=settingType%20eq%20%27backup%27"

func TestADemoUsersBackupsAreListedAsGraphWindowsSettings(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(adeleUPN, adelePassword)
	resp, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows"+backupFilter, tok, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || resp.Header.Get("request-id") == "" {
		t.Fatalf("headers %v", resp.Header)
	}
	page := decodeJSON[settingsPage](t, body)
	if page.Context != h.url("/v1.0/$metadata#users('"+adeleOID+"')/settings/windows") || page.NextLink != "" {
		t.Fatalf("@odata.context %q, nextLink %q", page.Context, page.NextLink)
	}
	want := map[string]int{adeleLaptop: 3, adeleDesktop: 3, adeleSurface: 3}
	if got := deviceIDs(page.Value); len(got) != 3 || got[adeleLaptop] != 3 || got[adeleDesktop] != 3 || got[adeleSurface] != 3 {
		t.Fatalf("settings by device = %v, want %v", got, want)
	}
	raw := decodeJSON[struct {
		Value []map[string]any `json:"value"`
	}](t, body)
	for i, s := range page.Value {
		profiles := s.ID == backup.DeviceProfilesSettingID && s.WindowsDeviceID == "" && s.PayloadType == backup.PayloadDeviceProfile
		if s.SettingType != backup.SettingTypeBackup || !profiles && s.ID != "{"+s.WindowsDeviceID+"}$"+s.PayloadType {
			t.Errorf("setting %+v: want settingType backup and id {device}$payloadType, or the one device profiles setting", s)
		}
		if raw.Value[i]["@odata.type"] != "#microsoft.graph.windowsSetting" {
			t.Errorf("setting %s has @odata.type %v", s.ID, raw.Value[i]["@odata.type"])
		}
		if !slices.Contains([]string{backup.PayloadDeviceProfile, backup.PayloadContent, backup.PayloadBackupUnitStore}, s.PayloadType) {
			t.Errorf("unexpected payload type %s", s.PayloadType)
		}
	}
	// The beta endpoint serves the same settings.
	_, betaBody := h.graphCall(http.MethodGet, "/beta/me/settings/windows", tok, "")
	beta := decodeJSON[settingsPage](t, betaBody)
	if len(beta.Value) != 7 || beta.Context != h.url("/beta/$metadata#users('"+adeleOID+"')/settings/windows") {
		t.Fatalf("beta listing: %s", betaBody)
	}
}

func TestTheDeviceProfilePayloadDecodesToTheDocumentedFields(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(adeleUPN, adelePassword)
	in := h.profileInstances(adeleLaptop, tok)
	if len(in) != 1 {
		t.Fatalf("%d instances, want 1", len(in))
	}
	data, err := base64.StdEncoding.DecodeString(in[0].Payload)
	if err != nil {
		t.Fatalf("payload is not base64: %v", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatalf("payload is not a JSON object: %s", data)
	}
	var names []string
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	documented := []string{"createdBy", "createdTime", "deviceDisplayName", "isActive", "lastFullBackupCompletedTime", "modifiedTime", "osVersion", "profileId", "sourceProfileId"}
	if !slices.Equal(names, documented) {
		t.Fatalf("deviceprofile fields %v, want exactly %v", names, documented)
	}
	p, err := backup.DecodeDeviceProfile(in[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2025, 2, 3, 8, 15, 0, 0, time.UTC)
	last := time.Date(2026, 9, 2, 17, 40, 0, 0, time.UTC)
	want := backup.DeviceProfilePayload{ProfileID: "{" + adeleLaptop + "}", DeviceDisplayName: "ADELE-LAPTOP", CreatedBy: "windows",
		CreatedTime: created.Unix(), ModifiedTime: last.Unix(), IsActive: true, LastFullBackupCompletedTime: last.Unix(), OSVersion: "19045.6216.vb_release"} // build.UBR.branch, domain.md §7.4 [G]
	if *p != want {
		t.Fatalf("deviceprofile = %+v, want %+v", *p, want)
	}
	if !in[0].CreatedDateTime.Equal(created) || !in[0].LastModifiedDateTime.Equal(last) || !in[0].ExpirationDateTime.Equal(last.Add(InstanceExpiry)) {
		t.Fatalf("instance times %+v", in[0])
	}

	t.Run("the content payload is the simulator's sealed content, owned by the user", func(t *testing.T) {
		in := h.instances(settingID(adeleLaptop, backup.PayloadContent), tok)
		c, err := backup.DecodeContent(in[0].Payload)
		if err != nil {
			t.Fatal(err)
		}
		if c.Owner != (backup.Owner{TenantID: contosoID, ObjectID: adeleOID}) || c.SourceOSVersion != "10.0.19045.6216" || c.DeviceName != "ADELE-LAPTOP" {
			t.Fatalf("content header %+v %s %s", c.Owner, c.SourceOSVersion, c.DeviceName)
		}
		if len(c.StartTiles) != 3 || len(c.TaskbarPins) != 2 || len(c.StoreApps) != 2 || len(c.WiFi) != 3 {
			t.Fatalf("content items: %d tiles, %d taskbar pins, %d apps, %d networks", len(c.StartTiles), len(c.TaskbarPins), len(c.StoreApps), len(c.WiFi))
		}
		if c.WiFi[1] != (backup.WiFiNetwork{SSID: "Contoso-Corp", Security: backup.WiFiWPA2Enterprise}) {
			t.Fatalf("the 802.1X network is %+v", c.WiFi[1])
		}
		var cats []string
		for _, s := range c.Settings {
			if len(cats) == 0 || cats[len(cats)-1] != s.Category {
				cats = append(cats, s.Category)
			}
		}
		if !slices.Equal(cats, backup.Categories()) {
			t.Fatalf("setting categories in order %v, want %v", cats, backup.Categories())
		}
		if s := c.Settings[0]; s.Category != backup.CategoryAccessibility || s.Name != "cursorSize" || string(s.Value) != "3" {
			t.Fatalf("first setting %+v, want accessibility/cursorSize = 3 (names sorted)", s)
		}
	})
	t.Run("the backupunitstore payload is opaque bytes", func(t *testing.T) {
		in := h.instances(settingID(adeleLaptop, backup.PayloadBackupUnitStore), tok)
		data, err := base64.StdEncoding.DecodeString(in[0].Payload)
		if err != nil || len(data) != opaqueUnitStoreBytes || json.Valid(data) {
			t.Fatalf("backupunitstore payload: %d bytes, err %v", len(data), err)
		}
	})
	t.Run("the arm64-only Store app is in the 23H2 desktop's backup", func(t *testing.T) {
		c, err := backup.DecodeContent(h.instances(settingID(adeleDesktop, backup.PayloadContent), tok)[0].Payload)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(c.StoreApps, func(a backup.StoreApp) bool { return slices.Equal(a.Architectures, []string{"arm64"}) }) {
			t.Fatalf("no arm64-only app in %+v", c.StoreApps)
		}
	})
}

func TestPagingReturnsEveryProfileExactlyOnce(t *testing.T) {
	h := newHarness(t, withGeneratedUser(250))
	tok := h.tokenFor(pagingUPN, pagingPassword)
	for _, size := range []int{1, 7, 110, 200, 0} {
		name := "page size " + itoa(size)
		if size == 0 {
			name = "the default page size"
		}
		t.Run(name, func(t *testing.T) {
			all, pages := h.listAll("/v1.0/me/settings/windows"+backupFilter, tok, size)
			if len(all) != 501 {
				t.Fatalf("%d settings, want 501 (250 devices × 2 payload types of their own, and the device profiles setting)", len(all))
			}
			seen := map[string]bool{}
			profiles := map[string]int{}
			for _, s := range all {
				if seen[s.ID] {
					t.Fatalf("setting %s listed twice", s.ID)
				}
				seen[s.ID] = true
				if s.PayloadType == backup.PayloadDeviceProfile {
					for id, n := range deviceIDs([]backup.WindowsSetting{s}) {
						profiles[id] += n
					}
				}
			}
			if len(profiles) != 250 {
				t.Fatalf("%d backup profiles, want 250", len(profiles))
			}
			perPage := size
			if size == 0 {
				perPage = defaultPageSize
			}
			if want := (501 + perPage - 1) / perPage; pages != want {
				t.Fatalf("%d pages, want %d", pages, want)
			}
		})
	}
	t.Run("a page says which page size it applied", func(t *testing.T) {
		resp, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows", tok, "", "Prefer", "odata.maxpagesize=7")
		page := decodeJSON[settingsPage](t, body)
		if resp.Header.Get("Preference-Applied") != "odata.maxpagesize=7" || len(page.Value) != 7 {
			t.Fatalf("Preference-Applied %q, %d settings", resp.Header.Get("Preference-Applied"), len(page.Value))
		}
		next, err := url.Parse(page.NextLink)
		if err != nil || next.Path != "/v1.0/me/settings/windows" || len(next.Query()) != 1 || next.Query().Get("$skiptoken") == "" {
			t.Fatalf("nextLink %q: want the same path with only a $skiptoken", page.NextLink)
		}
		resp, _ = h.graphCall(http.MethodGet, "/v1.0/me/settings/windows", tok, "")
		if resp.Header.Get("Preference-Applied") != "" {
			t.Fatal("Preference-Applied sent although no page size was asked for")
		}
	})
}

func TestPagingNeitherRepeatsNorSkipsWhenBackupsChangeBetweenPages(t *testing.T) {
	h := newHarness(t, withGeneratedUser(30))
	tok := h.tokenFor(pagingUPN, pagingPassword)
	before, _ := h.listAll("/v1.0/me/settings/windows", tok, 0)

	resp, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows", tok, "", "Prefer", "odata.maxpagesize=10")
	first := decodeJSON[settingsPage](t, body)
	if resp.StatusCode != http.StatusOK || first.NextLink == "" {
		t.Fatalf("first page: %d %s", resp.StatusCode, body)
	}
	// A new device uploads (its ids sort before and after the cursor) between the pages.
	for _, dev := range []string{"00000000-0000-4000-8000-000000000001", "ffffffff-ffff-4fff-bfff-ffffffffffff"} {
		if resp, body := h.graphCall(http.MethodPost, backup.UploadPath, tok, uploadBody(t, dev, "NEW-PC", contosoID, pagingOID, testStart, "dark")); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
	}
	rest, _ := h.listAll(strings.TrimPrefix(first.NextLink, h.http.URL), tok, 10)
	seen := map[string]int{}
	for _, s := range append(first.Value, rest...) {
		seen[s.ID]++
	}
	for _, s := range before {
		if seen[s.ID] != 1 {
			t.Errorf("setting %s listed %d times, want once", s.ID, seen[s.ID])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("setting %s listed %d times", id, n)
		}
	}
}

func TestPageSizePreference(t *testing.T) {
	h := newHarness(t, withGeneratedUser(5))
	tok := h.tokenFor(pagingUPN, pagingPassword)
	cases := []struct {
		name    string
		prefer  []string
		status  int
		applied string
		count   int
	}{
		{"no preference takes the default of 110", nil, 200, "", 11},
		{"a page size within 1 to 200 is honoured", []string{"odata.maxpagesize=4"}, 200, "odata.maxpagesize=4", 4},
		{"the smallest page size", []string{"odata.maxpagesize=1"}, 200, "odata.maxpagesize=1", 1},
		{"the largest page size", []string{"odata.maxpagesize=200"}, 200, "odata.maxpagesize=200", 11},
		{"among other preferences and with parameters", []string{`return=minimal, odata.maxpagesize="3"; x=y`}, 200, "odata.maxpagesize=3", 3},
		{"zero is refused", []string{"odata.maxpagesize=0"}, 400, "", 0},
		{"201 is refused", []string{"odata.maxpagesize=201"}, 400, "", 0},
		{"a negative size is refused", []string{"odata.maxpagesize=-5"}, 400, "", 0},
		{"a size that is not a number is refused", []string{"odata.maxpagesize=ten"}, 400, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var header []string
			for _, p := range c.prefer {
				header = append(header, "Prefer", p)
			}
			resp, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows", tok, "", header...)
			if c.status != http.StatusOK {
				if e := wantGraphError(t, resp, body, c.status, "BadRequest"); !strings.Contains(e.Error.Message, "odata.maxpagesize") {
					t.Fatalf("message %q does not name odata.maxpagesize", e.Error.Message)
				}
				return
			}
			page := decodeJSON[settingsPage](t, body)
			if resp.StatusCode != 200 || len(page.Value) != c.count || resp.Header.Get("Preference-Applied") != c.applied {
				t.Fatalf("status %d, %d settings, Preference-Applied %q", resp.StatusCode, len(page.Value), resp.Header.Get("Preference-Applied"))
			}
		})
	}
}

func TestSettingFilters(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(adeleUPN, adelePassword)
	cases := []struct {
		name    string
		query   string
		status  int
		devices map[string]int
	}{
		{"settingType eq 'backup'", "$filter=" + url.QueryEscape("settingType eq 'backup'"), 200, map[string]int{adeleLaptop: 3, adeleDesktop: 3, adeleSurface: 3}},
		{"settingType eq 'roaming' matches none of the backups", "$filter=" + url.QueryEscape("settingType eq 'roaming'"), 200, map[string]int{}},
		{"windowsDeviceId eq one device", "$filter=" + url.QueryEscape("windowsDeviceId eq '"+adeleDesktop+"'"), 200, map[string]int{adeleDesktop: 2}},
		{"windowsDeviceId in upper case", "$filter=" + url.QueryEscape("windowsDeviceId eq '"+strings.ToUpper(adeleDesktop)+"'"), 200, map[string]int{adeleDesktop: 2}},
		{"both joined by and", "$filter=" + url.QueryEscape("settingType eq 'backup' and windowsDeviceId eq '"+adeleSurface+"'"), 200, map[string]int{adeleSurface: 2}},
		{"both joined by AND, property names in another case", "$filter=" + url.QueryEscape("WindowsDeviceId eq '"+adeleSurface+"' AND settingtype EQ 'backup'"), 200, map[string]int{adeleSurface: 2}},
		{"an unknown device matches nothing", "$filter=" + url.QueryEscape("windowsDeviceId eq '00000000-0000-0000-0000-000000000000'"), 200, map[string]int{}},
		{"an empty device id matches nothing", "$filter=" + url.QueryEscape("windowsDeviceId eq ''"), 200, map[string]int{}},
		{"another device's id in quotes with a quote in it matches nothing", "$filter=" + url.QueryEscape("windowsDeviceId eq 'it''s'"), 200, map[string]int{}},
		{"an unknown setting type is refused", "$filter=" + url.QueryEscape("settingType eq 'everything'"), 400, nil},
		{"another property is refused", "$filter=" + url.QueryEscape("payloadType eq 'x'"), 400, nil},
		{"another operator is refused", "$filter=" + url.QueryEscape("settingType ne 'backup'"), 400, nil},
		{"or is refused", "$filter=" + url.QueryEscape("settingType eq 'backup' or settingType eq 'roaming'"), 400, nil},
		{"the same property twice is refused", "$filter=" + url.QueryEscape("settingType eq 'backup' and settingType eq 'backup'"), 400, nil},
		{"three clauses are refused", "$filter=" + url.QueryEscape("settingType eq 'backup' and windowsDeviceId eq 'a' and windowsDeviceId eq 'b'"), 400, nil},
		{"a clause of bytes that are not UTF-8 is refused", "$filter=" + url.QueryEscape("\xff\u0130 And 0"), 400, nil},
		{"an unquoted value is refused", "$filter=" + url.QueryEscape("settingType eq backup"), 400, nil},
		{"$filter twice is refused", "$filter=" + url.QueryEscape("settingType eq 'backup'") + "&$filter=" + url.QueryEscape("settingType eq 'backup'"), 400, nil},
		{"$top is refused", "$top=5", 400, nil},
		{"$select is refused", "$select=id", 400, nil},
		{"a malformed query string is refused", "$filter=%zz", 400, nil},
		{"a parameter that is not a system query option is ignored", "foo=bar", 200, map[string]int{adeleLaptop: 3, adeleDesktop: 3, adeleSurface: 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows?"+c.query, tok, "")
			if c.status != http.StatusOK {
				wantGraphError(t, resp, body, c.status, "BadRequest")
				return
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if got := deviceIDs(decodeJSON[settingsPage](t, body).Value); len(got) != len(c.devices) || !mapsEqual(got, c.devices) {
				t.Fatalf("settings by device %v, want %v", got, c.devices)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestSkipTokensAreSignedAndBoundToTheirUserAndFilter(t *testing.T) {
	h := newHarness(t, withGeneratedUser(10))
	tok := h.tokenFor(pagingUPN, pagingPassword)
	megan := h.tokenFor(meganUPN, meganPassword)
	_, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows"+backupFilter, tok, "", "Prefer", "odata.maxpagesize=2")
	next := strings.TrimPrefix(decodeJSON[settingsPage](t, body).NextLink, h.http.URL)
	skip, _ := url.Parse(next)
	token := skip.Query().Get("$skiptoken")
	flip := []byte(token)
	flip[5] ^= 1
	cases := []struct {
		name, path, bearer string
	}{
		{"another user following the link gets nothing", next, megan},
		{"a tampered token is refused", "/v1.0/me/settings/windows?$skiptoken=" + url.QueryEscape(string(flip)), tok},
		{"a token that is not one of ours is refused", "/v1.0/me/settings/windows?$skiptoken=abc", tok},
		{"a token used with another filter is refused", next + "&$filter=" + url.QueryEscape("settingType eq 'roaming'"), tok},
		{"a token used twice in the query is refused", next + "&$skiptoken=" + url.QueryEscape(token), tok},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := h.graphCall(http.MethodGet, c.path, c.bearer, "")
			e := wantGraphError(t, resp, body, http.StatusBadRequest, "BadRequest")
			if strings.Contains(string(body), "PC-0") || strings.Contains(string(body), "windowsDeviceId\"") {
				t.Fatalf("a refused page carries data: %+v", e)
			}
		})
	}
	t.Run("the same filter with the token is accepted", func(t *testing.T) {
		resp, body := h.graphCall(http.MethodGet, next+"&$filter="+url.QueryEscape("settingType eq 'backup'"), tok, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	})
}

func TestUsersSeeOnlyTheirOwnBackups(t *testing.T) {
	h := newHarness(t)
	adele := h.tokenFor(adeleUPN, adelePassword)
	megan := h.tokenFor(meganUPN, meganPassword)
	admin := h.tokenFor(adminUPN, adminPassword)
	alex := h.tokenFor(alexUPN, alexPassword)
	adeleSetting := url.PathEscape(settingID(adeleLaptop, backup.PayloadContent))
	adeleInstance := h.instances(settingID(adeleLaptop, backup.PayloadContent), adele)[0].ID
	alexSetting := url.PathEscape(settingID(alexPC, backup.PayloadContent))

	lists := []struct {
		name    string
		token   string
		devices map[string]int
	}{
		{"Megan, who has no backups, lists none", megan, map[string]int{}},
		{"an admin lists only their own (none)", admin, map[string]int{}},
		{"a user of another tenant lists only their own", alex, map[string]int{alexPC: 3}},
	}
	for _, c := range lists {
		t.Run(c.name, func(t *testing.T) {
			all, _ := h.listAll("/v1.0/me/settings/windows", c.token, 0)
			if got := deviceIDs(all); !mapsEqual(got, c.devices) {
				t.Fatalf("settings by device %v, want %v", got, c.devices)
			}
		})
	}
	reads := []struct {
		name, path, token string
	}{
		{"another user's setting", "/v1.0/me/settings/windows/" + adeleSetting, megan},
		{"another user's instances", "/v1.0/me/settings/windows/" + adeleSetting + "/instances", megan},
		{"another user's instance", "/v1.0/me/settings/windows/" + adeleSetting + "/instances/" + adeleInstance, megan},
		{"another tenant's setting", "/beta/me/settings/windows/" + adeleSetting, alex},
		{"another tenant's instances", "/beta/me/settings/windows/" + adeleSetting + "/instances", alex},
		{"Adele reading another tenant's setting", "/v1.0/me/settings/windows/" + alexSetting, adele},
		{"an admin reading a user's setting through /me", "/v1.0/me/settings/windows/" + adeleSetting + "/instances", admin},
	}
	for _, c := range reads {
		t.Run(c.name+" is not found", func(t *testing.T) {
			resp, body := h.graphCall(http.MethodGet, c.path, c.token, "")
			wantGraphError(t, resp, body, http.StatusNotFound, "ResourceNotFound")
			if contains(body, "payload") || contains(body, adeleLaptop+"\"") {
				t.Fatalf("a 404 carries data: %s", body)
			}
		})
	}
	t.Run("without a token nothing is served", func(t *testing.T) {
		resp, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows", "", "")
		wantGraphError(t, resp, body, http.StatusUnauthorized, "InvalidAuthenticationToken")
	})
}

func TestARetiredDevicesBackupIsNotServed(t *testing.T) {
	expiry := testStart.Add(48 * time.Hour) // when the laptop is retired from Entra ID
	var lastBackup time.Time
	h := newHarness(t, func(c *Config) {
		b := &c.Tenants[0].Users[0].Backups[0] // Adele's laptop
		b.Retired = expiry
		lastBackup = b.LastBackup
	})
	tok := h.tokenFor(adeleUPN, adelePassword)
	laptopContent := url.PathEscape(settingID(adeleLaptop, backup.PayloadContent))
	devices := func() map[string]int {
		all, _ := h.listAll("/v1.0/me/settings/windows", tok, 0)
		return deviceIDs(all)
	}
	if got := devices(); got[adeleLaptop] != 3 {
		t.Fatalf("before expiry the laptop is listed %d times, want 3", got[adeleLaptop])
	}
	// Graph's field says ten years after the last backup, whatever the retention.
	if got := h.instances(settingID(adeleLaptop, backup.PayloadContent), tok); !got[0].ExpirationDateTime.Equal(lastBackup.Add(InstanceExpiry)) {
		t.Fatalf("expirationDateTime %v, want %v", got[0].ExpirationDateTime, lastBackup.Add(InstanceExpiry))
	}
	// Sign in again close to expiry: two days pass the first token's lifetime. The sign-in
	// itself moves the clock by one polling interval.
	h.clock.Advance(expiry.Sub(h.clock.Now()) - time.Minute)
	tok = h.tokenFor(adeleUPN, adelePassword)
	h.clock.Advance(expiry.Sub(h.clock.Now()) - time.Nanosecond)
	if got := devices(); got[adeleLaptop] != 3 {
		t.Fatal("a nanosecond before expiry the laptop is gone")
	}
	h.clock.Advance(time.Nanosecond) // retired now: no longer kept
	if got := devices(); got[adeleLaptop] != 0 || got[adeleDesktop] != 3 {
		t.Fatalf("at expiry: settings by device %v, want the laptop gone and the rest kept", got)
	}
	for _, path := range []string{"/v1.0/me/settings/windows/" + laptopContent, "/v1.0/me/settings/windows/" + laptopContent + "/instances"} {
		resp, body := h.graphCall(http.MethodGet, path, tok, "")
		wantGraphError(t, resp, body, http.StatusNotFound, "ResourceNotFound")
	}
}

func TestGettingOneSettingAndItsInstances(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(adeleUPN, adelePassword)
	id := backup.DeviceProfilesSettingID
	for _, v := range []string{"v1.0", "beta"} {
		t.Run(v, func(t *testing.T) {
			resp, body := h.graphCall(http.MethodGet, "/"+v+"/me/settings/windows/"+url.PathEscape(id), tok, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			var got struct {
				Context string `json:"@odata.context"`
				Type    string `json:"@odata.type"`
				backup.WindowsSetting
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			ctx := h.url("/" + v + "/$metadata#users('" + adeleOID + "')/settings/windows")
			if got.ID != id || got.WindowsDeviceID != "" || got.PayloadType != backup.PayloadDeviceProfile ||
				got.SettingType != "backup" || got.Type != "#microsoft.graph.windowsSetting" || got.Context != ctx+"/$entity" {
				t.Fatalf("setting = %s", body)
			}
			_, body = h.graphCall(http.MethodGet, "/"+v+"/me/settings/windows/"+url.PathEscape(id)+"/instances", tok, "")
			var list struct {
				Context string           `json:"@odata.context"`
				Value   []map[string]any `json:"value"`
			}
			if err := json.Unmarshal(body, &list); err != nil || len(list.Value) != 3 { // one per device
				t.Fatalf("instances = %s", body)
			}
			inst := list.Value[0]
			if list.Context != ctx+"('"+id+"')/instances" || inst["@odata.type"] != "#microsoft.graph.windowsSettingInstance" {
				t.Fatalf("instances context %q, type %v", list.Context, inst["@odata.type"])
			}
			for _, f := range []string{"id", "payload", "createdDateTime", "lastModifiedDateTime", "expirationDateTime"} {
				if _, ok := inst[f]; !ok {
					t.Errorf("instance lacks %s", f)
				}
			}
			iid := inst["id"].(string)
			resp, body = h.graphCall(http.MethodGet, "/"+v+"/me/settings/windows/"+url.PathEscape(id)+"/instances/"+iid, tok, "")
			one := decodeJSON[backup.WindowsSettingInstance](t, body)
			if resp.StatusCode != http.StatusOK || one.ID != iid || one.Payload != inst["payload"] {
				t.Fatalf("instance by id: %d %s", resp.StatusCode, body)
			}
			resp, body = h.graphCall(http.MethodGet, "/"+v+"/me/settings/windows/"+url.PathEscape(id)+"/instances/"+adeleOID, tok, "")
			wantGraphError(t, resp, body, http.StatusNotFound, "ResourceNotFound")
		})
	}
	t.Run("ids are stable from one server to the next", func(t *testing.T) {
		other := newHarness(t)
		a := h.instances(id, tok)[0]
		b := other.instances(id, other.tokenFor(adeleUPN, adelePassword))[0]
		if a.ID != b.ID || a.Payload != b.Payload {
			t.Fatalf("instance %s/%s differs between servers", a.ID, b.ID)
		}
	})
	t.Run("a write method is refused", func(t *testing.T) {
		resp, body := h.graphCall(http.MethodDelete, "/v1.0/me/settings/windows/"+url.PathEscape(id), tok, "")
		wantGraphError(t, resp, body, http.StatusMethodNotAllowed, "Request_BadRequest")
	})
}

func TestAListingCarriesEachSettingsInstancesInlineAsGraphDocuments(t *testing.T) {
	h := newHarness(t)
	tok := h.tokenFor(adeleUPN, adelePassword)
	for _, path := range []string{"/v1.0/me/settings/windows", "/beta/me/settings/windows", "/v1.0/me/settings/windows?$expand=instances"} {
		resp, body := h.graphCall(http.MethodGet, path, tok, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		raw := decodeJSON[struct {
			Value []map[string]json.RawMessage `json:"value"`
		}](t, body)
		page := decodeJSON[settingsPage](t, body)
		if len(page.Value) == 0 {
			t.Fatalf("%s: nothing listed", path)
		}
		for i, s := range page.Value {
			if _, ok := raw.Value[i]["instances"]; !ok {
				t.Fatalf("%s: setting %s has no inline instances: %s", path, s.ID, body)
			}
			if got, want := s.Instances, h.instances(s.ID, tok); !slices.Equal(got, want) {
				t.Errorf("%s: setting %s lists instances %+v inline, …/instances has %+v", path, s.ID, got, want)
			}
		}
	}
	resp, body := h.graphCall(http.MethodGet, "/v1.0/me/settings/windows?$expand=owner", tok, "")
	wantGraphError(t, resp, body, http.StatusBadRequest, "BadRequest")
}
