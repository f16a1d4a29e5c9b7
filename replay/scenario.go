package replay

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/internal/guid"
	"github.com/oobe-dev/oobe/internal/yamlnode"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/profile"
	"github.com/oobe-dev/oobe/sim"
)

// MaxScenarioBytes caps a scenario file; real ones are a few KiB.
const MaxScenarioBytes = 1 << 20

// DefaultStart is the virtual time a scenario starts at when it names none.
var DefaultStart = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// InlineClientID is the public client app every inline tenant registers: a scenario signs in
// with it, as `oobe` does with a fixture tenant's own app.
const InlineClientID = "5e0c5a3e-8d1f-4b6a-9c2e-7f3b1d4a6c80"

// Sign-in actions: what the person does on the sign-in page.
const (
	ActionApprove       = "approve"
	ActionDecline       = "decline"
	ActionWrongPassword = "wrongPassword"
	ActionWrongCode     = "wrongCode"
	ActionExpire        = "expire"
)

// SignInActions lists the sign-in actions.
func SignInActions() []string {
	return []string{ActionApprove, ActionDecline, ActionWrongPassword, ActionWrongCode, ActionExpire}
}

// MFA answers: what the person does at the sign-in page's MFA step (steps.signIn.mfa), setup's
// sign-in and the prompt the restore page's phishing-resistant demand shows alike.
const (
	// MFAApprove answers with the user's own method, from the tenant: the authenticator's code
	// on the virtual clock, or their passkey — which a virtualMachine device cannot reach.
	MFAApprove = "approve"
	// MFAWrongCode types a wrong authenticator code and gives up at the error (browser only).
	MFAWrongCode = "wrongCode"
	// MFATemporaryAccessPass uses the user's Temporary Access Pass.
	MFATemporaryAccessPass = "temporaryAccessPass"
	// MFACancel leaves the MFA step with Cancel.
	MFACancel = "cancel"
)

// MFAActions lists the MFA answers.
func MFAActions() []string {
	return []string{MFAApprove, MFAWrongCode, MFATemporaryAccessPass, MFACancel}
}

// RestoreNew is steps.restore's "Set up as new PC".
const RestoreNew = "new"

// Scenario is one scenario file, parsed and checked: everything a run needs.
type Scenario struct {
	// File is the path the scenario was read from, for messages; Rel is its path relative to
	// the directory given on the command line (or its base name), which shards hash.
	File string
	Rel  string

	Name        string
	Description string
	// Tenant is served alone by a fresh simulated tenant. It is shared by every run of the
	// scenario and must not be changed.
	Tenant   *sim.Tenant
	ClientID string
	// User is the UPN that signs in; Password is the tenant's password for them.
	User     string
	Password string
	// Device is the state of the device being set up, before setup.
	Device    device.State
	Start     time.Time
	Autopilot Autopilot
	Faults    Faults
	Steps     Steps
	OldPC     *OldPC
	// expectLines maps each expect key ("expect.reasons", "expect.device.personalization/theme")
	// to its line in File, for failures to point at.
	expectLines map[string]int
	// AdminDeletes is the UPN of an admin who deletes every Windows backup of User an hour
	// before setup starts (after OldPC's backups); "" when no one does.
	AdminDeletes string
	Expect       Expect
}

// Autopilot is the Autopilot profile the device downloads.
type Autopilot struct {
	DeviceNameTemplate string
	ESPTimeout         time.Duration // 0: the engine's default, 60 minutes
}

// Faults are the engine's faults and the tenant's.
type Faults struct {
	Engine oobe.Faults
	// Endpoints are added to the tenant's fault list before the run, in order.
	Endpoints []sim.Fault
	// AccessTokenLifetime, when set, is how long the tenant's access tokens live.
	AccessTokenLifetime time.Duration
}

// Steps are the person's choices.
type Steps struct {
	Region, Keyboard string
	// SecondKeyboard is "" to skip.
	SecondKeyboard string
	Network        Network
	SignInMethod   oobe.SignInMethod
	SignInAction   string
	// SignInMFA is what the person does at an MFA step (MFAActions).
	SignInMFA string
	// Restore is a previous PC's device name or windowsDeviceId, RestoreNew, or "" for the newest.
	Restore string
	ESP     oobe.ESPChoice
	// FirstSignIn, when set, has the run go on past the desktop to the user's first sign-in.
	FirstSignIn *FirstSignInSteps
}

// FirstSignInSteps are the person's choices at their first sign-in after enrollment.
type FirstSignInSteps struct {
	// Restore is as Steps.Restore, on the first sign-in's restore page.
	Restore string
}

// Network is the network the person joins: wired, or a Wi-Fi network.
type Network struct {
	Wired    bool
	SSID     string
	Password string
	Security string
}

// OldPC is a previous PC that backs up on Windows' 8-day schedule for Days before the flow.
type OldPC struct {
	Device device.State
	Days   int
}

// Expect is what must hold at the end of the run; nil or empty fields are not checked.
type Expect struct {
	RestorePage  *bool
	Reasons      []string // checked when HasReasons
	HasReasons   bool
	IntuneStatus *string
	Backups      []string // checked when HasBackups
	HasBackups   bool
	// BackupCount is how many previous PCs the restore page lists (for users with many).
	BackupCount *int
	Counts      map[string]int      // outcome → exact count
	Names       map[string][]string // outcome → items that must have it
	// Device maps "category/name" to the value the device must hold after the run (nil: unset).
	Device     map[string]json.RawMessage
	FinalStage *oobe.Stage
	Error      *string
	ErrorCode  *string
	// FirstSignIn is what must hold at the first sign-in; nil when not checked.
	FirstSignIn *FirstSignInExpect
}

