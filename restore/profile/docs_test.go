package profile

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestDevicesDocNamesEveryFieldAndValue keeps docs/devices.md from drifting from the names a
// profile may give (restore's own docs test checks the rules' side).
func TestDevicesDocNamesEveryFieldAndValue(t *testing.T) {
	data, err := os.ReadFile("../../docs/devices.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	var want []string
	for _, e := range editions {
		want = append(want, "`"+e.Name+"`")
		for _, a := range e.Aliases {
			want = append(want, "`"+a+"`")
		}
		for _, n := range e.SKUs {
			want = append(want, fmt.Sprintf("`%d`", n))
		}
	}
	for _, p := range provisioningModes {
		want = append(want, "`"+p.Name+"`")
	}
	for _, j := range joinOrder {
		want = append(want, "`"+j+"`")
	}
	for _, c := range cloudOrder {
		want = append(want, "`"+c+"`")
	}
	for _, f := range knownFields() {
		want = append(want, "| `"+f+"` |")
	}
	for _, w := range want {
		if !strings.Contains(doc, w) {
			t.Errorf("docs/devices.md does not mention %s", w)
		}
	}
}
