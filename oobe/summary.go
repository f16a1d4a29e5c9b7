package oobe

import (
	"strings"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/profile"
)

// Summary is what a run did, as every driver tells it: the desktop's summary, `oobe run`'s
// stdout and --json, and the accessible mode. It is derived from an Outcome alone
// (Summarize), so two drivers given one run cannot disagree: a restore is "restored" only
// when the restore ran to its report, a choice is one only when the person made it, and the
// errors setup got past are listed, not only the last.
type Summary struct {
	// Result is how the run ended: ResultFinished at the desktop, ResultFailed on an error
	// setup could not get past (or Reset device), ResultInterrupted when it stopped first.
	Result string `json:"result"`
	// Stage is where it ended; StageTitle the screen's title there.
	Stage      Stage  `json:"stage"`
	StageTitle string `json:"stageTitle"`
	User       string `json:"user,omitempty"`
	// DeviceName is the device's name at the end: the restored one when the restore applied
	// it, else the Autopilot profile's, else the device's own.
	DeviceName string `json:"deviceName,omitempty"`
	// DeviceNameFrom says where it came from: NameFromRestore, NameFromAutopilot or "" (the
	// device kept its own).
	DeviceNameFrom string `json:"deviceNameFrom,omitempty"`
	// Restore is setup's restore page and restore.
	Restore RestoreSummary `json:"restore"`
	// Intune is the restore status setup decided, and whether it reached Intune; nil when the
	// run ended before deciding one.
	Intune *IntuneSummary `json:"intune,omitempty"`
	// ContinuedPast are the errors the person saw and setup got past (Continue anyway on the
	// ESP, a failed restore, a status that did not reach Intune), in order.
	ContinuedPast []Problem `json:"continuedPast"`
	// Error is what ended the run, for ResultFailed and ResultInterrupted.
	Error *Problem `json:"error,omitempty"`
	// FirstSignIn is the first sign-in after enrollment, when the run went on to it.
	FirstSignIn *RestoreSummary `json:"firstSignIn,omitempty"`
}

// How a run ended (Summary.Result).
const (
	ResultFinished    = "finished"
	ResultFailed      = "failed"
	ResultInterrupted = "interrupted"
)

// Where the device's name came from (Summary.DeviceNameFrom).
const (
	NameFromRestore   = "restore"
	NameFromAutopilot = "autopilot"
)

// RestoreSummary is one restore moment: whether its page showed, what the person chose and
// what came of it.
type RestoreSummary struct {
	// Page is PageShown, PageNotShown (Reasons say why) or PageNotReached (the run ended
	// before the moment was decided).
	Page    string           `json:"page"`
	Reasons []restore.Reason `json:"reasons,omitempty"`
	// Choice is ChoiceRestore (From is the previous PC), ChoiceNew, or "" when the person
	// made none.
	Choice string `json:"choice,omitempty"`
	From   string `json:"from,omitempty"`
	// Outcome is RestoreDone, RestoreFailed or RestoreNotRun (chosen, but the run ended
	// before the restore); "" without a choice to restore.
	Outcome string `json:"outcome,omitempty"`
	// Counts and Items are the restore's report: Items lists what was not restored (skipped
	// or failed), each with why.
	Counts *apply.Counts      `json:"counts,omitempty"`
	Items  []apply.ItemResult `json:"items,omitempty"`
	// Error is why the moment failed: the restore's error, or (first sign-in) why the page
	// could not be decided.
	Error *Problem `json:"error,omitempty"`
}

// Restore page states, choices and outcomes (RestoreSummary).
const (
	PageShown      = "shown"
	PageNotShown   = "notShown"
	PageNotReached = "notReached"

	ChoiceRestore = "restore"
	ChoiceNew     = "new"

	RestoreDone   = "restored"
	RestoreFailed = "failed"
	RestoreNotRun = "notRun"
)