// FirstSignInExpect is what must hold at the user's first sign-in after enrollment.
type FirstSignInExpect struct {
	RestorePage *bool
	Reasons     []string // checked when HasReasons
	HasReasons  bool
	Backups     []string // checked when HasBackups
	HasBackups  bool
	// Restored is the device name restored there, RestoreNew, or nil when not checked.
	Restored *string
}

// The device values an expectation can read besides settings (category "device").
var deviceValues = []string{"name", "wifi", "storeApps", "startPins", "taskbarPins"}

// DemoTenants returns the embedded demo tenants a scenario may name with tenant.fixture.
func DemoTenants() ([]*sim.Tenant, error) { return sim.DemoTenants() }

// parser carries one file's parse.
type parser struct {
	file string
	root *yaml.Node
	f    scenarioFile
	sc   *Scenario
}

func (p *parser) errAt(n *yaml.Node, format string, args ...any) error {
	return &Error{File: p.file, Line: yamlnode.Line(n, yamlnode.Line(p.root, 0)), Msg: fmt.Sprintf(format, args...)}
}

// Parse reads one scenario file. Unknown keys, wrong types and wrong values are *Error,
// naming the file, the line and the key.
func Parse(file string, data []byte) (*Scenario, error) {
	if len(data) > MaxScenarioBytes {
		return nil, &Error{File: file, Msg: fmt.Sprintf("larger than %d bytes: not a scenario", MaxScenarioBytes)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, decodeError(file, err)
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: file, Msg: "empty file: a scenario needs at least name, tenant, device, user and expect"}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Msg: "a scenario is a mapping of keys (name: …, tenant: …), not a single value or a list"}
	}
	if err := checkKeys(file, root, reflect.TypeFor[scenarioFile](), ""); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	p := &parser{file: file, root: root, sc: &Scenario{File: file, Rel: file}}
	if err := dec.Decode(&p.f); err != nil {
		return nil, decodeError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Msg: "more than one YAML document: a scenario file holds one scenario"}
	} else if !errors.Is(err, io.EOF) {
		return nil, decodeError(file, err)
	}
	p.sc.expectLines = expectLines(yamlnode.At(root, "expect"))
	for _, step := range []func() error{p.name, p.tenant, p.user, p.device, p.start, p.autopilot, p.faults, p.steps, p.oldPC, p.admin, p.expect} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return p.sc, nil
}

func (p *parser) name() error {
	n := yamlnode.At(p.root, "name")
	name := strings.TrimSpace(p.f.Name)
	switch {
	case n == nil:
		return p.errAt(nil, "missing name: give the scenario a name (it is what --run matches and what reports show)")
	case name == "":
		return p.errAt(n, "name is empty")
	case len(name) > 200 || strings.ContainsAny(name, "\r\n\t"):
		return p.errAt(n, "name must be one line of at most 200 characters")
	}
	p.sc.Name = name
	p.sc.Description = strings.TrimSpace(p.f.Description)
	return nil
}

func (p *parser) tenant() error {
	tn := yamlnode.At(p.root, "tenant")
	spec := p.f.Tenant
	if tn == nil {
		return p.errAt(nil, "missing tenant: name a demo tenant (tenant: {fixture: contoso}) or define one inline (id, name, domains, users)")
	}
	if tn.Kind != yaml.MappingNode {
		return p.errAt(tn, "tenant: want a mapping (fixture: contoso, or id, name, domains, users)")
	}
	if spec.Fixture != "" {
		for _, k := range []string{"id", "name", "domains", "users"} {
			if kn := yamlnode.Key(tn, k); kn != nil {
				return p.errAt(kn, "tenant.%s: a tenant is given by fixture or inline, not both; with a fixture only restorePage, cloud and conditionalAccess may be changed", k)
			}
		}
		demo, err := DemoTenants()
		if err != nil {
			return p.errAt(tn, "tenant.fixture: the demo tenants do not load: %v", err)
		}
		var names []string
		for _, t := range demo {
			names = append(names, strings.ToLower(t.Name))
			if strings.EqualFold(t.Name, spec.Fixture) || strings.EqualFold(t.ID, spec.Fixture) {
				c := *t
				p.sc.Tenant = &c
			}
		}
		if p.sc.Tenant == nil {
			return p.errAt(yamlnode.At(tn, "fixture"), "tenant.fixture %q is not a demo tenant: want one of %s", spec.Fixture, strings.Join(names, ", "))
		}
		if spec.RestorePage != "" {
			if !slices.Contains(sim.RestorePageStates(), spec.RestorePage) {
				return p.errAt(yamlnode.At(tn, "restorePage"), "tenant.restorePage %q is not one of %s", spec.RestorePage, strings.Join(sim.RestorePageStates(), ", "))
			}
			p.sc.Tenant.RestorePage = spec.RestorePage
		}
		if spec.Cloud != "" {
			if !slices.Contains([]string{profile.CloudGlobal, profile.CloudGCCHigh, profile.Cloud21Vianet}, spec.Cloud) {
				return p.errAt(yamlnode.At(tn, "cloud"), "tenant.cloud %q is not one of global, gcch, 21vianet", spec.Cloud)
			}
			p.sc.Tenant.Cloud = spec.Cloud
		}
		if spec.ConditionalAccess != nil {
			p.sc.Tenant.ConditionalAccess = *spec.ConditionalAccess
		}
		for _, a := range p.sc.Tenant.Apps {
			if a.Public {
				p.sc.ClientID = a.ClientID
				break
			}
		}
		if p.sc.ClientID == "" {
			return p.errAt(yamlnode.At(tn, "fixture"), "tenant.fixture %q has no public client app to sign in with", spec.Fixture)
		}
		p.sc.Tenant.Source = p.file
		return nil
	}
	if yamlnode.At(tn, "id") == nil && yamlnode.At(tn, "name") == nil {
		return p.errAt(tn, "tenant: give fixture (a demo tenant: %s) or an inline tenant's id, name, domains and users", p.demoNames())
	}
	// An inline tenant is checked by the tenant fixture parser itself, on a fixture document
	// built from the scenario's own nodes, so its errors name the scenario's lines.
	head := mapping("id", yamlnode.At(tn, "id"), "name", yamlnode.At(tn, "name"), "domains", yamlnode.At(tn, "domains"),
		"cloud", yamlnode.At(tn, "cloud"), "restorePage", yamlnode.At(tn, "restorePage"), "conditionalAccess", yamlnode.At(tn, "conditionalAccess"))
	app := mapping("name", scalar("oobe replay"), "clientId", scalar(InlineClientID),
		"public", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"},
		"redirectUris", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle,
			Content: []*yaml.Node{scalar("http://localhost"), scalar("http://127.0.0.1")}})
	users := yamlnode.At(tn, "users")
	if users == nil {
		users = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	}
	fixture := mapping("tenant", head, "apps", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{app}}, "users", users)
	t, err := sim.ParseTenantNode(p.file, fixture)
	if err != nil {
		var fe *sim.FixtureError
		if errors.As(err, &fe) {
			line := fe.Line
			if line == 0 { // a node the scenario does not have: the tenant or its app
				line = tn.Line
			}
			return &Error{File: p.file, Line: line, Msg: "tenant: " + fe.Msg}
		}
		return p.errAt(tn, "tenant: %v", err)
	}
	// The inline tenant's app is consented what the demo tenant's oobe app is: what setup needs.
	if demo, err := DemoTenants(); err == nil && len(demo) > 0 && len(demo[0].Apps) > 0 {
		t.Apps[0].Permissions = demo[0].Apps[0].Permissions
	}
	p.sc.Tenant = t
	p.sc.ClientID = InlineClientID
	return nil
}

