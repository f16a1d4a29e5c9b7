package restore

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/backup"
)

// TestDevicesDocNamesEveryRuleValueAndStatus keeps docs/devices.md from drifting from the data.
func TestDevicesDocNamesEveryRuleValueAndStatus(t *testing.T) {
	data, err := os.ReadFile("../docs/devices.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	var want []string
	for _, r := range rules {
		want = append(want, "`"+r.ID+"`")
	}
	want = append(want, "`"+NoteQualityUpdateRequired+"`", RestoreAppID, RestoreBackupsAppID)
	for _, m := range minimumBuilds {
		if m.UBR > 0 {
			want = append(want, fmt.Sprintf("%d.%d", m.Build, m.UBR))
		}
	}
	for _, e := range editions {
		want = append(want, "`"+e.Name+"`")
		for _, a := range e.Aliases {
			want = append(want, "`"+a+"`")
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
	for _, s := range backup.Statuses() {
		want = append(want, "`"+s+"`")
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
