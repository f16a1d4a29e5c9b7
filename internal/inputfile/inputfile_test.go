//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package inputfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadGivesARegularFileUpToItsCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "device.yaml")
	if err := os.WriteFile(path, []byte("os: 10.0.26100.4946\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := Read(path, 20)
	if err != nil || string(data) != "os: 10.0.26100.4946\n" {
		t.Fatalf("Read = %q, %v", data, err)
	}
	_, err = Read(path, 19)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Path != path || !strings.Contains(err.Error(), "larger than 19 bytes") {
		t.Fatalf("Read over the cap = %v, want a TooLargeError naming the file", err)
	}
}

func TestReadRefusesWhatIsNotAFileWithoutReadingIt(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	for _, tc := range []struct{ path, what string }{
		{fifo, "a named pipe"},    // before: blocked until a writer came
		{"/dev/zero", "a device"}, // before: read until memory ran out
		{dir, "a directory"},
	} {
		_, err := Read(tc.path, 1<<20)
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tc.what) || !strings.HasPrefix(err.Error(), tc.path) {
			t.Errorf("Read(%s) = %v, want %s refused by name", tc.path, err, tc.what)
		}
	}
}

func TestAReadErrorNeverQuotesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shadow")
	secret := "root:$6$secret-hash:19000:0:99999:7:::\n"
	if err := os.WriteFile(path, []byte(secret+strings.Repeat("x", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path, 16)
	if err == nil || strings.Contains(err.Error(), "secret-hash") {
		t.Fatalf("Read = %v: want a refusal that does not quote the file", err)
	}
}
