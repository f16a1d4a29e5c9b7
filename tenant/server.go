package tenant

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/clock"
)

// Protocol lifetimes; auth codes and device codes are measured on the injected clock.
const (
	defaultDeviceCodeInterval = 5 * time.Second
	defaultDeviceCodeExpiry   = 900 * time.Second
	authCodeLifetime          = 10 * time.Minute
	flowLifetime              = time.Hour // Entra's sign-in "flow token" lasts about this long
	tokenLifetime             = time.Hour
	refreshTokenLifetime      = 90 * 24 * time.Hour
	slowDownStep              = 5 * time.Second // RFC 8628 §3.5
	maxFormBytes              = 64 << 10
)

// Config says which tenants the simulator serves and where its time and randomness come from.
type Config struct {
	// Tenants to serve; at least one. Tenants without keys use Keys, or get two generated
	// RSA-2048 keys when Keys is empty.
	// The server reads them for its whole life, so do not change them after New.
	Tenants []*Tenant
	// Clock is the source of protocol time; nil means clock.Real{}.
	Clock clock.Clock
	// Rand feeds codes, ids and opaque tokens; nil means crypto/rand. A seeded reader makes them
	// repeatable in replays (generated keys are not: load PEM keys for byte-identical runs).
	Rand io.Reader
	// DeviceCodeInterval is the polling interval handed out; 0 means 5 s.
	DeviceCodeInterval time.Duration
	// DeviceCodeExpiry is how long a device code lives; 0 means 900 s.
	DeviceCodeExpiry time.Duration
	// Logger receives one line per request and the notable protocol events; nil discards them.
	Logger *slog.Logger
	// AccessTokenLifetime is how long access tokens live (their exp and the expires_in answered);
	// 0 means Entra's default, one hour. A scenario shortens it to make a token expire mid-flow.
	// It is counted in whole seconds, at least one. ID tokens keep their hour.
	AccessTokenLifetime time.Duration
	// Keys sign for every tenant that has no keys of its own, in publication order (the first
	// signs); when given, at least two, as Entra always publishes several. Many servers may share
	// one set: generating an RSA-2048 key costs 40 to 100 ms, and a key's certificate, made
	// once per key, is reused by every server that publishes it.
	Keys []*rsa.PrivateKey
	// DataDir keeps the tenants' mutable state (restore page flag, backups, restore results) in
	// a SQLite database, DataDir/oobe.db, across restarts. A tenant the database has never seen
	// is seeded from its fixture; one it knows keeps its stored state. "" keeps the state in
	// memory, seeded from the fixtures on every start.
	DataDir string
	// TLS, when set, makes Start serve https with it: Microsoft's client libraries refuse an
	// http authority. Its certificate must name the hosts clients use (127.0.0.1 at least, and
	// PublicURL's host when that is https and not behind a proxy that terminates TLS). nil
	// serves plain http.
	TLS *tls.Config
	// PublicURL is the URL clients reach the simulator at when a reverse proxy stands in front
	// of it (https://login.oobe.test): issuers, discovery and every absolute URL are built from
	// it, and a request naming its host is accepted besides the listening address. It is the
	// explicit way to say so; X-Forwarded-* headers are ignored, since any client could send
	// them. "" means the address Start listens on.
	PublicURL string
	// MaxConnections caps the connections Start serves at once; more wait until one closes, and
	// the log says the cap was reached. 0 means 1024.
	MaxConnections int
	// BackupQuota is each user's backup storage in bytes of payload; an upload past it gets
	// Graph's 507 quotaLimitReached. 0 means DefaultBackupQuota (Server.SetBackupQuota changes
	// it later).
	BackupQuota int64
	// PendingPerTenant and PendingTotal cap the sign-ins waiting for a person, per tenant and
	// over all tenants, counted apart for authorize flows and device codes: past a cap the oldest
	// is forgotten, and its later use is answered as Entra answers an expired one. 0 means 1024
	// and 4096.
	PendingPerTenant int
	PendingTotal     int
}

