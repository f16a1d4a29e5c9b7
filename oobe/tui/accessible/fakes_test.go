package accessible_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/tui/accessible"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/profile"
)

// The fakes stand in for the tenant and the device as oobe's own tests do (oobe/fakes_test.go):
// the flow under test is the real one.

const (
	userCode   = "QX7PK2M9R"
	passphrase = "correct-horse-battery"
	codePage   = "https://microsoft.com/devicelogin"
)

var (
	start   = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	adele   = auth.Identity{UPN: "adele.vance@contoso.com", Name: "Adele Vance", TenantID: "0c3f5e1a-6d9b-4a52-9f1e-2b7d8c4e5a10", ObjectID: "5b8e2c71-3f4a-4d6e-8a9b-1c2d3e4f5a6b"}
	newPCID = "7d1c9e40-2b3a-4f5d-8e6c-9a0b1c2d3e4f"
	oldPCID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
	oldPC2  = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
)

// fakeSignIn signs adele in. With approved set, a device code waits (in real time) until it
// is closed, as a code waits for the verification page; without, it takes 40 virtual seconds.
type fakeSignIn struct {
	clock    *clock.Virtual
	approved chan struct{}
	opened   []string
}

func (s *fakeSignIn) session() *oobe.Session {
	return &oobe.Session{Identity: adele, Expiry: s.clock.Now().Add(time.Hour)}
}

func (s *fakeSignIn) DeviceCode(ctx context.Context, show func(auth.DeviceCodePrompt)) (*oobe.Session, error) {
	show(auth.DeviceCodePrompt{UserCode: userCode, VerificationURI: codePage,
		Message:   "To sign in, use a web browser to open the page " + codePage + " and enter the code " + userCode + " to authenticate.",
		ExpiresAt: s.clock.Now().Add(15 * time.Minute), Interval: 5 * time.Second})
	if s.approved == nil {
		if err := s.clock.Sleep(ctx, 40*time.Second); err != nil {
			return nil, err
		}
		return s.session(), nil
	}
	select {
	case <-s.approved:
		return s.session(), nil
	case <-ctx.Done():
		return nil, &auth.SignInError{Code: auth.CodeCancelled, Reason: "cancelled", Err: ctx.Err()}
	case <-time.After(2 * time.Minute): // a hang bound, not a speed
		return nil, errors.New("the test's device code was never approved")
	}
}

func (s *fakeSignIn) Browser(ctx context.Context, open func(string) error) (*oobe.Session, error) {
	u := "https://login.microsoftonline.com/" + adele.TenantID + "/oauth2/v2.0/authorize?client_id=x&state=st4te&code_challenge=abc"
	if err := open(u); err != nil {
		return nil, &auth.SignInError{Code: auth.CodeAccessDenied, Reason: "the browser sign-in did not finish", Err: err}
	}
	if err := s.clock.Sleep(ctx, 40*time.Second); err != nil {
		return nil, err
	}
	return s.session(), nil
}

// fakeCloud is the tenant: the restore page enabled, adele's two previous PCs.
type fakeCloud struct {
	profiles  []profile.BackupProfile
	reportErr error
}

func (c *fakeCloud) RestorePageState(context.Context) (string, error) {
	return restore.RestorePageEnabled, nil
}
func (c *fakeCloud) RestoreAccess(context.Context) error { return nil }
func (c *fakeCloud) BackupProfiles(context.Context) ([]profile.BackupProfile, error) {
	return c.profiles, nil
}
func (c *fakeCloud) ReportRestore(context.Context, backup.RestoreResult) error { return c.reportErr }

// fakeDevice is a real simulated device in a temporary directory, restored by the real
// apply engine.
type fakeDevice struct {
	dir     string
	profile profile.DeviceProfile
}

func (d *fakeDevice) Profile() profile.DeviceProfile { return d.profile }
func (d *fakeDevice) SerialNumber() string           { return "5CG1234XYZ" }
func (d *fakeDevice) Apply(ctx context.Context, c *backup.Content, owner backup.Owner) (*apply.Report, error) {
	return apply.ApplyContent(ctx, d.dir, c, owner)
}

