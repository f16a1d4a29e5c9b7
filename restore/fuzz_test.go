package restore

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/restore/profile"
)

func addFixtureSeeds(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files for %s: %v", pattern, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzParseDevice: any input either parses into a device Evaluate accepts, or fails with a
// profile.FieldError naming the file; it never panics.
func FuzzParseDevice(f *testing.F) {
	addFixtureSeeds(f, "*.yaml")
	f.Add([]byte("os: 10.0.22631.4317\nedition: Enterprise\njoin: entra\nprovisioning: userDriven\nshared: maybe\n"))
	f.Add([]byte("os: &a 10.0.22631.4317\nedition: *a\n"))
	f.Add([]byte("- 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := profile.Parse("fuzz.yaml", data)
		if err != nil {
			var fe *profile.FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error %q is not a profile.FieldError naming the file", err)
			}
			return
		}
		e, err := Evaluate(Input{Device: d})
		if err != nil {
			t.Fatalf("a parsed device was refused by Evaluate: %v", err)
		}
		if len(e.Checks) != len(rules) {
			t.Fatalf("%d checks, want %d", len(e.Checks), len(rules))
		}
	})
}

// FuzzParseDsregcmd: any input either parses into a device whose profile fields validate
// once an OS is given, or fails with a profile.FieldError naming the file; it never panics.
func FuzzParseDsregcmd(f *testing.F) {
	addFixtureSeeds(f, "dsregcmd-*.txt")
	f.Add(utf16LE("| Device State |\r\nAzureAdJoined : YES\r\nDomainJoined : NO\r\n", true))
	f.Add([]byte("| Device State |\n| |\n:\n : YES\nAzureAdJoined:YES\nDomainJoined:no\n| Work Account 1 |\nWorkplaceTenantId : x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := profile.ParseDsregcmd("fuzz.txt", data)
		if err != nil {
			var fe *profile.FieldError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "fuzz.txt") {
				t.Fatalf("error %q is not a profile.FieldError naming the file", err)
			}
			return
		}
		d := s.Profile()
		d.OS = "10.0.22631.4317"
		if err := d.Validate(); err != nil {
			t.Fatalf("device %+v from a capture does not validate: %v", d, err)
		}
		if !slices.Contains(profile.Joins(), s.Join()) {
			t.Fatalf("join %q is not a join type", s.Join())
		}
	})
}
