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
)

// Failure is one expectation that did not hold: the scenario key, what it expected and what
// the run gave, and the stage where that is decided (for the transcript around it).
type Failure struct {
	Field    string     `json:"field"`
	Expected string     `json:"expected"`
	Got      string     `json:"got"`
	Stage    oobe.Stage `json:"stage,omitempty"`
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
func inRuleOrder(ids []string) []string {
	order := map[string]int{}
	for i, r := range restore.Rules() {
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
	if out.Report != nil {
		return oobe.StageRestoreApply
	}
	return oobe.StageRestorePage
}

// check compares a run's outcome and the device after it with the scenario's expect.
func check(sc *Scenario, out *oobe.Outcome, after *device.State) []Failure {
	var fs []Failure
	fail := func(field, expected, got string, stage oobe.Stage) {
		fs = append(fs, Failure{Field: "expect." + field, Expected: expected, Got: got, Stage: stage})
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
	if e.Counts != nil {
		for _, o := range apply.Outcomes() {
			want, ok := e.Counts[string(o)]
			if !ok {
				continue
			}
			switch {
			case out.Report == nil:
				fail("items.counts."+string(o), strconv.Itoa(want), "no restore was applied", decisionStage(out))
			case out.Report.Counts.Of(o) != want:
				fail("items.counts."+string(o), strconv.Itoa(want), strconv.Itoa(out.Report.Counts.Of(o))+itemsWith(out.Report, o), oobe.StageRestoreApply)
			}
		}
	}
	for _, o := range apply.Outcomes() {
		for _, name := range e.Names[string(o)] {
			field := "items.names." + string(o)
			if out.Report == nil {
				fail(field, quote(name), "no restore was applied", decisionStage(out))
				continue
			}
			var had []string
			found := false
			for _, it := range out.Report.Items {
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
				fail(field, quote(name)+" "+string(o), "no item "+quote(name)+" in the restore", oobe.StageRestoreApply)
			default:
				fail(field, quote(name)+" "+string(o), strings.Join(had, "; "), oobe.StageRestoreApply)
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
			fail("device."+k, want, got, oobe.StageRestoreApply)
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
	return fs
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
	const shown = 12
	switch {
	case len(names) == 0:
		return ""
	case len(names) > shown:
		return ": " + strings.Join(names[:shown], ", ") + fmt.Sprintf(" and %d more", len(names)-shown)
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
