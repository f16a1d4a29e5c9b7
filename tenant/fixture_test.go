package tenant

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// goodFixture is a small valid tenant file; the line numbers in the tests below refer to it.
const goodFixture = `tenant:
  id: 11111111-2222-4333-8444-555555555555
  name: Woodgrove
  domains: [woodgrove.onmicrosoft.com, woodgrove.com]
  restorePage: disabled
apps:
  - name: oobe
    clientId: 21111111-2222-4333-8444-555555555555
    public: true
    redirectUris: [http://localhost, http://127.0.0.1]
users:
  - upn: kim@woodgrove.com
    displayName: Kim Akers
    password: x
    objectId: 31111111-2222-4333-8444-555555555555
    backups:
      - device: KIM-PC
        deviceId: 41111111-2222-4333-8444-555555555555
        os: 10.0.22631.4317
        created: 2026-01-01
        lastBackup: 2026-06-01T10:00:00Z
        retired: 2027-06-01T10:00:00+02:00
        content:
          settings:
            accessibility: {textScale: 125}
            other: {nested: {a: [1, 2]}}
          wifi: [{ssid: Home, security: wpa3Personal}]
          storeApps: [{productId: 9WZDNCRFJBH4, name: Microsoft Photos, architectures: [arm64]}]
          startTiles: [{appId: MSEdge, name: Edge, group: Work, size: wide}]
          taskbarPins: [{appId: MSEdge, name: Edge}]
devices:
  - deviceId: 51111111-2222-4333-8444-555555555555
    trustType: AzureAd
`

func TestAFixtureWithBackupsParses(t *testing.T) {
	ten, err := ParseTenant("woodgrove.yaml", []byte(goodFixture), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ten.RestorePage != RestoreDisabled || len(ten.Users) != 1 || len(ten.Users[0].Backups) != 1 {
		t.Fatalf("tenant %+v", ten)
	}
	b := ten.Users[0].Backups[0]
	if b.Device != "KIM-PC" || !b.Created.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) ||
		!b.LastBackup.Equal(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)) || !b.KeptUntil().Equal(time.Date(2027, 6, 1, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("backup %+v", b)
	}
	c, err := b.SealedContent(ten.ID, ten.Users[0].ObjectID)
	if err != nil {
		t.Fatal(err)
	}
	if c.DeviceName != "KIM-PC" || len(c.Settings) != 2 || string(c.Settings[1].Value) != `{"a":[1,2]}` || len(c.StartTiles) != 1 || c.Checksum == "" {
		t.Fatalf("content %+v", c)
	}
	t.Run("a tenant without restorePage is notConfigured", func(t *testing.T) {
		ten, err := ParseTenant("w.yaml", []byte(strings.Replace(goodFixture, "  restorePage: disabled\n", "", 1)), nil)
		if err != nil || ten.RestorePage != RestoreNotConfigured {
			t.Fatalf("restorePage %q, err %v", ten.RestorePage, err)
		}
	})
}

