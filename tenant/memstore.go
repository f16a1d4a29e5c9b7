package tenant

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// tenantStore is what the server keeps of its tenants that changes while it runs: the restore
// page flag, the users' backups, the restore results and the paging key. sqliteStore keeps it in
// a file for `serve --data`; memStore keeps it in maps for everything else (replays, tests, a
// plain `serve`). Both give the same answers, in the same order, with the same errors: memStore
// does in Go what sqliteStore's statements do (TestBothStoresAnswerAlike holds them to it).
type tenantStore interface {
	// restoreConfig reads a tenant's restore page configuration.
	restoreConfig(ctx context.Context, tid string) (restoreConfig, error)
	// setRestoreState changes the restore page state, bumping the version, and returns the result.
	setRestoreState(ctx context.Context, tid, state string, now time.Time) (restoreConfig, error)
	// liveSettings lists a user's settings that have an instance alive at now (expiring after
	// it), matching f, with ids after `after`, in id order (bytewise), at most limit of them (a
	// negative limit is none), each with its live instances newest first (as liveSetting).
	liveSettings(ctx context.Context, tid, oid string, f settingFilter, after string, limit int, now time.Time) ([]storedSetting, error)
	// liveSetting returns one of the user's settings with its instances alive at now, newest
	// first (modified time descending, then instance id), or nil when there is none.
	liveSetting(ctx context.Context, tid, oid, id string, now time.Time) (*storedSetting, error)
	// replaceDeviceBackup replaces everything a user has stored for one source device, at once,
	// and registers the device to the user if it is nobody's yet. With a quota above zero, an
	// upload that would leave the user's payloads over quota bytes changes nothing and fails
	// with a *QuotaError.
	replaceDeviceBackup(ctx context.Context, tid, oid, deviceID string, settings []storedSetting, quota int64) error
	// deleteUserSettings deletes every windowsSetting of a user and reports how many there were.
	deleteUserSettings(ctx context.Context, tid, oid string) (int64, error)
	// putRestoreResult keeps a device's restore result when it is the newest by its
	// ReportedDateTime (a tie goes to the later received) and reports whether it did.
	putRestoreResult(ctx context.Context, tid string, rec RestoreResultRecord) (bool, error)
	// registerDevice registers a device the tenant does not have to oid (none when oid is "")
	// and returns the user it is registered to, "" when the tenant has no such device.
	registerDevice(ctx context.Context, tid, deviceID, oid string) (string, error)
	// restoreResults lists a tenant's latest restore result per device, by device id.
	restoreResults(ctx context.Context, tid string) ([]RestoreResultRecord, error)
	// secret returns the named random value, made by newValue on first use.
	secret(ctx context.Context, name string, newValue func() ([]byte, error)) ([]byte, error)
	// seed gives a tenant the store has never seen its fixture state, all or nothing, and
	// reports whether it did; a tenant the store knows keeps what it has.
	seed(ctx context.Context, s tenantSeed, now time.Time) (seeded bool, err error)
	// run is the server's state for this run only (secret.go), which no store persists.
	run() *runState
	// close ends the store: operations after it fail with errStoreClosed.
	close() error
}

// memStore keeps the tenants' state in memory, for a server without a data directory: nothing
// outlives it, and no other process reads it. It stores copies of what it is given and hands
// out copies, so no caller shares its slices. Times are kept as sqliteStore reads them back
// (whole nanoseconds, UTC, no monotonic reading).
type memStore struct {
	mu      sync.RWMutex
	closed  bool
	tenants map[string]*memTenant
	secrets map[string][]byte
	rs      *runState
}

// memTenant is one tenant's rows.
type memTenant struct {
	config restoreConfig
	// users are each user's settings by object id, in id order, each with its instances newest
	// first (modified time descending, then instance id), as the statements order them.
	users    map[string][]storedSetting
	results  map[string][]byte // each device's latest restore result, as JSON, by device id
	reported map[string]int64  // each kept result's reportedDateTime, Unix nanoseconds
	devices  map[string]string // each registered device's owner, by device id
}

var (
	_ tenantStore = (*sqliteStore)(nil)
	_ tenantStore = (*memStore)(nil)
)

func newMemStore() *memStore {
	return &memStore{tenants: map[string]*memTenant{}, secrets: map[string][]byte{}, rs: newRunState()}
}