// CheckPublicURL says what is wrong with a public URL for Config.PublicURL, or returns it
// without a trailing "/": an absolute http or https URL of an origin, with no path beyond "/",
// no query, fragment or user information.
func CheckPublicURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", fmt.Errorf("public URL %q is not a URL: %w", raw, err)
	case u.Scheme != "https" && u.Scheme != "http" || u.Opaque != "":
		return "", fmt.Errorf("public URL %q: want an absolute http or https URL, like https://login.oobe.test", raw)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("public URL %q has no host", raw)
	case u.User != nil:
		return "", fmt.Errorf("public URL %q carries user information; drop the user@ part", raw)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return "", fmt.Errorf("public URL %q has a query or fragment; give the origin only", raw)
	case u.Path != "" && u.Path != "/":
		return "", fmt.Errorf("public URL %q has the path %s: the simulator serves Entra's paths from the root, so give the origin only (a proxy must forward the root)", raw, u.Path)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("public URL %q: port %s is not a port", raw, p)
		}
	}
	return u.Scheme + "://" + u.Host, nil
}

// cloudInfo is what discovery says about the tenant's national cloud.
type cloudInfo struct {
	instance    string
	regionScope string
}

var cloudInfos = map[string]cloudInfo{
	"global":   {instance: "microsoftonline.com", regionScope: "WW"},
	"gcch":     {instance: "microsoftonline.us", regionScope: "USGov"},
	"21vianet": {instance: "partner.microsoftonline.cn", regionScope: "AS"},
}

// tenantState is a served tenant with its lookup tables and live signing keys.
type tenantState struct {
	t     *Tenant
	id    string // lower-case GUID, as it appears in issuers and tid claims
	cloud cloudInfo
	keys  *keySet
	users map[string]*User // by lower-case UPN
	oids  map[string]*User // by lower-case object id
}

func (ts *tenantState) userByUPN(upn string) *User { return ts.users[strings.ToLower(upn)] }

// appRef is an app registration and the tenant that owns it.
type appRef struct {
	ts  *tenantState
	app *App
}

// Server is the simulated Microsoft cloud: every tenant's issuer, the sign-in pages and the Graph-shaped API.
type Server struct {
	clock    clock.Clock
	rand     *randSource
	log      *slog.Logger
	interval time.Duration
	expiry   time.Duration
	faults   *Faults

	accessTokenLifetime time.Duration
	sharedKeys          []*rsa.PrivateKey

	tenants  []*tenantState
	byID     map[string]*tenantState
	byDomain map[string]*tenantState
	apps     map[string]appRef // by lower-case client id

	handler http.Handler

	baseMu     sync.RWMutex
	base       string
	baseHost   string // base's host[:port], host name and port, for hostAllowed
	baseName   string
	basePort   string
	baseOK     bool   // base parses as a URL
	bound      net.IP // the address Start listens on; nil with a caller's own listener
	listenPort string // the port Start listens on; "" with a caller's own listener
	listenURL  string

	tls       *tls.Config
	publicURL string

	mu        sync.Mutex // guards the grant stores below
	flows     map[string]*authFlow
	codes     map[string]*authCode
	devices   map[string]*deviceGrant // by device_code
	userCodes map[string]*deviceGrant // by user_code
	refresh   map[string]*refreshGrant
	passwords map[string]string // by "tid/oid": passwords changed since the fixture (changePassword)
	tapUsed   map[string]bool   // by "tid/oid": one-time Temporary Access Passes already used
	deviceMFA map[string]*deviceMFA
	lastSweep time.Time

	// Bounds on the state above (bounds.go): arrival order of pending authorize flows, live
	// device codes and retired ones, for evicting the oldest; each map's high water mark.
	flowOrder        *arrivals
	deviceOrder      *arrivals
	deviceRetired    *arrivals
	pendingPerTenant int
	pendingTotal     int
	high             highWater
	lastEvictLog     time.Time
	maxConns         int

	lockouts lockouts // smart lockout: failed sign-ins per user (lockout.go)

	srvMu     sync.Mutex
	httpSrv   *http.Server
	listener  *limitListener
	stopSweep chan struct{}

	bearers bearerCache // Graph bearer tokens already verified

	store     tenantStore // the mutable state: sqliteStore with a data directory, memStore without
	pageKey   []byte      // signs $skiptoken cursors; kept in the database so links survive a restart
	closeOnce sync.Once
}

