package tenant

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// storeKinds are the two tenantStore implementations, for the tests every store must pass.
var storeKinds = []struct {
	name string
	open func(t *testing.T) tenantStore
}{
	{"sqlite", func(t *testing.T) tenantStore {
		st, err := openStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.close() })
		return st
	}},
	{"memory", func(t *testing.T) tenantStore {
		st := newMemStore()
		t.Cleanup(func() { _ = st.close() })
		return st
	}},
}

// pagingSettings are a user's twelve generated backups (36 settings) with their expiries spread
// so that "alive at now" cuts through the list, and one setting with a second, older instance
// that outlives the first, and a third with the same modified time, to order by instance id.
func pagingSettings(t *testing.T) []storedSetting {
	t.Helper()
	u := User{UPN: pagingUPN, ObjectID: pagingOID, GenerateBackups: 12}
	settings, err := fixtureBackups(contosoID, &u)
	if err != nil {
		t.Fatal(err)
	}
	for i := range settings {
		in := &settings[i].Instances[0]
		in.KeptUntil = testStart.Add(time.Duration(i%5) * time.Hour)
	}
	old := settings[4].Instances[0]
	old.ID, old.Payload = "00000000-0000-4000-8000-000000000000", "b2xk"
	old.Modified, old.KeptUntil = old.Modified.Add(-time.Hour), testStart.Add(9*time.Hour)
	tie := old
	tie.ID, tie.Payload = "ffffffff-0000-4000-8000-000000000000", "dGll"
	// Given out of order, and one time with a location and a monotonic reading: the store orders
	// instances itself and keeps times as the database gives them back.
	settings[4].Instances = append([]storedInstance{tie}, append(settings[4].Instances, old)...)
	settings[4].Instances[1].Created = time.Now().In(time.FixedZone("X", 3600))
	settings[0], settings[1] = settings[1], settings[0]
	return settings
}

