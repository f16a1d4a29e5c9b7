package replay

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseScenario feeds the scenario parser arbitrary files: it must never panic, every
// refusal must be an *Error naming the file, and what it accepts must be a complete scenario.
func FuzzParseScenario(f *testing.F) {
	f.Add([]byte(goodScenario))
	f.Add([]byte(inlineScenario))
	files, _ := filepath.Glob("../fixtures/scenarios/*.yaml")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("name: x\ntenant: &a {fixture: contoso}\nuser: *a\n"))
	f.Add([]byte("{}"))
	f.Add([]byte("- - -"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *replay.Error", err, err)
			}
			if se.File != "fuzz.yaml" || se.Line < 0 || !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if sc.Name == "" || sc.Tenant == nil || sc.User == "" || sc.Device.Profile.OS == "" || sc.Start.IsZero() {
			t.Fatalf("accepted an incomplete scenario: %+v", sc)
		}
		if err := sc.Device.Validate(); err != nil {
			t.Fatalf("accepted a device the device store would refuse: %v", err)
		}
	})
}
