package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestReplayWatchReplaysWhatChanges(t *testing.T) {
	t.Parallel()
	dir := scenarioDir(t, map[string]string{"a.yaml": passingScenario})
	r := start(t, "replay", dir, "--watch", "--parallel", "1")
	r.out.waitFor(t, regexp.MustCompile(`1 passed, 0 failed\nWatching for changes`))

	// A new file is replayed alone; a broken one is reported and watching goes on.
	other := strings.Replace(passingScenario, "name: Adele", "name: Broken Adele", 1)
	other = strings.Replace(other, "restorePage: shown", "restorePage: hidden", 1)
	if err := os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	r.out.waitFor(t, regexp.MustCompile(`(?s)Changed: [^\n]*b\.yaml\nFAIL Broken Adele.*0 passed, 1 failed\n`))
	if err := os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("name: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.out.waitFor(t, regexp.MustCompile(`b\.yaml:\d+`))
	// Fixed, it passes; a.yaml, unchanged, is not replayed again.
	fixed := strings.Replace(passingScenario, "name: Adele", "name: Fixed Adele", 1)
	if err := os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	r.out.waitFor(t, regexp.MustCompile(`(?s)Changed: [^\n]*b\.yaml\nPASS Fixed Adele[^\n]*\n1 passed, 0 failed\n`))
	r.cancel()
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d after Ctrl+C, want 0:\n%s", code, r.errOut.String())
	}
	if n := strings.Count(r.out.String(), "PASS Adele restores"); n != 1 {
		t.Errorf("the unchanged scenario was replayed %d times, want once:\n%s", n, r.out.String())
	}
}

func TestReplayWatchRefusesJUnitAndShards(t *testing.T) {
	t.Parallel()
	dir := scenarioDir(t, map[string]string{"a.yaml": passingScenario})
	for _, extra := range [][]string{{"--junit", filepath.Join(t.TempDir(), "r.xml")}, {"--shard", "0/2"}} {
		if code, _, stderr := replayCLI(t, append([]string{dir, "--watch"}, extra...)...); code != 2 || !strings.Contains(stderr, "--watch") {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming --watch", extra, code, stderr)
		}
	}
}