// IntuneSummary is the restore status setup reports to Intune.
type IntuneSummary struct {
	Status   string `json:"status"`
	Reported bool   `json:"reported"`
}

// Problem is an error the person saw: where, its text and code, and what it means.
type Problem struct {
	Stage       Stage        `json:"stage"`
	Text        string       `json:"text"`
	Code        string       `json:"code,omitempty"`
	Explanation *Explanation `json:"explanation,omitempty"`
}

func problem(stage Stage, text, code string) *Problem {
	p := &Problem{Stage: stage, Text: text, Code: code}
	if e, ok := ExplainError(text, code); ok {
		p.Explanation = &e
	}
	return p
}

// Summarize tells what out says happened. out is any run's outcome, however it ended.
func Summarize(out *Outcome) Summary {
	s := Summary{Stage: out.FinalStage, StageTitle: out.FinalStage.Title(), User: out.User, ContinuedPast: []Problem{}}
	switch {
	case out.Interrupted:
		s.Result = ResultInterrupted
	case out.FinalStage == StageDesktop:
		s.Result = ResultFinished
	case out.FinalStage == StageFailed:
		s.Result = ResultFailed
	default:
		s.Result = ResultInterrupted
	}
	ending := -1 // the transcript's event that ended the run, if an error did
	if s.Result != ResultFinished {
		for i := len(out.Transcript) - 1; i >= 0; i-- {
			if e := out.Transcript[i]; e.Kind == EventError {
				ending = i
				break
			}
		}
		if out.Error != "" {
			stage := out.FinalStage
			if ending >= 0 {
				stage = out.Transcript[ending].Stage
			}
			s.Error = &Problem{Stage: stage, Text: out.Error, Code: out.ErrorCode}
			if e, ok := ExplainEnded(out.Error, out.ErrorCode); ok {
				s.Error.Explanation = &e
			}
			if s.Result == ResultInterrupted {
				s.Error.Text = interruptedText(out)
			}
		}
	}
	for i, e := range out.Transcript {
		if i == ending || e.Stage.AfterDesktop() {
			continue
		}
		code := ""
		switch d := e.Detail.(type) {
		case ErrorDetail:
			code = d.Code
		case ESPFailure:
			code = d.Code
		}
		// Errors the person saw, and the warnings that carry a code (errorSeen's): a status
		// that did not reach Intune. Other warnings are the rules' and the faults' notes.
		if e.Kind == EventError || (e.Kind == EventWarning && code != "" && e.Stage == StageDesktop) {
			s.ContinuedPast = append(s.ContinuedPast, *problem(e.Stage, e.Text, code))
		}
	}
	s.DeviceName = out.DeviceName
	if out.DeviceName != "" && out.Transcript != nil && autopilotNamed(out) {
		s.DeviceNameFrom = NameFromAutopilot
	}
	s.Restore = setupRestore(out)
	for _, r := range []*apply.Report{out.Report, firstSignInReport(out)} {
		if name := restoredName(r); name != "" {
			s.DeviceName, s.DeviceNameFrom = name, NameFromRestore
		}
	}
	if out.IntuneStatus != "" {
		s.Intune = &IntuneSummary{Status: out.IntuneStatus, Reported: out.Reported}
	}
	if fs := out.FirstSignIn; fs != nil {
		f := firstSignInRestore(fs, out.FinalStage)
		s.FirstSignIn = &f
	}
	return s
}

// interruptedText says where a run stopped and why, in words for the person: the run's own
// error names the flow's internals ("Person.Region: input ended").
func interruptedText(out *Outcome) string {
	why := strings.TrimPrefix(out.Error, "interrupted: ")
	switch {
	case strings.Contains(why, "context canceled"):
		why = "it was cancelled"
	case strings.Contains(why, "input ended"):
		why = "the answers ran out"
	default:
		if _, rest, ok := strings.Cut(why, ": "); ok && strings.HasPrefix(why, "Person.") {
			why = rest
		}
	}
	return "Setup stopped at “" + out.FinalStage.Title() + "”: " + why + "."
}

