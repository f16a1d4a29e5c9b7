package oobe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/profile"
)

// Secrets the fakes hand the flow; none may appear in a transcript.
const (
	secretUserCode   = "QX7PK2M9R"
	secretState      = "st4te-n0nce-SECRET"
	secretPassphrase = "correct-horse-battery"
)

var (
	start   = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	adele   = auth.Identity{UPN: "adele.vance@contoso.com", Name: "Adele Vance", TenantID: "0c3f5e1a-6d9b-4a52-9f1e-2b7d8c4e5a10", ObjectID: "5b8e2c71-3f4a-4d6e-8a9b-1c2d3e4f5a6b"}
	newPCID = "7d1c9e40-2b3a-4f5d-8e6c-9a0b1c2d3e4f"
	oldPCID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
	oldPC2  = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
)

// fakeSignIn signs adele in after a fixed virtual wait, or fails with err.
type fakeSignIn struct {
	clock    *clock.Virtual
	err      error
	took     time.Duration
	lifetime time.Duration // of the access token
	calls    []string
}

func (s *fakeSignIn) session() *Session {
	return &Session{Identity: adele, Expiry: s.clock.Now().Add(s.lifetime)}
}

func (s *fakeSignIn) DeviceCode(ctx context.Context, show func(auth.DeviceCodePrompt)) (*Session, error) {
	s.calls = append(s.calls, "deviceCode")
	show(auth.DeviceCodePrompt{
		UserCode:        secretUserCode,
		VerificationURI: "https://microsoft.com/devicelogin",
		Message:         "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code " + secretUserCode + " to authenticate.",
		ExpiresAt:       s.clock.Now().Add(15 * time.Minute),
		Interval:        5 * time.Second,
	})
	if err := s.clock.Sleep(ctx, s.took); err != nil {
		return nil, &auth.SignInError{Code: auth.CodeCancelled, Reason: "cancelled", Err: err}
	}
	if s.err != nil {
		return nil, s.err
	}
	return s.session(), nil
}

func (s *fakeSignIn) Browser(ctx context.Context, open func(string) error) (*Session, error) {
	s.calls = append(s.calls, "browser")
	if err := open("https://login.microsoftonline.com/" + adele.TenantID + "/oauth2/v2.0/authorize?client_id=x&state=" + secretState + "&code_challenge=abc"); err != nil {
		return nil, &auth.SignInError{Code: auth.CodeAccessDenied, Reason: "the browser sign-in did not finish", Err: err}
	}
	if err := s.clock.Sleep(ctx, s.took); err != nil {
		return nil, err
	}
	if s.err != nil {
		return nil, s.err
	}
	return s.session(), nil
}

// fakeCloud is the tenant: fixed answers, and a record of the calls.
type fakeCloud struct {
	state      string
	stateErr   error
	accessErr  error
	profiles   []profile.BackupProfile
	backupsErr error
	reportErr  error
	calls      []string
	reported   []backup.RestoreResult
}

func (c *fakeCloud) RestorePageState(context.Context) (string, error) {
	c.calls = append(c.calls, "RestorePageState")
	return c.state, c.stateErr
}

func (c *fakeCloud) RestoreAccess(context.Context) error {
	c.calls = append(c.calls, "RestoreAccess")
	return c.accessErr
}

func (c *fakeCloud) BackupProfiles(context.Context) ([]profile.BackupProfile, error) {
	c.calls = append(c.calls, "BackupProfiles")
	if c.backupsErr != nil {
		return nil, c.backupsErr
	}
	return c.profiles, nil
}

func (c *fakeCloud) ReportRestore(_ context.Context, r backup.RestoreResult) error {
	c.calls = append(c.calls, "ReportRestore")
	if c.reportErr != nil {
		return c.reportErr
	}
	c.reported = append(c.reported, r)
	return nil
}

// fakeDevice is a real simulated device in a temporary directory, restored by the real apply
// engine, so an apply report is the engine's own.
type fakeDevice struct {
	dir     string
	profile profile.DeviceProfile
	serial  string
	applied []backup.Owner
}

func (d *fakeDevice) Profile() profile.DeviceProfile { return d.profile }
func (d *fakeDevice) SerialNumber() string           { return d.serial }