func (p *parser) demoNames() string {
	demo, _ := DemoTenants()
	var names []string
	for _, t := range demo {
		names = append(names, strings.ToLower(t.Name))
	}
	return strings.Join(names, ", ")
}

func (p *parser) user() error {
	n := yamlnode.At(p.root, "user")
	if n == nil {
		return p.errAt(nil, "missing user: the UPN of the tenant user who signs in")
	}
	for _, u := range p.sc.Tenant.Users {
		if strings.EqualFold(u.UPN, p.f.User) {
			p.sc.User, p.sc.Password = u.UPN, u.Password
			return nil
		}
	}
	var upns []string
	for _, u := range p.sc.Tenant.Users {
		upns = append(upns, u.UPN)
	}
	return p.errAt(n, "user %q is not a user of tenant %s (users: %s)", p.f.User, p.sc.Tenant.Name, strings.Join(upns, ", "))
}

// stableHex is a short, stable hex string derived from parts, for default names and ids.
func stableHex(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

// stableGUID is a GUID derived from parts: the same scenario always gets the same device id.
func stableGUID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return guid.Stable(sum[:])
}

func (p *parser) device() error {
	n := yamlnode.At(p.root, "device")
	if n == nil {
		return p.errAt(nil, "missing device: the device being set up (os, edition, join, provisioning — as in oobe check's profile files)")
	}
	st, err := p.deviceState("device", n, p.f.Device, "DESKTOP-"+strings.ToUpper(stableHex(p.sc.Name)[:7]), stableGUID("device", p.sc.Name))
	if err != nil {
		return err
	}
	// A device joins its tenant's cloud: a GCC High tenant's devices are GCC High devices.
	tenantCloud := p.sc.Tenant.Cloud
	if tenantCloud == "" {
		tenantCloud = profile.CloudGlobal
	}
	if c := yamlnode.At(n, "cloud"); c == nil {
		st.Profile.Cloud = tenantCloud
	} else if st.Profile.Cloud != tenantCloud {
		return p.errAt(c, "device.cloud %q differs from the tenant's cloud %q: a device is set up in its tenant's cloud", st.Profile.Cloud, tenantCloud)
	}
	p.sc.Device = st
	return nil
}

// profileKeys are the keys of a device mapping that belong to the profile (profile.DeviceProfile).
var profileKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range yamlKeys(reflect.TypeFor[profile.DeviceProfile]()) {
		m[k.name] = true
	}
	return m
}()

