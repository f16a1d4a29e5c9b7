package replay

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/profile"
	"github.com/oobe-dev/oobe/sim"
)

// These types are the on-disk shape of a scenario file (docs/scenarios.md). Their yaml tags
// are the only keys a file may use: checkKeys walks them to refuse any other key with its
// line, and the schema test walks them to check docs/scenario.schema.json names the same keys.

// scenarioFile is one scenario file.
type scenarioFile struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Tenant      tenantSpec    `yaml:"tenant"`
	Device      deviceSpec    `yaml:"device"`
	User        string        `yaml:"user"`
	Start       string        `yaml:"start"`
	Autopilot   autopilotSpec `yaml:"autopilot"`
	Faults      faultsSpec    `yaml:"faults"`
	Steps       stepsSpec     `yaml:"steps"`
	OldPC       *oldPCSpec    `yaml:"oldPC"`
	Admin       *adminSpec    `yaml:"admin"`
	Expect      expectSpec    `yaml:"expect"`
}

// tenantSpec names a demo tenant (fixture) or defines one inline; with a fixture only the
// tenant-wide settings may be changed.
type tenantSpec struct {
	Fixture           string                 `yaml:"fixture"`
	ID                string                 `yaml:"id"`
	Name              string                 `yaml:"name"`
	Domains           []string               `yaml:"domains"`
	Cloud             string                 `yaml:"cloud"`
	RestorePage       string                 `yaml:"restorePage"`
	ConditionalAccess *sim.ConditionalAccess `yaml:"conditionalAccess"`
	Users             []userSpec             `yaml:"users"`
}

// userSpec mirrors a tenant fixture's user (docs/fixtures.md); tenant.ParseTenant checks it.
type userSpec struct {
	UPN             string       `yaml:"upn"`
	DisplayName     string       `yaml:"displayName"`
	Password        string       `yaml:"password"`
	ObjectID        string       `yaml:"objectId"`
	Admin           bool         `yaml:"admin"`
	GenerateBackups int          `yaml:"generateBackups"`
	Backups         []backupSpec `yaml:"backups"`
	// ConditionalAccess overrides the tenant's for this user.
	ConditionalAccess *sim.UserConditionalAccess `yaml:"conditionalAccess"`
	// MFA are the user's methods beyond the password.
	MFA *mfaSpec `yaml:"mfa"`
}

// mfaSpec mirrors a tenant fixture user's mfa (docs/fixtures.md); tenant.ParseTenant checks it.
type mfaSpec struct {
	Authenticator       string   `yaml:"authenticator"`
	Passkey             bool     `yaml:"passkey"`
	TemporaryAccessPass *tapSpec `yaml:"temporaryAccessPass"`
}

// tapSpec is a Temporary Access Pass: the pass alone, or {pass, usableOnce}.
type tapSpec struct {
	Pass       string `yaml:"pass"`
	UsableOnce bool   `yaml:"usableOnce"`
}

// UnmarshalYAML takes the pass alone or a mapping (whose keys checkKeys has checked).
func (t *tapSpec) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		*t = tapSpec{Pass: node.Value}
		return nil
	}
	type plain tapSpec
	var p plain
	if err := node.Decode(&p); err != nil {
		return err
	}
	*t = tapSpec(p)
	return nil
}

// backupSpec mirrors a tenant fixture's backup: one previous PC and what its backup holds.
type backupSpec struct {
	Device     string            `yaml:"device"`
	DeviceID   string            `yaml:"deviceId"`
	OS         string            `yaml:"os"`
	Created    string            `yaml:"created"`
	LastBackup string            `yaml:"lastBackup"`
	Retired    string            `yaml:"retired"`
	Content    sim.BackupContent `yaml:"content"`
}

// deviceSpec is a device profile (the fields of `oobe check`'s profile files) and, optionally,
// what the device already holds before setup: settings, policies, apps, pins.
type deviceSpec struct {
	profile.DeviceProfile `yaml:",inline"`
	// Sample starts from device.Sample's lived-in state instead of an empty device.
	Sample      bool                      `yaml:"sample"`
	Settings    map[string]map[string]any `yaml:"settings"`
	WiFi        []wifiSpec                `yaml:"wifi"`
	StoreApps   []appSpec                 `yaml:"storeApps"`
	StartPins   []pinSpec                 `yaml:"startPins"`
	StartTiles  []tileSpec                `yaml:"startTiles"`
	TaskbarPins []pinSpec                 `yaml:"taskbarPins"`
	Policies    []policySpec              `yaml:"policies"`
}

type wifiSpec struct {
	SSID     string `yaml:"ssid"`
	Security string `yaml:"security"`
}

type appSpec struct {
	ProductID     string   `yaml:"productId"`
	Name          string   `yaml:"name"`
	Architecture  string   `yaml:"architecture"`
	Architectures []string `yaml:"architectures"`
}

type pinSpec struct {
	AppID string `yaml:"appId"`
	Name  string `yaml:"name"`
}

type tileSpec struct {
	AppID string `yaml:"appId"`
	Name  string `yaml:"name"`
	Group string `yaml:"group"`
	Size  string `yaml:"size"`
}

type policySpec struct {
	Category string `yaml:"category"`
	Name     string `yaml:"name"`
	Value    any    `yaml:"value"`
	Source   string `yaml:"source"`
}

// autopilotSpec is the Autopilot profile the device downloads.
type autopilotSpec struct {
	DeviceNameTemplate string `yaml:"deviceNameTemplate"`
	ESPTimeout         string `yaml:"espTimeout"`
}

