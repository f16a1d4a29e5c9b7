// Package oobe is the Windows Autopilot user-driven setup as an explicit state machine: the
// stages of domain.md §4, their faults, and the outcome of a run. It has no terminal and no
// HTTP: sign-in, the cloud and the device sit behind the interfaces below.
package oobe

import (
	"context"
	"slices"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/profile"
)

// Stage is one screen of the setup, in domain.md §4's order.
type Stage string

// The stages, in the order a run passes them.
const (
	StageRegion           Stage = "region"
	StageKeyboard         Stage = "keyboard"
	StageSecondKeyboard   Stage = "secondKeyboard"
	StageNetwork          Stage = "network"
	StageUpdateCheck      Stage = "updateCheck"      // OOBE critical update check
	StageAutopilotProfile Stage = "autopilotProfile" // profile download and branding
	StageSignIn           Stage = "signIn"
	StageEnrollment       Stage = "enrollment" // Entra join and MDM enrollment
	StageEligibility      Stage = "eligibility"
	StageRestorePage      Stage = "restorePage"
	StageESP              Stage = "esp"            // Enrollment Status Page
	StageQualityUpdates   Stage = "qualityUpdates" // only when the ESP installs them
	StageRestoreApply     Stage = "restoreApply"
	StageDesktop          Stage = "desktop"
	// The user's first sign-in after enrollment, when Config.FirstSignIn has the run go on
	// past the desktop (shared/domain.md §7.1): the check, the same restore page as setup,
	// and the restore. The person is at the desktop again when it ends.
	StageFirstSignIn            Stage = "firstSignIn"
	StageFirstSignInRestorePage Stage = "firstSignInRestorePage"
	StageFirstSignInRestore     Stage = "firstSignInRestore"
	// StageFailed is where a run ends on an error the person cannot get past (an enrollment
	// error, a sign-in failure, "Reset device").
	StageFailed Stage = "failed"
)

// Stages lists the stages in order (StageFailed excluded).
func Stages() []Stage {
	return []Stage{StageRegion, StageKeyboard, StageSecondKeyboard, StageNetwork, StageUpdateCheck, StageAutopilotProfile,
		StageSignIn, StageEnrollment, StageEligibility, StageRestorePage, StageESP, StageQualityUpdates, StageRestoreApply, StageDesktop,
		StageFirstSignIn, StageFirstSignInRestorePage, StageFirstSignInRestore}
}

// AfterDesktop reports whether s is one of the first-sign-in stages, which come after the
// desktop and end at it again.
func (s Stage) AfterDesktop() bool {
	return s == StageFirstSignIn || s == StageFirstSignInRestorePage || s == StageFirstSignInRestore
}

// SignInMethod is how the person signs in.
type SignInMethod string

// Sign-in methods.
const (
	SignInDeviceCode SignInMethod = "deviceCode"
	SignInBrowser    SignInMethod = "browser"
	// SignInPage is the tenant's sign-in page on the device itself, as setup shows it: the
	// username and password are typed on the device and the page is the auth code flow's
	// browser (Person.Browser is called with its address, and signs in there).
	SignInPage SignInMethod = "page"
)

// Session is a signed-in user as the flow needs them; tokens stay inside the SignIn.
type Session struct {
	Identity auth.Identity
	// Expiry is when the access token expires, in the flow's clock.
	Expiry time.Time
}

// SignIn signs the person in against Entra (real or simulated). DeviceCode calls show with the
// code the person types on the verification page, before it starts polling.
type SignIn interface {
	DeviceCode(ctx context.Context, show func(auth.DeviceCodePrompt)) (*Session, error)
	Browser(ctx context.Context, open func(url string) error) (*Session, error)
}

// Cloud is the tenant as the device sees it after sign-in: Graph and the restore service.
// Implementations refresh an expiring token themselves (graph.TokenSource).
type Cloud interface {
	// RestorePageState is the tenant's "Show restore page" flag (enabled, disabled, notConfigured).
	RestorePageState(ctx context.Context) (string, error)
	// RestoreAccess gets the restore app's token; Conditional Access or an MFA demand refuse it
	// with an *auth.SignInError.
	RestoreAccess(ctx context.Context) error
	// BackupProfiles lists the user's previous PCs, newest first.
	BackupProfiles(ctx context.Context) ([]profile.BackupProfile, error)
	// ReportRestore tells Intune the device's restore status.
	ReportRestore(ctx context.Context, r backup.RestoreResult) error
}

