package tenant

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// opaqueUnitStoreBytes is the size of the stand-in backupunitstore blob; Windows' real one is
// a binary store nobody outside Windows reads.
const opaqueUnitStoreBytes = 192

// settingID is a windowsSetting id as Graph forms them for backups: "{device id}$payload type".
// Clients must treat it as opaque, as Graph's documentation warns.
func settingID(deviceID, payloadType string) string {
	return "{" + deviceID + "}$" + payloadType
}

// profileInstanceID is the id of a device's instance in the device profiles setting: one per
// device, so a new backup of the device replaces it in place. Graph's instance ids are opaque;
// this one is derived from whose device it is.
func profileInstanceID(tid, oid, deviceID string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "deviceprofile|%s|%s|%s", tid, oid, deviceID))
	return formatGUID(sum[:16])
}

// instanceID derives a stable instance id from what the instance is: the same backup always
// gets the same id, a new backup of the device a new one.
func instanceID(tid, oid, setting string, modified time.Time) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%s|%d", tid, oid, setting, modified.UnixNano()))
	return formatGUID(sum[:16])
}

// opaqueUnitStore makes the stand-in bytes of a backupunitstore payload, stable for a backup.
func opaqueUnitStore(tid, oid, deviceID string, modified time.Time) string {
	out := make([]byte, 0, opaqueUnitStoreBytes)
	seed := fmt.Appendf(nil, "backupunitstore|%s|%s|%s|%d", tid, oid, deviceID, modified.UnixNano())
	for i := 0; len(out) < opaqueUnitStoreBytes; i++ {
		sum := sha256.Sum256(append(seed, byte(i)))
		out = append(out, sum[:]...)
	}
	return base64.StdEncoding.EncodeToString(out[:opaqueUnitStoreBytes])
}

// deviceBackup is one source device's backup in the form the store keeps: the device's instance
// of the device profiles setting (which it shares with the user's other devices, domain.md §7.4
// [G]), then the simulator's content setting and an opaque backupunitstore setting, each the
// device's own, with one instance. The content payload is stored as given, byte for byte.
func deviceBackup(tid, oid, deviceID string, profile backup.DeviceProfilePayload, contentPayload string, created, modified, keptUntil time.Time) ([]storedSetting, error) {
	// Stored as Windows writes it: osVersion build.UBR.branch (domain.md §7.4 [G]).
	profile.OSVersion = backup.PayloadOSVersion(profile.OSVersion)
	profilePayload, err := backup.EncodePayload(profile)
	if err != nil {
		return nil, fmt.Errorf("encoding the deviceprofile of device %s: %w", deviceID, err)
	}
	payloads := []struct{ typ, payload string }{
		{backup.PayloadContent, contentPayload},
		{backup.PayloadBackupUnitStore, opaqueUnitStore(tid, oid, deviceID, modified)},
	}
	inst := func(id, payload string) []storedInstance {
		return []storedInstance{{ID: id, Payload: payload, Created: created.UTC(), Modified: modified.UTC(), KeptUntil: keptUntil.UTC()}}
	}
	out := make([]storedSetting, 0, len(payloads)+1)
	out = append(out, storedSetting{ID: backup.DeviceProfilesSettingID, SettingType: backup.SettingTypeBackup,
		PayloadType: backup.PayloadDeviceProfile, Instances: inst(profileInstanceID(tid, oid, deviceID), profilePayload)})
	for _, p := range payloads {
		id := settingID(deviceID, p.typ)
		out = append(out, storedSetting{
			ID: id, DeviceID: deviceID, SettingType: backup.SettingTypeBackup, PayloadType: p.typ,
			Instances: inst(instanceID(tid, oid, id, modified), p.payload),
		})
	}
	return out, nil
}

// fixtureBackupsCached is fixtureBackups, remembered by what it is made from. It is a pure
// function of the fixture user, and it pays: a replay starts a server per scenario on the same
// fixture users, and sealing and encoding the demo tenants' backups (SealedContent, the payload
// JSON) costs about 240 µs a server against 60 µs for the lookup (BenchmarkFixtureBackups). The
// key is the tenant id and the JSON of everything fixtureBackups reads from the user, so a user
// changed between servers misses the cache rather than getting another's backups. A large user
// (generated backups) is not kept. The settings returned are shared: callers must not change
// them (both stores copy what they keep).
func fixtureBackupsCached(tid string, u *User) ([]storedSetting, error) {
	if len(u.Backups) == 0 && u.GenerateBackups == 0 {
		return nil, nil // most users: nothing to make, nothing to key
	}
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer releaseJSON(buf)
	buf.Reset()
	buf.WriteString(tid)
	buf.WriteByte(0)
	err := json.NewEncoder(buf).Encode(struct {
		OID, UPN string
		Generate int
		Backups  []Backup
	}{u.ObjectID, u.UPN, u.GenerateBackups, u.Backups})
	if err != nil {
		return fixtureBackups(tid, u)
	}
	fixtureCache.mu.Lock()
	hit, ok := fixtureCache.m[string(buf.Bytes())] // a lookup by the bytes: no key string made
	fixtureCache.mu.Unlock()
	if ok {
		return hit, nil
	}
	settings, err := fixtureBackups(tid, u)
	if err != nil || len(settings) > maxCachedUserSettings {
		return settings, err
	}
	fixtureCache.mu.Lock()
	if fixtureCache.m == nil || len(fixtureCache.m) >= maxCachedUsers {
		fixtureCache.m = map[string][]storedSetting{} // start afresh rather than keep bookkeeping
	}
	fixtureCache.m[buf.String()] = settings
	fixtureCache.mu.Unlock()
	return settings, nil
}

// Bounds on fixtureCache: users with a fixture's handful of backups, a few hundred of them.
const (
	maxCachedUsers        = 256
	maxCachedUserSettings = 64
)

var fixtureCache struct {
	mu sync.Mutex
	m  map[string][]storedSetting
}

// fixtureBackups turns a user's fixture and generated backups into stored settings.
func fixtureBackups(tid string, u *User) ([]storedSetting, error) {
	oid := strings.ToLower(u.ObjectID)
	if u.GenerateBackups < 0 || u.GenerateBackups > MaxGeneratedBackups {
		return nil, fmt.Errorf("user %s: generateBackups %d is not between 0 and %d", u.UPN, u.GenerateBackups, MaxGeneratedBackups)
	}
	var out []storedSetting
	for _, b := range u.allBackups(tid) {
		profile := b.Profile()
		if err := profile.Validate(); err != nil {
			return nil, fmt.Errorf("user %s, backup of %s: %w", u.UPN, b.Device, err)
		}
		content, err := b.SealedContent(tid, oid)
		if err != nil {
			return nil, fmt.Errorf("user %s, backup of %s: %w", u.UPN, b.Device, err)
		}
		payload, err := backup.EncodePayload(content)
		if err != nil {
			return nil, fmt.Errorf("user %s, backup of %s: encoding the content: %w", u.UPN, b.Device, err)
		}
		settings, err := deviceBackup(tid, oid, strings.ToLower(b.DeviceID), profile, payload, b.Created, b.LastBackup, b.KeptUntil())
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", u.UPN, err)
		}
		out = append(out, settings...)
	}
	return out, nil
}
