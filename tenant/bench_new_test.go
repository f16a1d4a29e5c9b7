package tenant

import (
	"testing"

	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
)

// BenchmarkNewServer measures what starting one simulated cloud costs a replay, which starts one
// per scenario: New (checks, keys and their certificates, a new in-memory store seeded from the
// fixtures) and Close. Run with:
// go test -run=NONE -bench=BenchmarkNewServer ./tenant/
//
//   - demo: the two demo tenants with their PEM keys, fixtures already loaded;
//   - demo+load: the same, reading and parsing the fixtures (YAML and PEM) every time;
//   - inline+shared-keys: one tenant built in code, signing with Config.Keys;
//   - certificates: what New pays once per key it has not seen before in this process (two keys);
//   - inline+generated-keys: one tenant built in code with no keys and no Config.Keys, so New
//     generates two RSA-2048 keys: the cost Config.Keys avoids.
func BenchmarkNewServer(b *testing.B) {
	start := func(b *testing.B, cfg Config) {
		cfg.Clock = clock.NewVirtual(testStart)
		srv, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("demo", func(b *testing.B) {
		tenants := demoTenants(b)
		for b.Loop() {
			start(b, Config{Tenants: tenants})
		}
	})
	b.Run("demo+load", func(b *testing.B) {
		for b.Loop() {
			tenants, err := LoadFixtures(fixtures.Demo())
			if err != nil {
				b.Fatal(err)
			}
			start(b, Config{Tenants: tenants})
		}
	})
	b.Run("inline+shared-keys", func(b *testing.B) {
		keys := demoKeys(b, "contoso-1.pem", "contoso-2.pem")
		for b.Loop() {
			start(b, Config{Tenants: []*Tenant{codeTenant(1)}, Keys: keys})
		}
	})
	b.Run("certificates", func(b *testing.B) {
		keys := demoKeys(b, "contoso-1.pem", "contoso-2.pem")
		for b.Loop() {
			for _, k := range keys {
				if _, err := newSigningKey(k); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("inline+generated-keys", func(b *testing.B) {
		for b.Loop() {
			start(b, Config{Tenants: []*Tenant{codeTenant(1)}})
		}
	})
}

// BenchmarkFixtureBackups measures what the demo tenants' fixture backups cost a server's start:
// made (sealed and encoded) every time, or taken from fixtureBackupsCached. Run with:
// go test -run=NONE -bench=BenchmarkFixtureBackups ./tenant/
func BenchmarkFixtureBackups(b *testing.B) {
	tenants := demoTenants(b)
	each := func(b *testing.B, f func(tid string, u *User) ([]storedSetting, error)) {
		for b.Loop() {
			for _, t := range tenants {
				for i := range t.Users {
					if _, err := f(t.ID, &t.Users[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	}
	b.Run("made", func(b *testing.B) { each(b, fixtureBackups) })
	b.Run("cached", func(b *testing.B) { each(b, fixtureBackupsCached) })
}
