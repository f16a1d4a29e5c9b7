package replay

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/device"
	"go.yaml.in/yaml/v3"
)

// Failure is one expectation that did not hold: the scenario key and its line in the file,
// what it expected and what the run gave, and the stage where that is decided (for the
// transcript around it).
type Failure struct {
	Field    string     `json:"field"`
	Line     int        `json:"line,omitempty"`
	Expected string     `json:"expected"`
	Got      string     `json:"got"`
	Stage    oobe.Stage `json:"stage,omitempty"`
}

// expectLines maps every key under expect, at any depth, to its line: "expect" itself, then
// "expect.reasons", "expect.items.counts.applied", "expect.device.personalization/theme".
func expectLines(n *yaml.Node) map[string]int {
	lines := map[string]int{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := path + "." + n.Content[i].Value
			lines[k] = n.Content[i].Line
			walk(n.Content[i+1], k)
		}
	}
	if n != nil {
		lines["expect"] = n.Line
	}
	walk(n, "expect")
	return lines
}

// lineOf is the line of a failure's field: its own key's, or the nearest enclosing key's.
func lineOf(lines map[string]int, field string) int {
	for f := field; f != ""; {
		if l, ok := lines[f]; ok {
			return l
		}
		i := strings.LastIndex(f, ".")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return 0
}

// quote shows a value in a failure: strings quoted, lists bracketed.
func quote(s string) string { return strconv.Quote(s) }

func list(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// reasonIDs lists the reason ids an outcome gives, in rule order.
func reasonIDs(out *oobe.Outcome) []string {
	ids := []string{}
	if out.Eligibility != nil {
		for _, r := range out.Eligibility.Reasons {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// inRuleOrder sorts reason ids in the order of restore.Rules, so two sets compare as lists.
func inRuleOrder(ids []string) []string { return inOrderOf(restore.Rules(), ids) }

// inOrderOf sorts reason ids in the order of rules.
func inOrderOf(rules []restore.Rule, ids []string) []string {
	order := map[string]int{}
	for i, r := range rules {
		order[r.ID] = i
	}
	out := slices.Clone(ids)
	slices.SortStableFunc(out, func(a, b string) int { return order[a] - order[b] })
	return out
}

func backupNames(out *oobe.Outcome) []string {
	names := []string{}
	for _, b := range out.Backups {
		names = append(names, b.DeviceName)
	}
	return names
}

// decisionStage is where a run settles whether (and what) it restored.
func decisionStage(out *oobe.Outcome) oobe.Stage {
	switch {
	case out.Report != nil:
		return oobe.StageRestoreApply
	case out.FirstSignIn != nil && out.FirstSignIn.Report != nil:
		return oobe.StageFirstSignInRestore
	}
	return oobe.StageRestorePage
}

// restoreReport is the report of the restore a run made: setup's, or the first sign-in's
// when setup made none (a run restores at one moment at most: restoring in setup rules the
// first sign-in's page out).
func restoreReport(out *oobe.Outcome) (*apply.Report, oobe.Stage) {
	if out.Report == nil && out.FirstSignIn != nil && out.FirstSignIn.Report != nil {
		return out.FirstSignIn.Report, oobe.StageFirstSignInRestore
	}
	return out.Report, oobe.StageRestoreApply
}

// check compares a run's outcome and the device after it with the scenario's expect.
func check(sc *Scenario, out *oobe.Outcome, after *device.State) []Failure {
	var fs []Failure
	fail := func(field, expected, got string, stage oobe.Stage) {
		field = "expect." + field
		fs = append(fs, Failure{Field: field, Line: lineOf(sc.expectLines, field), Expected: expected, Got: got, Stage: stage})
	}
	e := sc.Expect
	shown := func(b bool) string {
		if b {
			return "shown"
		}
		return "hidden"
	}
	if e.RestorePage != nil && *e.RestorePage != out.RestorePage {
		fail("restorePage", shown(*e.RestorePage), shown(out.RestorePage), oobe.StageEligibility)
	}
	if e.HasReasons {
		want, got := inRuleOrder(e.Reasons), inRuleOrder(reasonIDs(out))
		if !slices.Equal(want, got) {
			fail("reasons", list(want), list(got), oobe.StageEligibility)
		}
	}
	if e.IntuneStatus != nil && *e.IntuneStatus != out.IntuneStatus {
		fail("intuneStatus", quote(*e.IntuneStatus), quote(out.IntuneStatus), decisionStage(out))
	}
	if e.HasBackups {
		if got := backupNames(out); !slices.Equal(e.Backups, got) {
			fail("backups", list(e.Backups), list(got), oobe.StageRestorePage)
		}
	}
	if e.BackupCount != nil && *e.BackupCount != len(out.Backups) {
		fail("backupCount", strconv.Itoa(*e.BackupCount), strconv.Itoa(len(out.Backups)), oobe.StageRestorePage)
	}
	report, applied := restoreReport(out)
	if e.Counts != nil {
		for _, o := range apply.Outcomes() {
			want, ok := e.Counts[string(o)]
			if !ok {
				continue
			}
			switch {
			case report == nil:
				fail("items.counts."+string(o), strconv.Itoa(want), "no restore was applied", decisionStage(out))
			case report.Counts.Of(o) != want:
				fail("items.counts."+string(o), strconv.Itoa(want), strconv.Itoa(report.Counts.Of(o))+itemsWith(report, o), applied)
			}
		}
	}
	for _, o := range apply.Outcomes() {
		for _, name := range e.Names[string(o)] {
			field := "items.names." + string(o)
			if report == nil {
				fail(field, quote(name), "no restore was applied", decisionStage(out))
				continue
			}
			var had []string
			found := false
			for _, it := range report.Items {
				if matchesItem(it, name) {
					if it.Outcome == o {
						found = true
						break
					}
					had = append(had, fmt.Sprintf("%s:%s %s (%s)", it.Kind, it.Name, it.Outcome, it.Reason))
				}
			}
			switch {
			case found:
			case len(had) == 0:
				fail(field, quote(name)+" "+string(o), "no item "+quote(name)+" in the restore", applied)
			default:
				fail(field, quote(name)+" "+string(o), strings.Join(had, "; "), applied)
			}
		}
	}
	keys := make([]string, 0, len(e.Device))
	for k := range e.Device {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		want := string(e.Device[k])
		got := deviceValue(after, k)
		if got != want {
			fail("device."+k, want, got, applied)
		}
	}
	if e.FinalStage != nil && *e.FinalStage != out.FinalStage {
		fail("finalStage", string(*e.FinalStage), string(out.FinalStage)+errorNote(out), out.FinalStage)
	}
	if e.Error != nil {
		switch {
		case *e.Error == "" && out.Error != "":
			fail("error", "no error", quote(out.Error), out.FinalStage)
		case *e.Error != "" && !strings.Contains(out.Error, *e.Error):
			got := quote(out.Error)
			if out.Error == "" {
				got = "no error"
			}
			fail("error", "an error containing "+quote(*e.Error), got, out.FinalStage)
		}
	}
	if e.ErrorCode != nil && *e.ErrorCode != out.ErrorCode {
		want, got := quote(*e.ErrorCode), quote(out.ErrorCode)
		if *e.ErrorCode == "" {
			want = "no error code"
		}
		if out.ErrorCode == "" {
			got = "no error code"
		}
		fail("errorCode", want, got, out.FinalStage)
	}
	if x := e.FirstSignIn; x != nil {
		for _, f := range checkFirstSignIn(x, out.FirstSignIn) {
			fail(f.Field, f.Expected, f.Got, f.Stage)
		}
	}
	return fs
}

// checkFirstSignIn compares the first sign-in's outcome with expect.firstSignIn; fields are
// relative to expect.
func checkFirstSignIn(x *FirstSignInExpect, fs *oobe.FirstSignInOutcome) []Failure {
	if fs == nil {
		return []Failure{{Field: "firstSignIn", Expected: "a first sign-in after the desktop", Got: "the run did not reach it", Stage: oobe.StageDesktop}}
	}
	var out []Failure
	fail := func(field, expected, got string, stage oobe.Stage) {
		out = append(out, Failure{Field: "firstSignIn." + field, Expected: expected, Got: got, Stage: stage})
	}
	shown := map[bool]string{true: "shown", false: "hidden"}
	if x.RestorePage != nil && *x.RestorePage != fs.RestorePage {
		got := shown[fs.RestorePage]
		if fs.Error != "" && !fs.RestorePage {
			got += " (" + fs.Error + ")"
		}
		fail("restorePage", shown[*x.RestorePage], got, oobe.StageFirstSignIn)
	}
	if x.HasReasons {
		got := []string{}
		if fs.Eligibility != nil {
			for _, r := range fs.Eligibility.Reasons {
				got = append(got, r.ID)
			}
		}
		rules := restore.FirstSignInRules()
		if want, got := inOrderOf(rules, x.Reasons), inOrderOf(rules, got); !slices.Equal(want, got) {
			fail("reasons", list(want), list(got), oobe.StageFirstSignIn)
		}
	}
	if x.HasBackups {
		got := []string{}
		for _, b := range fs.Backups {
			got = append(got, b.DeviceName)
		}
		if !slices.Equal(x.Backups, got) {
			fail("backups", list(x.Backups), list(got), oobe.StageFirstSignInRestorePage)
		}
	}
	if x.Restored != nil {
		got := "nothing (the page did not show)"
		switch {
		case fs.Report != nil:
			got = fs.Report.Source.DeviceName
		case fs.Error != "" && fs.Chosen != "":
			got = "a failed restore: " + fs.Error
		case fs.RestorePage:
			got = RestoreNew
		}
		if !strings.EqualFold(*x.Restored, got) {
			fail("restored", quote(*x.Restored), quote(got), oobe.StageFirstSignInRestorePage)
		}
	}
	return out
}

// errorNote adds the run's error to a final stage that was not expected.
func errorNote(out *oobe.Outcome) string {
	if out.Error == "" {
		return ""
	}
	return " (" + out.Error + ")"
}

// itemsWith lists the items that had outcome o, for a count that is off.
func itemsWith(r *apply.Report, o apply.Outcome) string {
	var names []string
	for _, it := range r.Items {
		if it.Outcome == o {
			names = append(names, string(it.Kind)+":"+it.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, ", ")
}

// matchesItem reports whether an expectation's name names the item: its name, kind:name
// (taskbarPin:File Explorer) or category/name (personalization/theme).
func matchesItem(it apply.ItemResult, name string) bool {
	return it.Name == name || string(it.Kind)+":"+it.Name == name || it.Category+"/"+it.Name == name
}

// deviceValue reads category/name from a device state as canonical JSON; "null" when unset.
func deviceValue(st *device.State, key string) string {
	if st == nil {
		return "no device state"
	}
	cat, name, _ := strings.Cut(key, "/")
	var v any
	if cat == device.CategoryDevice {
		names := []string{}
		switch name {
		case "name":
			v = st.Profile.Name
		case "wifi":
			for _, w := range st.WiFi {
				names = append(names, w.SSID)
			}
			v = names
		case "storeApps":
			for _, a := range st.StoreApps {
				names = append(names, a.Name)
			}
			v = names
		case "startPins":
			for _, p := range st.StartPins {
				names = append(names, p.Name)
			}
			v = names
		case "taskbarPins":
			for _, p := range st.TaskbarPins {
				names = append(names, p.Name)
			}
			v = names
		}
	} else {
		raw, ok := st.Settings[cat][name]
		if !ok {
			return "null"
		}
		c, err := device.CanonicalValue(raw)
		if err != nil {
			return string(raw)
		}
		return string(c)
	}
	raw, _ := json.Marshal(v)
	c, err := device.CanonicalValue(raw)
	if err != nil {
		return string(raw)
	}
	return string(c)
}