func (d *fakeDevice) Apply(ctx context.Context, c *backup.Content, owner backup.Owner) (*apply.Report, error) {
	d.applied = append(d.applied, owner)
	return apply.ApplyContent(ctx, d.dir, c, owner)
}

// fakePerson answers every screen from its fields, and records what it was shown.
type fakePerson struct {
	region, keyboard, second string
	network                  string
	passphrase               string
	method                   SignInMethod
	restore                  string // windowsDeviceId, "" for new, "newest" for the first listed
	firstSignInRestore       string // the same, on the first sign-in's restore page
	esp                      []ESPChoice
	failAt                   string // a method name that returns an error
	cancelAt                 string // a method name that cancels the run's context
	cancel                   context.CancelFunc
	backs                    map[string]int // methods that answer ErrBack, and how many times

	codesShown   int
	browserPages []string
	offered      []profile.BackupProfile
	offeredLater []profile.BackupProfile // at first sign-in
	espFailures  []ESPFailure
}

func (p *fakePerson) hook(ctx context.Context, method string) error {
	if p.backs[method] > 0 {
		p.backs[method]--
		return ErrBack
	}
	if p.cancelAt == method {
		p.cancel()
		return ctx.Err()
	}
	if p.failAt == method {
		return fmt.Errorf("the scenario has no step for %s", method)
	}
	return nil
}

func (p *fakePerson) Region(ctx context.Context, _ []string) (string, error) {
	return p.region, p.hook(ctx, "Region")
}

func (p *fakePerson) Keyboard(ctx context.Context, _ []string) (string, error) {
	return p.keyboard, p.hook(ctx, "Keyboard")
}

func (p *fakePerson) SecondKeyboard(ctx context.Context, _ []string) (string, error) {
	return p.second, p.hook(ctx, "SecondKeyboard")
}

func (p *fakePerson) Network(ctx context.Context, offered []Network) (Network, string, error) {
	return Network{Name: p.network}, p.passphrase, p.hook(ctx, "Network")
}

func (p *fakePerson) SignInMethod(ctx context.Context, _ Branding) (SignInMethod, error) {
	return p.method, p.hook(ctx, "SignInMethod")
}

func (p *fakePerson) DeviceCode(context.Context, auth.DeviceCodePrompt) { p.codesShown++ }

func (p *fakePerson) Browser(ctx context.Context, url string) error {
	p.browserPages = append(p.browserPages, url)
	return p.hook(ctx, "Browser")
}

func (p *fakePerson) RestoreChoice(ctx context.Context, profiles []profile.BackupProfile) (string, error) {
	p.offered = profiles
	if err := p.hook(ctx, "RestoreChoice"); err != nil {
		return "", err
	}
	if p.restore == "newest" && len(profiles) > 0 {
		return profiles[0].WindowsDeviceID, nil
	}
	return p.restore, nil
}

func (p *fakePerson) FirstSignInRestoreChoice(ctx context.Context, profiles []profile.BackupProfile) (string, error) {
	p.offeredLater = profiles
	if err := p.hook(ctx, "FirstSignInRestoreChoice"); err != nil {
		return "", err
	}
	if p.firstSignInRestore == "newest" && len(profiles) > 0 {
		return profiles[0].WindowsDeviceID, nil
	}
	return p.firstSignInRestore, nil
}

func (p *fakePerson) ESPFailure(ctx context.Context, f ESPFailure) (ESPChoice, error) {
	p.espFailures = append(p.espFailures, f)
	if err := p.hook(ctx, "ESPFailure"); err != nil {
		return "", err
	}
	if len(p.espFailures) > len(p.esp) {
		return "", errors.New("no ESP choice left")
	}
	return p.esp[len(p.espFailures)-1], nil
}

// world is one run's fakes and configuration, built fresh for every test.
type world struct {
	clock  *clock.Virtual
	signIn *fakeSignIn
	cloud  *fakeCloud
	device *fakeDevice
	person *fakePerson
	cfg    Config
	events []Event // as Observe saw them
}