// New checks the tenants, generates keys for those that have none, and builds the server.
// It does not listen: use Start, or Handler with an httptest server and SetBaseURL.
func New(cfg Config) (*Server, error) {
	if len(cfg.Tenants) == 0 {
		return nil, errors.New("starting the simulated tenant: no tenants given; load fixtures (for example fixtures.Demo()) first")
	}
	s := &Server{
		clock:     cfg.Clock,
		log:       cfg.Logger,
		interval:  cfg.DeviceCodeInterval,
		expiry:    cfg.DeviceCodeExpiry,
		faults:    &Faults{},
		byID:      map[string]*tenantState{},
		byDomain:  map[string]*tenantState{},
		apps:      map[string]appRef{},
		flows:     map[string]*authFlow{},
		codes:     map[string]*authCode{},
		devices:   map[string]*deviceGrant{},
		userCodes: map[string]*deviceGrant{},
		refresh:   map[string]*refreshGrant{},
		passwords: map[string]string{},
		tapUsed:   map[string]bool{},
		deviceMFA: map[string]*deviceMFA{},

		flowOrder:        newArrivals(),
		deviceOrder:      newArrivals(),
		deviceRetired:    newArrivals(),
		pendingPerTenant: cfg.PendingPerTenant,
		pendingTotal:     cfg.PendingTotal,
		maxConns:         cfg.MaxConnections,
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"MaxConnections", cfg.MaxConnections}, {"PendingPerTenant", cfg.PendingPerTenant}, {"PendingTotal", cfg.PendingTotal}} {
		if c.n < 0 {
			return nil, fmt.Errorf("starting the simulated tenant: %s %d is negative: give 0 for the default, or a positive cap", c.name, c.n)
		}
	}
	if s.pendingPerTenant == 0 {
		s.pendingPerTenant = defaultPendingPerTenant
	}
	if s.pendingTotal == 0 {
		s.pendingTotal = defaultPendingTotal
	}
	if s.maxConns == 0 {
		s.maxConns = defaultMaxConnections
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	s.rand = &randSource{r: r}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.interval <= 0 {
		s.interval = defaultDeviceCodeInterval
	}
	if s.expiry <= 0 {
		s.expiry = defaultDeviceCodeExpiry
	}
	switch lt := cfg.AccessTokenLifetime; {
	case lt == 0:
		s.accessTokenLifetime = tokenLifetime
	case lt < time.Second:
		return nil, fmt.Errorf("starting the simulated tenant: AccessTokenLifetime %v is not a lifetime: give 0 for Entra's hour, or at least 1s", lt)
	default:
		s.accessTokenLifetime = lt.Truncate(time.Second) // exp and expires_in are whole seconds
	}
	if err := checkSharedKeys(cfg.Keys); err != nil {
		return nil, fmt.Errorf("starting the simulated tenant: %w", err)
	}
	s.sharedKeys = cfg.Keys
	for i, t := range cfg.Tenants {
		ts, err := s.addTenant(t)
		if err != nil {
			return nil, fmt.Errorf("starting the simulated tenant: tenant %d: %w", i, err)
		}
		s.tenants = append(s.tenants, ts)
	}
	if err := s.openState(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("starting the simulated tenant: %w", err)
	}
	if cfg.TLS != nil {
		if len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetCertificate == nil && cfg.TLS.GetConfigForClient == nil {
			return nil, errors.New("starting the simulated tenant: the TLS configuration has no certificate")
		}
		s.tls = cfg.TLS.Clone()
	}
	if cfg.PublicURL != "" {
		pub, err := CheckPublicURL(cfg.PublicURL)
		if err != nil {
			return nil, fmt.Errorf("starting the simulated tenant: %w", err)
		}
		s.publicURL = pub
	}
	if cfg.BackupQuota < 0 {
		return nil, fmt.Errorf("starting the simulated tenant: Config.BackupQuota %d is negative", cfg.BackupQuota)
	}
	s.SetBackupQuota(cfg.BackupQuota)
	s.handler = s.routes()
	return s, nil
}

