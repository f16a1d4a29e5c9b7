package tenant

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// BenchmarkListingLargeBackups lists the settings of a user holding 40 backups of 4 MB each, in
// the SQLite store (`serve --data`): a page of the whole listing (every payload inline, as
// Graph serves it), a page filtered on one device, and the device profiles setting the restore
// page reads. "v1" is the same rows in version 1's instances table (WITHOUT ROWID, the payload
// before expires_ns, no index on expiry). Run with:
// go test -run=NONE -bench=BenchmarkListingLargeBackups -benchtime=5x ./tenant/
func BenchmarkListingLargeBackups(b *testing.B) {
	const devices, payloadBytes = 40, 4 << 20
	st, err := openStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.close() })
	ctx := context.Background()
	now := testStart
	if _, err := st.seed(ctx, tenantSeed{TenantID: contosoID, RestorePage: RestoreEnabled}, now); err != nil {
		b.Fatal(err)
	}
	payload := strings.Repeat("A", payloadBytes)
	first := ""
	for i := range devices {
		dev := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		if first == "" {
			first = dev
		}
		at := now.Add(-time.Duration(i) * time.Hour)
		settings := []storedSetting{
			{ID: "{" + dev + "}$" + backup.PayloadContent, DeviceID: dev, SettingType: "backup", PayloadType: backup.PayloadContent,
				Instances: []storedInstance{{ID: dev + "-content", Payload: payload, Created: at, Modified: at, KeptUntil: KeptForever}}},
			{ID: backup.DeviceProfilesSettingID, SettingType: "backup", PayloadType: backup.PayloadDeviceProfile,
				Instances: []storedInstance{{ID: profileInstanceID(contosoID, pagingOID, dev), Payload: "e30=", Created: at, Modified: at, KeptUntil: KeptForever}}},
		}
		if err := st.replaceDeviceBackup(ctx, contosoID, pagingOID, dev, settings, 0); err != nil {
			b.Fatal(err)
		}
	}
	run := func(b *testing.B) {
		b.Run("page", func(b *testing.B) {
			for b.Loop() {
				if got, err := st.liveSettings(ctx, contosoID, pagingOID, settingFilter{}, "", 110, now); err != nil || len(got) != devices+1 {
					b.Fatalf("%d settings, %v", len(got), err)
				}
			}
		})
		b.Run("one-device", func(b *testing.B) {
			for b.Loop() {
				if got, err := st.liveSettings(ctx, contosoID, pagingOID, settingFilter{DeviceID: first}, "", 110, now); err != nil || len(got) != 1 {
					b.Fatalf("%d settings, %v", len(got), err)
				}
			}
		})
		b.Run("profiles", func(b *testing.B) {
			for b.Loop() {
				if got, err := st.liveSetting(ctx, contosoID, pagingOID, backup.DeviceProfilesSettingID, now); err != nil || got == nil || len(got.Instances) != devices {
					b.Fatalf("%v, %v", got, err)
				}
			}
		})
	}
	b.Run("v2", run)
	// The same rows in version 1's instances table: WITHOUT ROWID, the payload before expires_ns.
	var v1 string
	for _, q := range schema {
		if strings.HasPrefix(q, "CREATE TABLE instances (") {
			v1 = strings.Replace(q, "CREATE TABLE instances (", "CREATE TABLE instances_v1 (", 1)
		}
	}
	for _, q := range []string{v1,
		`INSERT INTO instances_v1 SELECT tenant_id, user_oid, setting_id, instance_id, payload, created_ns, modified_ns, expires_ns FROM instances`,
		`DROP TABLE instances`, `ALTER TABLE instances_v1 RENAME TO instances`} {
		if _, err := st.db.ExecContext(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	b.Run("v1", run)
}
