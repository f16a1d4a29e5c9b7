package apply_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/device"
)

// The crash test re-runs this test binary as a child that applies a backup for real and is
// killed with SIGKILL after its Nth file operation (device.KillAfterFileOpsEnv).
const (
	helperDirEnv     = "OOBE_TEST_APPLY_DIR"
	helperPayloadEnv = "OOBE_TEST_APPLY_PAYLOAD"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		os.Exit(applyHelper(dir, os.Getenv(helperPayloadEnv)))
	}
	os.Exit(m.Run())
}

// applyHelper is the child: apply the payload in a file to dir, as Adele.
func applyHelper(dir, payloadFile string) int {
	p, err := os.ReadFile(payloadFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if _, err := apply.ApplyPayload(context.Background(), dir, string(p), adele); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}

// runChild applies the payload to dir in a child process killed after killAfter file
// operations, and reports whether it was killed (false: it finished first).
func runChild(dir, payloadFile string, killAfter int) (bool, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, helperPayloadEnv+"="+payloadFile, fmt.Sprintf("%s=%d", device.KillAfterFileOpsEnv, killAfter))
	out, err := cmd.CombinedOutput()
	if err == nil {
		return false, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, nil
		}
	}
	return false, fmt.Errorf("the child applying with a kill at file operation %d failed on its own: %v\n%s", killAfter, err, out)
}

func TestAnApplyKilledAtAnyPointFinishesExactlyAsAnUninterruptedOne(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the child is killed with SIGKILL and its wait status read as a Unix signal")
	}
	// A small backup that touches every state file: all five setting categories, Wi-Fi, apps,
	// Start, taskbar, the device name and the restore record.
	target := newPC(win11, "x64")
	template := initDevice(t, target)
	payloadFile := filepath.Join(t.TempDir(), "payload.b64")
	if err := os.WriteFile(payloadFile, []byte(payload(t, snapshot(t, oldPC(win10), adele))), 0o644); err != nil {
		t.Fatal(err)
	}
	p, _ := os.ReadFile(payloadFile)
	before := stateJSON(t, open(t, template))

	ref := filepath.Join(t.TempDir(), "reference")
	copyTree(t, template, ref)
	if _, err := apply.ApplyPayload(context.Background(), ref, string(p), adele); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, ref)
	after := stateJSON(t, open(t, ref))
	if before == after {
		t.Fatal("the backup changes nothing: the test would prove nothing")
	}

	// checkKilled checks what a reader sees of a device killed mid-apply, then runs the apply
	// again to completion and compares the directory with the uninterrupted run's.
	checkKilled := func(t *testing.T, dir string, n int) {
		switch seen := stateJSON(t, open(t, dir)); seen {
		case before, after:
		default:
			t.Fatalf("killed after file operation %d, a reader saw a state that is neither before nor after:\n%s", n, seen)
		}
		// A refused backup leaves even a half-finished device exactly as it is.
		killedTree := readTree(t, dir)
		if _, err := apply.ApplyPayload(context.Background(), dir, string(p), megan); !errors.Is(err, apply.ErrNotOwner) {
			t.Fatalf("another user's backup after a kill at file operation %d: %v", n, err)
		}
		if d := diffTrees(killedTree, readTree(t, dir)); d != "" {
			t.Fatalf("a refused backup changed a device killed at file operation %d: %s", n, d)
		}
		if _, err := apply.ApplyPayload(context.Background(), dir, string(p), adele); err != nil {
			t.Fatalf("re-running after a kill at file operation %d: %v", n, err)
		}
		if d := diffTrees(want, readTree(t, dir)); d != "" {
			t.Fatalf("killed after file operation %d and run again, the device differs from an uninterrupted apply: %s", n, d)
		}
	}

	// Kill at N = 1, 2, 3, … in parallel batches until a child finishes before its N: then
	// every file operation of the apply has been a kill point.
	batch := max(runtime.GOMAXPROCS(0), 4)
	total := 0
	for start := 1; total == 0; start += batch {
		if start > 2000 {
			t.Fatal("the apply never finished: no end to its file operations")
		}
		killed := make([]bool, batch)
		errs := make([]error, batch)
		dirs := make([]string, batch)
		var wg sync.WaitGroup
		for i := range batch {
			dirs[i] = filepath.Join(t.TempDir(), "pc")
			copyTree(t, template, dirs[i])
			wg.Go(func() { killed[i], errs[i] = runChild(dirs[i], payloadFile, start+i) })
		}
		wg.Wait()
		for i := range batch {
			n := start + i
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if !killed[i] {
				if total == 0 {
					total = n - 1
				}
				continue
			}
			if total != 0 {
				t.Fatalf("the child finished before file operation %d but was killed at %d", total+1, n)
			}
			checkKilled(t, dirs[i], n)
		}
	}
	if total < 50 {
		t.Fatalf("the apply has %d file operations; the test needs at least 50 distinct kill points", total)
	}
	t.Logf("killed at each of %d file operations; every run converged to the uninterrupted result", total)

	// Killed twice: once in the apply and again while the next run finishes it.
	for n := 3; n <= total; n += 7 {
		dir := filepath.Join(t.TempDir(), "pc")
		copyTree(t, template, dir)
		if killed, err := runChild(dir, payloadFile, n); err != nil || !killed {
			t.Fatalf("the child was not killed at file operation %d: %v", n, err)
		}
		if _, err := runChild(dir, payloadFile, 2); err != nil { // it may finish before its second file operation
			t.Fatal(err)
		}
		checkKilled(t, dir, n)
	}
}
