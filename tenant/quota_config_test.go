package tenant

import (
	"testing"

	"github.com/oobe-dev/oobe/fixtures"
)

func TestTheBackupQuotaIsConfigured(t *testing.T) {
	tenants, err := LoadFixtures(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ set, want int64 }{{0, DefaultBackupQuota}, {4 << 20, 4 << 20}} {
		s, err := New(Config{Tenants: tenants, BackupQuota: c.set})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.BackupQuota(); got != c.want {
			t.Errorf("Config.BackupQuota %d: quota %d, want %d", c.set, got, c.want)
		}
	}
	if _, err := New(Config{Tenants: tenants, BackupQuota: -1}); err == nil {
		t.Error("a negative quota was taken")
	}
}