// deviceState builds a device's state from a device mapping: the profile through
// profile.ParseNode (so its checks and messages are oobe check's), then what it holds.
func (p *parser) deviceState(path string, n *yaml.Node, spec deviceSpec, defaultName, defaultID string) (device.State, error) {
	if n.Kind != yaml.MappingNode {
		return device.State{}, p.errAt(n, "%s: want a mapping (os: …, edition: …, join: …, provisioning: …)", path)
	}
	prof := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if profileKeys[n.Content[i].Value] {
			prof.Content = append(prof.Content, n.Content[i], n.Content[i+1])
		}
	}
	if len(prof.Content) == 0 {
		return device.State{}, p.errAt(n, "%s: the profile is missing: give at least os, edition, join and provisioning", path)
	}
	// The profile starts at its first key: a missing field is reported there.
	prof.Line, prof.Column = prof.Content[0].Line, prof.Content[0].Column
	prof0, err := profile.ParseNode(p.file, prof)
	if err != nil {
		var fe *profile.FieldError
		if errors.As(err, &fe) {
			field := path
			if fe.Field != "" {
				field += "." + fe.Field
			}
			line := fe.Line
			if line == 0 {
				line = n.Line
			}
			return device.State{}, &Error{File: p.file, Line: line, Msg: field + ": " + fe.Msg}
		}
		return device.State{}, p.errAt(n, "%s: %v", path, err)
	}
	if prof0.Name == "" {
		prof0.Name = defaultName
	}
	if prof0.DeviceID == "" {
		prof0.DeviceID = defaultID
	}
	var st device.State
	if spec.Sample {
		st = device.Sample(prof0)
	} else {
		st = device.State{Profile: prof0}
	}
	if st.Settings == nil {
		st.Settings = map[string]map[string]json.RawMessage{}
	}
	for cat, m := range spec.Settings {
		if !slices.Contains(device.Categories(), cat) {
			return device.State{}, p.errAt(yamlnode.Key(yamlnode.At(n, "settings"), cat), "%s.settings: category %q is not one of %s", path, cat, strings.Join(device.Categories(), ", "))
		}
		if st.Settings[cat] == nil {
			st.Settings[cat] = map[string]json.RawMessage{}
		}
		for name, v := range m {
			raw, err := jsonValue(v)
			if err != nil {
				return device.State{}, p.errAt(yamlnode.At(n, "settings", cat, name), "%s.settings.%s.%s: %v", path, cat, name, err)
			}
			st.Settings[cat][name] = raw
		}
	}
	if yamlnode.At(n, "wifi") != nil {
		st.WiFi = []backup.WiFiNetwork{}
		for _, w := range spec.WiFi {
			st.WiFi = append(st.WiFi, backup.WiFiNetwork{SSID: w.SSID, Security: w.Security})
		}
	}
	if yamlnode.At(n, "storeApps") != nil {
		st.StoreApps = []device.App{}
		for _, a := range spec.StoreApps {
			arch := a.Architecture
			if arch == "" {
				arch = st.Arch()
			}
			st.StoreApps = append(st.StoreApps, device.App{ProductID: a.ProductID, Name: a.Name, Architecture: arch, Architectures: append([]string{}, a.Architectures...)})
		}
	}
	if yamlnode.At(n, "startPins") != nil {
		st.StartPins = []backup.Pin{}
		for _, pin := range spec.StartPins {
			st.StartPins = append(st.StartPins, backup.Pin(pin))
		}
	}
	if yamlnode.At(n, "startTiles") != nil {
		st.StartTiles = nil
		for _, t := range spec.StartTiles {
			st.StartTiles = append(st.StartTiles, backup.StartTile(t))
		}
	}
	if yamlnode.At(n, "taskbarPins") != nil {
		st.TaskbarPins = []backup.Pin{}
		for _, pin := range spec.TaskbarPins {
			st.TaskbarPins = append(st.TaskbarPins, backup.Pin(pin))
		}
	}
	for i, pol := range spec.Policies {
		dp := device.Policy{Category: pol.Category, Name: pol.Name, Source: pol.Source}
		if pol.Value != nil {
			raw, err := jsonValue(pol.Value)
			if err != nil {
				return device.State{}, p.errAt(yamlnode.At(n, "policies", i, "value"), "%s.policies[%d].value: %v", path, i, err)
			}
			dp.Value = raw
		}
		st.Policies = append(st.Policies, dp)
	}
	if err := st.Normalize(); err != nil {
		return device.State{}, p.stateError(path, n, err)
	}
	if err := st.Validate(); err != nil {
		return device.State{}, p.stateError(path, n, err)
	}
	return st, nil
}

// jsonValue turns a YAML value into the JSON a device keeps.
func jsonValue(v any) (json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("the value cannot be written as JSON (mapping keys must be names): %v", err)
	}
	return raw, nil
}

// stateFileKeys maps the device directory's files, which device.State's checks name, to the
// scenario keys they come from.
var stateFileKeys = []struct{ prefix, key string }{
	{"profile.json", ""}, {"settings/", "settings"}, {"wifi.json", "wifi"}, {"apps.json", "storeApps"},
	{"start.json", "startPins"}, {"taskbar.json", "taskbarPins"}, {"policies.json", "policies"},
}

var stateIndexRE = regexp.MustCompile(`^: (?:\w+)?\[(\d+)\]`)

// stateError names the scenario key behind a device state error.
func (p *parser) stateError(path string, n *yaml.Node, err error) error {
	msg := err.Error()
	node := n
	for _, f := range stateFileKeys {
		if rest, ok := strings.CutPrefix(msg, f.prefix); ok {
			kn := yamlnode.At(n, f.key)
			if f.key == "startPins" && kn == nil {
				kn = yamlnode.At(n, "startTiles") // start.json holds Windows 10 tiles too
			}
			if f.key != "" {
				if kn != nil {
					node = kn
					if m := stateIndexRE.FindStringSubmatch(rest); m != nil {
						i, _ := strconv.Atoi(m[1])
						if item := yamlnode.At(kn, i); item != nil {
							node = item
						}
					}
				}
			}
			break
		}
	}
	return p.errAt(node, "%s: %v", path, err)
}

func (p *parser) start() error {
	p.sc.Start = DefaultStart
	n := yamlnode.At(p.root, "start")
	if n == nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339, p.f.Start)
	if err != nil {
		return p.errAt(n, "start %q is not an RFC 3339 time like 2026-11-21T09:00:00Z", p.f.Start)
	}
	p.sc.Start = t.UTC()
	return nil
}

// duration reads a Go duration (90s, 5m, 1h30m) between lo and hi.
func (p *parser) duration(n *yaml.Node, key, raw string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, p.errAt(n, "%s %q is not a duration like 90s, 5m or 1h30m", key, raw)
	}
	if d < lo || d > hi {
		return 0, p.errAt(n, "%s %s is not between %s and %s", key, raw, lo, hi)
	}
	return d, nil
}

func (p *parser) autopilot() error {
	n := yamlnode.At(p.root, "autopilot")
	a := p.f.Autopilot
	p.sc.Autopilot.DeviceNameTemplate = a.DeviceNameTemplate
	// The flow's own parser: %RAND:4% is four characters, not eight.
	if err := oobe.ValidateNameTemplate(a.DeviceNameTemplate); err != nil {
		return p.errAt(yamlnode.At(n, "deviceNameTemplate"), "autopilot.deviceNameTemplate: %v", err)
	}
	if a.ESPTimeout != "" {
		d, err := p.duration(yamlnode.At(n, "espTimeout"), "autopilot.espTimeout", a.ESPTimeout, time.Minute, 24*time.Hour)
		if err != nil {
			return err
		}
		p.sc.Autopilot.ESPTimeout = d
	}
	return nil
}

