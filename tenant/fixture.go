package tenant

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/mail"
	"net/url"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/oobe-dev/oobe/internal/guid"
	"github.com/oobe-dev/oobe/internal/yamlnode"
)

// Tenant is one simulated Entra tenant as a fixture file describes it.
type Tenant struct {
	ID      string   `yaml:"id"`
	Name    string   `yaml:"name"`
	Domains []string `yaml:"domains"`
	Cloud   string   `yaml:"cloud"`
	// RestorePage is Intune's "Show restore page" (windowsRestoreDeviceEnrollmentConfiguration
	// state): notConfigured (the default), enabled or disabled.
	RestorePage string `yaml:"restorePage"`
	// ConditionalAccess is what the tenant's Conditional Access policies do to the restore apps;
	// users may override it (User.ConditionalAccess).
	ConditionalAccess ConditionalAccess `yaml:"conditionalAccess"`
	// Lockout is the tenant's smart lockout; nil means Entra's default, 10 failed sign-ins lock
	// the account for 60 s.
	Lockout *Lockout `yaml:"lockout"`

	Apps    []App    `yaml:"-"`
	Users   []User   `yaml:"-"`
	Devices []Device `yaml:"-"`
	// Keys are the tenant's signing keys in publication order; the first signs.
	Keys []*rsa.PrivateKey `yaml:"-"`
	// Source is the fixture file the tenant came from, for messages.
	Source string `yaml:"-"`

	// idLine and appLines are where the tenant id and each app's clientId are written, so a
	// clash between files can name the line.
	idLine   int
	appLines []int
}

// App is an app registration a client signs in with.
type App struct {
	Name         string   `yaml:"name"`
	ClientID     string   `yaml:"clientId"`
	Public       bool     `yaml:"public"`
	Secret       string   `yaml:"secret"`
	RedirectURIs []string `yaml:"redirectUris"`
	// Permissions are the delegated permissions consented for the app (by the tenant's admin, or
	// its users), by resource: graph (Microsoft Graph) or a restore app's id. A token grant for
	// anything else is refused with AADSTS65001, and "{resource}/.default" grants all of them.
	// nil means Entra's default for a new registration: Graph's User.Read.
	Permissions map[string][]string `yaml:"permissions"`
	// ApplicationPermissions are the app roles an admin consented for a confidential client, by
	// resource as Permissions: its client_credentials tokens carry them in roles.
	ApplicationPermissions map[string][]string `yaml:"applicationPermissions"`
}

// User is a work account in the tenant.
type User struct {
	UPN         string `yaml:"upn"`
	DisplayName string `yaml:"displayName"`
	Password    string `yaml:"password"`
	ObjectID    string `yaml:"objectId"`
	// Admin makes the user an Intune and backup administrator: they may change the restore
	// page setting, delete users' backups and read restore results.
	Admin bool `yaml:"admin"`
	// Roles are the user's directory roles, by name (DirectoryRoleNames): Global Administrator,
	// Intune Administrator, Microsoft 365 Backup Administrator. Tokens carry them in wids.
	Roles []string `yaml:"roles"`
	// Backups are the user's previous PCs, one per source device.
	Backups []Backup `yaml:"-"`
	// GenerateBackups adds that many generated previous PCs (deterministic, for paging tests
	// and benchmarks), at most MaxGeneratedBackups.
	GenerateBackups int `yaml:"generateBackups"`
	// ConditionalAccess overrides the tenant's Conditional Access for this user; nil keeps it.
	ConditionalAccess *UserConditionalAccess `yaml:"conditionalAccess"`
	// MFA are the user's authentication methods beyond the password; nil: a password only.
	MFA *MFAMethods `yaml:"mfa"`
}

// Device is a device object as Graph's /devices returns it.
type Device struct {
	DeviceID               string `yaml:"deviceId"`
	DisplayName            string `yaml:"displayName"`
	TrustType              string `yaml:"trustType"`
	OperatingSystem        string `yaml:"operatingSystem"`
	OperatingSystemVersion string `yaml:"operatingSystemVersion"`
}

