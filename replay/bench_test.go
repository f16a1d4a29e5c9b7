package replay

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/sim"
)

// generatedCorpus makes n scenarios spread over the kinds a QA corpus has: restores on
// Windows 11 23H2 and 24H2, browser sign-ins, "set up as new", devices that cannot restore,
// Conditional Access blocks, Graph throttling, ESP failures, short-lived tokens and an
// occasional old PC backing up first. Each has its own name and path, so its own tenant seed.
func generatedCorpus(tb testing.TB, n int) []*Scenario {
	tb.Helper()
	out := make([]*Scenario, n)
	for i := range out {
		rel, src := generatedScenario(i)
		file := "generated/" + rel
		sc, err := Parse(file, []byte(src))
		if err != nil {
			tb.Fatalf("generated scenario %d: %v\n%s", i, err, src)
		}
		sc.Rel = rel
		out[i] = sc
	}
	return out
}

// generatedKinds are the generated corpus's kinds of scenario, each as often as its weight.
var generatedKinds = sync.OnceValue(func() []string {
	kinds := []struct {
		weight int
		body   string
	}{
		{30, "device: {os: 10.0.26100.4946, edition: Enterprise, join: entra, provisioning: userDriven}\nexpect: {restorePage: shown, intuneStatus: Succeeded, finalStage: desktop}\n"},
		{10, "device: {os: 10.0.22631.4317, edition: Enterprise, join: entra, provisioning: userDriven}\nsteps: {restore: ADELE-DESKTOP}\nexpect: {intuneStatus: Succeeded, finalStage: desktop}\n"},
		{15, "device: {os: 10.0.26100.4946, edition: Pro, join: entra, provisioning: userDriven}\nsteps: {signIn: {method: browser}}\nexpect: {restorePage: shown, finalStage: desktop}\n"},
		{10, "device: {os: 10.0.26100.4946, edition: Enterprise, join: entra, provisioning: userDriven}\nsteps: {restore: new}\nexpect: {intuneStatus: Setup as New PC Selected, finalStage: desktop}\n"},
		{10, "device: {os: 10.0.19045.6216, edition: Enterprise, join: hybrid, provisioning: userDriven}\nexpect: {restorePage: hidden, reasons: [windowsTooOld, notEntraJoined], finalStage: desktop}\n"},
		{8, "tenantExtra: {conditionalAccess: {blockRestoreApp: true}}\ndevice: {os: 10.0.26100.4946, edition: Enterprise, join: entra, provisioning: userDriven}\nexpect: {reasons: [accessBlocked], intuneStatus: Failed, finalStage: desktop}\n"},
		{5, "device: {os: 10.0.26100.4946, edition: Enterprise, join: entra, provisioning: userDriven}\nfaults: {endpoints: [{endpoint: graph.windowsSettings, kind: throttle, times: 2, retryAfter: 30s}]}\nexpect: {intuneStatus: Succeeded, finalStage: desktop}\n"},
		{5, "device: {os: 10.0.26100.4946, edition: Enterprise, join: entra, provisioning: userDriven}\nfaults: {espAppInstallFailure: true}\nexpect: {errorCode: \"0x81036502\", finalStage: desktop}\n"},
		{5, "device: {os: 10.0.26100.4946, edition: Enterprise, join: entra, provisioning: userDriven}\nfaults: {accessTokenLifetime: 10m}\nexpect: {intuneStatus: Succeeded, finalStage: desktop, error: \"\"}\n"},
		{2, "userOverride: megan.bowen@contoso.com\noldPC: {days: 16, device: {os: 10.0.22631.5768, edition: Enterprise, join: entra, provisioning: userDriven, enableWindowsBackup: true, name: MEGAN-OLD, sample: true}}\ndevice: {os: 10.0.26100.4946, edition: Enterprise, join: entra, provisioning: userDriven}\nexpect: {backups: [MEGAN-OLD], intuneStatus: Succeeded, finalStage: desktop}\n"},
	}
	var table []string
	for _, k := range kinds {
		for range k.weight {
			table = append(table, k.body)
		}
	}
	return table
})

// generatedScenario is the generated corpus's scenario i: its path under the corpus and its
// source.
func generatedScenario(i int) (rel, src string) {
	table := generatedKinds()
	body := table[(i*37)%len(table)] // spread the kinds through the corpus
	user := "adele.vance@contoso.com"
	tenantExtra := ""
	var lines []string
	for line := range strings.SplitSeq(body, "\n") {
		switch {
		case strings.HasPrefix(line, "userOverride: "):
			user = strings.TrimPrefix(line, "userOverride: ")
		case strings.HasPrefix(line, "tenantExtra: "):
			tenantExtra = ", " + strings.TrimSuffix(strings.TrimPrefix(line, "tenantExtra: {"), "}")
		default:
			lines = append(lines, line)
		}
	}
	src = fmt.Sprintf("name: generated scenario %04d\ntenant: {fixture: contoso%s}\nuser: %s\n%s", i, tenantExtra, user, strings.Join(lines, "\n"))
	return fmt.Sprintf("%02d/scenario-%04d.yaml", i%20, i), src
}