func TestBothStoresAnswerAlike(t *testing.T) {
	settings := pagingSettings(t)
	seed := tenantSeed{TenantID: contosoID, RestorePage: RestoreEnabled, Backups: map[string][]storedSetting{pagingOID: settings, adeleOID: nil}}
	stores := make([]tenantStore, len(storeKinds))
	for i, k := range storeKinds {
		stores[i] = k.open(t)
		if seeded, err := stores[i].seed(t.Context(), seed, testStart); err != nil || !seeded {
			t.Fatalf("%s: seed: %v %v", k.name, seeded, err)
		}
	}
	// same runs op on every store and wants the same answer, and no error unless wantErr.
	same := func(t *testing.T, what string, wantErr bool, op func(st tenantStore) (any, error)) {
		t.Helper()
		first, err0 := op(stores[0])
		for i := 1; i < len(stores); i++ {
			got, err := op(stores[i])
			if (err0 != nil) != wantErr || (err != nil) != wantErr || !reflect.DeepEqual(got, first) {
				t.Fatalf("%s: %s answers %#v (%v), %s %#v (%v)", what, storeKinds[0].name, first, err0, storeKinds[i].name, got, err)
			}
		}
	}
	ctx := t.Context()
	sorted := stores[0]
	all, _ := sorted.liveSettings(ctx, contosoID, pagingOID, settingFilter{}, "", -1, testStart.Add(-time.Hour))
	device := settings[3].DeviceID
	filters := []settingFilter{{}, {SettingType: "backup"}, {SettingType: "roaming"}, {DeviceID: device}, {SettingType: "backup", DeviceID: device}, {DeviceID: "\x00"}}
	afters := []string{"", all[0].ID, all[5].ID, all[5].ID + "\x00", all[len(all)-1].ID, "{", "\xff"}
	users := []string{pagingOID, adeleOID, "no such user"}
	for _, at := range []time.Time{testStart.Add(-time.Hour), testStart, testStart.Add(90 * time.Minute), testStart.Add(time.Hour), testStart.Add(5 * time.Hour), testStart.Add(10 * time.Hour)} {
		for _, oid := range users {
			for _, f := range filters {
				for _, after := range afters {
					for _, limit := range []int{-1, 0, 1, 3, 111} {
						same(t, "a listing", false, func(st tenantStore) (any, error) {
							return st.liveSettings(ctx, contosoID, oid, f, after, limit, at)
						})
					}
				}
			}
			for _, id := range []string{settings[0].ID, settings[4].ID, settings[7].ID, "no such setting"} {
				same(t, "a setting", false, func(st tenantStore) (any, error) { return st.liveSetting(ctx, contosoID, oid, id, at) })
			}
		}
	}
	same(t, "another tenant's listing", false, func(st tenantStore) (any, error) {
		return st.liveSettings(ctx, fabrikamID, pagingOID, settingFilter{}, "", -1, testStart)
	})
	same(t, "the restore configuration", false, func(st tenantStore) (any, error) { return st.restoreConfig(ctx, contosoID) })
	same(t, "an unknown tenant's restore configuration", true, func(st tenantStore) (any, error) { return st.restoreConfig(ctx, fabrikamID) })
	for i, state := range []string{RestoreDisabled, RestoreDisabled, RestoreEnabled} {
		at := testStart.Add(time.Duration(i+1) * time.Minute).In(time.FixedZone("Y", -7200))
		same(t, "a flag change", false, func(st tenantStore) (any, error) { return st.setRestoreState(ctx, contosoID, state, at) })
	}
	same(t, "a flag change of an unknown tenant", true, func(st tenantStore) (any, error) {
		return st.setRestoreState(ctx, fabrikamID, RestoreDisabled, testStart)
	})
	same(t, "the restore configuration after the changes", false, func(st tenantStore) (any, error) { return st.restoreConfig(ctx, contosoID) })

	upload, err := deviceBackup(contosoID, pagingOID, device, backup.DeviceProfilePayload{}, "Y29udGVudA==", testStart, testStart, KeptForever)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "an upload replacing a device's backup", false, func(st tenantStore) (any, error) {
		return nil, st.replaceDeviceBackup(ctx, contosoID, pagingOID, device, upload, 0)
	})
	same(t, "the listing after the upload", false, func(st tenantStore) (any, error) {
		return st.liveSettings(ctx, contosoID, pagingOID, settingFilter{}, "", -1, testStart)
	})
	same(t, "the uploaded setting", false, func(st tenantStore) (any, error) {
		return st.liveSetting(ctx, contosoID, pagingOID, upload[1].ID, testStart)
	})
	clash := append([]storedSetting{}, upload...)
	clash[1].ID = settings[0].ID // another device's setting
	same(t, "an upload whose setting id another device has", true, func(st tenantStore) (any, error) {
		return nil, st.replaceDeviceBackup(ctx, contosoID, pagingOID, "other", clash, 0)
	})
	twice := []storedSetting{upload[0], upload[0]}
	same(t, "an upload with a setting twice", true, func(st tenantStore) (any, error) {
		return nil, st.replaceDeviceBackup(ctx, contosoID, pagingOID, device, twice, 0)
	})
	same(t, "an upload to an unknown tenant", true, func(st tenantStore) (any, error) {
		return nil, st.replaceDeviceBackup(ctx, fabrikamID, pagingOID, device, upload, 0)
	})
	same(t, "the listing after the failed uploads is the one before", false, func(st tenantStore) (any, error) {
		return st.liveSettings(ctx, contosoID, pagingOID, settingFilter{}, "", -1, testStart)
	})
	same(t, "an upload to a user with no settings", false, func(st tenantStore) (any, error) {
		return nil, st.replaceDeviceBackup(ctx, contosoID, adeleOID, device, upload, 0)
	})

	for _, dev := range []string{"b", "a", "c"} {
		rec := RestoreResultRecord{RestoreResult: backup.RestoreResult{WindowsDeviceID: dev, Status: backup.StatusNoBackups}, UserID: pagingOID}
		same(t, "a restore result", false, func(st tenantStore) (any, error) { return st.putRestoreResult(ctx, contosoID, rec) })
	}
	rec := RestoreResultRecord{RestoreResult: backup.RestoreResult{WindowsDeviceID: "a", Status: backup.StatusNoBackups}, UserID: adeleOID}
	same(t, "a device's second restore result", false, func(st tenantStore) (any, error) { return st.putRestoreResult(ctx, contosoID, rec) })
	same(t, "a restore result for an unknown tenant", true, func(st tenantStore) (any, error) { return st.putRestoreResult(ctx, fabrikamID, rec) })
	older := rec
	older.ReportedDateTime = testStart.Add(-time.Hour)
	rec.ReportedDateTime = testStart
	same(t, "a newer restore result", false, func(st tenantStore) (any, error) { return st.putRestoreResult(ctx, contosoID, rec) })
	same(t, "an older restore result is not kept", false, func(st tenantStore) (any, error) { return st.putRestoreResult(ctx, contosoID, older) })
	same(t, "a device registered to its first user", false, func(st tenantStore) (any, error) { return st.registerDevice(ctx, contosoID, "d1", adeleOID) })
	same(t, "a registered device keeps its owner", false, func(st tenantStore) (any, error) { return st.registerDevice(ctx, contosoID, "d1", pagingOID) })
	same(t, "a device looked up, not registered", false, func(st tenantStore) (any, error) { return st.registerDevice(ctx, contosoID, "d2", "") })
	same(t, "an upload's device is registered", false, func(st tenantStore) (any, error) { return st.registerDevice(ctx, contosoID, device, "") })
	same(t, "an upload over the quota", true, func(st tenantStore) (any, error) {
		return nil, st.replaceDeviceBackup(ctx, contosoID, pagingOID, "quota-device", upload, 1)
	})
	same(t, "the restore results", false, func(st tenantStore) (any, error) { return st.restoreResults(ctx, contosoID) })
	same(t, "an unknown tenant's restore results", false, func(st tenantStore) (any, error) { return st.restoreResults(ctx, fabrikamID) })

	same(t, "a deletion", false, func(st tenantStore) (any, error) { return st.deleteUserSettings(ctx, contosoID, pagingOID) })
	same(t, "a second deletion", false, func(st tenantStore) (any, error) { return st.deleteUserSettings(ctx, contosoID, pagingOID) })
	same(t, "a deletion in an unknown tenant", false, func(st tenantStore) (any, error) { return st.deleteUserSettings(ctx, fabrikamID, pagingOID) })
	same(t, "the listing after the deletion", false, func(st tenantStore) (any, error) {
		return st.liveSettings(ctx, contosoID, pagingOID, settingFilter{}, "", -1, testStart)
	})
	same(t, "seeding a known tenant again", false, func(st tenantStore) (any, error) { return st.seed(ctx, seed, testStart) })
	same(t, "the listing after seeding again", false, func(st tenantStore) (any, error) {
		return st.liveSettings(ctx, contosoID, pagingOID, settingFilter{}, "", -1, testStart)
	})
	dup := tenantSeed{TenantID: fabrikamID, RestorePage: RestoreEnabled, Backups: map[string][]storedSetting{pagingOID: {upload[0], upload[0]}}}
	same(t, "seeding a tenant with a setting twice", true, func(st tenantStore) (any, error) { return st.seed(ctx, dup, testStart) })
	same(t, "a tenant whose seed failed is not there", true, func(st tenantStore) (any, error) { return st.restoreConfig(ctx, fabrikamID) })
}