// stageNames lists the stages a scenario may name, StageFailed last.
func stageNames() []string {
	var out []string
	for _, s := range oobe.Stages() {
		out = append(out, string(s))
	}
	return append(out, string(oobe.StageFailed))
}

// networkStages are the stages the network can be lost at, as the flow has them.
func networkStages() []string {
	var out []string
	for _, st := range oobe.NetworkLossStages() {
		out = append(out, string(st))
	}
	return out
}

func (p *parser) faults() error {
	n := yamlnode.At(p.root, "faults")
	f := p.f.Faults
	e := oobe.Faults{EnrollmentError: f.EnrollmentError, ESPAppInstallFailure: f.ESPAppInstallFailure,
		ESPTimeout: f.ESPTimeout, RestoreApplyFailure: f.RestoreApplyFailure, NoIntuneLicense: f.NoIntuneLicense}
	if f.NetworkLostAt != "" {
		if !slices.Contains(networkStages(), f.NetworkLostAt) {
			return p.errAt(yamlnode.At(n, "networkLostAt"), "faults.networkLostAt %q: the network can be lost at %s", f.NetworkLostAt, strings.Join(networkStages(), ", "))
		}
		e.NetworkLostAt = oobe.Stage(f.NetworkLostAt)
	}
	if f.EnrollmentError != "" {
		var codes []string
		for _, ee := range oobe.EnrollmentErrors() {
			codes = append(codes, ee.Code)
		}
		if !slices.Contains(codes, f.EnrollmentError) {
			return p.errAt(yamlnode.At(n, "enrollmentError"), "faults.enrollmentError %q is not one of %s", f.EnrollmentError, strings.Join(codes, ", "))
		}
	}
	// The flow's own check, for what the keys above do not say (two faults on one ESP row).
	if err := e.Validate(); err != nil {
		return p.errAt(n, "faults: %v", strings.TrimPrefix(err.Error(), "oobe: "))
	}
	p.sc.Faults.Engine = e
	if f.AccessTokenLifetime != "" {
		// Entra's configurable token lifetime runs from 10 minutes to a day.
		d, err := p.duration(yamlnode.At(n, "accessTokenLifetime"), "faults.accessTokenLifetime", f.AccessTokenLifetime, 10*time.Minute, 24*time.Hour)
		if err != nil {
			return err
		}
		p.sc.Faults.AccessTokenLifetime = d
	}
	for i, ef := range f.Endpoints {
		fn := yamlnode.At(n, "endpoints", i)
		where := fmt.Sprintf("faults.endpoints[%d]", i)
		if ef.Endpoint == "" {
			return p.errAt(fn, "%s.endpoint is missing: one of %s", where, strings.Join(sim.FaultEndpoints(), ", "))
		}
		if !slices.Contains(sim.FaultEndpoints(), ef.Endpoint) {
			return p.errAt(yamlnode.At(fn, "endpoint"), "%s.endpoint %q is not one of %s", where, ef.Endpoint, strings.Join(sim.FaultEndpoints(), ", "))
		}
		kind, err := sim.ParseFaultKind(ef.Kind)
		if err != nil {
			return p.errAt(lineNode(yamlnode.At(fn, "kind"), fn), "%s.kind: %v", where, err)
		}
		tf := sim.Fault{Endpoint: ef.Endpoint, Kind: kind, Times: ef.Times, Status: ef.Status}
		if ef.Times < 0 {
			return p.errAt(yamlnode.At(fn, "times"), "%s.times %d: want 1 or more, or leave it out for every request", where, ef.Times)
		}
		if ef.RetryAfter != "" {
			if tf.RetryAfter, err = p.duration(yamlnode.At(fn, "retryAfter"), where+".retryAfter", ef.RetryAfter, time.Second, time.Hour); err != nil {
				return err
			}
		}
		if ef.Delay != "" {
			if tf.Delay, err = p.duration(yamlnode.At(fn, "delay"), where+".delay", ef.Delay, time.Millisecond, 24*time.Hour); err != nil {
				return err
			}
		}
		for _, c := range []struct {
			key  string
			set  bool
			kind sim.FaultKind
		}{{"retryAfter", ef.RetryAfter != "", 0}, {"status", ef.Status != 0, sim.FaultServerError}, {"delay", ef.Delay != "", sim.FaultDelay}} {
			ok := c.kind == 0 && (kind == sim.FaultThrottle || kind == sim.FaultServerError) || c.kind == kind
			if c.set && !ok {
				return p.errAt(yamlnode.At(fn, c.key), "%s.%s does not apply to a %s fault", where, c.key, kind)
			}
		}
		if kind == sim.FaultDelay && tf.Delay == 0 {
			return p.errAt(fn, "%s: a delay fault needs delay (like 30s)", where)
		}
		if err := sim.CheckFault(tf); err != nil {
			return p.errAt(fn, "%s: %v", where, err)
		}
		p.sc.Faults.Endpoints = append(p.sc.Faults.Endpoints, tf)
	}
	return nil
}

func lineNode(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}

