package sim

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/oobe-dev/oobe/localca"
)

// TestTheWorldsClientsReachTheTenantInMemoryAndOthersOnItsPort: the world's own clients go
// through the in-memory door, over http and https, while the loopback port still serves a
// client from outside the world (a person's browser, another program).
func TestTheWorldsClientsReachTheTenantInMemoryAndOthersOnItsPort(t *testing.T) {
	t.Parallel()
	tenants, err := DemoTenants()
	if err != nil {
		t.Fatal(err)
	}
	ca, err := localca.New()
	if err != nil {
		t.Fatal(err)
	}
	tlsSpec, err := NewTLS(ca)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tls  *TLS
	}{{"http", nil}, {"https", tlsSpec}} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := Start(context.Background(), Spec{Tenants: tenants, TLS: tc.tls})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			discovery := w.Authority() + "/v2.0/.well-known/openid-configuration"
			get := func(c *http.Client) int {
				resp, err := c.Get(discovery)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				_, _ = io.Copy(io.Discard, resp.Body)
				return resp.StatusCode
			}
			if got := get(w.HTTP()); got != http.StatusOK {
				t.Fatalf("the world's client got HTTP %d", got)
			}
			if n := w.pipe.dialed.Load(); n != 1 {
				t.Fatalf("the world's client made %d in-memory connections, want 1", n)
			}
			outside := http.DefaultClient
			if tc.tls != nil {
				outside = &http.Client{Transport: &http.Transport{TLSClientConfig: tc.tls.client}}
			}
			if got := get(outside); got != http.StatusOK {
				t.Fatalf("a client from outside the world got HTTP %d on the loopback port", got)
			}
			if n := w.pipe.dialed.Load(); n != 1 {
				t.Fatalf("the outside client went through the in-memory door (%d connections)", n)
			}
		})
	}
}