// openState opens the tenants' state — the database in dir, or a new in-memory store when dir
// is "" — and seeds the tenants it has never seen from their fixtures.
func (s *Server) openState(dir string) error {
	// The seeds first: a fixture whose backups cannot be made refuses the start before any
	// database file is created.
	seeds := make([]tenantSeed, 0, len(s.tenants))
	for _, ts := range s.tenants {
		seed := tenantSeed{TenantID: ts.id, RestorePage: ts.t.RestorePage, Backups: map[string][]storedSetting{}}
		if seed.RestorePage == "" {
			seed.RestorePage = RestoreNotConfigured
		}
		for i := range ts.t.Users {
			u := &ts.t.Users[i]
			settings, err := fixtureBackupsCached(ts.id, u)
			if err != nil {
				return fmt.Errorf("%s: %w", ts.t.Name, err)
			}
			if len(settings) > 0 {
				seed.Backups[strings.ToLower(u.ObjectID)] = settings
			}
		}
		seeds = append(seeds, seed)
	}
	var st tenantStore = newMemStore()
	if dir != "" {
		db, err := openStore(dir)
		if err != nil {
			return err
		}
		st = db
	}
	ctx := context.Background()
	var err error
	s.pageKey, err = st.secret(ctx, "skiptoken-key", func() ([]byte, error) { return s.rand.read(32) })
	if err != nil {
		st.close()
		return fmt.Errorf("tenant database: creating the paging key: %w", err)
	}
	now := s.clock.Now()
	for _, seed := range seeds {
		seeded, err := st.seed(ctx, seed, now)
		if err != nil {
			st.close()
			return err
		}
		if seeded && dir != "" {
			s.log.Info("tenant seeded from its fixture", "tenant", seed.TenantID, "data", dir)
		}
	}
	s.store = st
	return nil
}

// Close releases the tenant database; later calls do nothing. Call it after Shutdown: the
// server answers requests that reach it afterwards with 500s.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.store != nil {
			if e := s.store.close(); e != nil {
				err = fmt.Errorf("closing the tenant database: %w", e)
			}
		}
	})
	return err
}