func (p *parser) steps() error {
	n := yamlnode.At(p.root, "steps")
	s := p.f.Steps
	st := Steps{Region: s.Region, Keyboard: s.Keyboard, Restore: strings.TrimSpace(s.Restore)}
	if s.SecondKeyboard != "skip" {
		st.SecondKeyboard = s.SecondKeyboard
	}
	switch {
	case yamlnode.At(n, "network") == nil:
		st.Network = Network{Wired: true}
	case s.Network.Wired:
		st.Network = Network{Wired: true}
	default:
		nn := yamlnode.At(n, "network")
		if s.Network.SSID == "" || len(s.Network.SSID) > 32 {
			return p.errAt(nn, "steps.network.ssid: give the Wi-Fi network's name (1 to 32 bytes), or write network: wired")
		}
		sec := s.Network.Security
		if sec == "" {
			sec = backup.WiFiWPA2Personal
		}
		if !slices.Contains([]string{backup.WiFiOpen, backup.WiFiWPA2Personal, backup.WiFiWPA3Personal}, sec) {
			return p.errAt(yamlnode.At(nn, "security"), "steps.network.security %q: during setup a person joins open, wpa2Personal or wpa3Personal networks", sec)
		}
		if sec != backup.WiFiOpen && s.Network.Password == "" {
			return p.errAt(nn, "steps.network: a %s network needs its password", sec)
		}
		st.Network = Network{SSID: s.Network.SSID, Password: s.Network.Password, Security: sec}
	}
	si := yamlnode.At(n, "signIn")
	switch s.SignIn.Method {
	case "", string(oobe.SignInDeviceCode):
		st.SignInMethod = oobe.SignInDeviceCode
	case string(oobe.SignInBrowser):
		st.SignInMethod = oobe.SignInBrowser
	default:
		return p.errAt(yamlnode.At(si, "method"), "steps.signIn.method %q is not deviceCode or browser", s.SignIn.Method)
	}
	st.SignInAction = s.SignIn.Action
	if st.SignInAction == "" {
		st.SignInAction = ActionApprove
	}
	if !slices.Contains(SignInActions(), st.SignInAction) {
		return p.errAt(yamlnode.At(si, "action"), "steps.signIn.action %q is not one of %s", s.SignIn.Action, strings.Join(SignInActions(), ", "))
	}
	if st.SignInMethod == oobe.SignInBrowser && (st.SignInAction == ActionWrongCode || st.SignInAction == ActionExpire) {
		return p.errAt(yamlnode.At(si, "action"), "steps.signIn.action %s needs method deviceCode: the browser sign-in has no code to type or let expire", st.SignInAction)
	}
	if err := p.signInMFA(&st, s.SignIn.MFA, yamlnode.At(si, "mfa")); err != nil {
		return err
	}
	switch s.ESP {
	case "", string(oobe.ESPContinueAnyway):
		st.ESP = oobe.ESPContinueAnyway
	case string(oobe.ESPResetDevice):
		st.ESP = oobe.ESPResetDevice
	default:
		return p.errAt(yamlnode.At(n, "esp"), "steps.esp %q is not continueAnyway or resetDevice", s.ESP)
	}
	if rn := yamlnode.At(n, "restore"); rn != nil && st.Restore == "" {
		return p.errAt(rn, "steps.restore is empty: give a previous PC's name, or new; leave it out to pick the newest")
	}
	if fs := s.FirstSignIn; fs != nil {
		st.FirstSignIn = &FirstSignInSteps{Restore: strings.TrimSpace(fs.Restore)}
		if rn := yamlnode.At(n, "firstSignIn", "restore"); rn != nil && st.FirstSignIn.Restore == "" {
			return p.errAt(rn, "steps.firstSignIn.restore is empty: give a previous PC's name, or new; leave it out to pick the newest")
		}
	} else if fn := yamlnode.At(n, "firstSignIn"); fn != nil {
		return p.errAt(fn, "steps.firstSignIn: want a mapping ({} goes on to the first sign-in and restores the newest; restore: NAME or new chooses)")
	}
	p.sc.Steps = st
	return nil
}

// signInMFA checks steps.signIn.mfa against what the user has (the tenant's users[].mfa).
func (p *parser) signInMFA(st *Steps, v string, n *yaml.Node) error {
	st.SignInMFA = v
	if v == "" {
		st.SignInMFA = MFAApprove
	}
	if !slices.Contains(MFAActions(), st.SignInMFA) {
		return p.errAt(n, "steps.signIn.mfa %q is not one of %s", v, strings.Join(MFAActions(), ", "))
	}
	m := p.sc.factorsOf()
	switch st.SignInMFA {
	case MFAWrongCode:
		if st.SignInMethod != oobe.SignInBrowser {
			return p.errAt(n, "steps.signIn.mfa wrongCode needs method browser: on the device code page the person would leave the code pending until it expires")
		}
		if m.authenticator == "" {
			return p.errAt(n, "steps.signIn.mfa wrongCode: %s has no authenticator (the tenant's users[].mfa.authenticator)", p.sc.User)
		}
	case MFATemporaryAccessPass:
		if m.tap == "" {
			return p.errAt(n, "steps.signIn.mfa temporaryAccessPass: %s has no Temporary Access Pass (the tenant's users[].mfa.temporaryAccessPass)", p.sc.User)
		}
	}
	return nil
}

func (p *parser) oldPC() error {
	n := yamlnode.At(p.root, "oldPC")
	if n == nil {
		return nil
	}
	spec := p.f.OldPC
	if spec == nil || n.Kind != yaml.MappingNode {
		return p.errAt(n, "oldPC: want a mapping with device and days")
	}
	if spec.Days < 1 || spec.Days > 3650 {
		return p.errAt(lineNode(yamlnode.At(n, "days"), yamlnode.Key(p.root, "oldPC")), "oldPC.days %d: the old PC backs up over 1 to 3650 days before the flow", spec.Days)
	}
	dn := yamlnode.At(n, "device")
	if dn == nil {
		return p.errAt(n, "oldPC.device is missing: the old PC's profile (os, edition, join, provisioning, name)")
	}
	st, err := p.deviceState("oldPC.device", dn, spec.Device, "OLD-PC", stableGUID("oldPC", p.sc.Name))
	if err != nil {
		return err
	}
	p.sc.OldPC = &OldPC{Device: st, Days: spec.Days}
	return nil
}