func TestBrokenFixturesAreRefusedWithTheirLine(t *testing.T) {
	cases := []struct {
		name     string
		old, new string
		line     int
		want     string
	}{
		{"an unknown restore page state", "restorePage: disabled", "restorePage: on", 5, "tenant.restorePage"},
		{"a redirect URI without a host", "[http://localhost, http://127.0.0.1]", "[http://localhost, http://]", 10, "with a host"},
		{"a redirect URI that is only a path", "[http://localhost, http://127.0.0.1]", "[/callback]", 10, "with a host"},
		{"a redirect URI with a port but no host", "[http://localhost, http://127.0.0.1]", "[http://:8080/]", 10, "with a host"},
		{"a redirect URI that does not parse", "[http://localhost, http://127.0.0.1]", `["http://[::1"]`, 10, "redirectUris[0]"},
		{"a redirect URI with a fragment", "[http://localhost, http://127.0.0.1]", "[http://localhost/#x]", 10, "fragment"},
		{"a UPN in a domain the tenant does not have", "upn: kim@woodgrove.com", "upn: kim@contoso.com", 12, "not one of tenant.domains"},
		{"a backup device id that is not a GUID", "deviceId: 41111111-2222-4333-8444-555555555555", "deviceId: KIM-PC", 18, "not a GUID"},
		{"a backup OS that is not a full version", "os: 10.0.22631.4317", "os: 23H2", 19, "full Windows version"},
		{"a backup device name longer than Windows allows", "device: KIM-PC", "device: KIM-PC-WITH-A-LONG-NAME", 17, "1 to 15 characters"},
		{"a backup without created", "        created: 2026-01-01\n", "", 17, "created is missing"},
		{"a time that is not a time", "created: 2026-01-01", "created: yesterday", 20, "backups[0].created"},
		{"a last backup before created", "lastBackup: 2026-06-01T10:00:00Z", "lastBackup: 2025-06-01T10:00:00Z", 21, "before created"},
		{"a retirement before the last backup", "retired: 2027-06-01T10:00:00+02:00", "retired: 2026-05-01T10:00:00Z", 22, "not after lastBackup"},
		{"an unknown setting category", "other: {nested", "windowsUpdate: {nested", 26, "windowsUpdate"},
		{"an unknown Wi-Fi security", "security: wpa3Personal", "security: wep", 27, "security"},
		{"an unknown Store architecture", "architectures: [arm64]", "architectures: [ia64]", 28, "architecture"},
		{"an unknown field in a backup", "        os: 10.0.22631.4317\n", "        os: 10.0.22631.4317\n        color: blue\n", 20, "color"},
		{"too many generated backups", "    password: x\n", "    password: x\n    generateBackups: 20000\n", 15, "generateBackups"},
		{"a device id twice", "devices:\n  - deviceId: 51111111-2222-4333-8444-555555555555\n    trustType: AzureAd\n",
			"devices:\n  - deviceId: 51111111-2222-4333-8444-555555555555\n    trustType: AzureAd\n  - deviceId: 51111111-2222-4333-8444-555555555555\n    trustType: AzureAd\n", 34, "appears twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := strings.Replace(goodFixture, c.old, c.new, 1)
			if data == goodFixture {
				t.Fatalf("the edit %q did not apply", c.old)
			}
			_, err := ParseTenant("woodgrove.yaml", []byte(data), nil)
			var fe *FixtureError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a FixtureError", err)
			}
			if fe.File != "woodgrove.yaml" || fe.Line != c.line || !strings.Contains(fe.Msg, c.want) {
				t.Fatalf("error %q, want line %d mentioning %q", err, c.line, c.want)
			}
		})
	}
	t.Run("the same backup device twice for a user", func(t *testing.T) {
		dup := strings.Replace(goodFixture, "devices:\n", `      - device: KIM-PC2
        deviceId: 41111111-2222-4333-8444-555555555555
        os: 10.0.22631.4317
        created: 2026-01-01
        lastBackup: 2026-01-02
devices:
`, 1)
		_, err := ParseTenant("woodgrove.yaml", []byte(dup), nil)
		var fe *FixtureError
		if !errors.As(err, &fe) || fe.Line != 32 || !strings.Contains(fe.Msg, "one backup per device") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestFixturesClashingAcrossFilesNameTheLine(t *testing.T) {
	second := strings.Replace(goodFixture, "clientId: 21111111", "clientId: 22222222", 1)
	clientClash := strings.Replace(goodFixture, "id: 11111111", "id: 12222222", 1)
	cases := []struct {
		name, file string
		line       int
		want       string
	}{
		{"the same tenant id in two files", second, 2, "tenant.id 11111111-2222-4333-8444-555555555555 is already used by a.yaml:2"},
		{"the same client id in two files", clientClash, 8, "apps[0].clientId 21111111-2222-4333-8444-555555555555 is already registered in a.yaml:8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadFixtures(fstest.MapFS{
				"a.yaml": {Data: []byte(goodFixture)},
				"b.yaml": {Data: []byte(c.file)},
			})
			var fe *FixtureError
			if !errors.As(err, &fe) || fe.File != "b.yaml" || fe.Line != c.line || !strings.Contains(fe.Msg, c.want) {
				t.Fatalf("error %v, want b.yaml:%d: %s", err, c.line, c.want)
			}
		})
	}
}

func TestGeneratedBackupsAreStableAndValid(t *testing.T) {
	a := generatedBackups(contosoID, adeleOID, 20)
	b := generatedBackups(contosoID, adeleOID, 20)
	other := generatedBackups(contosoID, meganOID, 1)
	ids := map[string]bool{}
	for i := range a {
		if a[i].DeviceID != b[i].DeviceID || a[i].Device != b[i].Device {
			t.Fatal("generated backups differ between calls")
		}
		if ids[a[i].DeviceID] {
			t.Fatalf("device id %s generated twice", a[i].DeviceID)
		}
		ids[a[i].DeviceID] = true
		p := a[i].Profile()
		if err := p.Validate(); err != nil {
			t.Fatalf("generated profile %d: %v", i, err)
		}
		if _, err := a[i].SealedContent(contosoID, adeleOID); err != nil {
			t.Fatalf("generated content %d: %v", i, err)
		}
	}
	if ids[other[0].DeviceID] {
		t.Fatal("two users got the same generated device id")
	}
	if got := backup.DeviceIDOf(a[0].Profile().ProfileID); got != a[0].DeviceID {
		t.Fatalf("profileId %s does not name device %s", a[0].Profile().ProfileID, a[0].DeviceID)
	}
}

func TestLoadFixturesRefusesWhatIsNotARegularFileOrTooLarge(t *testing.T) {
	good := fstest.MapFile{Data: []byte(goodFixture)}
	for name, fsys := range map[string]fstest.MapFS{
		"a FIFO":     {"a.yaml": &fstest.MapFile{Mode: fs.ModeNamedPipe}},
		"a device":   {"a.yaml": &fstest.MapFile{Mode: fs.ModeDevice | fs.ModeCharDevice}},
		"too large":  {"a.yaml": &fstest.MapFile{Data: make([]byte, MaxFixtureBytes+1)}},
		"a big key":  {"a.yaml": &good, "k.pem": &fstest.MapFile{Data: make([]byte, maxKeyFileSz+1)}},
		"a key pipe": {"a.yaml": &good, "k.pem": &fstest.MapFile{Mode: fs.ModeNamedPipe}},
	} {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(name, "key") {
				data := strings.Replace(goodFixture, "apps:\n", "keys: [k.pem, k.pem]\napps:\n", 1)
				fsys["a.yaml"] = &fstest.MapFile{Data: []byte(data)}
			}
			_, err := LoadFixtures(fsys)
			var fe *FixtureError
			if !errors.As(err, &fe) || fe.File != "a.yaml" || !strings.Contains(err.Error(), "larger than") && !strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("err = %v, want a FixtureError naming a.yaml and what is wrong", err)
			}
		})
	}
}