// eligibleDevice is a device the restore page shows on: Windows 11 23H2 at its minimum build.
func eligibleDevice() profile.DeviceProfile {
	return profile.DeviceProfile{OS: "10.0.22631.4317", Edition: "Enterprise", Join: profile.JoinEntra,
		Provisioning: profile.ProvisioningUserDriven, Cloud: profile.CloudGlobal, Architecture: device.ArchX64,
		Name: "DESKTOP-NEW0001", DeviceID: newPCID, TenantID: adele.TenantID}
}

// backupOf makes adele's backup of a lived-in PC, as Graph would list it.
func backupOf(t *testing.T, id, name, os string, last time.Time, owner backup.Owner) profile.BackupProfile {
	t.Helper()
	st := device.Sample(profile.DeviceProfile{OS: os, Edition: "Enterprise", Join: profile.JoinEntra, Provisioning: profile.ProvisioningUserDriven,
		Cloud: profile.CloudGlobal, Architecture: device.ArchX64, Name: name, DeviceID: id, TenantID: owner.TenantID,
		EnableWindowsBackup: new(true)}) // the old PC's IT turned Windows Backup on
	if err := st.Normalize(); err != nil {
		t.Fatal(err)
	}
	c, _, err := device.Snapshot(&st, owner, last)
	if err != nil {
		t.Fatalf("backing up %s: %v", name, err)
	}
	return profile.BackupProfile{WindowsDeviceID: id, DeviceName: name, OSVersion: os, LastBackup: last,
		Created: last.Add(-30 * 24 * time.Hour), Expires: last.Add(180 * 24 * time.Hour), Active: true,
		Content: c, Summary: profile.Summarize(c)}
}

func adeleOwner() backup.Owner {
	return backup.Owner{TenantID: adele.TenantID, ObjectID: adele.ObjectID}
}

// newWorld is the happy path: an eligible PC, two backups, a person who restores the newest.
func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{clock: clock.NewVirtual(start)}
	w.signIn = &fakeSignIn{clock: w.clock, took: 40 * time.Second, lifetime: time.Hour}
	w.cloud = &fakeCloud{state: restore.RestorePageEnabled, profiles: []profile.BackupProfile{
		backupOf(t, oldPCID, "ADELE-LAPTOP", "10.0.22631.5768", start.Add(-2*24*time.Hour), adeleOwner()),
		backupOf(t, oldPC2, "ADELE-OLD", "10.0.19045.6216", start.Add(-40*24*time.Hour), adeleOwner()),
	}}
	dir := filepath.Join(t.TempDir(), "new-pc")
	if _, err := device.Init(dir, device.State{Profile: eligibleDevice()}); err != nil {
		t.Fatal(err)
	}
	w.device = &fakeDevice{dir: dir, profile: eligibleDevice(), serial: "5CG1234XYZ"}
	w.person = &fakePerson{region: "United States", keyboard: "US", network: "Ethernet", method: SignInDeviceCode, restore: "newest"}
	w.cfg = Config{
		Clock:    w.clock,
		SignIn:   w.signIn,
		Connect:  func(context.Context, *Session) (Cloud, error) { return w.cloud, nil },
		Device:   w.device,
		Person:   w.person,
		Branding: Branding{TenantName: "Contoso", DeviceNameTemplate: "CONTOSO-%SERIAL%"},
		Observe:  func(e Event) { w.events = append(w.events, e) },
	}
	return w
}

func (w *world) run(t *testing.T) *Outcome {
	t.Helper()
	out, err := Run(context.Background(), w.cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out
}

// entered lists the stages a run entered, in order.
func entered(out *Outcome) []Stage {
	var s []Stage
	for _, e := range out.Transcript {
		if e.Kind == EventEnter {
			s = append(s, e.Stage)
		}
	}
	return s
}

// find returns the first event of a kind whose text contains sub.
func find(out *Outcome, kind EventKind, sub string) (Event, bool) {
	for _, e := range out.Transcript {
		if e.Kind == kind && strings.Contains(e.Text, sub) {
			return e, true
		}
	}
	return Event{}, false
}

func enteredAt(t *testing.T, out *Outcome, st Stage) time.Time {
	t.Helper()
	for _, e := range out.Transcript {
		if e.Kind == EventEnter && e.Stage == st {
			return e.At
		}
	}
	t.Fatalf("the run never entered %s; stages: %v", st, entered(out))
	return time.Time{}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
