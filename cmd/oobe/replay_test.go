package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const scenarioCorpus = "../../fixtures/scenarios"

// passingScenario is a scenario that passes; the replay tests copy and break it.
const passingScenario = `name: Adele restores her newest PC
tenant: {fixture: contoso}
user: adele.vance@contoso.com
device: {os: 10.0.26100.4946, edition: Enterprise, join: entra, provisioning: userDriven}
expect:
  restorePage: shown
  finalStage: desktop
`

func scenarioDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// replayCLI runs oobe replay to its end and returns the exit code, stdout and stderr.
func replayCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	r := start(t, append([]string{"replay"}, args...)...)
	code := r.wait(t)
	return code, r.out.String(), r.errOut.String()
}

func TestReplayExitsZeroOneOrTwo(t *testing.T) {
	t.Parallel()
	failing := strings.Replace(passingScenario, "finalStage: desktop", "finalStage: failed", 1)
	failing = strings.Replace(failing, "name: Adele", "name: Broken Adele", 1)
	pass := scenarioDir(t, map[string]string{"pass.yaml": passingScenario})
	fail := scenarioDir(t, map[string]string{"pass.yaml": passingScenario, "fail.yaml": failing})
	broken := scenarioDir(t, map[string]string{"typo.yaml": passingScenario + "colour: blue\n"})
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"every scenario passes", []string{pass}, 0, ""},
		{"one scenario fails", []string{fail}, 1, ""},
		{"a --run that matches no scenario", []string{pass, "--run", "^No such scenario$"}, 2, "matches none"},
		{"a broken scenario file", []string{broken}, 2, "typo.yaml:8: the scenario: unknown key \"colour\""},
		{"a path that is not there", []string{"/nonexistent/scenarios"}, 2, "/nonexistent/scenarios"},
		{"no path", nil, 2, ""},
		{"a directory without scenarios", []string{t.TempDir()}, 2, "no scenario files"},
		{"a bad --run", []string{pass, "--run", "("}, 2, "--run"},
		{"a bad --shard", []string{pass, "--shard", "4/4"}, 2, "--shard"},
		{"a bad --parallel", []string{pass, "--parallel", "0"}, 2, "--parallel 0"},
		{"--run filters the failing one out", []string{fail, "--run", "^Adele"}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := replayCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}
		})
	}
}

