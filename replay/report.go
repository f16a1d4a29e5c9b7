package replay

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/sim"
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
	// elapsed is how long the scenario took to replay on the wall clock: JUnit's time, and
	// nowhere else, so the report stays the same from run to run.
	elapsed time.Duration
}

// Elapsed is how long the scenario took to replay, on the wall clock.
func (r *Report) Elapsed() time.Duration { return r.elapsed }

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
	// FirstSignIn is what happened at the first sign-in, when the run went on to it.
	FirstSignIn *FirstSignInSummary `json:"firstSignIn,omitempty"`
}

// FirstSignInSummary is the first sign-in in the terms expect.firstSignIn uses.
type FirstSignInSummary struct {
	RestorePage string   `json:"restorePage"` // shown or hidden
	Reasons     []string `json:"reasons"`
	Backups     []string `json:"backups"`
	// Restored is the device name restored there, "new", or "" when the page did not show.
	Restored  string        `json:"restored,omitempty"`
	Items     *apply.Counts `json:"items,omitempty"`
	Error     string        `json:"error,omitempty"`
	ErrorCode string        `json:"errorCode,omitempty"`
}

// Event is a transcript line: the engine's events, and the replay's own before the flow
// (stage "oldPC") and after it (stage "replay").
type Event struct {
	At     time.Time       `json:"at"`
	Stage  oobe.Stage      `json:"stage"`
	Kind   oobe.EventKind  `json:"kind"`
	Text   string          `json:"text"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

// The replay's own transcript stages.
const (
	StageOldPC             = sim.StageOldPC
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
	if fs := out.FirstSignIn; fs != nil {
		f := &FirstSignInSummary{RestorePage: "hidden", Reasons: []string{}, Backups: []string{}, Error: fs.Error, ErrorCode: fs.ErrorCode}
		if fs.Eligibility != nil {
			for _, r := range fs.Eligibility.Reasons {
				f.Reasons = append(f.Reasons, r.ID)
			}
		}
		for _, b := range fs.Backups {
			f.Backups = append(f.Backups, b.DeviceName)
		}
		if fs.RestorePage {
			f.RestorePage = "shown"
			f.Restored = RestoreNew
			for _, b := range fs.Backups {
				if fs.Chosen != "" && strings.EqualFold(b.WindowsDeviceID, fs.Chosen) {
					f.Restored = b.DeviceName
				}
			}
		}
		if fs.Report != nil {
			c := fs.Report.Counts
			f.Items = &c
			if s.Applied == nil {
				s.Applied = fs.Report.Items
			}
		}
		s.FirstSignIn = f
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
		field := f.Field
		if f.Line > 0 {
			field += fmt.Sprintf(" (line %d)", f.Line)
		}
		fmt.Fprintf(&b, "    %s\n        expected: %s\n        got:      %s\n", field, f.Expected, f.Got)
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
		width := 16 // the longest of setup's stages, autopilotProfile; the first sign-in's are longer
		for _, e := range r.Transcript[lo:hi] {
			width = max(width, len(e.Stage))
		}
		for _, e := range r.Transcript[lo:hi] {
			fmt.Fprintf(&b, "      %s %-*s %-8s %s\n", offset(e.At.Sub(start)), width, e.Stage, e.Kind, e.Text)
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

// JUnit XML, as CI systems read it (the Ant/Maven surefire shape): a <testsuites> around one
// <testsuite> of a <testcase> per scenario. The suites' counts come first in the file, so the
// header is written last: JUnitWriter keeps the cases in a spool file until then.

//
// The attributes are those of Jenkins' schema (jenkinsci/xunit-plugin, junit-10.xsd), which
// the other readers (GitLab, Azure DevOps, GitHub's reporters) accept: a test case has a
// name, a classname (here the scenario's file, as a dotted path) and a time in seconds; the
// file and line of a failing expectation lead its failure's message, as the schema has no
// attribute for them.

type junitCase struct {
	XMLName   xml.Name      `xml:"testcase"`
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// junitCaseOf is a report's test case, timed by how long it took to replay.
func junitCaseOf(r *Report) junitCase {
	c := junitCase{Name: r.Name, ClassName: junitClass(r.File), Time: junitSeconds(r.elapsed),
		SystemOut: "file " + r.File + "; virtual duration " + r.VirtualDuration + "; final stage " + string(r.Outcome.FinalStage)}
	if !r.Passed {
		var b strings.Builder
		_ = r.WriteFailure(&b)
		msg := r.File + ": scenario failed"
		if len(r.Failures) > 0 {
			f := r.Failures[0]
			msg = fmt.Sprintf("%s: %s: expected %s, got %s", r.where(f), f.Field, f.Expected, f.Got)
			if len(r.Failures) > 1 {
				msg += fmt.Sprintf(" (and %d more)", len(r.Failures)-1)
			}
		}
		c.Failure = &junitFailure{Message: msg, Type: "expectation", Body: b.String()}
	}
	return c
}

// where is file:line of a failure, or the file alone when the line is not known.
func (r *Report) where(f Failure) string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d", r.File, f.Line)
	}
	return r.File
}

// junitClass is a scenario file as a test case's classname: its path without the extension,
// dotted, as a Java class is (fixtures/scenarios/a.yaml is fixtures.scenarios.a).
func junitClass(file string) string {
	f := strings.TrimSuffix(strings.TrimSuffix(filepath.ToSlash(file), ".yaml"), ".yml")
	for strings.HasPrefix(f, "../") || strings.HasPrefix(f, "./") {
		f = f[strings.Index(f, "/")+1:]
	}
	f = strings.Trim(strings.ReplaceAll(f, "/", "."), ".")
	if f == "" {
		return "oobe.replay"
	}
	return f
}

// junitSeconds is d in seconds with milliseconds, as Surefire writes time.
func junitSeconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}

// junitCases is an encoder for test cases at their depth in the document, two levels in. Each
// case after the first starts on a new line; the first one's newline is the header's.
func junitCases(w io.Writer) *xml.Encoder {
	enc := xml.NewEncoder(w)
	enc.Indent("    ", "  ")
	return enc
}

// writeJUnitHead writes the document up to the first test case. Skipped scenarios are
// counted on the suite (the schema has no skipped on testsuites); none errs, they fail.
func writeJUnitHead(w io.Writer, tests, failures, skipped int, took time.Duration) error {
	_, err := fmt.Fprintf(w, "%s<testsuites name=\"oobe replay\" tests=\"%d\" failures=\"%d\" errors=\"0\" time=\"%s\">\n"+
		"  <testsuite name=\"oobe replay\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%s\">",
		xml.Header, tests, failures, junitSeconds(took), tests, failures, skipped, junitSeconds(took))
	if err == nil && tests > 0 {
		_, err = io.WriteString(w, "\n")
	}
	return err
}

// writeJUnitTail closes the document after its test cases.
func writeJUnitTail(w io.Writer, tests int) error {
	tail := "</testsuite>\n</testsuites>\n"
	if tests > 0 {
		tail = "\n  " + tail
	}
	_, err := io.WriteString(w, tail)
	return err
}

// WriteJUnit writes the reports as one JUnit test suite, a test case per scenario with its
// failures and transcript excerpt in <failure>; skipped is the suite's count of skipped tests.
// It is what a JUnitWriter given the same reports writes.
func WriteJUnit(w io.Writer, reports []*Report, skipped int) error {
	failures := 0
	var took time.Duration
	for _, r := range reports {
		if !r.Passed {
			failures++
		}
		took += r.elapsed
	}
	if err := writeJUnitHead(w, len(reports), failures, skipped, took); err != nil {
		return err
	}
	enc := junitCases(w)
	for _, r := range reports {
		if err := enc.Encode(junitCaseOf(r)); err != nil {
			return err
		}
	}
	return writeJUnitTail(w, len(reports))
}

// JUnitWriter writes a JUnit report of reports as they come, holding none of them: each test
// case goes to a spool file at once, and Finish writes the header, whose counts are known only
// then, and copies the cases after it. Keeping the cases in memory instead would cost a few
// hundred bytes for each passing scenario and a few KiB for each failing one.
type JUnitWriter struct {
	spool           *os.File
	buf             *bufio.Writer
	enc             *xml.Encoder
	tests, failures int
	took            time.Duration
}

// NewJUnitWriter makes a JUnitWriter whose spool is a new hidden file in dir ("" for the
// temporary directory); Close removes it.
func NewJUnitWriter(dir string) (*JUnitWriter, error) {
	f, err := os.CreateTemp(dir, ".oobe-junit-*.cases")
	if err != nil {
		return nil, err
	}
	buf := bufio.NewWriter(f)
	return &JUnitWriter{spool: f, buf: buf, enc: junitCases(buf)}, nil
}

// Add writes r's test case to the spool.
func (j *JUnitWriter) Add(r *Report) error {
	j.tests++
	if !r.Passed {
		j.failures++
	}
	j.took += r.elapsed
	return j.enc.Encode(junitCaseOf(r))
}

// Finish writes the whole document to w: the header with the counts of the reports added and
// skipped, then the cases.
func (j *JUnitWriter) Finish(w io.Writer, skipped int) error {
	if err := j.buf.Flush(); err != nil {
		return err
	}
	if _, err := j.spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := writeJUnitHead(w, j.tests, j.failures, skipped, j.took); err != nil {
		return err
	}
	if _, err := io.Copy(w, j.spool); err != nil {
		return err
	}
	return writeJUnitTail(w, j.tests)
}

// Close removes the spool.
func (j *JUnitWriter) Close() error {
	err := j.spool.Close()
	if rmErr := os.Remove(j.spool.Name()); err == nil {
		err = rmErr
	}
	return err
}
