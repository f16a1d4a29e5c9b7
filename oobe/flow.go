package oobe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/profile"
)

// EventKind is what an Event says happened; its text is the transcript's "kind".
type EventKind string

// Event kinds.
const (
	EventEnter   EventKind = "enter"   // a stage starts; Text is its title
	EventChoice  EventKind = "choice"  // the person chose something
	EventInfo    EventKind = "info"    // something happened
	EventWarning EventKind = "warning" // something went wrong that setup gets past
	EventError   EventKind = "error"   // an error the person sees
	EventStatus  EventKind = "status"  // an ESP row or phase changed status (Detail is an ESPStatus)
	// EventProgress is a step of the restore as Windows carries it out (Detail is a
	// RestoreProgress).
	EventProgress EventKind = "progress"
)

// RestoreProgress is the detail of a "progress" event: how far the restore has got, one
// category of the backup at a time.
type RestoreProgress struct {
	// Category is the one just finished (apps, accountsAndWifi, personalization, …).
	Category string `json:"category"`
	Done     int    `json:"done"`
	Total    int    `json:"total"`
	// Counts are the outcomes of the category's items.
	Counts apply.Counts `json:"counts"`
}

// ErrorDetail is the detail of an "error" or "warning" event that has a code.
type ErrorDetail struct {
	Code string `json:"code"`
}

// RestoreEntry is one previous PC as the restore page lists it: the detail of its "enter"
// event, newest backup first.
type RestoreEntry struct {
	WindowsDeviceID string    `json:"windowsDeviceId"`
	DeviceName      string    `json:"deviceName"`
	LastBackup      time.Time `json:"lastBackup"`
	OSVersion       string    `json:"osVersion"`
}

// Title is what the screen of a stage says at the top.
func (s Stage) Title() string {
	switch s {
	case StageRegion:
		return "Is this the right country or region?"
	case StageKeyboard:
		return "Is this the right keyboard layout or input method?"
	case StageSecondKeyboard:
		return "Want to add a second keyboard layout?"
	case StageNetwork:
		return "Let's connect you to a network"
	case StageUpdateCheck:
		return "Checking for updates"
	case StageAutopilotProfile:
		return "Getting the Autopilot profile"
	case StageSignIn:
		return "Sign in with your work or school account"
	case StageEnrollment:
		return "Joining Microsoft Entra ID and enrolling in Intune"
	case StageEligibility:
		return "Checking whether this PC can restore from a previous PC"
	case StageRestorePage:
		return "Restore from your previous PC"
	case StageESP:
		return "Enrollment Status Page"
	case StageQualityUpdates:
		return "Installing Windows quality updates"
	case StageRestoreApply:
		return "Restoring your settings and apps"
	case StageDesktop:
		return "Desktop"
	case StageFirstSignIn:
		return "Signing in for the first time after setup"
	case StageFirstSignInRestorePage:
		return "Restore from your previous PC"
	case StageFirstSignInRestore:
		return "Restoring your settings and apps"
	case StageFailed:
		return "Setup failed"
	}
	return string(s)
}

// Defaults for what the screens offer.
var (
	defaultRegions   = []string{"United States", "United Kingdom", "Canada", "Germany", "France", "Netherlands", "Japan", "Australia"}
	defaultKeyboards = []string{"US", "United Kingdom", "Canadian Multilingual Standard", "German", "French", "Dutch", "Japanese", "US International"}
	defaultNetworks  = []Network{{Name: "Ethernet", Wired: true}, {Name: "CONTOSO-GUEST", Security: "wpa2Personal"}}
)

// Virtual-time durations of the screens that do work: plausible, fixed figures.
const (
	connectTook      = 5 * time.Second
	updateCheckTook  = time.Minute
	profileTook      = 15 * time.Second
	restoreApplyTook = time.Minute
	networkAttempts  = 3
)

// handler runs one stage and names the next.
type handler func(*flow) (Stage, error)