func (s *Server) addTenant(t *Tenant) (*tenantState, error) {
	if t == nil {
		return nil, errors.New("tenant is nil")
	}
	where := t.Source
	if where == "" {
		where = t.Name
	}
	if !IsGUID(t.ID) {
		return nil, fmt.Errorf("%s: tenant id %q is not a GUID", where, t.ID)
	}
	id := strings.ToLower(t.ID)
	if _, dup := s.byID[id]; dup {
		return nil, fmt.Errorf("%s: tenant id %s is served twice; give each tenant its own GUID", where, id)
	}
	ci, ok := cloudInfos[t.Cloud]
	if !ok {
		if t.Cloud != "" {
			return nil, fmt.Errorf("%s: cloud %q is not one of global, gcch, 21vianet", where, t.Cloud)
		}
		ci = cloudInfos["global"]
	}
	if t.RestorePage != "" && !slices.Contains(RestorePageStates(), t.RestorePage) {
		return nil, fmt.Errorf("%s: restorePage %q is not one of %s", where, t.RestorePage, strings.Join(RestorePageStates(), ", "))
	}
	ts := &tenantState{t: t, id: id, cloud: ci, users: map[string]*User{}, oids: map[string]*User{}}
	for i := range t.Users {
		u := &t.Users[i]
		ts.users[strings.ToLower(u.UPN)] = u
		ts.oids[strings.ToLower(u.ObjectID)] = u
	}
	for i := range t.Apps {
		a := &t.Apps[i]
		cid := strings.ToLower(a.ClientID)
		if !IsGUID(cid) {
			return nil, fmt.Errorf("%s: app %q clientId %q is not a GUID", where, a.Name, a.ClientID)
		}
		if _, err := newConsentSet(a.Permissions); err != nil {
			return nil, fmt.Errorf("%s: app %q: %w", where, a.Name, err)
		}
		if _, err := newAppConsentSet(a.ApplicationPermissions); err != nil {
			return nil, fmt.Errorf("%s: app %q: %w", where, a.Name, err)
		}
		if prev, dup := s.apps[cid]; dup {
			return nil, fmt.Errorf("%s: app clientId %s is already registered in tenant %s", where, cid, prev.ts.id)
		}
		s.apps[cid] = appRef{ts: ts, app: a}
	}
	for _, d := range t.Domains {
		s.byDomain[strings.ToLower(d)] = ts
	}
	privs := append([]*rsa.PrivateKey(nil), t.Keys...)
	if len(privs) == 0 {
		privs = append(privs, s.sharedKeys...)
	}
	// Entra always publishes several keys, so a tenant given fewer than two gets the rest generated.
	for len(privs) < 2 {
		p, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("%s: generating a signing key: %w", where, err)
		}
		privs = append(privs, p)
	}
	ks, err := newKeySet(privs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	ts.keys = ks
	s.byID[id] = ts
	return ts, nil
}

// Handler returns the HTTP handler serving every endpoint; mount it at the root of the base URL.
func (s *Server) Handler() http.Handler { return s.handler }

// SetBaseURL tells the server the URL it is reached at (for example an httptest server's URL);
// issuers, endpoints and the device-code message are built from it.
func (s *Server) SetBaseURL(u string) {
	base := strings.TrimRight(u, "/")
	host, name, port := "", "", ""
	pu, err := url.Parse(base)
	if err == nil {
		host, name, port = pu.Host, pu.Hostname(), pu.Port()
	}
	s.baseMu.Lock()
	s.base, s.baseHost, s.baseName, s.basePort, s.baseOK = base, host, name, port, err == nil
	s.baseMu.Unlock()
}

// URL returns the base URL, or "" before Start or SetBaseURL.
func (s *Server) URL() string {
	s.baseMu.RLock()
	defer s.baseMu.RUnlock()
	return s.base
}

// Authority returns the Entra-style authority URL of a tenant: the base URL and the tenant id.
func (s *Server) Authority(tenantID string) string { return s.URL() + "/" + tenantID }

// Tenants returns copies of the served tenants, with the keys currently published (signer first).
func (s *Server) Tenants() []*Tenant {
	out := make([]*Tenant, 0, len(s.tenants))
	for _, ts := range s.tenants {
		c := *ts.t
		c.Keys = nil
		for _, k := range ts.keys.published() {
			c.Keys = append(c.Keys, k.priv)
		}
		out = append(out, &c)
	}
	return out
}

// Faults returns the fault-injection hook shared by every endpoint.
func (s *Server) Faults() *Faults { return s.faults }

