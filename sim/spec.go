package sim

import (
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/localca"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/device"
)

// Spec is a world to build: who is in the tenant, the device being set up, what the user's old
// PC backed up, what fails, and how time runs. Only Tenants is required.
type Spec struct {
	// Tenants are served by one simulated tenant. The tenant reads them for its whole life:
	// do not change them after Start.
	Tenants []*Tenant
	// Tenant names the tenant devices sign in to, by id or name; "" is the first.
	Tenant string
	// ClientID is the public client app the devices sign in with; "" is the tenant's first
	// public app.
	ClientID string
	// User is the UPN that Approve and the old PC sign in as, with the tenant's password for
	// them; "" when no one signs in by themselves.
	User string

	// Device is the device being set up, written to a device directory before Start returns;
	// nil makes a world without one (a sign-in, a backup or restore of the caller's own device).
	Device *device.State
	// OldPC, when set, backs up on Windows' 8-day schedule for its Days before Start.
	OldPC *OldPC
	// AdminDelete, when set, has an admin delete every backup of User after the old PC's
	// backups, before setup starts.
	AdminDelete *AdminDelete
	// Start is when setup starts; zero is the wall clock's now.
	Start time.Time
	// Clock is how the world's time runs.
	Clock Clock

	// Autopilot is the Autopilot profile the device downloads.
	Autopilot Autopilot
	// WiFi are the Wi-Fi networks in range, offered after Ethernet, each with the key its
	// access point takes.
	WiFi []WiFi
	// Faults are what fails, in the flow and at the tenant.
	Faults Faults
	// FirstSignIn has the flow go on past the desktop to the user's first sign-in after
	// enrollment (oobe.Config.FirstSignIn).
	FirstSignIn bool

	// Keys sign for every tenant without keys of its own (DemoKeys, in replays); nil lets the
	// tenant generate two.
	Keys []*rsa.PrivateKey
	// Rand feeds the tenant's codes and ids; nil is crypto/rand. A seeded stream makes runs repeat.
	Rand io.Reader
	// DeviceCodeInterval is the polling interval the tenant hands out; 0 is 5 s.
	DeviceCodeInterval time.Duration
	// DataDir keeps the tenant's state across worlds (tenant.Config.DataDir); "" keeps it in memory.
	DataDir string
	// Logger receives the tenant's request log; nil discards it.
	Logger *slog.Logger

	// Addr, when set, serves the tenant as oobe serve does — on that address, with timeouts,
	// stopped gracefully by Close — for a person or another program to reach. "" serves it on
	// a free loopback port for the world's own clients, closed at once by Close.
	Addr string
	// TLS, when set, serves the tenant over https, and the world's clients trust its CA alone.
	TLS *TLS
	// Dir holds the device directories; "" makes a temporary directory that Close removes.
	Dir string
	// Wrap, when set, wraps the HTTP transport of the world's clients (tests, benchmarks).
	Wrap func(http.RoundTripper) http.RoundTripper
	// Observe, when set, is told the world's own events as they happen (the old PC's backups),
	// on StageOldPC: they come before the flow's.
	Observe func(oobe.Event)
}

// WiFi is a Wi-Fi network in range and the passphrase its access point takes: joining it
// with another is refused as Windows refuses it (oobe.ErrWrongNetworkKey). An open network,
// or a secured one with Passphrase "", takes any key.
type WiFi struct {
	oobe.Network
	Passphrase string
}

// StageOldPC is the stage of the world's own events: the old PC's sign-in and backups.
const StageOldPC oobe.Stage = "oldPC"

// OldPC is a previous PC that backs up on Windows' 8-day schedule for Days before setup starts.
type OldPC struct {
	Device device.State
	Days   int
}

// Autopilot is the Autopilot profile the device downloads.
type Autopilot struct {
	DeviceNameTemplate string
	ESPTimeout         time.Duration // 0: the engine's default, 60 minutes
}

// Faults are the engine's faults and the tenant's.
type Faults struct {
	Engine oobe.Faults
	// Endpoints are added to the tenant's fault list before setup, in order.
	Endpoints []Fault
	// AccessTokenLifetime, when set, is how long the tenant's access tokens live.
	AccessTokenLifetime time.Duration
}

// Clock is how a world's time runs.
type Clock struct {
	// Mode is Virtual (the zero value), Paced, Held or Wall.
	Mode ClockMode
	// Speed is how many times faster than a real PC the setup's own waits pass in a Paced
	// world; below 1 counts as 1.
	Speed float64
}

// ClockMode is how a world's clock runs.
type ClockMode int

const (
	// Virtual time never sleeps: a headless replay of hours takes milliseconds and always sees
	// the same instants.
	Virtual ClockMode = iota
	// Paced is for a person at the screen: the old PC's history in no time, then the tenant and
	// the sign-in on the wall clock, the setup's own waits Speed times faster.
	Paced
	// Held is virtual time for a person at the screen (tests of the interactive runs): nothing
	// waits for real, and a device code's polls wait until someone posts to the tenant's
	// device sign-in page through the world's clients (Approve does), so the code cannot
	// expire in the instant before they act. A code nobody acts on waits until ctx ends.
	Held
	// Wall is the wall clock from the start, as oobe serve's tenant runs: for a person or a
	// program signing in from outside the world. Spec.Start and Spec.OldPC do not apply.
	Wall
)