// handlers is the state machine: one function per stage. Each returns the stage that follows;
// legal checks the step against Stages()' order.
var handlers = map[Stage]handler{
	StageRegion:           (*flow).region,
	StageKeyboard:         (*flow).keyboard,
	StageSecondKeyboard:   (*flow).secondKeyboard,
	StageNetwork:          (*flow).network,
	StageUpdateCheck:      (*flow).updateCheck,
	StageAutopilotProfile: (*flow).autopilotProfile,
	StageSignIn:           (*flow).signIn,
	StageEnrollment:       (*flow).enrollment,
	StageEligibility:      (*flow).eligibility,
	StageRestorePage:      (*flow).restorePage,
	StageESP:              (*flow).esp,
	StageQualityUpdates:   (*flow).qualityUpdates,
	StageRestoreApply:     (*flow).restoreApply,
	StageDesktop:          (*flow).desktop,

	StageFirstSignIn:            (*flow).firstSignIn,
	StageFirstSignInRestorePage: (*flow).firstSignInRestorePage,
	StageFirstSignInRestore:     (*flow).firstSignInRestore,
}

// ErrBack is what a Person method answers to go back to the previous screen, where Windows
// has a Back button: from the keyboard screens and the network screen. Anywhere else it
// ends the run like any other error.
var ErrBack = errors.New("the person went back to the previous screen")

// backTo is the screen Back leads to, for the screens that have one.
var backTo = map[Stage]Stage{
	StageKeyboard:       StageRegion,
	StageSecondKeyboard: StageKeyboard,
	StageNetwork:        StageSecondKeyboard,
}

// optional are the stages a run may skip (the ESP only under Autopilot device preparation,
// which has none).
var optional = []Stage{StageRestorePage, StageESP, StageQualityUpdates, StageRestoreApply, StageFirstSignInRestorePage, StageFirstSignInRestore}

// legal reports whether a run may go from one stage to the next: forward only, skipping only
// the stages that are optional (the restore pages, quality updates, the restores), or Back
// where a screen has it.
func legal(from, to Stage) bool {
	if backTo[from] == to {
		return true
	}
	order := Stages()
	i, j := slices.Index(order, from), slices.Index(order, to)
	if i < 0 || j <= i {
		return false
	}
	for _, skipped := range order[i+1 : j] {
		if !slices.Contains(optional, skipped) {
			return false
		}
	}
	return true
}

// flow is one run: the configuration, where it is, and what it has learnt.
type flow struct {
	ctx   context.Context
	cfg   Config
	out   *Outcome
	stage Stage

	profile   profile.DeviceProfile
	nameParts []namePart
	branding  Branding
	joined    Network
	session   *Session
	cloud     Cloud
	chosen    *profile.BackupProfile
	enrollErr *EnrollmentError   // the enrollment error this run meets, if any
	tokenSeen bool               // the token's expiry has been noted
	fired     map[FaultName]bool // faults that fired
}