// Start listens on addr ("" means 127.0.0.1:0, a free loopback port) and serves in the background,
// over https when Config.TLS is set. It returns the base URL: Config.PublicURL when set, else
// the address it listens on.
// Binding a non-loopback address is the caller's choice: the simulator then answers anyone who can reach it.
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	if s.httpSrv != nil {
		return "", errors.New("starting the simulated tenant: it is already serving; call Shutdown first")
	}
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("starting the simulated tenant on %s: %w (pick another --addr, or port 0 for a free one)", addr, err)
	}
	ln := newLimitListener(raw, s.maxConns, s.log)
	tcp := ln.Addr().(*net.TCPAddr)
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1" // a wildcard bind is still reached on loopback from this machine
	}
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
	}
	listen := scheme + "://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
	base := listen
	if s.publicURL != "" {
		base = s.publicURL
	}
	s.SetBaseURL(base)
	s.baseMu.Lock()
	s.bound, s.listenPort, s.listenURL = tcp.IP, fmt.Sprint(tcp.Port), listen
	s.baseMu.Unlock()
	srv := &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.tls, // ServeTLS clones it and offers h2 and http/1.1
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.httpSrv = srv
	s.listener = ln
	stop := make(chan struct{})
	s.stopSweep = stop
	go s.sweepEvery(time.Minute, stop)
	go func() {
		var err error
		if s.tls != nil {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("simulated tenant stopped serving", "err", err)
		}
	}()
	s.log.Info("simulated tenant serving", "url", base, "listen", listen, "max_connections", s.maxConns)
	return base, nil
}

// sweepEvery runs the expiry sweep each period of wall time until stop closes, so what can no
// longer be redeemed is freed while no request comes; what expired is judged on the clock.
func (s *Server) sweepEvery(period time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.sweep()
		case <-stop:
			return
		}
	}
}

// ListenURL is where Start listens (https://127.0.0.1:PORT), which differs from URL behind a
// reverse proxy; "" before Start.
func (s *Server) ListenURL() string {
	s.baseMu.RLock()
	defer s.baseMu.RUnlock()
	return s.listenURL
}

// Shutdown stops a server started with Start, waiting for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.srvMu.Lock()
	srv := s.httpSrv
	s.httpSrv = nil
	if s.stopSweep != nil {
		close(s.stopSweep)
		s.stopSweep = nil
	}
	s.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("stopping the simulated tenant: %w", err)
	}
	return nil
}

// baseURL is the configured base URL, or one derived from the request when none was set
// (a plain Handler mounted without SetBaseURL still answers consistently).
func (s *Server) baseURL(r *http.Request) string {
	if b := s.URL(); b != "" {
		return b
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// issuer is the tenant's v2.0 issuer URL.
func (s *Server) issuer(r *http.Request, ts *tenantState) string {
	return s.baseURL(r) + "/" + ts.id + "/v2.0"
}

// isMultiTenantSegment reports the authority segments whose tenant is decided by the app or the user.
func isMultiTenantSegment(seg string) bool {
	seg = strings.ToLower(seg)
	return seg == "common" || seg == "organizations"
}

// tenantBySegment resolves an authority path segment: a tenant GUID or one of its domains.
func (s *Server) tenantBySegment(seg string) *tenantState {
	seg = strings.ToLower(seg)
	if ts := s.byID[seg]; ts != nil {
		return ts
	}
	return s.byDomain[seg]
}

// tenantByID finds a tenant by GUID only, as token claims name it.
func (s *Server) tenantByID(id string) *tenantState { return s.byID[strings.ToLower(id)] }

// appByID finds an app registration in any tenant.
func (s *Server) appByID(clientID string) (appRef, bool) {
	a, ok := s.apps[strings.ToLower(clientID)]
	return a, ok
}

// resolveClient finds the tenant a protocol request is for: the path's tenant, or under /common and
// /organizations the tenant that registered the app. It fails the way Entra does for each mismatch.
func (s *Server) resolveClient(seg, clientID string) (*tenantState, *App, *entraError) {
	var ts *tenantState
	if !isMultiTenantSegment(seg) {
		ts = s.tenantBySegment(seg)
		if ts == nil {
			return nil, nil, errUnknownTenant(seg)
		}
	}
	if clientID == "" {
		return ts, nil, errMissingParam("client_id")
	}
	ref, ok := s.appByID(clientID)
	if !ok || (ts != nil && ref.ts != ts) {
		name := "the directory"
		if ts != nil {
			name = ts.t.Name
		}
		return ts, nil, errUnknownClient(clientID, name)
	}
	return ref.ts, ref.app, nil
}
