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
	for _, r := range firstSignInRules {
		want = append(want, "`"+r.ID+"`")
	}
	for _, m := range firstSignInMinimumBuilds {
		if m.UBR > 0 {
			want = append(want, fmt.Sprintf("%d.%d", m.Build, m.UBR))
		}
	}
	want = append(want, CSPEnableWindowsRestore, CSPEnableWindowsBackup)
	for _, s := range backup.Statuses() {
		want = append(want, "`"+s+"`")
	}
	for _, w := range want {
		if !strings.Contains(doc, w) {
			t.Errorf("docs/devices.md does not mention %s", w)
		}
	}
}