func (p *parser) admin() error {
	n := yamlnode.At(p.root, "admin")
	if n == nil {
		return nil
	}
	spec := p.f.Admin
	if spec == nil || n.Kind != yaml.MappingNode {
		return p.errAt(n, "admin: want a mapping with deleteBackups: the admin's UPN")
	}
	dn := yamlnode.At(n, "deleteBackups")
	if dn == nil {
		return p.errAt(n, "admin.deleteBackups is missing: the UPN of the admin who deletes the user's backups")
	}
	for _, u := range p.sc.Tenant.Users {
		if strings.EqualFold(u.UPN, spec.DeleteBackups) {
			p.sc.AdminDeletes = u.UPN
			return nil
		}
	}
	return p.errAt(dn, "admin.deleteBackups %q is not a user of tenant %s", spec.DeleteBackups, p.sc.Tenant.Name)
}

func (p *parser) expect() error {
	n := yamlnode.At(p.root, "expect")
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return p.errAt(n, "expect is missing or empty: a scenario must expect something (finalStage at least)")
	}
	x := p.f.Expect
	e := &p.sc.Expect
	if x.RestorePage != nil {
		v, err := p.shownOrHidden(n, "expect.restorePage", *x.RestorePage)
		if err != nil {
			return err
		}
		e.RestorePage = v
	}
	if x.Reasons != nil {
		if err := p.reasonIDs(n, "expect.reasons", *x.Reasons, restore.Rules()); err != nil {
			return err
		}
		e.Reasons, e.HasReasons = append([]string{}, *x.Reasons...), true
	}
	if x.IntuneStatus != nil {
		if !slices.Contains(backup.Statuses(), *x.IntuneStatus) {
			return p.errAt(yamlnode.At(n, "intuneStatus"), "expect.intuneStatus %q is not one of Intune's: %s", *x.IntuneStatus, strings.Join(backup.Statuses(), ", "))
		}
		e.IntuneStatus = x.IntuneStatus
	}
	if x.Backups != nil {
		if err := p.deviceNames(n, "expect.backups", *x.Backups); err != nil {
			return err
		}
		e.Backups, e.HasBackups = append([]string{}, *x.Backups...), true
	}
	if x.BackupCount != nil {
		if *x.BackupCount < 0 {
			return p.errAt(yamlnode.At(n, "backupCount"), "expect.backupCount %d is negative", *x.BackupCount)
		}
		e.BackupCount = x.BackupCount
	}
	if x.Items != nil {
		in := yamlnode.At(n, "items")
		if x.Items.Counts != nil {
			e.Counts = map[string]int{}
			c := x.Items.Counts
			for _, oc := range apply.Outcomes() {
				name, v := string(oc), c.of(oc)
				if v == nil {
					continue
				}
				if *v < 0 {
					return p.errAt(yamlnode.At(in, "counts", name), "expect.items.counts.%s %d is negative", name, *v)
				}
				e.Counts[name] = *v
			}
		}
		if x.Items.Names != nil {
			e.Names = map[string][]string{}
			nm := x.Items.Names
			for _, oc := range apply.Outcomes() {
				name, v := string(oc), nm.of(oc)
				for i, s := range v {
					if strings.TrimSpace(s) == "" {
						return p.errAt(yamlnode.At(in, "names", name, i), "expect.items.names.%s[%d] is empty", name, i)
					}
				}
				if v != nil {
					e.Names[name] = v
				}
			}
		}
	}
	if x.Device != nil {
		dn := yamlnode.At(n, "device")
		e.Device = map[string]json.RawMessage{}
		for key, v := range x.Device {
			kn := yamlnode.Key(dn, key)
			cat, name, ok := strings.Cut(key, "/")
			switch {
			case !ok || name == "":
				return p.errAt(kn, "expect.device %q: write category/name, like personalization/theme or device/name", key)
			case cat == device.CategoryDevice:
				if !slices.Contains(deviceValues, name) {
					return p.errAt(kn, "expect.device %q: the device values are %s", key, "device/"+strings.Join(deviceValues, ", device/"))
				}
			case !slices.Contains(device.Categories(), cat):
				return p.errAt(kn, "expect.device %q: category %s is not one of %s, device", key, cat, strings.Join(device.Categories(), ", "))
			}
			raw, err := jsonValue(v)
			if err != nil {
				return p.errAt(yamlnode.At(dn, key), "expect.device %q: %v", key, err)
			}
			if raw, err = device.CanonicalValue(raw); err != nil {
				return p.errAt(yamlnode.At(dn, key), "expect.device %q: %v", key, err)
			}
			e.Device[key] = raw
		}
	}
	if x.FinalStage != nil {
		if !slices.Contains(stageNames(), *x.FinalStage) {
			return p.errAt(yamlnode.At(n, "finalStage"), "expect.finalStage %q is not a stage: want one of %s", *x.FinalStage, strings.Join(stageNames(), ", "))
		}
		st := oobe.Stage(*x.FinalStage)
		e.FinalStage = &st
	}
	e.Error, e.ErrorCode = x.Error, x.ErrorCode
	return p.expectFirstSignIn(n)
}

