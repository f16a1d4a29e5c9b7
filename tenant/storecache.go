package tenant

import (
	"context"
	"sync"
	"time"
)

// maxCachedBackupRows bounds the backups backupCache keeps for one user, in instances: a
// fixture's handful, not a user with thousands of generated previous PCs, whose listing pages
// stay with the database.
const maxCachedBackupRows = 256

// backupCache keeps each user's backups as the listing (liveSettings) and the setting reads
// (liveSetting) need them: all of a user's settings with all their instances, loaded with one
// statement on the first read and answered from memory after that. The restore page reads each
// of a user's settings once, and each statement costs a request more than the rest of it.
//
// What the statements filter (an instance alive at now, a $filter, a $skiptoken's last id) is
// filtered here the same way, in the same order (SQLite compares TEXT byte by byte, as Go
// does). Every change to backups (an upload, a deletion) empties the cache; a read that began
// before a change does not store what it read (gen). Only in-memory databases have one, as no
// other process can change them; one that goes back to memPool with its backups unchanged keeps
// its cache for the next server.
type backupCache struct {
	mu    sync.Mutex
	gen   uint64                  // counts the changes
	users map[string]*userBackups // by tenant id, NUL, user object id

	// configs are the tenants' restore page configurations, read once after each change, with
	// their own count of changes: a tenant's row starts again with every server (resetTenant),
	// and that must not cost the next server the backups.
	configGen uint64
	configs   map[string]restoreConfig
}

// userBackups is one user's settings in id order, each with all its instances newest first
// (modified time descending, then instance id); tooMany marks a user left to the database.
type userBackups struct {
	settings []storedSetting
	tooMany  bool
}

func newBackupCache() *backupCache {
	return &backupCache{users: map[string]*userBackups{}, configs: map[string]restoreConfig{}}
}

// configChanged forgets the restore page configurations: call it after a change to a tenant's
// row is committed (or failed).
func (c *backupCache) configChanged() {
	c.mu.Lock()
	c.configGen++
	clear(c.configs)
	c.mu.Unlock()
}

// setConfig records a tenant's configuration as just written, before any request reads it
// (resetTenant, when a server starts).
func (c *backupCache) setConfig(tid string, rc restoreConfig) {
	c.mu.Lock()
	c.configs[tid] = rc
	c.mu.Unlock()
}

// cachedRestoreConfig is readRestoreConfig, kept until the tenant's row changes; the database
// is asked when it is a file another process may change. The caller is inside the store's gate.
func (st *store) cachedRestoreConfig(ctx context.Context, tid string) (restoreConfig, error) {
	if !st.memory {
		return st.readRestoreConfig(ctx, tid)
	}
	c := st.cache
	c.mu.Lock()
	rc, ok := c.configs[tid]
	gen := c.configGen
	c.mu.Unlock()
	if ok {
		return rc, nil
	}
	rc, err := st.readRestoreConfig(ctx, tid)
	if err != nil {
		return rc, err
	}
	c.mu.Lock()
	if c.configGen == gen {
		c.configs[tid] = rc
	}
	c.mu.Unlock()
	return rc, nil
}

// changed forgets everything: call it after a change to backups is committed (or failed).
func (c *backupCache) changed() {
	c.mu.Lock()
	c.gen++
	clear(c.users)
	c.mu.Unlock()
}

// emptied forgets everything: the database was emptied.
func (c *backupCache) emptied() {
	c.changed()
	c.configChanged()
}

// userBackups returns the user's backups, loading them on first use; nil when the user has too
// many to keep, or the database is a file another process may change too (the caller asks the
// database). The caller is inside the store's gate.
func (st *store) userBackups(ctx context.Context, tid, oid string) (*userBackups, error) {
	if !st.memory {
		return nil, nil
	}
	key := tid + "\x00" + oid
	c := st.cache
	c.mu.Lock()
	ub, ok := c.users[key]
	gen := c.gen
	c.mu.Unlock()
	if !ok {
		var err error
		if ub, err = st.loadUserBackups(ctx, tid, oid); err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.gen == gen { // no change to backups since the load began
			c.users[key] = ub
		}
		c.mu.Unlock()
	}
	if ub.tooMany {
		return nil, nil
	}
	return ub, nil
}

func (st *store) loadUserBackups(ctx context.Context, tid, oid string) (*userBackups, error) {
	rows, err := st.q.userBackups.QueryContext(ctx, tid, oid, maxCachedBackupRows+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ub := &userBackups{}
	n := 0
	for rows.Next() {
		if n++; n > maxCachedBackupRows {
			return &userBackups{tooMany: true}, nil
		}
		var (
			s                   storedSetting
			in                  storedInstance
			created, mod, expir int64
		)
		if err := rows.Scan(&s.ID, &s.DeviceID, &s.SettingType, &s.PayloadType, &in.ID, &in.Payload, &created, &mod, &expir); err != nil {
			return nil, err
		}
		in.Created, in.Modified, in.Expires = time.Unix(0, created).UTC(), time.Unix(0, mod).UTC(), time.Unix(0, expir).UTC()
		if last := len(ub.settings) - 1; last < 0 || ub.settings[last].ID != s.ID {
			ub.settings = append(ub.settings, s)
		}
		last := &ub.settings[len(ub.settings)-1]
		last.Instances = append(last.Instances, in)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return ub, nil
}

// live reports whether any of s's instances is alive at now (expires after it).
func live(s *storedSetting, now int64) bool {
	for _, in := range s.Instances {
		if in.Expires.UnixNano() > now {
			return true
		}
	}
	return false
}

// list is liveSettings answered from the cache.
func (ub *userBackups) list(f settingFilter, after string, limit int, now time.Time) []storedSetting {
	var out []storedSetting
	if limit == 0 { // SQLite's LIMIT 0; a negative limit is no limit
		return out
	}
	ns := now.UnixNano()
	for i := range ub.settings {
		s := &ub.settings[i]
		if s.ID <= after || f.SettingType != "" && s.SettingType != f.SettingType ||
			f.DeviceID != "" && s.DeviceID != f.DeviceID || !live(s, ns) {
			continue
		}
		out = append(out, storedSetting{ID: s.ID, DeviceID: s.DeviceID, SettingType: s.SettingType, PayloadType: s.PayloadType})
		if len(out) == limit {
			break
		}
	}
	return out
}

// setting is liveSetting answered from the cache.
func (ub *userBackups) setting(id string, now time.Time) *storedSetting {
	ns := now.UnixNano()
	for i := range ub.settings {
		s := &ub.settings[i]
		if s.ID != id {
			continue
		}
		var out *storedSetting
		for _, in := range s.Instances {
			if in.Expires.UnixNano() > ns {
				if out == nil {
					out = &storedSetting{ID: id, DeviceID: s.DeviceID, SettingType: s.SettingType, PayloadType: s.PayloadType}
				}
				out.Instances = append(out.Instances, in)
			}
		}
		return out
	}
	return nil
}
