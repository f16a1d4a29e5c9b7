//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package device

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/oobe-dev/oobe/backup"
)

// victim is a file outside the device that a planted link points at; it must never change.
func victim(t *testing.T) (path string, check func()) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "victim")
	const content = "not the device's\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, func() {
		t.Helper()
		if got, err := os.ReadFile(path); err != nil || string(got) != content {
			t.Errorf("the file outside the device changed: %q, %v", got, err)
		}
	}
}

func addNetwork(ctx context.Context, dir string) error {
	_, err := Update(ctx, dir, func(cur *Device) (*State, error) {
		next := cur.State.Clone()
		next.WiFi = append(next.WiFi, backup.WiFiNetwork{SSID: "Planted", Security: backup.WiFiWPA2Personal})
		return next, nil
	})
	return err
}

// Before this, a link at the temp file's name made the write follow it: the victim got the
// Wi-Fi JSON and wifi.json became a link to it.
func TestAWriteNeverFollowsALinkAtItsTempFile(t *testing.T) {
	dir := mustInit(t, Sample(testProfile("10.0.22631.5768")))
	target, unchanged := victim(t)
	if err := os.Symlink(target, filepath.Join(dir, "."+fileWiFi+".tmp")); err != nil {
		t.Fatal(err)
	}
	if err := addNetwork(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	unchanged()
	info, err := os.Lstat(filepath.Join(dir, fileWiFi))
	if err != nil || !info.Mode().IsRegular() {
		t.Fatalf("wifi.json is not a regular file after the write: %v, %v", info, err)
	}
	if got := mustOpen(t, dir).State.WiFi; got[len(got)-1].SSID != "Planted" {
		t.Fatalf("the change did not land in the device: %+v", got)
	}
}

// Before this, a state file that was a link was read through (and a write replaced it).
func TestAStateFileThatIsALinkIsRefused(t *testing.T) {
	for _, name := range []string{fileWiFi, "settings/personalization.json", fileProfile} {
		t.Run(name, func(t *testing.T) {
			dir := mustInit(t, Sample(testProfile("10.0.22631.5768")))
			target, unchanged := victim(t)
			path := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(dir); !errors.Is(err, errNotOwnFile) {
				t.Errorf("Open: %v, want a refusal of the link", err)
			}
			if err := addNetwork(context.Background(), dir); !errors.Is(err, errNotOwnFile) {
				t.Errorf("Update: %v, want a refusal of the link", err)
			}
			unchanged()
		})
	}
}

// Before this, settings/ as a link sent every setting file written into it elsewhere.
func TestASettingsDirectoryThatIsALinkIsRefused(t *testing.T) {
	dir := mustInit(t, Sample(testProfile("10.0.22631.5768")))
	elsewhere := t.TempDir()
	settings := filepath.Join(dir, dirSettings)
	if err := os.Rename(settings, filepath.Join(elsewhere, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "moved"), settings); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(filepath.Join(elsewhere, "moved"))
	if _, err := Open(dir); err == nil {
		t.Error("Open read the settings through a link")
	}
	if err := addNetwork(context.Background(), dir); err == nil {
		t.Error("Update wrote through a settings link")
	}
	after, _ := os.ReadDir(filepath.Join(elsewhere, "moved"))
	if len(after) != len(before) {
		t.Errorf("files appeared or went in the linked directory: %d before, %d after", len(before), len(after))
	}
}

// Before this, Init on a directory of someone else's files truncated those with state-file
// names (apps.json became []) and reported success.
func TestInitRefusesADirectoryOfSomeoneElsesFiles(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, fileApps)
	if err := os.WriteFile(mine, []byte("my own list\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(dir, Sample(testProfile("10.0.22631.5768"))); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("Init: %v, want ErrNotEmpty", err)
	}
	if got, _ := os.ReadFile(mine); string(got) != "my own list\n" {
		t.Errorf("apps.json changed to %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("Init left %d entries in the directory, want only the file that was there", len(entries))
	}
}