// asStored is t as the database gives it back: Unix nanoseconds, in UTC.
func asStored(t time.Time) time.Time { return time.Unix(0, t.UnixNano()).UTC() }

// enter takes the lock for reading or writing; on success the caller must unlock it.
func (m *memStore) enter(write bool) error {
	if write {
		m.mu.Lock()
	} else {
		m.mu.RLock()
	}
	if m.closed {
		m.leave(write)
		return errStoreClosed
	}
	return nil
}

func (m *memStore) leave(write bool) {
	if write {
		m.mu.Unlock()
	} else {
		m.mu.RUnlock()
	}
}

func (m *memStore) run() *runState { return m.rs }

func (m *memStore) close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.tenants, m.secrets = nil, nil
	return nil
}

func (m *memStore) secret(_ context.Context, name string, newValue func() ([]byte, error)) ([]byte, error) {
	if err := m.enter(true); err != nil {
		return nil, err
	}
	defer m.leave(true)
	v, ok := m.secrets[name]
	if !ok {
		var err error
		if v, err = newValue(); err != nil {
			return nil, err
		}
		m.secrets[name] = slices.Clone(v)
	}
	return slices.Clone(v), nil
}

func (m *memStore) seed(_ context.Context, s tenantSeed, now time.Time) (bool, error) {
	if err := m.enter(true); err != nil {
		return false, fmt.Errorf("seeding tenant %s: %w", s.TenantID, err)
	}
	defer m.leave(true)
	if _, ok := m.tenants[s.TenantID]; ok {
		return false, nil
	}
	at := asStored(now)
	t := &memTenant{
		config:   restoreConfig{State: s.RestorePage, Version: 1, Created: at, Modified: at},
		users:    make(map[string][]storedSetting, len(s.Backups)),
		results:  map[string][]byte{},
		reported: map[string]int64{},
		devices:  map[string]string{},
	}
	for _, oid := range slices.Sorted(maps.Keys(s.Backups)) { // as sqliteStore: the first user registers a device
		list, err := withSettings(nil, oid, s.Backups[oid])
		if err != nil {
			return false, fmt.Errorf("seeding tenant %s: %w", s.TenantID, err)
		}
		if len(list) > 0 {
			t.users[oid] = list
		}
		t.register(oid, s.Backups[oid])
	}
	m.tenants[s.TenantID] = t
	return true, nil
}

