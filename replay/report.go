package replay

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/apply"
)

// Report is the result of one scenario: whether it passed, every expectation that failed,
// what the run ended with, and its transcript. It holds no token, password or device code and
// nothing that depends on the wall clock or the machine, so the same scenario gives the same
// report on every run.
type Report struct {
	Name     string    `json:"name"`
	File     string    `json:"file"`
	Passed   bool      `json:"passed"`
	Failures []Failure `json:"failures"`
	// VirtualDuration is how long the flow took on the virtual clock.
	VirtualDuration string  `json:"virtualDuration"`
	Outcome         Summary `json:"outcome"`
	Transcript      []Event `json:"transcript"`

	duration time.Duration
	start    time.Time // the flow's start, which transcript offsets count from
}

// Duration is how long the flow took on the virtual clock.
func (r *Report) Duration() time.Duration { return r.duration }

// Summary is what a run ended with, in the terms a scenario's expect uses.
type Summary struct {
	FinalStage   oobe.Stage `json:"finalStage"`
	IntuneStatus string     `json:"intuneStatus"`
	// Reported is whether the status reached the tenant.
	Reported    bool     `json:"reported"`
	RestorePage string   `json:"restorePage"` // shown or hidden
	Reasons     []string `json:"reasons"`
	Backups     []string `json:"backups"`
	// Chosen is the device name of the previous PC restored, "new", or "" when the page did not show.
	Chosen string        `json:"chosen,omitempty"`
	Items  *apply.Counts `json:"items,omitempty"`
	// Applied is the apply report item by item: what was restored, skipped or failed, and why.
	Applied   []apply.ItemResult `json:"appliedItems,omitempty"`
	Error     string             `json:"error,omitempty"`
	ErrorCode string             `json:"errorCode,omitempty"`
}

// Event is a transcript line: the engine's events, and the replay's own before the flow
// (stage "oldPC") and after it (stage "replay").
type Event struct {
	At     time.Time       `json:"at"`
	Stage  oobe.Stage      `json:"stage"`
	Kind   string          `json:"kind"`
	Text   string          `json:"text"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

// The replay's own transcript stages.
const (
	StageOldPC  oobe.Stage = "oldPC"
	StageReplay oobe.Stage = "replay"
)

// summarize turns an outcome into a Summary.
func summarize(out *oobe.Outcome) Summary {
	s := Summary{FinalStage: out.FinalStage, IntuneStatus: out.IntuneStatus, Reported: out.Reported,
		RestorePage: "hidden", Reasons: reasonIDs(out), Backups: backupNames(out),
		Error: out.Error, ErrorCode: out.ErrorCode}
	if out.RestorePage {
		s.RestorePage = "shown"
		s.Chosen = RestoreNew
		for _, b := range out.Backups {
			if out.Chosen != "" && strings.EqualFold(b.WindowsDeviceID, out.Chosen) {
				s.Chosen = b.DeviceName
			}
		}
	}
	if out.Report != nil {
		c := out.Report.Counts
		s.Items = &c
		s.Applied = out.Report.Items
	}
	return s
}

// WriteJSON writes reports one JSON object per line, in the order given.
func WriteJSON(w io.Writer, reports []*Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range reports {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// Line is the one line a report gets in a run's output: PASS or FAIL, the name and the
// virtual duration.
func (r *Report) Line() string {
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s %s (%s)", verdict, r.Name, r.VirtualDuration)
}

// transcriptContext is how many events around the diverging stage a failure shows.
const transcriptContext = 3

// WriteFailure explains a failed report: the file, each expectation with what happened, and
// the transcript around the stage where the first one is decided.
func (r *Report) WriteFailure(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "    %s\n", r.File)
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "    %s\n        expected: %s\n        got:      %s\n", f.Field, f.Expected, f.Got)
	}
	if len(r.Failures) > 0 && len(r.Transcript) > 0 {
		stage := r.Failures[0].Stage
		lo, hi := window(r.Transcript, stage)
		where := "where the run stopped"
		if stage != "" {
			where = "around " + string(stage)
		}
		fmt.Fprintf(&b, "    transcript %s (events %d–%d of %d):\n", where, lo+1, hi, len(r.Transcript))
		start := r.start
		if start.IsZero() {
			start = r.Transcript[0].At
		}
		for _, e := range r.Transcript[lo:hi] {
			fmt.Fprintf(&b, "      %s %-16s %-8s %s\n", offset(e.At.Sub(start)), e.Stage, e.Kind, e.Text)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// window is the range of events from a few before stage's first event to a few after its
// last; without events in stage, the last events of the run.
func window(events []Event, stage oobe.Stage) (int, int) {
	first, last := -1, -1
	for i, e := range events {
		if stage != "" && e.Stage == stage {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		lo := max(0, len(events)-2*transcriptContext-2)
		return lo, len(events)
	}
	return max(0, first-transcriptContext), min(len(events), last+1+transcriptContext)
}

// offset writes a virtual duration as +h:mm:ss (-h:mm:ss before the flow's start: an old
// PC's backups).
func offset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%s%d:%02d:%02d", sign, int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// JUnit XML, as CI systems read it (the Ant/Maven surefire shape).

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes the reports as one JUnit test suite, a test case per scenario with its
// failures and transcript excerpt in <failure>. Times are 0: a replay's duration is virtual,
// and the report must not change from run to run.
func WriteJUnit(w io.Writer, reports []*Report, skipped int) error {
	s := junitSuite{Name: "oobe replay", Tests: len(reports), Skipped: skipped, Time: "0"}
	for _, r := range reports {
		c := junitCase{Name: r.Name, ClassName: "oobe.replay", File: r.File, Time: "0",
			SystemOut: "virtual duration " + r.VirtualDuration + "; final stage " + string(r.Outcome.FinalStage)}
		if !r.Passed {
			s.Failures++
			var b strings.Builder
			_ = r.WriteFailure(&b)
			msg := "scenario failed"
			if len(r.Failures) > 0 {
				f := r.Failures[0]
				msg = fmt.Sprintf("%s: expected %s, got %s", f.Field, f.Expected, f.Got)
				if len(r.Failures) > 1 {
					msg += fmt.Sprintf(" (and %d more)", len(r.Failures)-1)
				}
			}
			c.Failure = &junitFailure{Message: msg, Type: "expectation", Body: b.String()}
		}
		s.Cases = append(s.Cases, c)
	}
	doc := junitSuites{Name: "oobe replay", Tests: s.Tests, Failures: s.Failures, Skipped: skipped, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
