package sim

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/clock"
)

// devicePage is the path of the tenant's device sign-in page, where a device code is acted on.
const devicePage = "/devicelogin"

// gate is a Held world's sign-in clock: once armed, its sleeps (a device code's polls) wait
// until something has been posted to the device sign-in page through the world's clients,
// then pass in virtual time. Virtual polls would otherwise use up a code's 15 minutes in the
// instant before a person at the screen could act.
type gate struct {
	clock.Clock
	mu     sync.Mutex
	armed  bool
	posted chan struct{}
	once   sync.Once
}

func newGate(c clock.Clock) *gate { return &gate{Clock: c, posted: make(chan struct{})} }

// arm makes sleeps wait from now on (after the old PC, whose sign-in Approve does itself).
func (g *gate) arm() {
	g.mu.Lock()
	g.armed = true
	g.mu.Unlock()
}

func (g *gate) Sleep(ctx context.Context, d time.Duration) error {
	g.mu.Lock()
	armed := g.armed
	g.mu.Unlock()
	if armed {
		select {
		case <-g.posted:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.Clock.Sleep(ctx, d)
}

// watch wraps the world's transport to open the gate on the first post to the device page.
func (g *gate) watch(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err == nil && req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, devicePage) {
			g.once.Do(func() { close(g.posted) })
		}
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