func TestReplayPrintsALinePerScenarioAndTheTally(t *testing.T) {
	t.Parallel()
	failing := strings.Replace(passingScenario, "restorePage: shown", "restorePage: hidden", 1)
	failing = strings.Replace(failing, "name: Adele", "name: Broken Adele", 1)
	dir := scenarioDir(t, map[string]string{"a-pass.yaml": passingScenario, "b-fail.yaml": failing})
	code, out, _ := replayCLI(t, dir, "--run", "Adele", "--parallel", "2")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if !regexp.MustCompile(`^PASS Adele restores her newest PC \(\d+m\d+s\)$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^FAIL Broken Adele restores her newest PC \(\d+m\d+s\)$`).MatchString(lines[1]) {
		t.Fatalf("scenario lines:\n%s", out)
	}
	if lines[len(lines)-1] != "1 passed, 1 failed" {
		t.Fatalf("last line %q, want the tally", lines[len(lines)-1])
	}
	for _, want := range []string{"b-fail.yaml", "expect.restorePage (line ", ")\n        expected: hidden\n        got:      shown", "transcript around eligibility"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = replayCLI(t, dir, "--run", "^Adele")
	if !strings.HasSuffix(out, "\n1 passed, 0 failed, 1 skipped\n") {
		t.Fatalf("with --run: output ends %q, want the tally with the skipped one", out[max(0, len(out)-60):])
	}
}

func TestReplayJSONIsTheSameAtAnyParallelism(t *testing.T) {
	t.Parallel()
	code, one, _ := replayCLI(t, scenarioCorpus, "--json", "--parallel", "1")
	if code != 0 {
		t.Fatalf("the corpus does not pass: exit %d", code)
	}
	_, eight, stderr := replayCLI(t, scenarioCorpus, "--json", "--parallel", "8")
	if one != eight {
		t.Fatal("--json output differs between --parallel 1 and --parallel 8")
	}
	var files []string
	for line := range strings.SplitSeq(strings.TrimSpace(one), "\n") {
		var r struct {
			File   string `json:"file"`
			Passed bool   `json:"passed"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not a JSON line: %v\n%s", err, line)
		}
		files = append(files, r.File)
	}
	for i := 1; i < len(files); i++ {
		if files[i-1] >= files[i] {
			t.Fatalf("reports not sorted by path: %s before %s", files[i-1], files[i])
		}
	}
	if !regexp.MustCompile(`\n\d+ passed, 0 failed\n$`).MatchString(stderr) {
		t.Fatalf("with --json the tally goes to stderr:\n%s", stderr)
	}
}

func TestReplayShardsFromTheFlagOrTheIndexedJob(t *testing.T) {
	t.Parallel()
	passLine := regexp.MustCompile(`(?m)^PASS `)
	countPassed := func(out string) int { return len(passLine.FindAllString(out, -1)) }
	_, all, _ := replayCLI(t, scenarioCorpus)
	total := countPassed(all)
	if total < 8 {
		t.Fatalf("the corpus run passed %d scenarios:\n%s", total, all)
	}
	sum := 0
	for i := range 3 {
		_, out, _ := replayCLI(t, scenarioCorpus, "--shard", []string{"0/3", "1/3", "2/3"}[i])
		sum += countPassed(out)
	}
	if sum != total {
		t.Fatalf("three shards ran %d scenarios, the corpus has %d", sum, total)
	}
	job := cli{env: map[string]string{"JOB_COMPLETION_INDEX": "1", "JOB_COMPLETIONS": "3"}}
	_, fromEnv, _ := job.run(t, "replay", scenarioCorpus)
	_, fromFlag, _ := replayCLI(t, scenarioCorpus, "--shard", "1/3")
	if fromEnv != fromFlag {
		t.Fatalf("the Indexed Job's shard:\n%s\ndiffers from --shard 1/3:\n%s", fromEnv, fromFlag)
	}
}

func TestReplayWritesJUnit(t *testing.T) {
	t.Parallel()
	dir := scenarioDir(t, map[string]string{"pass.yaml": passingScenario})
	path := filepath.Join(t.TempDir(), "replay.xml")
	if code, _, stderr := replayCLI(t, dir, "--junit", path); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests int `xml:"tests,attr"`
		Suite struct {
			Cases []struct {
				Name string `xml:"name,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil || doc.Tests != 1 || len(doc.Suite.Cases) != 1 || doc.Suite.Cases[0].Name != "Adele restores her newest PC" {
		t.Fatalf("JUnit %+v, err %v:\n%s", doc, err, data)
	}
	if code, _, stderr := replayCLI(t, dir, "--junit", "/nonexistent/dir/replay.xml"); code != 2 || !strings.Contains(stderr, "--junit") {
		t.Fatalf("an unwritable --junit: exit %d, stderr %s", code, stderr)
	}
}

func TestReplayStopsOnInterrupt(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := run(ctx, []string{"replay", scenarioCorpus}, streams{in: strings.NewReader(""), out: &syncBuffer{}, errOut: &syncBuffer{}}); code != 130 {
		t.Fatalf("exit %d after Ctrl+C, want 130", code)
	}
}

func TestAFailingReplayEndsWithTheTallyAndKeepsTheLastJUnitReportOnBadInput(t *testing.T) {
	t.Parallel()
	failing := strings.Replace(passingScenario, "finalStage: desktop", "finalStage: failed", 1)
	dir := scenarioDir(t, map[string]string{"fail.yaml": failing})
	code, out, errOut := replayCLI(t, dir)
	if code != 1 || !strings.HasSuffix(out, "\n0 passed, 1 failed\n") || errOut != "" {
		t.Fatalf("exit %d; the tally must be the last line and nothing after it:\nstdout …%q\nstderr %q", code, out[max(0, len(out)-80):], errOut)
	}
	report := filepath.Join(t.TempDir(), "replay.xml")
	if err := os.WriteFile(report, []byte("<testsuites/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := scenarioDir(t, map[string]string{"typo.yaml": passingScenario + "colour: blue\n"})
	if code, _, _ := replayCLI(t, broken, "--junit", report); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if data, _ := os.ReadFile(report); string(data) != "<testsuites/>" {
		t.Fatalf("bad input truncated the earlier JUnit report to %q", data)
	}
	entries, _ := os.ReadDir(filepath.Dir(report))
	if len(entries) != 1 {
		t.Fatalf("a temporary report was left behind: %v", entries)
	}
}