// fixtureFile is the on-disk shape of one tenant file.
type fixtureFile struct {
	Tenant  Tenant        `yaml:"tenant"`
	Keys    []string      `yaml:"keys"`
	Apps    []App         `yaml:"apps"`
	Users   []fixtureUser `yaml:"users"`
	Devices []Device      `yaml:"devices"`
}

// fixtureUser is a user as written in a file: its backups keep their times as text until they
// are checked, so a bad time is reported with its line.
type fixtureUser struct {
	User    `yaml:",inline"`
	Backups []fixtureBackup `yaml:"backups"`
}

// FixtureError names the file and line of a broken fixture and what is wrong with it.
type FixtureError struct {
	File string
	Line int // 0 when the problem is the whole file
	Msg  string
}

func (e *FixtureError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

var (
	domainRE     = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$`)
	trustTypes   = map[string]bool{"AzureAd": true, "ServerAd": true, "Workplace": true}
	clouds       = map[string]bool{"global": true, "gcch": true, "21vianet": true}
	versionRE    = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
	minKeyBits   = 2048
	maxKeyFileSz = 64 << 10
)

// IsGUID reports whether s is a GUID in its 8-4-4-4-12 hex form.
func IsGUID(s string) bool { return guid.Valid(s) }

// LoadFixtures reads every *.yaml and *.yml tenant file at the top of fsys, in name order.
// It refuses the whole set on the first broken file, with the file, line and problem.
func LoadFixtures(fsys fs.FS) ([]*Tenant, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading fixtures: %w", err)
	}
	var names []string
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, errors.New("fixtures: no tenant files (*.yaml) found")
	}
	var tenants []*Tenant
	ids := map[string]string{}
	clientIDs := map[string]string{}
	for _, name := range names {
		data, err := readCapped(fsys, name, MaxFixtureBytes)
		if err != nil {
			return nil, &FixtureError{File: name, Msg: err.Error()}
		}
		t, err := ParseTenant(name, data, func(p string) ([]byte, error) {
			return readKeyFile(fsys, path.Join(path.Dir(name), p))
		})
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(t.ID)
		if prev, ok := ids[key]; ok {
			return nil, &FixtureError{File: name, Line: t.idLine, Msg: fmt.Sprintf("tenant.id %s is already used by %s", t.ID, prev)}
		}
		ids[key] = fmt.Sprintf("%s:%d", name, t.idLine)
		for i, a := range t.Apps {
			k := strings.ToLower(a.ClientID)
			line := 0
			if i < len(t.appLines) {
				line = t.appLines[i]
			}
			if prev, ok := clientIDs[k]; ok {
				return nil, &FixtureError{File: name, Line: line, Msg: fmt.Sprintf("apps[%d].clientId %s is already registered in %s", i, a.ClientID, prev)}
			}
			clientIDs[k] = fmt.Sprintf("%s:%d", name, line)
		}
		tenants = append(tenants, t)
	}
	return tenants, nil
}

func readKeyFile(fsys fs.FS, p string) ([]byte, error) {
	return readCapped(fsys, p, maxKeyFileSz)
}

// MaxFixtureBytes caps a tenant fixture file: the demo tenants are a few KiB, and a tenant
// of thousands of users and backups a few MiB.
const MaxFixtureBytes = 16 << 20

// readCapped reads the regular file p of fsys, refusing anything else (a FIFO would block, a
// device never end) and anything over max bytes, without reading past it. Errors never quote
// the file's content.
func readCapped(fsys fs.FS, p string, max int) ([]byte, error) {
	// Stat before Open: opening a FIFO blocks until something writes to it.
	fi, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size() > int64(max) {
		return nil, fmt.Errorf("larger than %d bytes (%d)", max, fi.Size())
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, int64(max)+1)); err != nil {
		return nil, err
	}
	if buf.Len() > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return buf.Bytes(), nil
}

// ParseTenant parses one tenant file. readKey reads a key file named in it (nil: keys are refused).
// Tenants without keys get none here; the server generates them.
func ParseTenant(file string, data []byte, readKey func(string) ([]byte, error)) (*Tenant, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if len(root.Content) == 0 {
		return nil, &FixtureError{File: file, Msg: "empty file: a tenant file needs a tenant: section"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var ff fixtureFile
	if err := dec.Decode(&ff); err != nil {
		return nil, yamlError(file, err)
	}
	return buildTenant(file, root.Content[0], &ff, readKey)
}

// ParseTenantNode parses a tenant written inside another YAML document, such as a QA scenario
// that defines its own tenant: n is a mapping with the same keys as a tenant file (tenant, keys,
// apps, users, devices). Errors name file and the lines in it, as ParseTenant's do; unknown keys
// are errors too. readKey reads a key file named in it (nil: keys are refused).
func ParseTenantNode(file string, n *yaml.Node, readKey func(string) ([]byte, error)) (*Tenant, error) {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, &FixtureError{File: file, Line: yamlnode.Line(n, 0), Msg: "a tenant is a mapping with tenant:, apps: and users: (as in a tenant file)"}
	}
	if err := yamlnode.KnownFields(n, reflect.TypeFor[fixtureFile]()); err != nil {
		return nil, yamlError(file, err)
	}
	var ff fixtureFile
	if err := n.Decode(&ff); err != nil {
		return nil, yamlError(file, err)
	}
	return buildTenant(file, n, &ff, readKey)
}

// buildTenant checks a decoded tenant file, whose YAML is root, and builds the Tenant.
func buildTenant(file string, root *yaml.Node, ff *fixtureFile, readKey func(string) ([]byte, error)) (*Tenant, error) {
	v := validator{file: file, root: root}
	t := &ff.Tenant
	t.Source = file
	t.Apps, t.Devices = ff.Apps, ff.Devices
	for _, u := range ff.Users {
		t.Users = append(t.Users, u.User)
	}

	if v.node("tenant") == nil {
		return nil, v.errAt(nil, "missing tenant: section (id and name)")
	}
	if !IsGUID(t.ID) {
		return nil, v.errAt(v.node("tenant", "id"), fmt.Sprintf("tenant.id %q is not a GUID (like 39150fda-e360-47ce-b98e-d9250ba6f8e8)", t.ID))
	}
	t.idLine = yamlnode.Line(v.node("tenant", "id"), 0)
	if strings.TrimSpace(t.Name) == "" {
		return nil, v.errAt(v.node("tenant", "name"), "tenant.name is empty")
	}
	if len(t.Domains) == 0 {
		return nil, v.errAt(v.node("tenant"), "tenant.domains is empty: a tenant needs at least its initial domain")
	}
	for i, d := range t.Domains {
		if !domainRE.MatchString(d) {
			return nil, v.errAt(v.node("tenant", "domains", i), fmt.Sprintf("tenant.domains[%d] %q is not a domain name", i, d))
		}
	}
	if t.Cloud == "" {
		t.Cloud = "global"
	}
	if !clouds[t.Cloud] {
		return nil, v.errAt(v.node("tenant", "cloud"), fmt.Sprintf("tenant.cloud %q is not one of global, gcch, 21vianet", t.Cloud))
	}
	if t.RestorePage == "" {
		t.RestorePage = RestoreNotConfigured
	}
	if !slices.Contains(RestorePageStates(), t.RestorePage) {
		return nil, v.errAt(v.node("tenant", "restorePage"), fmt.Sprintf("tenant.restorePage %q is not one of %s", t.RestorePage, strings.Join(RestorePageStates(), ", ")))
	}

	if err := v.lockout(t.Lockout); err != nil {
		return nil, err
	}

	if len(t.Apps) == 0 {
		return nil, v.errAt(nil, "no apps: a tenant needs at least one app registration to sign in with")
	}
	for i, a := range t.Apps {
		at := func(field string) *yaml.Node { return v.node("apps", i, field) }
		if !IsGUID(a.ClientID) {
			return nil, v.errAt(at("clientId"), fmt.Sprintf("apps[%d].clientId %q is not a GUID", i, a.ClientID))
		}
		if a.Public && a.Secret != "" {
			return nil, v.errAt(at("secret"), fmt.Sprintf("apps[%d] is a public client and cannot have a secret", i))
		}
		if !a.Public && a.Secret == "" {
			return nil, v.errAt(v.node("apps", i), fmt.Sprintf("apps[%d] is a confidential client (public: false) and needs a secret", i))
		}
		t.appLines = append(t.appLines, yamlnode.Line(at("clientId"), 0))
		if a.Public && len(a.ApplicationPermissions) > 0 {
			return nil, v.errAt(at("applicationPermissions"), fmt.Sprintf("apps[%d] is a public client: only a confidential client (with a secret) can have applicationPermissions", i))
		}
		for _, field := range []struct {
			name  string
			perms map[string][]string
		}{{"permissions", a.Permissions}, {"applicationPermissions", a.ApplicationPermissions}} {
			for _, key := range slices.Sorted(maps.Keys(field.perms)) {
				res, ok := resourceOf(key)
				if !ok {
					return nil, v.errAt(v.key(v.node("apps", i, field.name), key), fmt.Sprintf("apps[%d].%s: resource %q is not graph or one of the restore apps (%s, %s)", i, field.name, key, RestoreAppID, RestoreBackupsAppID))
				}
				for j, n := range field.perms[key] {
					if err := checkPermissionName(res, n); err != nil {
						return nil, v.errAt(v.node("apps", i, field.name, key, j), fmt.Sprintf("apps[%d].%s.%s[%d]: %v", i, field.name, key, j, err))
					}
				}
			}
		}
		for j, raw := range a.RedirectURIs {
			u, err := url.Parse(raw)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
				return nil, v.errAt(v.node("apps", i, "redirectUris", j), fmt.Sprintf("apps[%d].redirectUris[%d] %q is not an absolute http or https URL with a host", i, j, raw))
			}
			if u.User != nil || u.Fragment != "" {
				return nil, v.errAt(v.node("apps", i, "redirectUris", j), fmt.Sprintf("apps[%d].redirectUris[%d] %q has user info or a fragment, which redirect URIs cannot have", i, j, raw))
			}
		}
	}

	upns := map[string]bool{}
	oids := map[string]bool{}
	for i, u := range t.Users {
		at := func(field string) *yaml.Node { return v.node("users", i, field) }
		addr, err := mail.ParseAddress(u.UPN)
		if err != nil || addr.Address != u.UPN {
			return nil, v.errAt(at("upn"), fmt.Sprintf("users[%d].upn %q is not a user principal name (name@domain)", i, u.UPN))
		}
		if upns[strings.ToLower(u.UPN)] {
			return nil, v.errAt(at("upn"), fmt.Sprintf("users[%d].upn %q appears twice", i, u.UPN))
		}
		if _, domain, _ := strings.Cut(u.UPN, "@"); !slices.ContainsFunc(t.Domains, func(d string) bool { return strings.EqualFold(d, domain) }) {
			return nil, v.errAt(at("upn"), fmt.Sprintf("users[%d].upn %q: domain %s is not one of tenant.domains (%s)", i, u.UPN, domain, strings.Join(t.Domains, ", ")))
		}
		upns[strings.ToLower(u.UPN)] = true
		if strings.TrimSpace(u.DisplayName) == "" {
			return nil, v.errAt(v.node("users", i), fmt.Sprintf("users[%d].displayName is empty", i))
		}
		if u.Password == "" {
			return nil, v.errAt(v.node("users", i), fmt.Sprintf("users[%d].password is empty", i))
		}
		if !IsGUID(u.ObjectID) {
			return nil, v.errAt(at("objectId"), fmt.Sprintf("users[%d].objectId %q is not a GUID", i, u.ObjectID))
		}
		if oids[strings.ToLower(u.ObjectID)] {
			return nil, v.errAt(at("objectId"), fmt.Sprintf("users[%d].objectId %s appears twice", i, u.ObjectID))
		}
		oids[strings.ToLower(u.ObjectID)] = true
		for j, role := range u.Roles {
			if _, ok := directoryRoles[role]; !ok {
				return nil, v.errAt(v.node("users", i, "roles", j), fmt.Sprintf("users[%d].roles[%d] %q is not one of %s", i, j, role, strings.Join(DirectoryRoleNames(), ", ")))
			}
		}
		if u.GenerateBackups < 0 || u.GenerateBackups > MaxGeneratedBackups {
			return nil, v.errAt(at("generateBackups"), fmt.Sprintf("users[%d].generateBackups %d is not between 0 and %d", i, u.GenerateBackups, MaxGeneratedBackups))
		}
		if err := v.mfa(i, u.MFA); err != nil {
			return nil, err
		}
		backups, err := v.backups(i, t.ID, u.ObjectID, ff.Users[i].Backups)
		if err != nil {
			return nil, err
		}
		t.Users[i].Backups = backups
	}

	deviceIDs := map[string]bool{}
	for i, d := range t.Devices {
		at := func(field string) *yaml.Node { return v.node("devices", i, field) }
		if !IsGUID(d.DeviceID) {
			return nil, v.errAt(at("deviceId"), fmt.Sprintf("devices[%d].deviceId %q is not a GUID", i, d.DeviceID))
		}
		if deviceIDs[strings.ToLower(d.DeviceID)] {
			return nil, v.errAt(at("deviceId"), fmt.Sprintf("devices[%d].deviceId %s appears twice", i, d.DeviceID))
		}
		deviceIDs[strings.ToLower(d.DeviceID)] = true
		if !trustTypes[d.TrustType] {
			return nil, v.errAt(at("trustType"), fmt.Sprintf("devices[%d].trustType %q is not one of AzureAd, ServerAd, Workplace", i, d.TrustType))
		}
		if d.OperatingSystemVersion != "" && !versionRE.MatchString(d.OperatingSystemVersion) {
			return nil, v.errAt(at("operatingSystemVersion"), fmt.Sprintf("devices[%d].operatingSystemVersion %q is not a version like 10.0.22631.4317", i, d.OperatingSystemVersion))
		}
		if t.Devices[i].OperatingSystem == "" {
			t.Devices[i].OperatingSystem = "Windows"
		}
	}

	for i, k := range ff.Keys {
		at := v.node("keys", i)
		if readKey == nil {
			return nil, v.errAt(at, "keys cannot be read from here")
		}
		if strings.Contains(k, "..") || path.IsAbs(k) {
			return nil, v.errAt(at, fmt.Sprintf("keys[%d] %q must be a path inside the fixtures directory", i, k))
		}
		data, err := readKey(k)
		if err != nil {
			return nil, v.errAt(at, fmt.Sprintf("keys[%d]: %v", i, err))
		}
		key, err := ParseRSAKey(data)
		if err != nil {
			return nil, v.errAt(at, fmt.Sprintf("keys[%d] %s: %v", i, k, err))
		}
		t.Keys = append(t.Keys, key)
	}
	if len(t.Keys) == 1 {
		return nil, v.errAt(v.node("keys"), "keys: give at least two keys (Entra always publishes several), or none to have them generated")
	}
	return t, nil
}

// mfa checks users[i].mfa. Errors name the field, never the secret or the pass.
func (v validator) mfa(i int, m *MFAMethods) error {
	if m == nil {
		return nil
	}
	at := func(steps ...any) *yaml.Node { return v.node(append([]any{"users", i, "mfa"}, steps...)...) }
	if m.Authenticator == "" && !m.Passkey && m.TemporaryAccessPass == nil {
		return v.errAt(at(), fmt.Sprintf("users[%d].mfa names no method: give authenticator (a base32 TOTP secret), passkey: true or temporaryAccessPass", i))
	}
	if yamlnode.At(v.root, "users", i, "mfa", "authenticator") != nil {
		if _, err := decodeTOTPSecret(m.Authenticator); err != nil {
			return v.errAt(at("authenticator"), fmt.Sprintf("users[%d].mfa.authenticator %v", i, err))
		}
	}
	if p := m.TemporaryAccessPass; p != nil {
		n := at("temporaryAccessPass")
		if k := at("temporaryAccessPass", "pass"); k != nil {
			n = k
		}
		// Entra's passes are 8 to 48 characters (the Temporary Access Pass policy's length).
		if l := len(p.Pass); l < 8 || l > 48 || strings.TrimSpace(p.Pass) != p.Pass {
			return v.errAt(n, fmt.Sprintf("users[%d].mfa.temporaryAccessPass is %d characters, want 8 to 48 without leading or trailing spaces (Entra's pass lengths)", i, len(p.Pass)))
		}
	}
	return nil
}

// ParseRSAKey reads an RSA private key of at least 2048 bits from PEM (PKCS#8 or PKCS#1).
func ParseRSAKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bad PKCS#8 key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("key is %T, not RSA: Entra signs with RS256 only", k)
		}
		key = rk
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bad PKCS#1 key: %w", err)
		}
		key = k
	default:
		return nil, fmt.Errorf("PEM block is %q, want PRIVATE KEY or RSA PRIVATE KEY", block.Type)
	}
	if key.N.BitLen() < minKeyBits {
		return nil, fmt.Errorf("RSA key has %d bits, want at least %d", key.N.BitLen(), minKeyBits)
	}
	return key, nil
}

// yamlError turns a yaml.v3 error into a FixtureError with its line.
func yamlError(file string, err error) error {
	p := yamlnode.Explain(err)
	return &FixtureError{File: file, Line: p.Line, Msg: p.Msg}
}

// validator finds the YAML node behind a field so errors can name its line.
type validator struct {
	file string
	root *yaml.Node
}

// node walks keys (string) and sequence indexes (int) from the document root.
func (v validator) node(steps ...any) *yaml.Node { return yamlnode.At(v.root, steps...) }

// key finds the key node of name in the mapping n, for errors about the key itself; n when
// there is none.
func (v validator) key(n *yaml.Node, name string) *yaml.Node {
	if k := yamlnode.Key(n, name); k != nil {
		return k
	}
	return n
}

func (v validator) errAt(n *yaml.Node, msg string) error {
	line := 0
	if n != nil {
		line = n.Line
	} else if v.root != nil {
		line = v.root.Line
	}
	return &FixtureError{File: v.file, Line: line, Msg: msg}
}

// Bounds of a fixture's lockout (inferred: Entra's admin center takes whole seconds).
const (
	maxLockoutThreshold = 1000
	maxLockoutDuration  = 24 * time.Hour
)

// lockout checks tenant.lockout: a threshold of 1 to 1000 failed sign-ins and a duration of
// whole seconds from 1s to 24h, each defaulting to Entra's when left out.
func (v validator) lockout(l *Lockout) error {
	if l == nil {
		return nil
	}
	if n := v.node("tenant", "lockout", "threshold"); n != nil && (l.Threshold < 1 || l.Threshold > maxLockoutThreshold) {
		return v.errAt(n, fmt.Sprintf("tenant.lockout.threshold %d is not between 1 and %d failed sign-ins", l.Threshold, maxLockoutThreshold))
	}
	if n := v.node("tenant", "lockout", "duration"); n != nil &&
		(l.Duration < time.Second || l.Duration > maxLockoutDuration || l.Duration%time.Second != 0) {
		return v.errAt(n, fmt.Sprintf("tenant.lockout.duration %v is not whole seconds between 1s and 24h (like 60s)", l.Duration))
	}
	return nil
}
