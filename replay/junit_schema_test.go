package replay

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The rules of Jenkins' JUnit schema (jenkinsci/xunit-plugin,
// src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd), restated:
// which elements each element may hold, which attributes each may carry and which it must.
// GitLab, Azure DevOps and GitHub's test reporters read the same shape.
var junitSchema = map[string]struct {
	children []string
	attrs    []string
	required []string
	text     bool
}{
	"testsuites": {children: []string{"testsuite"}, attrs: []string{"name", "time", "tests", "failures", "errors"}},
	"testsuite": {children: []string{"testsuite", "properties", "testcase", "system-out", "system-err"},
		attrs:    []string{"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url"},
		required: []string{"name", "tests", "failures", "errors"}},
	"testcase": {children: []string{"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure", "flakyError", "system-out", "system-err"},
		attrs: []string{"name", "time", "classname", "group"}, required: []string{"name"}},
	"failure":    {attrs: []string{"type", "message"}, text: true},
	"error":      {attrs: []string{"type", "message"}, text: true},
	"skipped":    {attrs: []string{"type", "message"}, text: true},
	"system-out": {text: true},
	"system-err": {text: true},
}

// surefireTime is the schema's SUREFIRE_TIME, for testsuites' and testsuite's time, anchored
// as XSD patterns are.
var surefireTime = regexp.MustCompile(`^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$`)

// validJUnit checks doc against junitSchema.
func validJUnit(doc []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []string
	sawRoot := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			rule, ok := junitSchema[name]
			switch {
			case !ok:
				return errors.New("element <" + name + "> is not in the schema")
			case len(stack) == 0 && (name != "testsuites" || sawRoot):
				return errors.New("the document's root must be one <testsuites>, not <" + name + ">")
			case len(stack) > 0 && !slices.Contains(junitSchema[stack[len(stack)-1]].children, name):
				return errors.New("<" + stack[len(stack)-1] + "> may not hold <" + name + ">")
			}
			sawRoot = true
			var have []string
			for _, a := range t.Attr {
				if !slices.Contains(rule.attrs, a.Name.Local) {
					return errors.New("<" + name + "> may not have the attribute " + a.Name.Local)
				}
				if a.Name.Local == "time" && (name == "testsuites" || name == "testsuite") && !surefireTime.MatchString(a.Value) {
					return errors.New("<" + name + " time=\"" + a.Value + "\"> is not a SUREFIRE_TIME")
				}
				have = append(have, a.Name.Local)
			}
			for _, r := range rule.required {
				if !slices.Contains(have, r) {
					return errors.New("<" + name + "> lacks the required attribute " + r)
				}
			}
			stack = append(stack, name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 && !junitSchema[stack[len(stack)-1]].text && strings.TrimSpace(string(t)) != "" {
				return errors.New("<" + stack[len(stack)-1] + "> may not hold text")
			}
		}
	}
	if !sawRoot {
		return errors.New("no <testsuites>")
	}
	return nil
}

func TestJUnitFollowsJenkinsSchemaWithTimesClassnamesAndFileLines(t *testing.T) {
	pass := mustParse(t, "fixtures/scenarios/pass.yaml", goodScenario)
	fail := mustParse(t, "fixtures/scenarios/fail.yaml", mutate(t, goodScenario, "  restorePage: shown", "  restorePage: hidden"))
	fail.Name = "fails"
	reports := append(RunAll(context.Background(), []*Scenario{pass, fail}, Options{Parallel: 2, WorkDir: t.TempDir()}), junitReports()...)
	var b bytes.Buffer
	if err := WriteJUnit(&b, reports, 1); err != nil {
		t.Fatal(err)
	}
	if err := validJUnit(b.Bytes()); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	cases := doc.Suites[0].Cases
	if cases[0].ClassName != "fixtures.scenarios.pass" || cases[1].ClassName != "fixtures.scenarios.fail" || cases[3].ClassName != "dir.b&c" {
		t.Errorf("classnames %q, %q, %q; want one per file", cases[0].ClassName, cases[1].ClassName, cases[3].ClassName)
	}
	// A replay takes real time, however little: its case says so, and the suite adds them up.
	if cases[0].Time == "0.000" && cases[1].Time == "0.000" || cases[2].Time != "1.235" {
		t.Errorf("times %q, %q, %q; want each scenario's own", cases[0].Time, cases[1].Time, cases[2].Time)
	}
	if want := "fixtures/scenarios/fail.yaml:13: expect.restorePage: expected hidden, got shown"; cases[1].Failure == nil || cases[1].Failure.Message != want {
		t.Errorf("failure %+v, want the message %q", cases[1].Failure, want)
	}
	if doc.Time == "" || doc.Time != doc.Suites[0].Time {
		t.Errorf("suites' time %q, suite's %q: want the sum, twice", doc.Time, doc.Suites[0].Time)
	}
	// The checker itself refuses what Jenkins' schema does.
	for _, bad := range []string{
		`<testsuites><testsuite name="x" tests="1" failures="0"/></testsuites>`,
		`<testsuites skipped="1"/>`,
		`<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><testcase name="a" file="a.yaml"/></testsuite></testsuites>`,
		`<testsuites><testsuite name="x" tests="1" failures="0" errors="0" time="1s"/></testsuites>`,
	} {
		if validJUnit([]byte(bad)) == nil {
			t.Errorf("the schema check passed %s", bad)
		}
	}
}