// expectFirstSignIn reads expect.firstSignIn, which needs steps.firstSignIn.
func (p *parser) expectFirstSignIn(n *yaml.Node) error {
	x := p.f.Expect.FirstSignIn
	fn := yamlnode.At(n, "firstSignIn")
	switch {
	case x == nil && fn != nil:
		return p.errAt(fn, "expect.firstSignIn: want a mapping of restorePage, reasons, backups, restored")
	case x == nil:
		return nil
	case p.sc.Steps.FirstSignIn == nil:
		return p.errAt(fn, "expect.firstSignIn needs steps.firstSignIn: without it the run ends at the desktop, before the first sign-in")
	}
	e := &FirstSignInExpect{}
	if x.RestorePage != nil {
		v, err := p.shownOrHidden(fn, "expect.firstSignIn.restorePage", *x.RestorePage)
		if err != nil {
			return err
		}
		e.RestorePage = v
	}
	if x.Reasons != nil {
		if err := p.reasonIDs(fn, "expect.firstSignIn.reasons", *x.Reasons, restore.FirstSignInRules()); err != nil {
			return err
		}
		e.Reasons, e.HasReasons = append([]string{}, *x.Reasons...), true
	}
	if x.Backups != nil {
		if err := p.deviceNames(fn, "expect.firstSignIn.backups", *x.Backups); err != nil {
			return err
		}
		e.Backups, e.HasBackups = append([]string{}, *x.Backups...), true
	}
	if x.Restored != nil {
		r := strings.TrimSpace(*x.Restored)
		if r == "" {
			return p.errAt(yamlnode.At(fn, "restored"), "expect.firstSignIn.restored is empty: give the previous PC's device name, or new")
		}
		e.Restored = &r
	}
	if e.RestorePage == nil && !e.HasReasons && !e.HasBackups && e.Restored == nil {
		return p.errAt(fn, "expect.firstSignIn is empty: expect restorePage, reasons, backups or restored")
	}
	p.sc.Expect.FirstSignIn = e
	return nil
}

// shownOrHidden reads a restorePage expectation at n's key: shown is true, hidden false.
func (p *parser) shownOrHidden(n *yaml.Node, field, v string) (*bool, error) {
	switch v {
	case "shown":
		return new(true), nil
	case "hidden":
		return new(false), nil
	}
	key := field[strings.LastIndex(field, ".")+1:]
	return nil, p.errAt(yamlnode.At(n, key), "%s %q is not shown or hidden", field, v)
}

// reasonIDs checks a list of reason ids at n's key: each one of rules', none twice.
func (p *parser) reasonIDs(n *yaml.Node, field string, got []string, rules []restore.Rule) error {
	var ids []string
	for _, r := range rules {
		ids = append(ids, r.ID)
	}
	key := field[strings.LastIndex(field, ".")+1:]
	seen := map[string]bool{}
	for i, r := range got {
		if !slices.Contains(ids, r) {
			return p.errAt(yamlnode.At(n, key, i), "%s[%d] %q is not a reason id: want one of %s", field, i, r, strings.Join(ids, ", "))
		}
		if seen[r] {
			return p.errAt(yamlnode.At(n, key, i), "%s[%d] %q is listed twice", field, i, r)
		}
		seen[r] = true
	}
	return nil
}

// deviceNames checks a list of previous PCs' names at n's key: none empty.
func (p *parser) deviceNames(n *yaml.Node, field string, got []string) error {
	key := field[strings.LastIndex(field, ".")+1:]
	for i, b := range got {
		if strings.TrimSpace(b) == "" {
			return p.errAt(yamlnode.At(n, key, i), "%s[%d] is empty: give the previous PC's device name", field, i)
		}
	}
	return nil
}

// DefaultSteps are what a person does when a scenario's steps say nothing: the first region
// and keyboard, no second keyboard, the wired network, the device code approved, the newest
// previous PC restored, and Continue anyway on an ESP failure.
func DefaultSteps() Steps {
	return Steps{Network: Network{Wired: true}, SignInMethod: oobe.SignInDeviceCode, SignInAction: ActionApprove, ESP: oobe.ESPContinueAnyway}
}

// Interactive is a scenario made in Go rather than read from a file — the demo `oobe` runs
// with no flags — with a file's defaults: the device named and identified from the scenario's
// name unless its profile says, in its tenant's cloud, the default steps and start. The
// tenant is a demo tenant (DemoTenants) or one of the caller's, copied, not changed.
func Interactive(name string, t *sim.Tenant, upn string, prof profile.DeviceProfile, a Autopilot) (*Scenario, error) {
	if err := oobe.ValidateNameTemplate(a.DeviceNameTemplate); err != nil {
		return nil, fmt.Errorf("autopilot.deviceNameTemplate: %w", err)
	}
	c := *t
	c.Source = "demo"
	sc := &Scenario{File: "demo", Rel: "demo", Name: name, Tenant: &c, Start: DefaultStart, Autopilot: a, Steps: DefaultSteps()}
	for _, app := range c.Apps {
		if app.Public {
			sc.ClientID = app.ClientID
			break
		}
	}
	if sc.ClientID == "" {
		return nil, fmt.Errorf("tenant %s has no public client app to sign in with", c.Name)
	}
	for _, u := range c.Users {
		if strings.EqualFold(u.UPN, upn) {
			sc.User, sc.Password = u.UPN, u.Password
		}
	}
	if sc.User == "" {
		return nil, fmt.Errorf("user %q is not a user of tenant %s", upn, c.Name)
	}
	if prof.Name == "" {
		prof.Name = "DESKTOP-" + strings.ToUpper(stableHex(name)[:7])
	}
	if prof.DeviceID == "" {
		prof.DeviceID = stableGUID("device", name)
	}
	cloud := c.Cloud
	if cloud == "" {
		cloud = profile.CloudGlobal
	}
	if prof.Cloud == "" {
		prof.Cloud = cloud
	} else if prof.Cloud != cloud {
		return nil, fmt.Errorf("device.cloud %q differs from the tenant's cloud %q: a device is set up in its tenant's cloud", prof.Cloud, cloud)
	}
	sc.Device = device.State{Profile: prof, Settings: map[string]map[string]json.RawMessage{}}
	if err := sc.Device.Normalize(); err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	if err := sc.Device.Validate(); err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	sc.Expect.FinalStage = new(oobe.StageDesktop)
	return sc, nil
}
