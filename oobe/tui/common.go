package tui

import (
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/profile"
)

// MinWidth and MinHeight are the smallest window the screens are drawn for; below it the UI
// asks for a larger window instead.
const (
	MinWidth  = 80
	MinHeight = 24
)

// Common is what every screen shares: styles, keys, the window's size and what the flow has
// said so far. The root model owns it; screens read it.
type Common struct {
	Styles *Styles
	Keys   KeyMap
	// Width and Height are the size a screen's body may use: the window without the header
	// and the help footer.
	Width, Height int
	// Clock is the flow's clock: countdowns, elapsed times and "3 days ago" read it.
	Clock clock.Clock
	Flow  *FlowState
	// Simulated is whether the tenant is the simulator's: the presenter key works there.
	Simulated bool
	// Piloted is whether a pilot answers the screens (a replay, --demo): what they show
	// must repeat from run to run.
	Piloted bool
	// Actions are the effects screens may start, inside commands only.
	Actions *Actions
}

// FlowState is what the flow has told the UI, built from its events and questions.
type FlowState struct {
	// Stage is the stage the flow is in (its last "enter" event).
	Stage      oobe.Stage
	Transcript []oobe.Event
	Branding   oobe.Branding
	// Prompt is the device code being shown, once there is one.
	Prompt *auth.DeviceCodePrompt
	// BrowserURL is where the browser sign-in was opened.
	BrowserURL string
	// User is the signed-in user's UPN.
	User string
	// Backups are the previous PCs the restore page lists, with their content.
	Backups []profile.BackupProfile
	// Eligibility is the restore decision, once made.
	Eligibility *restore.Eligibility
	// FirstSignIn is the decision at the user's first sign-in after setup, once made.
	FirstSignIn *restore.FirstSignIn
	// ESP is the Enrollment Status Page's phases as the status events left them.
	ESP []oobe.ESPPhase
	// ESPStarted is when Device preparation started (the ESP's elapsed time).
	ESPStarted time.Time
	// Progress is the restore's progress, one entry per category done (of the restore under
	// way: setup's, or the first sign-in's).
	Progress []oobe.RestoreProgress
	// Outcome is the run's result, once the flow has ended; Err its error.
	Outcome *oobe.Outcome
	Err     error
}

// observe folds one event of the flow into the state.
func (f *FlowState) observe(e oobe.Event) {
	f.Transcript = append(f.Transcript, e)
	switch e.Kind {
	case oobe.EventEnter:
		f.Stage = e.Stage
		switch e.Stage {
		case oobe.StageEnrollment:
			f.ESP, f.ESPStarted = oobe.NewESP(), e.At
		case oobe.StageRestoreApply, oobe.StageFirstSignInRestore:
			f.Progress = nil
		}
	case oobe.EventStatus:
		st, ok := e.Detail.(oobe.ESPStatus)
		if !ok {
			return
		}
		for i := range f.ESP {
			p := &f.ESP[i]
			if p.Name != st.Phase {
				continue
			}
			if st.Item == "" {
				p.Status = st.Status
				continue
			}
			for j := range p.Items {
				if p.Items[j].Name == st.Item {
					p.Items[j].Status, p.Items[j].Code = st.Status, st.Code
				}
			}
		}
	case oobe.EventProgress:
		if p, ok := e.Detail.(oobe.RestoreProgress); ok {
			f.Progress = append(f.Progress, p)
		}
	}
	switch d := e.Detail.(type) {
	case restore.Eligibility:
		f.Eligibility = &d
	case restore.FirstSignIn:
		f.FirstSignIn = &d
	case oobe.Branding: // the Autopilot profile: the device name its template gives
		f.Branding = d
	}
}