var (
	writeCorpus  = flag.String("write-corpus", "", "TestWriteGeneratedCorpus: write the generated corpus under this directory")
	corpusLength = flag.Int("corpus-scenarios", 1000, "TestWriteGeneratedCorpus: how many scenarios to write")
)

// TestWriteGeneratedCorpus writes the benchmark's generated corpus to disk, for timing the
// real binary on it (docs/performance.md); without -write-corpus it does nothing:
//
//	go test -run TestWriteGeneratedCorpus ./replay/ -args -write-corpus /tmp/corpus-10000 -corpus-scenarios 10000
//	oobe replay /tmp/corpus-10000
//
// Replayed from that directory, each scenario has the path and name it has in the benchmark,
// so the same tenant seed.
func TestWriteGeneratedCorpus(t *testing.T) {
	if *writeCorpus == "" {
		t.Skip("no -write-corpus directory")
	}
	for i := range *corpusLength {
		rel, src := generatedScenario(i)
		file := filepath.Join(*writeCorpus, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d scenarios under %s", *corpusLength, *writeCorpus)
}

// signatureCounter counts the JWTs the tenant signs for the device, from the token endpoint's
// answers: each access or ID token is one RSA-2048 signature.
type signatureCounter struct {
	next  http.RoundTripper
	signs *atomic.Int64
}

func (c signatureCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if json.Unmarshal(body, &tok) == nil {
		for _, t := range []string{tok.AccessToken, tok.IDToken} {
			if strings.Count(t, ".") == 2 {
				c.signs.Add(1)
			}
		}
	}
	return resp, nil
}

// BenchmarkReplay1000 replays a generated corpus of 1,000 scenarios at --parallel 1 and 2 and
// weighs the replay against its floor, the RSA-2048 signatures the tenant makes for each
// scenario (ID and access tokens at sign-in, at each refresh and for the restore apps): both
// as process CPU time in the same run, the replay's per scenario and a signature's with the
// same key on as many goroutines, sampled between chunks of the replay. Run with:
//
//	go test -run=NONE -bench=BenchmarkReplay1000 -benchtime=3x ./replay/
func BenchmarkReplay1000(b *testing.B) {
	scs := generatedCorpus(b, 1000)
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("replay/parallel-%d", p), func(b *testing.B) { benchReplay(b, scs, p) })
	}
}

// The replay runs in chunks of replayChunk scenarios with signChunk signatures between them,
// each timed on the process's CPU clock: the signing is sampled all through the replay, so a
// change in what else the machine runs weighs on both alike.
const (
	replayChunk = 50
	signChunk   = 20
)

// signCPU signs n tokens with the tenant's key on goroutines at once, as a replay at that
// parallelism does, and returns the process CPU time they took.
func signCPU(tb testing.TB, goroutines, n int) time.Duration {
	keys, err := sim.DemoKeys()
	if err != nil {
		tb.Fatal(err)
	}
	digest := sha256.Sum256([]byte(strings.Repeat("eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.", 20)))
	before, _ := processCPU()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if _, err := rsa.SignPKCS1v15(rand.Reader, keys[0], crypto.SHA256, digest[:]); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	after, _ := processCPU()
	return after - before
}

func benchReplay(b *testing.B, scs []*Scenario, parallel int) {
	_, haveCPU := processCPU()
	var signs atomic.Int64
	opts := Options{Parallel: parallel,
		wrap: func(next http.RoundTripper) http.RoundTripper { return signatureCounter{next: next, signs: &signs} }}
	var replayCPU, signingCPU time.Duration
	signed := 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for lo := 0; lo < len(scs); lo += replayChunk {
			chunk := scs[lo:min(lo+replayChunk, len(scs))]
			before, _ := processCPU()
			for r := range stream(context.Background(), len(chunk), opts, func(ctx context.Context, i int) *Report {
				return Run(ctx, chunk[i], opts)
			}) {
				if !r.Passed {
					var sb strings.Builder
					_ = r.WriteFailure(&sb)
					b.Fatalf("%s\n%s", r.Line(), sb.String())
				}
			}
			after, _ := processCPU()
			replayCPU += after - before
			if haveCPU {
				b.StopTimer()
				signingCPU += signCPU(b, parallel, signChunk)
				signed += signChunk
				b.StartTimer()
			}
		}
	}
	b.StopTimer()
	scenarios := float64(b.N * len(scs))
	perScenario := float64(signs.Load()) / scenarios
	rate := scenarios / b.Elapsed().Seconds()
	b.ReportMetric(rate, "scenarios/s")
	b.ReportMetric(perScenario, "signs/scenario")
	if !haveCPU {
		return
	}
	cpu := float64(replayCPU) / scenarios            // ns of CPU per scenario
	perSign := float64(signingCPU) / float64(signed) // ns of CPU per signature
	signing := perScenario * perSign                 // ns of a scenario's CPU spent signing
	b.ReportMetric(cpu/1e6, "cpu-ms/scenario")
	b.ReportMetric(perSign/1e3, "cpu-µs/sign")
	b.ReportMetric(100*signing/cpu, "signing-%")
	// The floor: parallel CPUs doing nothing but a scenario's signatures.
	floor := float64(parallel) * 1e9 / signing
	b.ReportMetric(floor, "floor-scenarios/s")
	b.ReportMetric(100*rate/floor, "%-of-floor")
}