// Run plays the Autopilot user-driven setup from the first screen to the desktop (or to the
// screen where it fails), asking cfg.Person at each choice and cfg.SignIn, cfg.Connect's Cloud
// and cfg.Device for everything else, on cfg.Clock's time.
//
// A run that meets an error the person cannot get past — a sign-in failure, an enrollment
// error, a lost network, a Graph failure after the client's retries, "Reset device" — ends
// in StageFailed with Outcome.Error and ErrorCode set, and Run returns a nil error: that is a
// result, not a malfunction. Run returns an error (with nil Outcome) for a Config it cannot
// run, and (with the Outcome so far, FinalStage the stage it stopped at) when ctx is done or
// a Person method fails or answers with something not offered.
func Run(ctx context.Context, cfg Config) (*Outcome, error) {
	f, err := newFlow(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return f.run()
}

func newFlow(ctx context.Context, cfg Config) (*flow, error) {
	switch {
	case cfg.Clock == nil:
		return nil, errors.New("oobe: Config.Clock is nil")
	case cfg.SignIn == nil:
		return nil, errors.New("oobe: Config.SignIn is nil")
	case cfg.Connect == nil:
		return nil, errors.New("oobe: Config.Connect is nil")
	case cfg.Device == nil:
		return nil, errors.New("oobe: Config.Device is nil")
	case cfg.Person == nil:
		return nil, errors.New("oobe: Config.Person is nil")
	case cfg.ESPTimeout < 0:
		return nil, fmt.Errorf("oobe: Config.ESPTimeout %v is negative", cfg.ESPTimeout)
	case cfg.QualityUpdateDuration < 0:
		return nil, fmt.Errorf("oobe: Config.QualityUpdateDuration %v is negative", cfg.QualityUpdateDuration)
	case cfg.Branding.TenantName == "":
		return nil, errors.New("oobe: Config.Branding.TenantName is empty: the Autopilot profile shows the tenant's name")
	}
	f := &flow{ctx: ctx, cfg: cfg, fired: map[FaultName]bool{},
		out: &Outcome{Backups: []profile.BackupProfile{}, Transcript: []Event{}}}
	f.profile = cfg.Device.Profile()
	if err := f.profile.Validate(); err != nil {
		return nil, fmt.Errorf("oobe: Config.Device's profile: %w", err)
	}
	parts, err := parseNameTemplate(cfg.Branding.DeviceNameTemplate)
	if err != nil {
		return nil, fmt.Errorf("oobe: Config.Branding: %w", err)
	}
	f.nameParts = parts
	if err := checkFaults(cfg.Faults); err != nil {
		return nil, err
	}
	if err := checkOffers(cfg); err != nil {
		return nil, err
	}
	if c := cfg.Faults.EnrollmentError; c != "" {
		e, _ := LookupEnrollmentError(c)
		f.enrollErr = &e
	} else if ed, err := profile.ParseEdition(f.profile.Edition); err == nil && ed == "Home" {
		// Home cannot enroll at all (restore's edition rule cites the same page).
		e, _ := LookupEnrollmentError("0x80180022")
		f.enrollErr = &e
	}
	return f, nil
}

// checkFaults refuses faults a run cannot raise.
func checkFaults(fs Faults) error {
	if s := fs.NetworkLostAt; s != "" && !slices.Contains(NetworkLossStages(), s) {
		return fmt.Errorf("oobe: Faults.NetworkLostAt %q: the network can be lost from %q to %q", s, StageNetwork, StageRestoreApply)
	}
	if c := fs.EnrollmentError; c != "" {
		if _, ok := LookupEnrollmentError(c); !ok {
			var codes []string
			for _, e := range enrollmentErrors {
				codes = append(codes, e.Code)
			}
			return fmt.Errorf("oobe: Faults.EnrollmentError %q is not one of %v", c, codes)
		}
	}
	if fs.ESPAppInstallFailure && fs.ESPTimeout {
		return errors.New("oobe: Faults.ESPAppInstallFailure and Faults.ESPTimeout both act on Device setup's Apps row: set one")
	}
	return nil
}

// checkOffers refuses screens that offer nothing or the same thing twice.
func checkOffers(cfg Config) error {
	for _, l := range []struct {
		field string
		items []string
	}{{"Regions", cfg.Regions}, {"Keyboards", cfg.Keyboards}} {
		for i, s := range l.items {
			if s == "" || slices.Contains(l.items[:i], s) {
				return fmt.Errorf("oobe: Config.%s[%d] %q is empty or repeated", l.field, i, s)
			}
		}
	}
	for i, n := range cfg.Networks {
		if n.Name == "" || slices.ContainsFunc(cfg.Networks[:i], func(m Network) bool { return m.Name == n.Name }) {
			return fmt.Errorf("oobe: Config.Networks[%d] %q is unnamed or repeated", i, n.Name)
		}
	}
	return nil
}

// run is the state machine's loop: enter a stage, run its handler, follow its transition.
func (f *flow) run() (*Outcome, error) {
	st := StageRegion
	for {
		if err := f.ctx.Err(); err != nil {
			return f.interrupted(err)
		}
		f.stage = st
		f.event(EventEnter, st.Title(), f.screen(st))
		next, err := f.step(st)
		if err != nil {
			var fl *stageFailure
			switch {
			case f.ctx.Err() != nil:
				return f.interrupted(f.ctx.Err())
			case errors.As(err, &fl):
				f.fail(fl)
				return f.out, nil
			default:
				return f.interrupted(err)
			}
		}
		if next == "" {
			if st != StageDesktop && !st.AfterDesktop() {
				return f.interrupted(fmt.Errorf("oobe: %s named no next stage (a bug in the flow)", st))
			}
			// The first sign-in, when it runs, ends at the desktop too.
			f.stage = StageDesktop
			f.out.FinalStage = StageDesktop
			f.unfired()
			return f.out, nil
		}
		if !legal(st, next) {
			return f.interrupted(fmt.Errorf("oobe: no transition from %s to %s (a bug in the flow)", st, next))
		}
		st = next
	}
}

// step raises a lost network at the stage it is set for, or runs the stage.
func (f *flow) step(st Stage) (Stage, error) {
	if f.cfg.Faults.NetworkLostAt == st {
		f.fired[FaultNetworkLostAt] = true
		return "", &stageFailure{text: NoInternetText, code: CodeNetworkLost}
	}
	return handlers[st](f)
}

// screen is the detail of a stage's "enter" event: what the screen offers.
func (f *flow) screen(st Stage) any {
	switch st {
	case StageRegion:
		return orDefault(f.cfg.Regions, defaultRegions)
	case StageKeyboard, StageSecondKeyboard:
		return orDefault(f.cfg.Keyboards, defaultKeyboards)
	case StageNetwork:
		return orDefault(f.cfg.Networks, defaultNetworks)
	}
	return nil
}

func orDefault[T any](s, def []T) []T {
	if len(s) == 0 {
		return def
	}
	return s
}

// event adds one line to the transcript, stamped with the run's clock, and tells Observe.
func (f *flow) event(kind EventKind, text string, detail any) {
	e := Event{At: f.cfg.Clock.Now(), Stage: f.stage, Kind: kind, Text: text, Detail: detail}
	f.out.Transcript = append(f.out.Transcript, e)
	if f.cfg.Observe != nil {
		f.cfg.Observe(e)
	}
}

// errorSeen records an error the person saw: the transcript line, and the outcome's last error.
func (f *flow) errorSeen(kind EventKind, text, code string) {
	var detail any
	if code != "" {
		detail = ErrorDetail{Code: code}
	}
	f.event(kind, text, detail)
	f.out.Error, f.out.ErrorCode = text, code
}

// fail ends the run in StageFailed.
func (f *flow) fail(fl *stageFailure) {
	if !fl.shown {
		f.errorSeen(EventError, fl.text, fl.code)
	}
	f.out.Error, f.out.ErrorCode = fl.text, fl.code
	f.stage = StageFailed
	f.out.FinalStage = StageFailed
	f.event(EventEnter, StageFailed.Title(), nil)
	f.unfired()
}

// interrupted ends the run where it is, for ctx or the Person: no screen shows this.
func (f *flow) interrupted(err error) (*Outcome, error) {
	f.out.FinalStage, f.out.Interrupted = f.stage, true
	f.out.Error, f.out.ErrorCode = "interrupted: "+err.Error(), ""
	f.event(EventError, f.out.Error, nil)
	return f.out, fmt.Errorf("oobe: run stopped at %s: %w", f.stage, err)
}

// unfired warns about faults the run never reached, so a scenario that set one learns why it
// did not show.
func (f *flow) unfired() {
	for _, name := range f.cfg.Faults.Set() {
		if !f.fired[name] {
			f.out.UnfiredFaults = append(f.out.UnfiredFaults, name)
			f.event(EventWarning, name.NotFired(), nil)
		}
	}
}

// stageFailure ends a run in StageFailed: what the person sees and its code.
type stageFailure struct {
	text  string
	code  string
	err   error
	shown bool // the error event is already in the transcript
}

func (e *stageFailure) Error() string { return e.text }
func (e *stageFailure) Unwrap() error { return e.err }