func eligibleDevice() profile.DeviceProfile {
	return profile.DeviceProfile{OS: "10.0.22631.4317", Edition: "Enterprise", Join: profile.JoinEntra,
		Provisioning: profile.ProvisioningUserDriven, Cloud: profile.CloudGlobal, Architecture: device.ArchX64,
		Name: "DESKTOP-NEW0001", DeviceID: newPCID, TenantID: adele.TenantID}
}

// backupOf is adele's backup of a lived-in PC, as Graph lists it.
func backupOf(t *testing.T, id, name, os string, last time.Time) profile.BackupProfile {
	t.Helper()
	owner := backup.Owner{TenantID: adele.TenantID, ObjectID: adele.ObjectID}
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

// world is one run's fakes, configuration and options, fresh for every test.
type world struct {
	clock  *clock.Virtual
	signIn *fakeSignIn
	cloud  *fakeCloud
	cfg    oobe.Config
	opts   accessible.Options
	out    bytes.Buffer

	mu       sync.Mutex
	approved []string // the codes Approve was given
	opened   []string // the URLs Open was given
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{clock: clock.NewVirtual(start)}
	w.signIn = &fakeSignIn{clock: w.clock}
	w.cloud = &fakeCloud{profiles: []profile.BackupProfile{
		backupOf(t, oldPCID, "ADELE-LAPTOP", "10.0.22631.5768", start.Add(-2*24*time.Hour)),
		backupOf(t, oldPC2, "ADELE-OLD", "10.0.19045.6216", start.Add(-40*24*time.Hour)),
	}}
	dir := filepath.Join(t.TempDir(), "new-pc")
	if _, err := device.Init(dir, device.State{Profile: eligibleDevice()}); err != nil {
		t.Fatal(err)
	}
	w.cfg = oobe.Config{
		Clock:    w.clock,
		SignIn:   w.signIn,
		Connect:  func(context.Context, *oobe.Session) (oobe.Cloud, error) { return w.cloud, nil },
		Device:   &fakeDevice{dir: dir, profile: eligibleDevice()},
		Branding: oobe.Branding{TenantName: "Contoso", DeviceNameTemplate: "CONTOSO-%SERIAL%"},
		Networks: []oobe.Network{{Name: "Ethernet", Wired: true}, {Name: "CONTOSO-GUEST", Security: backup.WiFiWPA2Personal}, {Name: "CAFE", Security: backup.WiFiOpen}},
	}
	w.opts = accessible.Options{Out: &w.out, LogsDir: filepath.Join(t.TempDir(), "logs"),
		Open: func(url string) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.opened = append(w.opened, url)
			return nil
		}}
	return w
}

// withApproval makes the device code wait for Approve, which approves it.
func (w *world) withApproval(fails int) {
	w.signIn.approved = make(chan struct{})
	var once sync.Once
	w.opts.Approve = func(_ context.Context, p auth.DeviceCodePrompt) error {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.approved = append(w.approved, p.UserCode)
		if len(w.approved) <= fails {
			return errors.New("the sign-in page did not answer")
		}
		once.Do(func() { close(w.signIn.approved) })
		return nil
	}
}

// run plays the setup with answers as its input, one a line.
func (w *world) run(t *testing.T, answers ...string) (*oobe.Outcome, error) {
	t.Helper()
	if w.opts.In == nil {
		w.opts.In = strings.NewReader(lines(answers...))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang bound, not a speed
	defer cancel()
	return accessible.Run(ctx, w.cfg, w.opts)
}

func lines(answers ...string) string {
	if len(answers) == 0 {
		return ""
	}
	return strings.Join(answers, "\n") + "\n"
}

// choices lists the run's "choice" events.
func choices(out *oobe.Outcome) []string {
	var c []string
	for _, e := range out.Transcript {
		if e.Kind == oobe.EventChoice {
			c = append(c, e.Text)
		}
	}
	return c
}