func TestEveryStore(t *testing.T) {
	ctx := t.Context()
	seed := func(t *testing.T, st tenantStore) []storedSetting {
		t.Helper()
		settings := pagingSettings(t)
		if _, err := st.seed(ctx, tenantSeed{TenantID: contosoID, RestorePage: RestoreEnabled, Backups: map[string][]storedSetting{pagingOID: settings}}, testStart); err != nil {
			t.Fatal(err)
		}
		return settings
	}
	for _, k := range storeKinds {
		t.Run(k.name, func(t *testing.T) {
			t.Run("keeps what it was given, not the caller's slices", func(t *testing.T) {
				st := k.open(t)
				settings := seed(t, st)
				id := settings[4].ID
				before, err := st.liveSetting(ctx, contosoID, pagingOID, id, testStart)
				if err != nil || before == nil {
					t.Fatalf("%v %v", before, err)
				}
				settings[4].Instances[0].Payload = "changed by the caller"
				before.Instances[0].Payload = "changed by a reader"
				after, err := st.liveSetting(ctx, contosoID, pagingOID, id, testStart)
				if err != nil || after.Instances[0].Payload == "changed by the caller" || after.Instances[0].Payload == "changed by a reader" {
					t.Fatalf("a change to a given or returned slice reached the store: %+v %v", after, err)
				}
			})
			t.Run("makes the paging key once", func(t *testing.T) {
				st := k.open(t)
				calls := 0
				newValue := func() ([]byte, error) { calls++; return []byte{1, 2, 3}, nil }
				a, err1 := st.secret(ctx, "k", newValue)
				a[0] = 9
				b, err2 := st.secret(ctx, "k", newValue)
				if err1 != nil || err2 != nil || calls != 1 || !reflect.DeepEqual(b, []byte{1, 2, 3}) {
					t.Fatalf("secret: %v %v, %d calls, then %v", err1, err2, calls, b)
				}
			})
			t.Run("refuses work after close", func(t *testing.T) {
				st := k.open(t)
				seed(t, st)
				if err := st.close(); err != nil {
					t.Fatal(err)
				}
				if err := st.close(); err != nil {
					t.Fatalf("a second close: %v", err)
				}
				if _, err := st.liveSettings(ctx, contosoID, pagingOID, settingFilter{}, "", 1, testStart); !errors.Is(err, errStoreClosed) {
					t.Errorf("a listing after close: %v", err)
				}
				if _, err := st.restoreConfig(ctx, contosoID); !errors.Is(err, errStoreClosed) {
					t.Errorf("the restore configuration after close: %v", err)
				}
				if _, err := st.deleteUserSettings(ctx, contosoID, pagingOID); !errors.Is(err, errStoreClosed) {
					t.Errorf("a deletion after close: %v", err)
				}
			})
		})
	}
}