// withSettings returns list (in id order) with copies of settings added, in id order, or the
// error the database's primary keys would give: nothing is changed either way. A setting stored
// already (the device profiles setting every device shares) gains the new one's instances, as
// the database's INSERT OR IGNORE of the setting and INSERT of its instances do.
func withSettings(list []storedSetting, oid string, settings []storedSetting) ([]storedSetting, error) {
	if len(settings) == 0 {
		return list, nil
	}
	out := make([]storedSetting, 0, len(list)+len(settings))
	out = append(out, list...)
	for _, s := range settings {
		at, found := slices.BinarySearchFunc(out, s.ID, func(e storedSetting, id string) int { return cmp.Compare(e.ID, id) })
		c := s
		var kept []storedInstance
		if found {
			c = out[at]
			kept = c.Instances
		}
		c.Instances = make([]storedInstance, 0, len(kept)+len(s.Instances))
		c.Instances = append(c.Instances, kept...)
		for _, in := range s.Instances {
			in.Created, in.Modified, in.KeptUntil = asStored(in.Created), asStored(in.Modified), asStored(in.KeptUntil)
			c.Instances = append(c.Instances, in)
		}
		slices.SortFunc(c.Instances, func(a, b storedInstance) int {
			if c := cmp.Compare(b.Modified.UnixNano(), a.Modified.UnixNano()); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		for i := range c.Instances {
			if hasInstance(c.Instances[:i], c.Instances[i].ID) {
				return nil, fmt.Errorf("storing instance %s of setting %s: the instance is stored already", c.Instances[i].ID, s.ID)
			}
		}
		if found {
			out[at] = c
		} else {
			out = slices.Insert(out, at, c)
		}
	}
	return out, nil
}

func hasInstance(ins []storedInstance, id string) bool {
	return slices.ContainsFunc(ins, func(in storedInstance) bool { return in.ID == id })
}

// tenant returns a tenant's rows; the caller holds the lock.
func (m *memStore) tenant(tid string) (*memTenant, error) {
	t, ok := m.tenants[tid]
	if !ok {
		return nil, fmt.Errorf("tenant %s is not in the store", tid)
	}
	return t, nil
}

func (m *memStore) restoreConfig(_ context.Context, tid string) (restoreConfig, error) {
	if err := m.enter(false); err != nil {
		return restoreConfig{}, fmt.Errorf("reading the restore configuration of tenant %s: %w", tid, err)
	}
	defer m.leave(false)
	t, err := m.tenant(tid)
	if err != nil {
		return restoreConfig{}, fmt.Errorf("reading the restore configuration of tenant %s: %w", tid, err)
	}
	return t.config, nil
}

func (m *memStore) setRestoreState(_ context.Context, tid, state string, now time.Time) (restoreConfig, error) {
	if err := m.enter(true); err != nil {
		return restoreConfig{}, fmt.Errorf("changing the restore page of tenant %s: %w", tid, err)
	}
	defer m.leave(true)
	t, err := m.tenant(tid)
	if err != nil {
		return restoreConfig{}, fmt.Errorf("changing the restore page of tenant %s: %w", tid, err)
	}
	t.config.State, t.config.Modified = state, asStored(now)
	t.config.Version++
	return t.config, nil
}

// userSettings returns a user's settings, nil when the tenant or the user has none; the
// caller holds the lock.
func (m *memStore) userSettings(tid, oid string) []storedSetting {
	if t, ok := m.tenants[tid]; ok {
		return t.users[oid]
	}
	return nil
}

// alive reports whether any of s's instances expires after now (Unix nanoseconds).
func alive(s *storedSetting, now int64) bool {
	return slices.ContainsFunc(s.Instances, func(in storedInstance) bool { return in.KeptUntil.UnixNano() > now })
}

func (m *memStore) liveSettings(_ context.Context, tid, oid string, f settingFilter, after string, limit int, now time.Time) ([]storedSetting, error) {
	if err := m.enter(false); err != nil {
		return nil, fmt.Errorf("listing settings: %w", err)
	}
	defer m.leave(false)
	var out []storedSetting
	if limit == 0 { // SQLite's LIMIT 0; a negative limit is no limit
		return out, nil
	}
	list := m.userSettings(tid, oid)
	ns := now.UnixNano()
	// The settings after `after`: the first id greater than it, as setting_id > ? does.
	start := sort.Search(len(list), func(i int) bool { return list[i].ID > after })
	for i := start; i < len(list); i++ {
		s := &list[i]
		if f.SettingType != "" && s.SettingType != f.SettingType || f.DeviceID != "" && s.DeviceID != f.DeviceID || !alive(s, ns) {
			continue
		}
		c := storedSetting{ID: s.ID, DeviceID: s.DeviceID, SettingType: s.SettingType, PayloadType: s.PayloadType}
		for _, in := range s.Instances { // kept newest first, as the database orders them
			if in.KeptUntil.UnixNano() > ns {
				c.Instances = append(c.Instances, in)
			}
		}
		out = append(out, c)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

func (m *memStore) liveSetting(_ context.Context, tid, oid, id string, now time.Time) (*storedSetting, error) {
	if err := m.enter(false); err != nil {
		return nil, fmt.Errorf("reading setting: %w", err)
	}
	defer m.leave(false)
	list := m.userSettings(tid, oid)
	i, found := slices.BinarySearchFunc(list, id, func(e storedSetting, id string) int { return cmp.Compare(e.ID, id) })
	if !found {
		return nil, nil
	}
	s, ns := &list[i], now.UnixNano()
	var out *storedSetting
	for _, in := range s.Instances {
		if in.KeptUntil.UnixNano() > ns {
			if out == nil {
				out = &storedSetting{ID: s.ID, DeviceID: s.DeviceID, SettingType: s.SettingType, PayloadType: s.PayloadType}
			}
			out.Instances = append(out.Instances, in)
		}
	}
	return out, nil
}

// register registers the devices settings were backed up from to oid, where nobody has them.
func (t *memTenant) register(oid string, settings []storedSetting) {
	for _, st := range settings {
		if _, ok := t.devices[st.DeviceID]; st.DeviceID != "" && !ok {
			t.devices[st.DeviceID] = oid
		}
	}
}

// usage is the bytes of payload in a user's settings, as the quota counts them.
func usage(list []storedSetting) int64 {
	var n int64
	for _, st := range list {
		for _, in := range st.Instances {
			n += int64(len(in.Payload))
		}
	}
	return n
}

func (m *memStore) replaceDeviceBackup(_ context.Context, tid, oid, deviceID string, settings []storedSetting, quota int64) error {
	if err := m.enter(true); err != nil {
		return fmt.Errorf("storing the backup of device %s: %w", deviceID, err)
	}
	defer m.leave(true)
	t, err := m.tenant(tid)
	if err != nil {
		return fmt.Errorf("storing the backup of device %s: %w", deviceID, err)
	}
	kept := slices.DeleteFunc(slices.Clone(t.users[oid]), func(s storedSetting) bool { return s.DeviceID == deviceID })
	// The device's instance of the shared device profiles setting goes with its backup; the
	// setting itself stays, as the database's row does, even when no instance is left.
	if i, found := slices.BinarySearchFunc(kept, backup.DeviceProfilesSettingID, func(e storedSetting, id string) int { return cmp.Compare(e.ID, id) }); found {
		mine := profileInstanceID(tid, oid, deviceID)
		kept[i].Instances = slices.DeleteFunc(slices.Clone(kept[i].Instances), func(in storedInstance) bool { return in.ID == mine })
	}
	list, err := withSettings(kept, oid, settings)
	if err != nil {
		return fmt.Errorf("storing the backup of device %s: %w", deviceID, err)
	}
	if used := usage(list); quota > 0 && used > quota {
		return fmt.Errorf("storing the backup of device %s: %w", deviceID, &QuotaError{Used: used, Quota: quota})
	}
	t.register(oid, settings)
	if len(list) == 0 {
		delete(t.users, oid)
	} else {
		t.users[oid] = list
	}
	return nil
}

func (m *memStore) deleteUserSettings(_ context.Context, tid, oid string) (int64, error) {
	if err := m.enter(true); err != nil {
		return 0, fmt.Errorf("deleting the settings of user %s: %w", oid, err)
	}
	defer m.leave(true)
	t, ok := m.tenants[tid]
	if !ok {
		return 0, nil // DELETE of no rows
	}
	n := len(t.users[oid])
	delete(t.users, oid)
	return int64(n), nil
}

func (m *memStore) putRestoreResult(_ context.Context, tid string, rec RestoreResultRecord) (bool, error) {
	// Kept as the JSON sqliteStore keeps, so a listing decodes the same record from the same bytes.
	data, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	if err := m.enter(true); err != nil {
		return false, fmt.Errorf("storing the restore result of device %s: %w", rec.WindowsDeviceID, err)
	}
	defer m.leave(true)
	t, err := m.tenant(tid)
	if err != nil {
		return false, fmt.Errorf("storing the restore result of device %s: %w", rec.WindowsDeviceID, err)
	}
	at := rec.ReportedDateTime.UnixNano()
	if old, ok := t.reported[rec.WindowsDeviceID]; ok && at < old {
		return false, nil
	}
	t.results[rec.WindowsDeviceID], t.reported[rec.WindowsDeviceID] = data, at
	return true, nil
}

func (m *memStore) registerDevice(_ context.Context, tid, deviceID, oid string) (string, error) {
	if err := m.enter(true); err != nil {
		return "", fmt.Errorf("registering device %s: %w", deviceID, err)
	}
	defer m.leave(true)
	t, err := m.tenant(tid)
	if err != nil {
		return "", fmt.Errorf("registering device %s: %w", deviceID, err)
	}
	owner, ok := t.devices[deviceID]
	if !ok && oid != "" {
		t.devices[deviceID], owner = oid, oid
	}
	return owner, nil
}

func (m *memStore) restoreResults(_ context.Context, tid string) ([]RestoreResultRecord, error) {
	if err := m.enter(false); err != nil {
		return nil, fmt.Errorf("listing restore results: %w", err)
	}
	defer m.leave(false)
	out := []RestoreResultRecord{}
	t, ok := m.tenants[tid]
	if !ok {
		return out, nil
	}
	devices := make([]string, 0, len(t.results))
	for d := range t.results {
		devices = append(devices, d)
	}
	slices.Sort(devices) // ORDER BY device_id: bytewise, as Go compares strings
	for _, d := range devices {
		var rec RestoreResultRecord
		if err := json.Unmarshal(t.results[d], &rec); err != nil {
			return nil, fmt.Errorf("listing restore results: a stored result is not JSON: %w", err)
		}
		out = append(out, rec)
	}
	return out, nil
}
