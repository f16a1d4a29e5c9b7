package oobe

import (
	"errors"
	"fmt"
	"time"
)

// The Enrollment Status Page's phases (domain.md §4).
const (
	PhaseDevicePreparation = "Device preparation"
	PhaseDeviceSetup       = "Device setup"
	PhaseAccountSetup      = "Account setup"
)

// Statuses of an ESP phase or item. Items show "Identifying" first, while the ESP learns what
// it tracks.
const (
	ESPWaiting            = "Waiting for previous step to complete"
	ESPIdentifying        = "Identifying"
	ESPInProgress         = "In progress"
	ESPComplete           = "Complete"
	ESPFailed             = "Failed"
	ESPPreviousStepFailed = "Previous step failed"
)

// The rows of each phase.
const (
	itemSecureHardware     = "Secure your hardware"
	itemJoinNetwork        = "Join your organization's network"
	itemRegisterMDM        = "Register your device for mobile management"
	itemSecurityPolicies   = "Security policies"
	itemCertificates       = "Certificates"
	itemNetworkConnections = "Network connections"
	itemApps               = "Apps"
)

// DefaultESPTimeout is the ESP's default timeout (domain.md §4).
const DefaultESPTimeout = 60 * time.Minute

// forever is a wait that only a deadline ends: a row that hangs, a user without a license.
const forever = time.Duration(1<<63 - 1)

// espIdentify is how long a phase shows "Identifying" before it starts on its items.
const espIdentify = 30 * time.Second

type espStep struct {
	name string
	took time.Duration
}

// espPlan is the ESP's rows and how long each takes in virtual time: made-up but plausible
// figures (Apps dominates), fixed so a transcript's timestamps are the same on every run.
var espPlan = []struct {
	phase string
	items []espStep
}{
	{PhaseDevicePreparation, []espStep{{itemSecureHardware, 30 * time.Second}, {itemJoinNetwork, 45 * time.Second}, {itemRegisterMDM, time.Minute}}},
	{PhaseDeviceSetup, []espStep{{itemSecurityPolicies, 2 * time.Minute}, {itemCertificates, time.Minute}, {itemNetworkConnections, time.Minute}, {itemApps, 8 * time.Minute}}},
	{PhaseAccountSetup, []espStep{{itemSecurityPolicies, time.Minute}, {itemCertificates, time.Minute}, {itemNetworkConnections, time.Minute}, {itemApps, 4 * time.Minute}}},
}

// NewESP is the page before any phase starts: every row waiting, as a screen first draws it.
func NewESP() []ESPPhase {
	phases := make([]ESPPhase, len(espPlan))
	for i, p := range espPlan {
		phases[i] = ESPPhase{Name: p.phase, Status: ESPWaiting, Items: make([]ESPItem, len(p.items))}
		for j, it := range p.items {
			phases[i].Items[j] = ESPItem{Name: it.name, Status: ESPWaiting}
		}
	}
	return phases
}

// phaseFault is how one phase goes wrong, if it does.
type phaseFault struct {
	failItem  string // this row fails…
	failCode  string // …showing this code…
	failAfter time.Duration
	hangItem  string // this row never finishes
	// identifyForever keeps every row "Identifying" (a user without an Intune license).
	identifyForever bool
	// deadline is when the phase times out; zero for none.
	deadline time.Time
}

// phaseEnd is how a phase ended.
type phaseEnd struct {
	failed   bool
	timedOut bool
	item     string // the row that failed or was stuck, "" when the whole phase was
	code     string
}

// ESPStatus is the detail of a "status" event: one ESP row (or, with Item "", a phase) and
// its new status.
type ESPStatus struct {
	Phase  string `json:"phase"`
	Item   string `json:"item,omitempty"`
	Status string `json:"status"`
	Code   string `json:"code,omitempty"`
}

// setESP changes one row's (or, for item "", a phase's) status and says so in the transcript.
func (f *flow) setESP(phase int, item, status, code string) {
	p := &f.out.ESP[phase]
	text := p.Name + ": " + status
	if item == "" {
		p.Status = status
	} else {
		for i := range p.Items {
			if p.Items[i].Name == item {
				p.Items[i].Status, p.Items[i].Code = status, code
			}
		}
		text = p.Name + " — " + item + ": " + status
	}
	if code != "" {
		text += " (" + code + ")"
	}
	f.event(EventStatus, text, ESPStatus{Phase: p.Name, Item: item, Status: status, Code: code})
}

// wait sleeps d on the run's clock, or until deadline if that comes first; it reports whether
// the deadline cut the wait short.
func (f *flow) wait(d time.Duration, deadline time.Time) (timedOut bool, err error) {
	if deadline.IsZero() && d == forever {
		return false, errors.New("oobe: an endless ESP wait without a timeout (a bug in the flow)")
	}
	if !deadline.IsZero() {
		if left := deadline.Sub(f.cfg.Clock.Now()); d > left {
			if left > 0 {
				if err := f.cfg.Clock.Sleep(f.ctx, left); err != nil {
					return false, err
				}
			}
			return true, nil
		}
	}
	return false, f.cfg.Clock.Sleep(f.ctx, d)
}

// runPhase plays one ESP phase in virtual time: every row "Identifying", then each row in
// order "In progress" and "Complete", unless pf makes one fail, hang or never get identified.
func (f *flow) runPhase(phase int, pf phaseFault) (phaseEnd, error) {
	plan := espPlan[phase]
	f.setESP(phase, "", ESPIdentifying, "")
	for _, it := range plan.items {
		f.setESP(phase, it.name, ESPIdentifying, "")
	}
	identify := espIdentify
	if pf.identifyForever {
		identify = forever
	}
	timedOut, err := f.wait(identify, pf.deadline)
	if err != nil {
		return phaseEnd{}, err
	}
	if timedOut {
		f.setESP(phase, "", ESPFailed, "")
		return phaseEnd{failed: true, timedOut: true, code: CodeESPTimeout}, nil
	}
	f.setESP(phase, "", ESPInProgress, "")
	for i, it := range plan.items {
		f.setESP(phase, it.name, ESPInProgress, "")
		took := it.took
		switch it.name {
		case pf.hangItem:
			took = forever
		case pf.failItem:
			took = pf.failAfter
		}
		timedOut, err := f.wait(took, pf.deadline)
		if err != nil {
			return phaseEnd{}, err
		}
		end := phaseEnd{}
		switch {
		case timedOut:
			end = phaseEnd{failed: true, timedOut: true, item: it.name, code: CodeESPTimeout}
		case it.name == pf.failItem:
			end = phaseEnd{failed: true, item: it.name, code: pf.failCode}
		}
		if end.failed {
			f.setESP(phase, it.name, ESPFailed, end.code)
			for _, later := range plan.items[i+1:] {
				f.setESP(phase, later.name, ESPPreviousStepFailed, "")
			}
			f.setESP(phase, "", ESPFailed, "")
			return end, nil
		}
		f.setESP(phase, it.name, ESPComplete, "")
	}
	f.setESP(phase, "", ESPComplete, "")
	return phaseEnd{}, nil
}

// espFailure is what the page shows for a phase that ended badly.
func espFailure(phase string, end phaseEnd) ESPFailure {
	return ESPFailure{Phase: phase, Item: end.item, Message: ESPErrorText, Code: end.code, TimedOut: end.timedOut}
}

func (e ESPFailure) String() string {
	where := e.Phase
	if e.Item != "" {
		where += " — " + e.Item
	}
	what := "failed"
	if e.TimedOut {
		what = "timed out"
	}
	return fmt.Sprintf("%s %s: %s (%s)", where, what, e.Message, e.Code)
}
