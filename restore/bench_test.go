package restore

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oobe-dev/oobe/restore/profile"
)

// BenchmarkEvaluate judges a device every rule fails, so every message is built.
func BenchmarkEvaluate(b *testing.B) {
	in := Input{
		Device:      profile.DeviceProfile{OS: "10.0.22631.3000", Edition: "Team", Join: profile.JoinRegistered, Provisioning: profile.ProvisioningAutopilotReset, Shared: true, Cloud: profile.CloudGCCHigh},
		RestorePage: new(RestorePageDisabled),
		Backups:     new(0),
		Access:      &Access{Blocked: true, PhishingResistantMFA: true},
	}
	for b.Loop() {
		if _, err := Evaluate(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDsregcmd(b *testing.B) {
	data := readFixtureB(b, "dsregcmd-entra-joined.txt")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := profile.ParseDsregcmd("b", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDevice(b *testing.B) {
	data := readFixtureB(b, "entra-user-driven.yaml")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := profile.Parse("b", data); err != nil {
			b.Fatal(err)
		}
	}
}

func readFixtureB(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}