// autopilotNamed reports whether the Autopilot profile named the device during enrollment.
func autopilotNamed(out *Outcome) bool {
	for _, e := range out.Transcript {
		if e.Stage == StageEnrollment && e.Kind == EventInfo && strings.HasPrefix(e.Text, "The device is named ") {
			return true
		}
	}
	return false
}

// restoredName is the device name a restore applied, if it did.
func restoredName(r *apply.Report) string {
	if r == nil {
		return ""
	}
	for _, it := range r.Items {
		if it.Kind == apply.KindDeviceName && it.Outcome == apply.Applied {
			return it.Name
		}
	}
	return ""
}

func firstSignInReport(out *Outcome) *apply.Report {
	if out.FirstSignIn == nil {
		return nil
	}
	return out.FirstSignIn.Report
}

// setupRestore is setup's restore moment.
func setupRestore(out *Outcome) RestoreSummary {
	r := RestoreSummary{Page: PageNotReached}
	switch {
	case out.RestorePage:
		r.Page = PageShown
	case out.Eligibility != nil:
		r.Page = PageNotShown
		r.Reasons = out.Eligibility.Reasons
		return r
	default:
		return r
	}
	switch {
	case out.Chosen != "":
		r.Choice, r.From = ChoiceRestore, backupName(out.Backups, out.Chosen)
	case out.IntuneStatus == backup.StatusSetupAsNew:
		r.Choice = ChoiceNew
		return r
	default:
		return r // the run ended on the page, before a choice
	}
	switch {
	case out.Report != nil:
		r.Outcome = RestoreDone
		report(&r, out.Report)
	case out.IntuneStatus == backup.StatusFailed:
		r.Outcome = RestoreFailed
		for _, e := range out.Transcript {
			if e.Stage == StageRestoreApply && e.Kind == EventError {
				r.Error = problem(e.Stage, e.Text, CodeRestoreApplyFailed)
			}
		}
	default:
		r.Outcome = RestoreNotRun
	}
	return r
}

// firstSignInRestore is the first sign-in's restore moment.
func firstSignInRestore(fs *FirstSignInOutcome, final Stage) RestoreSummary {
	r := RestoreSummary{Page: PageNotReached}
	switch {
	case fs.RestorePage:
		r.Page = PageShown
	case fs.Eligibility != nil:
		r.Page = PageNotShown
		r.Reasons = fs.Eligibility.Reasons
		return r
	default:
		if fs.Error != "" {
			r.Page = PageNotShown
			r.Error = problem(StageFirstSignIn, fs.Error, fs.ErrorCode)
		}
		return r
	}
	switch {
	case fs.Chosen != "":
		r.Choice, r.From = ChoiceRestore, backupName(fs.Backups, fs.Chosen)
	case final == StageDesktop:
		r.Choice = ChoiceNew
		return r
	default:
		return r
	}
	switch {
	case fs.Report != nil:
		r.Outcome = RestoreDone
		report(&r, fs.Report)
	case fs.Error != "":
		r.Outcome = RestoreFailed
		r.Error = problem(StageFirstSignInRestore, fs.Error, fs.ErrorCode)
	default:
		r.Outcome = RestoreNotRun
	}
	return r
}

// report fills in a restore's counts and the items it did not restore.
func report(r *RestoreSummary, rep *apply.Report) {
	c := rep.Counts
	r.Counts = &c
	r.Items = []apply.ItemResult{}
	for _, it := range rep.Items {
		if it.Outcome != apply.Applied {
			r.Items = append(r.Items, it)
		}
	}
}

// backupName is the device name of the listed previous PC with that windowsDeviceId.
func backupName(listed []profile.BackupProfile, id string) string {
	for _, b := range listed {
		if strings.EqualFold(b.WindowsDeviceID, id) {
			return b.DeviceName
		}
	}
	return id
}
