package tenant

import (
	"container/list"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds on what an unauthenticated request can make the simulator keep. Entra documents few of
// them; each says where it comes from, and "inferred" where the simulator chose it.
const (
	// maxAuthorizeQuery bounds the whole authorize query; beyond it Entra answers
	// AADSTS90015 "Requested query string is too long" (its own limit is not published: 16 KiB
	// is inferred, far above what MSAL sends).
	maxAuthorizeQuery = 16 << 10
	// defaultPendingPerTenant and defaultPendingTotal cap pending authorize flows, and
	// separately pending device codes, per tenant and over all tenants (inferred).
	defaultPendingPerTenant = 1024
	defaultPendingTotal     = 4096
	// defaultMaxConnections caps the connections Start serves at once (inferred).
	defaultMaxConnections = 1024
	// maxRefreshPerClient is how many refresh tokens one user keeps for one app; the oldest go
	// first (inferred: Entra publishes no such number, and a client keeps only its newest).
	maxRefreshPerClient = 64
	// keepCodeAfterExpiry is how long an expired or redeemed authorization code stays known, so a
	// late replay is told "already redeemed" or "expired" rather than "unknown".
	keepCodeAfterExpiry = authCodeLifetime
	// shrinkFloor is the size below which a map is never rebuilt to give memory back.
	shrinkFloor = 256
)

// paramLimit is the longest value an authorize parameter may have, in bytes.
type paramLimit struct {
	name string
	max  int
	why  string
}

// authorizeLimits are the authorize parameters the simulator keeps while a sign-in is pending.
// code_challenge (43 to 128 characters, RFC 7636 §4.2) and redirect_uri (it must equal a
// registered URI) are checked where they are read; scope is at most 50 names of 100 characters.
var authorizeLimits = []paramLimit{
	// A UPN is at most 113 characters (Graph's userPrincipalName); a hint may be an e-mail
	// address, so 256 (inferred).
	{"login_hint", 256, "inferred"},
	// Entra documents no limit on state; browsers and proxies start failing near 2 KB of URL
	// (inferred).
	{"state", 2048, "inferred"},
	// MSAL sends a GUID; OpenID Connect implementers' notes keep nonces under 128 characters
	// (inferred: 512).
	{"nonce", 512, "inferred"},
	// A claims challenge is a small JSON object naming policies (inferred).
	{"claims", 8192, "inferred"},
}

// errTooLong is Entra's answer to an over-long request: AADSTS90015, naming the parameter.
func errTooLong(name string, max int) *entraError {
	return &entraError{Err: "invalid_request", Code: 90015, Desc: fmt.Sprintf(
		"Requested query string is too long: the parameter '%s' is longer than %d characters.", name, max)}
}

// checkAuthorizeLengths refuses an authorize request whose query, or one of whose kept
// parameters, is longer than the simulator keeps.
func checkAuthorizeLengths(rawQuery string, q url.Values) *entraError {
	if len(rawQuery) > maxAuthorizeQuery {
		return &entraError{Err: "invalid_request", Code: 90015, Desc: fmt.Sprintf(
			"Requested query string is too long: it is longer than %d characters.", maxAuthorizeQuery)}
	}
	for _, l := range authorizeLimits {
		if len(q.Get(l.name)) > l.max {
			return errTooLong(l.name, l.max)
		}
	}
	return nil
}

// arrivals keeps the keys of pending entries in the order they came, over all tenants and per
// tenant, so a full store can evict its oldest entry in constant time.
type arrivals struct {
	all     list.List
	tenants map[string]*list.List
	byKey   map[string]*arrival
}

type arrival struct {
	key, tid        string
	inAll, inTenant *list.Element
}

func newArrivals() *arrivals {
	return &arrivals{tenants: map[string]*list.List{}, byKey: map[string]*arrival{}}
}

func (a *arrivals) len() int { return len(a.byKey) }

func (a *arrivals) tenantLen(tid string) int {
	if l := a.tenants[tid]; l != nil {
		return l.Len()
	}
	return 0
}

// add records key, of tenant tid, as the newest arrival.
func (a *arrivals) add(tid, key string) {
	a.remove(key)
	l := a.tenants[tid]
	if l == nil {
		l = list.New()
		a.tenants[tid] = l
	}
	e := &arrival{key: key, tid: tid}
	e.inAll = a.all.PushBack(e)
	e.inTenant = l.PushBack(e)
	a.byKey[key] = e
}

// remove forgets key; it does nothing for a key it does not hold.
func (a *arrivals) remove(key string) {
	e := a.byKey[key]
	if e == nil {
		return
	}
	a.all.Remove(e.inAll)
	a.tenants[e.tid].Remove(e.inTenant)
	delete(a.byKey, key)
}

// admit makes room for one more entry of tid under perTenant and total, removing and returning
// the keys of the oldest entries that must go.
func (a *arrivals) admit(tid string, perTenant, total int) []string {
	var out []string
	for a.tenantLen(tid) >= perTenant {
		e := a.tenants[tid].Front().Value.(*arrival)
		a.remove(e.key)
		out = append(out, e.key)
	}
	for a.len() >= total {
		e := a.all.Front().Value.(*arrival)
		a.remove(e.key)
		out = append(out, e.key)
	}
	return out
}

// highWater remembers the largest size each map reached since it was last rebuilt: Go's maps
// never give their buckets back, so a map that held a burst keeps its memory until rebuilt.
type highWater struct {
	flows, codes, devices, userCodes, refresh, deviceMFA int
}

// shrunk returns m, or a copy of it when it has fallen to a quarter of its high water mark, so
// the old buckets can be collected.
func shrunk[K comparable, V any](m map[K]V, high *int) map[K]V {
	if len(m) > *high {
		*high = len(m)
	}
	if *high < shrinkFloor || len(m) > *high/4 {
		return m
	}
	c := make(map[K]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	*high = len(m)
	return c
}

// evictionLog says, at most once a minute of clock time, that pending sign-ins are at their
// cap: a burst of requests would otherwise write one line each.
func (s *Server) evictionLogLocked(what string, n int, now time.Time) {
	if n == 0 || (!s.lastEvictLog.IsZero() && now.Sub(s.lastEvictLog) < time.Minute) {
		return
	}
	s.lastEvictLog = now
	s.log.Warn("pending sign-ins at their cap; the oldest are forgotten", "kind", what,
		"evicted", n, "per_tenant", s.pendingPerTenant, "total", s.pendingTotal)
}

// limitListener serves at most cap connections at once; further ones wait in the kernel's
// backlog until one closes. net/http has no such cap of its own.
type limitListener struct {
	net.Listener
	sem  chan struct{}
	done chan struct{}
	once sync.Once
	log  *slog.Logger

	active, peak atomic.Int64
	lastLog      atomic.Int64 // unix nanoseconds of the last "cap reached" line
}

func newLimitListener(ln net.Listener, n int, log *slog.Logger) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{}), log: log}
}

// Accept waits for a free slot, then for a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	default:
		// The log is rate-limited in wall time: it is about the machine, not protocol time.
		if now := time.Now().UnixNano(); now-l.lastLog.Load() >= int64(10*time.Second) {
			l.lastLog.Store(now)
			l.log.Warn("connection cap reached; new connections wait until one closes", "max_connections", cap(l.sem))
		}
		select {
		case l.sem <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	n := l.active.Add(1)
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return &limitConn{Conn: c, l: l}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back when closed, once.
type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.active.Add(-1)
		<-c.l.sem
	})
	return err
}
