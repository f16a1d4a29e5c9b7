package auth_test

import (
	"context"
	"sync/atomic"
	"testing"
)

// BenchmarkSignInTLS measures complete device-code sign-ins (discovery, device code, the
// approval on the device page, the token poll, the keys and full ID-token verification) over
// plain http and over https beside each other in one run, against tenant.Server.Start on
// 127.0.0.1 with a P-256 leaf from localca. keep-alive: each goroutine keeps one client
// and its connections for all its sign-ins; new-conn: every request opens a new connection,
// so over https every request pays a full TLS 1.3 handshake (five per sign-in). cpu-µs/signin
// is the process's CPU time (client and tenant) per sign-in, which a busy machine disturbs less
// than wall time.
// Run with: go test -run=NONE -bench=BenchmarkSignInTLS -count=6 ./auth/
func BenchmarkSignInTLS(b *testing.B) {
	for _, scheme := range []string{"http", "https"} {
		for _, conns := range []string{"keep-alive", "new-conn"} {
			b.Run(scheme+"/"+conns, func(b *testing.B) { benchSignInOver(b, scheme == "http", conns == "keep-alive") })
		}
	}
}

func benchSignInOver(b *testing.B, plain, keepAlive bool) {
	s := newTLSSim(b, plain)
	ctx := context.Background()
	var failed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		hc := s.httpClient(keepAlive)
		defer hc.CloseIdleConnections()
		for pb.Next() {
			if _, err := s.signIn(ctx, hc); err != nil {
				failed.Add(1)
				b.Error(err)
				return
			}
		}
	})
	if failed.Load() > 0 {
		b.Fatalf("%d sign-ins failed", failed.Load())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signins/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		// Client and tenant together: both sides of every handshake.
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/signin")
	}
}
