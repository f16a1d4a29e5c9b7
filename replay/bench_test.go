package replay

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// generatedCorpus makes n scenarios spread over the kinds a QA corpus has: restores on
// Windows 11 23H2 and 24H2, browser sign-ins, "set up as new", devices that cannot restore,
// Conditional Access blocks, Graph throttling, ESP failures, short-lived tokens and an
// occasional old PC backing up first. Each has its own name and path, so its own tenant seed.
func generatedCorpus(tb testing.TB, n int) []*Scenario {
	tb.Helper()
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
		{2, "userOverride: megan.bowen@contoso.com\noldPC: {days: 16, device: {os: 10.0.22631.5768, edition: Enterprise, join: entra, provisioning: userDriven, name: MEGAN-OLD, sample: true}}\ndevice: {os: 10.0.26100.4946, edition: Enterprise, join: entra, provisioning: userDriven}\nexpect: {backups: [MEGAN-OLD], intuneStatus: Succeeded, finalStage: desktop}\n"},
	}
	var table []string
	for _, k := range kinds {
		for range k.weight {
			table = append(table, k.body)
		}
	}
	out := make([]*Scenario, n)
	for i := range out {
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
		src := fmt.Sprintf("name: generated scenario %04d\ntenant: {fixture: contoso%s}\nuser: %s\n%s", i, tenantExtra, user, strings.Join(lines, "\n"))
		file := fmt.Sprintf("generated/%02d/scenario-%04d.yaml", i%20, i)
		sc, err := Parse(file, []byte(src))
		if err != nil {
			tb.Fatalf("generated scenario %d: %v\n%s", i, err, src)
		}
		sc.Rel = strings.TrimPrefix(file, "generated/")
		out[i] = sc
	}
	return out
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

// signRates holds, per parallelism, the RSA-2048 signing rate measured in this run.
var signRates sync.Map // int -> float64 signatures per second

// BenchmarkReplay1000 replays a generated corpus of 1,000 scenarios at --parallel 1 and 2,
// each next to the rate at which the same number of goroutines sign RSA-2048 in the same run.
// Every scenario costs the tenant a few signatures (ID and access tokens at sign-in, at each
// refresh and for the restore app), so scenarios/s can be at most signs/s ÷ signs/scenario:
// floor-scenarios/s. Run with:
//
//	go test -run=NONE -bench=BenchmarkReplay1000 -benchtime=3x ./replay/
func BenchmarkReplay1000(b *testing.B) {
	scs := generatedCorpus(b, 1000)
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("rsa2048-sign/parallel-%d", p), func(b *testing.B) { benchSign(b, p) })
		b.Run(fmt.Sprintf("replay/parallel-%d", p), func(b *testing.B) { benchReplay(b, scs, p) })
	}
}

func benchSign(b *testing.B, goroutines int) {
	keys, err := sharedKeys()
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte(strings.Repeat("eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.", 20)))
	var signed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	// At least a second of signing whatever -benchtime says (the replay runs with a few
	// iterations of 1,000 scenarios), so the floor is measured as well as the replay.
	deadline := time.Now().Add(time.Second)
	for range goroutines {
		wg.Go(func() {
			for n := signed.Add(1); n <= int64(b.N) || time.Now().Before(deadline); n = signed.Add(1) {
				if _, err := rsa.SignPKCS1v15(rand.Reader, keys[0], crypto.SHA256, digest[:]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	// Each goroutine's last Add found the loop done: those did not sign.
	rate := float64(signed.Load()-int64(goroutines)) / b.Elapsed().Seconds()
	signRates.Store(goroutines, rate)
	b.ReportMetric(rate, "signs/s")
}

func benchReplay(b *testing.B, scs []*Scenario, parallel int) {
	var signs atomic.Int64
	opts := Options{Parallel: parallel,
		wrap: func(next http.RoundTripper) http.RoundTripper { return signatureCounter{next: next, signs: &signs} }}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, r := range RunAll(context.Background(), scs, opts) {
			if !r.Passed {
				var sb strings.Builder
				_ = r.WriteFailure(&sb)
				b.Fatalf("%s\n%s", r.Line(), sb.String())
			}
		}
	}
	b.StopTimer()
	perScenario := float64(signs.Load()) / float64(b.N*len(scs))
	rate := float64(b.N*len(scs)) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "scenarios/s")
	b.ReportMetric(perScenario, "signs/scenario")
	if sr, ok := signRates.Load(parallel); ok {
		floor := sr.(float64) / perScenario
		b.ReportMetric(floor, "floor-scenarios/s")
		b.ReportMetric(100*rate/floor, "%-of-floor")
	}
}
