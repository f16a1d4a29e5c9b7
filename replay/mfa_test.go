package replay

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// mfaScenarios are the corpus's MFA scenarios, by file name.
func mfaScenarios(t *testing.T) map[string]*Scenario {
	t.Helper()
	out := map[string]*Scenario{}
	for _, sc := range corpus(t) {
		if strings.Contains(sc.Rel, "mfa") {
			out[sc.Rel] = sc
		}
	}
	if len(out) < 6 {
		t.Fatalf("found %d MFA scenarios, want at least 6", len(out))
	}
	return out
}

func TestTheMFAScenariosPassAndTheVMOneNamesTheVMAndTheTemporaryAccessPass(t *testing.T) {
	scs := mfaScenarios(t)
	var list []*Scenario
	for _, sc := range scs {
		list = append(list, sc)
	}
	reports := RunAll(context.Background(), list, Options{Parallel: 4, WorkDir: t.TempDir()})
	for _, r := range reports {
		if !r.Passed {
			var b strings.Builder
			_ = r.WriteFailure(&b)
			t.Errorf("%s\n%s", r.Line(), b.String())
		}
		if strings.Contains(r.File, "virtual-machine") {
			var all strings.Builder
			for _, e := range r.Transcript {
				all.WriteString(e.Text + "\n")
			}
			text := all.String()
			if !strings.Contains(text, "Hyper-V virtual machine") || !strings.Contains(text, "Temporary Access Pass") {
				t.Errorf("the VM run does not name the VM and the Temporary Access Pass:\n%s", text)
			}
		}
		if strings.Contains(r.File, "passkey-on-physical-pc") {
			opened := 0
			for _, e := range r.Transcript {
				if strings.HasPrefix(e.Text, "Browser opened at") {
					opened++
				}
			}
			if opened != 2 {
				t.Errorf("the browser opened %d times, want 2 (setup's sign-in and the prompt)", opened)
			}
		}
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, reports); err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		m := sc.factorsOf()
		if m.authenticator != "" && strings.Contains(b.String(), m.authenticator) {
			t.Errorf("%s: a report holds the authenticator secret", sc.Rel)
		}
		if m.tap != "" && strings.Contains(b.String(), m.tap) {
			t.Errorf("%s: a report holds the Temporary Access Pass", sc.Rel)
		}
	}
}

func TestStepsSignInMFAIsCheckedAgainstTheUser(t *testing.T) {
	cases := []struct{ name, steps, want string }{
		{"an unknown answer", "  signIn: {method: browser, mfa: push}\n", `steps.signIn.mfa "push" is not one of approve, wrongCode, temporaryAccessPass, cancel`},
		{"a wrong code on the device code page", "  signIn: {method: deviceCode, mfa: wrongCode}\n", "wrongCode needs method browser"},
		{"a pass the user does not have", "  signIn: {method: browser, mfa: temporaryAccessPass}\n", "has no Temporary Access Pass"},
	}
	for _, c := range cases {
		src := "name: x\ntenant: {fixture: contoso}\nuser: adele.vance@contoso.com\ndevice: {os: 10.0.26100.4946, edition: Enterprise, join: entra, provisioning: userDriven}\nsteps:\n" + c.steps + "expect: {finalStage: desktop}\n"
		_, err := Parse("x.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "x.yaml:6") {
			t.Errorf("%s: err = %v, want line 6 and %q", c.name, err, c.want)
		}
	}
}
