package replay

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/oobe-dev/oobe/localca"
)

// The corpus over https: every scenario passes with clients that trust the run's CA alone,
// and the reports are those of plain http but for the sign-in page's scheme.
func TestTheCorpusPassesOverTLSWithTheSameReports(t *testing.T) {
	scs := corpus(t)
	ca, err := localca.New()
	if err != nil {
		t.Fatal(err)
	}
	tlsRun, err := NewTLS(ca)
	if err != nil {
		t.Fatal(err)
	}
	var tlsRequests atomic.Int64
	count := func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(r)
			if err == nil && resp.TLS != nil {
				tlsRequests.Add(1)
			}
			return resp, err
		})
	}
	report := func(opts Options) []byte {
		var b bytes.Buffer
		reports := RunAll(context.Background(), scs, opts)
		for _, r := range reports {
			if !r.Passed {
				var f strings.Builder
				_ = r.WriteFailure(&f)
				t.Errorf("%s\n%s", r.Line(), f.String())
			}
		}
		if err := WriteJSON(&b, reports); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	plain := report(Options{Parallel: 4, WorkDir: t.TempDir()})
	overTLS := report(Options{Parallel: 4, WorkDir: t.TempDir(), TLS: tlsRun, wrap: count})
	if tlsRequests.Load() == 0 {
		t.Fatal("no request went over TLS")
	}
	// The transcripts name the sign-in page, with its scheme; nothing else may differ.
	overTLS = bytes.ReplaceAll(overTLS, []byte("https://127.0.0.1:PORT"), []byte("http://127.0.0.1:PORT"))
	if !bytes.Equal(plain, overTLS) {
		t.Fatalf("the reports over https differ from those over http:\n%s", firstDiff(plain, overTLS))
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
