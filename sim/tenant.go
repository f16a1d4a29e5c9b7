package sim

import (
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"crypto/rsa"

	"go.yaml.in/yaml/v3"

	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/tenant"
)

// The tenant's types a Spec is written in, so that its callers need not import the tenant
// (the other side of the wire) themselves.
type (
	// Tenant is one simulated Entra tenant: its apps, users and their backups.
	Tenant = tenant.Tenant
	// User is a tenant's user.
	User = tenant.User
	// ConditionalAccess is a tenant's Conditional Access policy for the restore app.
	ConditionalAccess = tenant.ConditionalAccess
	// UserConditionalAccess overrides the tenant's policy for one user.
	UserConditionalAccess = tenant.UserConditionalAccess
	// BackupContent is what a fixture backup holds.
	BackupContent = tenant.BackupContent
	// Fault is one failure injected at a tenant endpoint.
	Fault = tenant.Fault
	// FaultKind is what a Fault does.
	FaultKind = tenant.FaultKind
	// FixtureError names the file and line of a broken tenant.
	FixtureError = tenant.FixtureError
)

// Fault kinds.
const (
	FaultDelay       = tenant.FaultDelay
	FaultThrottle    = tenant.FaultThrottle
	FaultServerError = tenant.FaultServerError
	FaultDrop        = tenant.FaultDrop
	FaultSlowDown    = tenant.FaultSlowDown
)

// FaultEndpoints lists the endpoints a Fault may name.
func FaultEndpoints() []string { return tenant.FaultEndpoints() }

// ParseFaultKind reads a fault kind's name (throttle, server_error…).
func ParseFaultKind(name string) (FaultKind, error) { return tenant.ParseFaultKind(name) }

// CheckFault says what is wrong with a fault, as the tenant would refuse it.
func CheckFault(f Fault) error { return tenant.CheckFault(f) }

// RestorePageStates lists the tenant's "Show restore page" states.
func RestorePageStates() []string { return tenant.RestorePageStates() }

// ParseTenantNode reads a tenant written inside another YAML document (a scenario's own
// tenant): n has a tenant file's keys, and errors are *FixtureError naming file and n's lines.
func ParseTenantNode(file string, n *yaml.Node) (*Tenant, error) {
	return tenant.ParseTenantNode(file, n, nil)
}

var demoTenants = sync.OnceValues(func() ([]*Tenant, error) { return tenant.LoadFixtures(fixtures.Demo()) })

// DemoTenants returns the embedded demo tenants (Contoso…), loaded once: do not change the
// tenants; the slice is a fresh copy each call.
func DemoTenants() ([]*Tenant, error) {
	ts, err := demoTenants()
	return slices.Clone(ts), err // the tenants are shared and read-only; the slice is the caller's
}

// DemoKeys are the demo tenant's fixture signing keys, parsed once: a world whose tenant has no
// keys of its own signs with them (Spec.Keys), so a thousand worlds do not generate two
// thousand RSA keys.
var DemoKeys = sync.OnceValues(func() ([]*rsa.PrivateKey, error) {
	var keys []*rsa.PrivateKey
	for _, name := range []string{"keys/contoso-1.pem", "keys/contoso-2.pem"} {
		data, err := fs.ReadFile(fixtures.Demo(), name)
		if err != nil {
			return nil, err
		}
		k, err := tenant.ParseRSAKey(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
})