// TLS is what worlds served over https share: one server certificate for 127.0.0.1 and the CA
// that issued it. Make it once: a certificate costs a key and a signature, a handshake only a
// signature.
type TLS struct {
	server *tls.Config
	client *tls.Config
}

// NewTLS issues a certificate for 127.0.0.1 from ca.
func NewTLS(ca *localca.CA) (*TLS, error) {
	server, err := ca.ServerTLS()
	if err != nil {
		return nil, fmt.Errorf("the simulated tenant's server certificate: %w", err)
	}
	return &TLS{server: server, client: ca.ClientTLS()}, nil
}

// check says what is wrong with the spec, naming the field, and returns the tenant chosen
// and the user who signs in (nil without Spec.User).
func (s *Spec) check() (*Tenant, *User, error) {
	if len(s.Tenants) == 0 {
		return nil, nil, errors.New("sim: Spec.Tenants is empty: a world needs a tenant to sign in to")
	}
	var t *Tenant
	if s.Tenant == "" {
		t = s.Tenants[0]
	}
	var names []string
	for _, c := range s.Tenants {
		if c == nil {
			return nil, nil, errors.New("sim: Spec.Tenants holds a nil tenant")
		}
		if t == nil && (strings.EqualFold(c.ID, s.Tenant) || strings.EqualFold(c.Name, s.Tenant)) {
			t = c
		}
		names = append(names, c.Name)
	}
	if t == nil {
		return nil, nil, fmt.Errorf("sim: Spec.Tenant %q is none of Spec.Tenants (%s)", s.Tenant, strings.Join(names, ", "))
	}
	var u *User
	if s.User != "" {
		for i := range t.Users {
			if strings.EqualFold(t.Users[i].UPN, s.User) {
				u = &t.Users[i]
			}
		}
		if u == nil {
			return nil, nil, fmt.Errorf("sim: Spec.User %q is not a user of tenant %s", s.User, t.Name)
		}
	}
	if s.ClientID == "" && s.Device != nil && publicClient(t) == "" {
		return nil, nil, fmt.Errorf("sim: Spec.ClientID is empty and tenant %s has no public client app to sign in with", t.Name)
	}
	if s.OldPC != nil {
		switch {
		case s.OldPC.Days < 1:
			return nil, nil, fmt.Errorf("sim: Spec.OldPC.Days %d: the old PC backs up over 1 day or more", s.OldPC.Days)
		case u == nil:
			return nil, nil, errors.New("sim: Spec.OldPC needs Spec.User, who signs in on it")
		}
	}
	if d := s.AdminDelete; d != nil {
		switch {
		case u == nil:
			return nil, nil, errors.New("sim: Spec.AdminDelete needs Spec.User, whose backups the admin deletes")
		case !slices.ContainsFunc(t.Users, func(a User) bool { return strings.EqualFold(a.UPN, d.Admin) }):
			return nil, nil, fmt.Errorf("sim: Spec.AdminDelete.Admin %q is not a user of tenant %s", d.Admin, t.Name)
		case s.Clock.Mode == Wall:
			return nil, nil, errors.New("sim: Spec.AdminDelete happens before Spec.Start: it needs another clock mode than Wall")
		}
	}
	switch m := s.Clock.Mode; {
	case m < Virtual || m > Wall:
		return nil, nil, fmt.Errorf("sim: Spec.Clock.Mode %d is not Virtual, Paced, Held or Wall", m)
	case m == Wall && (s.OldPC != nil || !s.Start.IsZero()):
		return nil, nil, errors.New("sim: Spec.Clock.Mode Wall runs from now: Spec.Start and Spec.OldPC need another mode")
	case m == Paced && s.Clock.Speed < 0:
		return nil, nil, fmt.Errorf("sim: Spec.Clock.Speed %v is negative", s.Clock.Speed)
	}
	if err := oobe.ValidateNameTemplate(s.Autopilot.DeviceNameTemplate); err != nil {
		return nil, nil, fmt.Errorf("sim: Spec.Autopilot.DeviceNameTemplate: %w", err)
	}
	if s.Autopilot.ESPTimeout < 0 {
		return nil, nil, fmt.Errorf("sim: Spec.Autopilot.ESPTimeout %s is negative", s.Autopilot.ESPTimeout)
	}
	if err := s.Faults.Engine.Validate(); err != nil {
		return nil, nil, fmt.Errorf("sim: Spec.Faults.Engine: %w", err)
	}
	for i, f := range s.Faults.Endpoints {
		if err := CheckFault(f); err != nil {
			return nil, nil, fmt.Errorf("sim: Spec.Faults.Endpoints[%d]: %w", i, err)
		}
	}
	if s.Faults.AccessTokenLifetime < 0 {
		return nil, nil, fmt.Errorf("sim: Spec.Faults.AccessTokenLifetime %s is negative", s.Faults.AccessTokenLifetime)
	}
	return t, u, nil
}

// publicClient is a tenant's first public client app, or "".
func publicClient(t *Tenant) string {
	for _, a := range t.Apps {
		if a.Public {
			return a.ClientID
		}
	}
	return ""
}
