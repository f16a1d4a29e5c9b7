package apply_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/profile"
)

// The demo tenant's users (fixtures/demo): Adele makes and restores the backups.
var (
	adele    = backup.Owner{TenantID: "39150fda-e360-47ce-b98e-d9250ba6f8e8", ObjectID: "6f162abf-414f-4b42-bd2a-7ff532bb3859"}
	megan    = backup.Owner{TenantID: "39150fda-e360-47ce-b98e-d9250ba6f8e8", ObjectID: "f283827e-4138-4cc2-bcac-107ab083d078"}
	fabrikam = backup.Owner{TenantID: "164b2b49-eae9-4235-a4e0-74a9aef2fa00", ObjectID: "6f162abf-414f-4b42-bd2a-7ff532bb3859"}
)

var backupTime = time.Date(2026, 11, 14, 9, 30, 0, 0, time.UTC)

// deviceProfile is a device profile on the given OS version and architecture.
func deviceProfile(os, arch, name string) profile.DeviceProfile {
	return profile.DeviceProfile{
		OS: os, Edition: "Enterprise", Join: profile.JoinEntra, Provisioning: profile.ProvisioningUserDriven,
		Cloud: profile.CloudGlobal, Architecture: arch, Name: name,
		DeviceID: "0b9d1f7e-1c5a-4a8e-9f38-2d0b6f0c4e11", TenantID: adele.TenantID,
	}
}

// oldPC is Adele's lived-in PC on the given OS version, its Windows Backup turned on by IT.
func oldPC(os string) device.State {
	p := deviceProfile(os, device.ArchX64, "ADELE-OLD")
	p.EnableWindowsBackup = new(true)
	return device.Sample(p)
}

// newPC is a fresh PC straight out of Autopilot: nothing but its own Windows Update settings.
func newPC(os, arch string) device.State {
	p := deviceProfile(os, arch, "CONTOSO-8F2K1Q")
	p.DeviceID = "f7773c63-33ce-49d7-bc1e-8d340efdb52c"
	return device.State{
		Profile: p,
		Settings: map[string]map[string]json.RawMessage{
			device.CategoryWindowsUpdate: {"activeHours": json.RawMessage(`{"start":9,"end":18}`)},
		},
	}
}

// snapshot is the backup Windows makes of st for owner.
func snapshot(t testing.TB, st device.State, owner backup.Owner) *backup.Content {
	t.Helper()
	c, _, err := device.Snapshot(&st, owner, backupTime)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// payload seals c and encodes it as Graph carries it.
func payload(t testing.TB, c *backup.Content) string {
	t.Helper()
	if err := c.Seal(); err != nil {
		t.Fatal(err)
	}
	p, err := backup.EncodePayload(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// initDevice creates a device with st in a new directory.
func initDevice(t testing.TB, st device.State) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pc")
	if _, err := device.Init(dir, st); err != nil {
		t.Fatal(err)
	}
	return dir
}

func open(t testing.TB, dir string) *device.State {
	t.Helper()
	d, err := device.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d.State
}

// readTree returns every file under dir (hidden ones included) by relative path.
func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// hashTree returns the SHA-256 of every file under dir by relative path.
func hashTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for name, data := range readTree(t, dir) {
		h := sha256.Sum256(data)
		sums[name] = hex.EncodeToString(h[:])
	}
	return sums
}

// diffTrees describes how two trees differ, or returns "".
func diffTrees(want, got map[string][]byte) string {
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			return name + " is missing"
		}
		if string(g) != string(w) {
			return name + " differs:\n--- want\n" + string(w) + "\n--- got\n" + string(g)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			return name + " should not be there"
		}
	}
	return ""
}

// copyTree copies the directory src to dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	for name, data := range readTree(t, src) {
		path := filepath.Join(dst, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func stateJSON(t testing.TB, s *device.State) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func base64Encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