// Device is the machine being set up.
type Device interface {
	Profile() profile.DeviceProfile
	// Apply restores content to the device (restore/apply), refusing another owner's backup.
	Apply(ctx context.Context, content *backup.Content, owner backup.Owner) (*apply.Report, error)
}

// SerialNumberer is a Device that knows its hardware serial number, for the device name
// template's %SERIAL%. A Device without it gets one derived from its Entra device id.
type SerialNumberer interface {
	SerialNumber() string
}

// Namer is a Device that can take the name the Autopilot profile's template gives it. Intune
// then manages the name, so a backup's device name does not replace it (MDM policy wins).
type Namer interface {
	ApplyDeviceName(ctx context.Context, name, source string) error
}

// Person makes the choices a person makes at each screen. The headless replay answers from a
// scenario's steps; the terminal UI from key presses. Every method may block; returning an
// error (e.g. ctx's) ends the run.
type Person interface {
	Region(ctx context.Context, offered []string) (string, error)
	Keyboard(ctx context.Context, offered []string) (string, error)
	// SecondKeyboard returns "" to skip.
	SecondKeyboard(ctx context.Context, offered []string) (string, error)
	// Network returns the network to join (wired, or a Wi-Fi SSID) and its passphrase.
	Network(ctx context.Context, offered []Network) (Network, string, error)
	SignInMethod(ctx context.Context, branding Branding) (SignInMethod, error)
	// DeviceCode is shown the code; the person acts on the verification page (approve, deny,
	// wrong password, …) or lets it expire — that happens outside the flow, before polling.
	DeviceCode(ctx context.Context, prompt auth.DeviceCodePrompt)
	// Browser plays the browser for the auth-code flow: it opens url and signs in (or not).
	Browser(ctx context.Context, url string) error
	// RestoreChoice picks a previous PC by windowsDeviceId, or "" for "Set up as new PC".
	RestoreChoice(ctx context.Context, profiles []profile.BackupProfile) (string, error)
	// FirstSignInRestoreChoice is the same choice on the restore page Windows shows at the
	// user's first sign-in after enrollment.
	FirstSignInRestoreChoice(ctx context.Context, profiles []profile.BackupProfile) (string, error)
	// ESPFailure chooses what to do when the ESP fails or times out.
	ESPFailure(ctx context.Context, f ESPFailure) (ESPChoice, error)
}

// SignInBacker is a Person who can leave a sign-in under way — the device code's wait, the
// browser's — as Esc does in the terminal UI. The flow watches the channel while a sign-in
// runs and ends that sign-in on a value: "" goes back to the ways to sign in (SignInMethod is
// asked again), a method signs in that way instead (a browser that did not open falls back to
// a code). A Person without it never leaves a sign-in (the headless replay).
type SignInBacker interface {
	SignInBack() <-chan SignInMethod
}

// Network is a network the setup offers.
type Network struct {
	Name     string `json:"name" yaml:"name"`
	Wired    bool   `json:"wired,omitempty" yaml:"wired,omitempty"`
	Security string `json:"security,omitempty" yaml:"security,omitempty"` // open, wpa2Personal, …
}

// Secured is whether joining n asks for a passphrase: a Wi-Fi network that is not open.
func (n Network) Secured() bool {
	return !n.Wired && n.Security != "" && n.Security != backup.WiFiOpen
}

// Branding is what the Autopilot profile shows on the sign-in screen.
type Branding struct {
	TenantName         string `json:"tenantName"`
	DeploymentMode     string `json:"deploymentMode"`     // "userDriven"
	DeviceNameTemplate string `json:"deviceNameTemplate"` // e.g. CONTOSO-%SERIAL%, max 15 characters
	DeviceName         string `json:"deviceName"`         // the template applied
}

// ESPChoice is what the person picks on an ESP failure.
type ESPChoice string

// ESP choices.
const (
	ESPContinueAnyway ESPChoice = "continueAnyway"
	ESPResetDevice    ESPChoice = "resetDevice"
)

