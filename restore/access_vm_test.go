package restore

import (
	"strings"
	"testing"
)

func TestAPhishingResistantPromptFailingInAVirtualMachineNamesTheVMAndTheTemporaryAccessPass(t *testing.T) {
	for _, c := range []struct {
		name      string
		vm        bool
		msg, fix  string
		notInText string
	}{
		{"a virtual machine", true, "Hyper-V virtual machine", "Temporary Access Pass", ""},
		{"a physical PC", false, "the prompt on this device was not satisfied", "Register a phishing-resistant method", "virtual machine"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := eligible()
			in.Device.VirtualMachine = c.vm
			in.Access = &Access{PhishingResistantMFA: true}
			e := mustEvaluate(t, in)
			var r *Reason
			for i := range e.Reasons {
				if e.Reasons[i].ID == ReasonAccessBlocked {
					r = &e.Reasons[i]
				}
			}
			if r == nil {
				t.Fatalf("no accessBlocked reason: %+v", e.Reasons)
			}
			if !strings.Contains(r.Message, c.msg) || !strings.Contains(r.Fix, c.fix) {
				t.Errorf("reason = %q / %q, want %q and %q", r.Message, r.Fix, c.msg, c.fix)
			}
			if c.notInText != "" && strings.Contains(r.Message+r.Fix, c.notInText) {
				t.Errorf("reason mentions %q: %q", c.notInText, r.Message)
			}
		})
	}
}