// faultsSpec holds the engine's faults (oobe.Faults) and the tenant's.
type faultsSpec struct {
	NetworkLostAt        string `yaml:"networkLostAt"`
	EnrollmentError      string `yaml:"enrollmentError"`
	ESPAppInstallFailure bool   `yaml:"espAppInstallFailure"`
	ESPTimeout           bool   `yaml:"espTimeout"`
	RestoreApplyFailure  bool   `yaml:"restoreApplyFailure"`
	NoIntuneLicense      bool   `yaml:"noIntuneLicense"`
	// AccessTokenLifetime shortens the tenant's access tokens so they expire mid-flow.
	AccessTokenLifetime string              `yaml:"accessTokenLifetime"`
	Endpoints           []endpointFaultSpec `yaml:"endpoints"`
}

// endpointFaultSpec is one sim.Fault.
type endpointFaultSpec struct {
	Endpoint   string `yaml:"endpoint"`
	Kind       string `yaml:"kind"`
	Times      int    `yaml:"times"`
	RetryAfter string `yaml:"retryAfter"`
	Status     int    `yaml:"status"`
	Delay      string `yaml:"delay"`
}

// stepsSpec is what the person does at each screen.
type stepsSpec struct {
	Region         string      `yaml:"region"`
	Keyboard       string      `yaml:"keyboard"`
	SecondKeyboard string      `yaml:"secondKeyboard"`
	Network        networkSpec `yaml:"network"`
	SignIn         signInSpec  `yaml:"signIn"`
	Restore        string      `yaml:"restore"`
	ESP            string      `yaml:"esp"`
	// FirstSignIn goes on past the desktop to the user's first sign-in after enrollment.
	FirstSignIn *firstSignInStepSpec `yaml:"firstSignIn"`
}

// firstSignInStepSpec is what the person does at their first sign-in after enrollment.
type firstSignInStepSpec struct {
	Restore string `yaml:"restore"`
}

// networkSpec is `wired` or a Wi-Fi network {ssid, password, security}.
type networkSpec struct {
	Wired    bool   `yaml:"-"`
	SSID     string `yaml:"ssid"`
	Password string `yaml:"password"`
	Security string `yaml:"security"`
}

// UnmarshalYAML takes the scalar `wired` or a Wi-Fi mapping (whose keys checkKeys has checked).
func (n *networkSpec) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		if node.Value != "wired" {
			return fmt.Errorf("line %d: steps.network %q: want wired, or a Wi-Fi network {ssid: …, password: …}", node.Line, node.Value)
		}
		*n = networkSpec{Wired: true}
		return nil
	}
	type plain networkSpec
	var p plain
	if err := node.Decode(&p); err != nil {
		return err
	}
	*n = networkSpec(p)
	return nil
}

type signInSpec struct {
	Method string `yaml:"method"`
	Action string `yaml:"action"`
	// MFA is what the person does at the sign-in page's MFA step.
	MFA string `yaml:"mfa"`
}

// adminSpec is what an admin does before setup starts.
type adminSpec struct {
	// DeleteBackups is the UPN of the admin who deletes every Windows backup of the user.
	DeleteBackups string `yaml:"deleteBackups"`
}

// oldPCSpec is a previous PC that backs up on the 8-day schedule before the flow starts.
type oldPCSpec struct {
	Device deviceSpec `yaml:"device"`
	Days   int        `yaml:"days"`
}

// expectSpec is what must be true at the end; a key left out is not checked.
type expectSpec struct {
	RestorePage  *string        `yaml:"restorePage"`
	Reasons      *[]string      `yaml:"reasons"`
	IntuneStatus *string        `yaml:"intuneStatus"`
	Backups      *[]string      `yaml:"backups"`
	BackupCount  *int           `yaml:"backupCount"`
	Items        *itemsSpec     `yaml:"items"`
	Device       map[string]any `yaml:"device"`
	FinalStage   *string        `yaml:"finalStage"`
	Error        *string        `yaml:"error"`
	ErrorCode    *string        `yaml:"errorCode"`
	// FirstSignIn is what must hold at the user's first sign-in (steps.firstSignIn).
	FirstSignIn *firstSignInExpectSpec `yaml:"firstSignIn"`
}

// firstSignInExpectSpec is expect.firstSignIn.
type firstSignInExpectSpec struct {
	RestorePage *string   `yaml:"restorePage"`
	Reasons     *[]string `yaml:"reasons"`
	Backups     *[]string `yaml:"backups"`
	// Restored is the previous PC restored there (device name), or new for Set up as new PC.
	Restored *string `yaml:"restored"`
}

// itemsSpec checks the apply report: exact counts per outcome, and names that must have an outcome.
type itemsSpec struct {
	Counts *outcomeCounts `yaml:"counts"`
	Names  *outcomeNames  `yaml:"names"`
}

// perOutcome holds one value for each apply outcome, under the outcome's name.
type perOutcome[T any] struct {
	Applied       T `yaml:"applied"`
	AlreadySet    T `yaml:"alreadySet"`
	KeptByPolicy  T `yaml:"keptByPolicy"`
	NotSupported  T `yaml:"notSupported"`
	NotRestorable T `yaml:"notRestorable"`
	Failed        T `yaml:"failed"`
}

type (
	outcomeCounts = perOutcome[*int]     // expect.items.counts; nil when not given
	outcomeNames  = perOutcome[[]string] // expect.items.names; nil when not given
)

// of is the value for one apply outcome.
func (p *perOutcome[T]) of(o apply.Outcome) T {
	switch o {
	case apply.Applied:
		return p.Applied
	case apply.AlreadySet:
		return p.AlreadySet
	case apply.KeptByPolicy:
		return p.KeptByPolicy
	case apply.NotSupported:
		return p.NotSupported
	case apply.NotRestorable:
		return p.NotRestorable
	case apply.Failed:
		return p.Failed
	}
	panic("replay: expect.items has no field for apply outcome " + string(o))
}