// ESPFailure is an ESP error as the page shows it.
type ESPFailure struct {
	Phase    string `json:"phase"`   // Device preparation, Device setup, Account setup
	Item     string `json:"item"`    // e.g. Apps
	Message  string `json:"message"` // the page's text
	Code     string `json:"code,omitempty"`
	TimedOut bool   `json:"timedOut,omitempty"`
}

// Config is one run's wiring: the injected clock and the parts behind interfaces.
type Config struct {
	Clock  clock.Clock
	SignIn SignIn
	// Connect gives the Cloud for a signed-in session.
	Connect func(ctx context.Context, s *Session) (Cloud, error)
	Device  Device
	Person  Person
	Faults  Faults
	// Branding comes with the Autopilot profile.
	Branding Branding
	// Regions, Keyboards and Networks are what the screens offer (defaults when empty).
	Regions   []string
	Keyboards []string
	Networks  []Network
	// JoinNetwork, when set, is the network's side of joining n with passphrase, after the
	// connect wait: the access point refuses a wrong key with ErrWrongNetworkKey, and the
	// person is asked again. Nil takes any key (a network whose key nobody knows here).
	JoinNetwork func(n Network, passphrase string) error
	// ESPTimeout is the ESP's timeout (0 = 60 minutes).
	ESPTimeout time.Duration
	// QualityUpdateDuration is how long installing quality updates takes (0 = 20 to 40
	// minutes, fixed per device: see docs/flow.md).
	QualityUpdateDuration time.Duration
	// FirstSignIn has the run go on past the desktop to the user's first sign-in after
	// enrollment, where Windows offers restore to a user who did not restore in setup
	// (shared/domain.md §7.1; restore.EvaluateFirstSignIn has the rules).
	FirstSignIn bool
	// Observe, when set, is told every event as it happens (for a live UI).
	Observe func(Event)
}

// Faults are the engine-side faults of a run. Tenant-side ones — Graph 429 and 5xx,
// Conditional Access, MFA demands, token expiry — are set on the simulated tenant and reach
// the flow as errors from SignIn and Cloud.
type Faults struct {
	// NetworkLostAt is the stage at which the network drops ("" = never).
	NetworkLostAt Stage `json:"networkLostAt,omitempty"`
	// EnrollmentError is the code of one of EnrollmentErrors() ("" = none).
	EnrollmentError      string `json:"enrollmentError,omitempty"`
	ESPAppInstallFailure bool   `json:"espAppInstallFailure,omitempty"`
	ESPTimeout           bool   `json:"espTimeout,omitempty"`
	RestoreApplyFailure  bool   `json:"restoreApplyFailure,omitempty"`
	// NoIntuneLicense keeps the ESP "Identifying" until it times out (domain.md §4).
	NoIntuneLicense bool `json:"noIntuneLicense,omitempty"`
}

// FaultName names one of the engine's faults as a scenario writes it (the Faults field's JSON name).
type FaultName string

// The engine's faults.
const (
	FaultNetworkLostAt        FaultName = "networkLostAt"
	FaultEnrollmentError      FaultName = "enrollmentError"
	FaultESPAppInstallFailure FaultName = "espAppInstallFailure"
	FaultESPTimeout           FaultName = "espTimeout"
	FaultNoIntuneLicense      FaultName = "noIntuneLicense"
	FaultRestoreApplyFailure  FaultName = "restoreApplyFailure"
)

// NotFired is the transcript's warning for a fault set that the run never reached.
func (n FaultName) NotFired() string {
	return "fault " + string(n) + " did not fire: the run never reached the point where it acts"
}

// Set lists the faults fs sets, in the order the flow reaches them.
func (fs Faults) Set() []FaultName {
	var out []FaultName
	for _, c := range []struct {
		name FaultName
		set  bool
	}{
		{FaultNetworkLostAt, fs.NetworkLostAt != ""},
		{FaultEnrollmentError, fs.EnrollmentError != ""},
		{FaultESPAppInstallFailure, fs.ESPAppInstallFailure},
		{FaultESPTimeout, fs.ESPTimeout},
		{FaultNoIntuneLicense, fs.NoIntuneLicense},
		{FaultRestoreApplyFailure, fs.RestoreApplyFailure},
	} {
		if c.set {
			out = append(out, c.name)
		}
	}
	return out
}

// Validate says what is wrong with fs, as Run would refuse it: a stage the network cannot be
// lost at, an enrollment error that is not one of EnrollmentErrors(), two faults on one row.
func (fs Faults) Validate() error { return checkFaults(fs) }

