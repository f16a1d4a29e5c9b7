//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFilesThatAreNotFilesAreRefusedAtOnce: before, `oobe replay /dev/zero` read until the
// process ran out of memory, and `oobe check --device FIFO` blocked for ever, deaf to Ctrl+C.
// Now each names the file and what it is, and exits 2 without reading it.
func TestFilesThatAreNotFilesAreRefusedAtOnce(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	huge := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(huge, make([]byte, 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", "/dev/zero"}, "/dev/zero: not a regular file (a device)"},
		{[]string{"check", "--device", fifo}, fifo + ": not a regular file (a named pipe)"},
		{[]string{"check", "--dsregcmd", "/dev/zero", "--os", "10.0.26100.4946"}, "not a regular file (a device)"},
		{[]string{"device", "init", filepath.Join(t.TempDir(), "pc"), "--profile", fifo}, "not a regular file (a named pipe)"},
		{[]string{"device", "init", filepath.Join(t.TempDir(), "pc"), "--state", "/dev/zero"}, "not a regular file (a device)"},
		{[]string{"replay", huge}, "larger than 1048576 bytes: not a scenario"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
}
