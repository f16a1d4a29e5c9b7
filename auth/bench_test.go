package auth_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"io/fs"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/tenant"
)

// signaturesPerSignIn is what one device-code sign-in costs the issuer in RSA-2048
// signatures: the ID token and the Graph access token.
const signaturesPerSignIn = 2

// rsaSignRate holds, per GOMAXPROCS, the signing rate the rsa2048-sign sub-benchmark
// measured in this run, so the sign-in sub-benchmark can say what fraction of that
// ceiling it reaches (with -cpu 1,2 each sub-benchmark runs at every setting in turn).
var rsaSignRate sync.Map // int (GOMAXPROCS) -> float64 (signatures per second)

// BenchmarkSignIn measures complete device-code sign-ins against the simulated tenant over
// loopback HTTP, next to the RSA-2048 signing rate on the same machine in the same run.
// Run with: go test -run=NONE -bench=BenchmarkSignIn -cpu 1,2 ./auth/
func BenchmarkSignIn(b *testing.B) {
	b.Run("rsa2048-sign", benchRSASign)
	b.Run("device-code", benchDeviceCodeSignIn)
}

func benchRSASign(b *testing.B) {
	data, err := fs.ReadFile(fixtures.Demo(), "keys/contoso-1.pem")
	if err != nil {
		b.Fatal(err)
	}
	key, err := tenant.ParseRSAKey(data)
	if err != nil {
		b.Fatal(err)
	}
	// A JWT signing input is about this long: header.payload of an Entra ID token.
	digest := sha256.Sum256([]byte(strings.Repeat("eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.", 20)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	rate := float64(b.N) / b.Elapsed().Seconds()
	rsaSignRate.Store(runtime.GOMAXPROCS(0), rate)
	b.ReportMetric(rate, "signs/s")
}

func benchDeviceCodeSignIn(b *testing.B) {
	s := newSim(b)
	ctx := context.Background()
	var failed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := s.client(b, &http.Client{})
		for pb.Next() {
			_, err := c.DeviceCode(ctx, func(p auth.DeviceCodePrompt) {
				if code := s.devicePage(b, p.UserCode, adeleUPN, adelePassword, "approve"); code != http.StatusOK {
					failed.Add(1)
				}
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	if failed.Load() > 0 {
		b.Fatalf("%d approvals failed", failed.Load())
	}
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "signins/s")
	b.ReportMetric(signaturesPerSignIn, "signs/signin")
	if limit, ok := rsaSignRate.Load(runtime.GOMAXPROCS(0)); ok {
		b.ReportMetric(100*rate*signaturesPerSignIn/limit.(float64), "%-of-rsa-limit")
	}
}