// NetworkLossStages are the stages Faults.NetworkLostAt may name: from joining the network to
// the restore.
func NetworkLossStages() []Stage {
	all := Stages()
	return all[slices.Index(all, StageNetwork) : slices.Index(all, StageRestoreApply)+1]
}

// EnrollmentError is an error a user can see during enrollment, with its real code and text.
type EnrollmentError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Stage   Stage  `json:"stage"`
	// Cause is what is wrong and what the admin can do, from Microsoft's troubleshooting pages.
	Cause string `json:"cause"`
	// Item is the ESP Device preparation row that fails, when Windows shows it there.
	Item string `json:"item,omitempty"`
}

// Event is one line of a run's transcript, stamped with the virtual time.
type Event struct {
	At     time.Time `json:"at"`
	Stage  Stage     `json:"stage"`
	Kind   EventKind `json:"kind"`
	Text   string    `json:"text"`
	Detail any       `json:"detail,omitempty"`
}

// Outcome is the result of a run: what a QA engineer asserts on.
type Outcome struct {
	// FinalStage is where the person ends up: StageDesktop for a setup that finished (after
	// the first sign-in too, which ends at the desktop), StageFailed, or the stage a run
	// was interrupted at (Interrupted), which may be the desktop itself.
	FinalStage Stage `json:"finalStage"`
	// Interrupted is whether the run stopped before its end, for ctx or a Person error (Run
	// returns that error too); Error then says why.
	Interrupted  bool   `json:"interrupted,omitempty"`
	IntuneStatus string `json:"intuneStatus"`
	// Reported is whether the Intune status reached the tenant (Cloud.ReportRestore).
	Reported bool `json:"reported"`
	// User is the signed-in user's UPN; DeviceName the name the Autopilot profile gave.
	User        string                  `json:"user,omitempty"`
	DeviceName  string                  `json:"deviceName,omitempty"`
	RestorePage bool                    `json:"restorePageShown"`
	Eligibility *restore.Eligibility    `json:"eligibility,omitempty"`
	Backups     []profile.BackupProfile `json:"backups"`
	Chosen      string                  `json:"chosen,omitempty"` // windowsDeviceId, "" for new
	Report      *apply.Report           `json:"report,omitempty"`
	ESP         []ESPPhase              `json:"esp,omitempty"`
	Error       string                  `json:"error,omitempty"`
	ErrorCode   string                  `json:"errorCode,omitempty"`
	Transcript  []Event                 `json:"transcript"`
	// UnfiredFaults are the faults set that the run never reached, in the order of
	// Faults.Set; the transcript warns of each too.
	UnfiredFaults []FaultName `json:"unfiredFaults,omitempty"`
	// FirstSignIn is the user's first sign-in after enrollment, when Config.FirstSignIn
	// asked for it and the run reached it. The fields above are setup's.
	FirstSignIn *FirstSignInOutcome `json:"firstSignIn,omitempty"`
}

// FirstSignInOutcome is what happened at the user's first sign-in after enrollment. Intune's
// reporting for this moment is not documented (shared/domain.md §7.1), so nothing is
// reported and there is no status.
type FirstSignInOutcome struct {
	Eligibility *restore.FirstSignIn `json:"eligibility,omitempty"`
	RestorePage bool                 `json:"restorePageShown"`
	// Backups is what the page listed (none when it did not show).
	Backups []profile.BackupProfile `json:"backups"`
	Chosen  string                  `json:"chosen,omitempty"` // windowsDeviceId, "" for new
	Report  *apply.Report           `json:"report,omitempty"`
	// Error is the restore's failure, when it failed; the person is at the desktop anyway.
	Error     string `json:"error,omitempty"`
	ErrorCode string `json:"errorCode,omitempty"`
}

// ESPPhase is one of the ESP's three phases with its items.
type ESPPhase struct {
	Name   string    `json:"name"`
	Status string    `json:"status"` // Waiting for previous step to complete, Identifying, In progress, Complete, Failed
	Items  []ESPItem `json:"items"`
}

// ESPItem is one line of an ESP phase.
type ESPItem struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	// Code is the error code a failed item shows, e.g. 0x81036502.
	Code string `json:"code,omitempty"`
}
