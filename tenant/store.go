package tenant

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the embedded SQLite database behind the tenant's mutable state

	"github.com/oobe-dev/oobe/backup"
)

// DataFileName is the database file `oobe serve --data DIR` keeps the tenants' state in.
const DataFileName = "oobe.db"

// schemaVersion is the database layout this build reads and writes: version 1 and schemaV2.
const schemaVersion = 2

// ErrUnreadableData marks a --data directory whose database this build cannot use: not a
// SQLite file, damaged, or written by a newer oobe. It is bad input, not a failure of the
// simulator (`oobe serve` exits 2 for it).
var ErrUnreadableData = errors.New("the data directory's database cannot be used")

// schema creates version 1. Times are Unix nanoseconds in UTC. Every instance belongs to a
// setting and goes with it (ON DELETE CASCADE); ids are the Graph ids the API serves.
var schema = []string{
	`CREATE TABLE schema_version (version INTEGER NOT NULL)`,
	`CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID`,
	`CREATE TABLE tenants (
		tenant_id       TEXT PRIMARY KEY,
		restore_state   TEXT NOT NULL,
		restore_version INTEGER NOT NULL,
		created_ns      INTEGER NOT NULL,
		modified_ns     INTEGER NOT NULL
	) WITHOUT ROWID`,
	`CREATE TABLE settings (
		tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id),
		user_oid     TEXT NOT NULL,
		setting_id   TEXT NOT NULL,
		device_id    TEXT NOT NULL,
		setting_type TEXT NOT NULL,
		payload_type TEXT NOT NULL,
		PRIMARY KEY (tenant_id, user_oid, setting_id)
	) WITHOUT ROWID`,
	`CREATE INDEX settings_by_device ON settings (tenant_id, user_oid, device_id)`,
	`CREATE TABLE instances (
		tenant_id   TEXT NOT NULL,
		user_oid    TEXT NOT NULL,
		setting_id  TEXT NOT NULL,
		instance_id TEXT NOT NULL,
		payload     TEXT NOT NULL,
		created_ns  INTEGER NOT NULL,
		modified_ns INTEGER NOT NULL,
		expires_ns  INTEGER NOT NULL,
		PRIMARY KEY (tenant_id, user_oid, setting_id, instance_id),
		FOREIGN KEY (tenant_id, user_oid, setting_id) REFERENCES settings (tenant_id, user_oid, setting_id) ON DELETE CASCADE
	) WITHOUT ROWID`,
	`CREATE TABLE restore_results (
		tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
		device_id TEXT NOT NULL,
		user_oid  TEXT NOT NULL,
		result    TEXT NOT NULL,
		PRIMARY KEY (tenant_id, device_id)
	) WITHOUT ROWID`,
}

// schemaV2 turns version 1 into version 2:
//   - instances becomes a rowid table with the payload last, and instances_live indexes expiry.
//     Version 1 kept instances WITHOUT ROWID with the payload before expires_ns: a WITHOUT ROWID
//     table keeps whole rows in its interior pages, so every seek compared against 4 MB rows
//     read them, and every expiry test walked the payload's overflow pages first (a user with
//     40 × 4 MB backups waited most of a second for a listing);
//   - devices are the Entra device objects the tenant has, each registered to the user who
//     joined it (owners.go), seeded from the devices backups were made on;
//   - restore_results.reported_ns keeps the newest report by its date, not the last received.
var schemaV2 = []string{
	`CREATE TABLE instances_v2 (
		tenant_id   TEXT NOT NULL,
		user_oid    TEXT NOT NULL,
		setting_id  TEXT NOT NULL,
		instance_id TEXT NOT NULL,
		created_ns  INTEGER NOT NULL,
		modified_ns INTEGER NOT NULL,
		expires_ns  INTEGER NOT NULL,
		payload     TEXT NOT NULL,
		PRIMARY KEY (tenant_id, user_oid, setting_id, instance_id),
		FOREIGN KEY (tenant_id, user_oid, setting_id) REFERENCES settings (tenant_id, user_oid, setting_id) ON DELETE CASCADE
	)`,
	`INSERT INTO instances_v2 (tenant_id, user_oid, setting_id, instance_id, created_ns, modified_ns, expires_ns, payload)
		SELECT tenant_id, user_oid, setting_id, instance_id, created_ns, modified_ns, expires_ns, payload FROM instances`,
	`DROP TABLE instances`,
	`ALTER TABLE instances_v2 RENAME TO instances`,
	`CREATE INDEX instances_live ON instances (tenant_id, user_oid, setting_id, expires_ns)`,
	`CREATE TABLE devices (
		tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
		device_id TEXT NOT NULL,
		owner_oid TEXT NOT NULL,
		PRIMARY KEY (tenant_id, device_id)
	) WITHOUT ROWID`,
	`ALTER TABLE restore_results ADD COLUMN reported_ns INTEGER NOT NULL DEFAULT 0`,
	`INSERT OR IGNORE INTO devices (tenant_id, device_id, owner_oid)
		SELECT tenant_id, device_id, min(user_oid) FROM settings WHERE device_id <> '' GROUP BY tenant_id, device_id`,
}

// storedSetting is a windowsSetting with its instances, as the store keeps it.
type storedSetting struct {
	ID          string
	DeviceID    string
	SettingType string
	PayloadType string
	Instances   []storedInstance
}

// storedInstance is one windowsSettingInstance.
type storedInstance struct {
	ID       string
	Payload  string
	Created  time.Time
	Modified time.Time
	// KeptUntil is when the simulator stops keeping the instance (the column expires_ns):
	// KeptForever unless its source device was retired (Backup.Retired). It is not Graph's
	// expirationDateTime, which toGraphInstance derives.
	KeptUntil time.Time
}

// restoreConfig is a tenant's windowsRestoreDeviceEnrollmentConfiguration.
type restoreConfig struct {
	State    string
	Version  int
	Created  time.Time
	Modified time.Time
}

// settingFilter is a parsed $filter on /me/settings/windows; empty fields match everything.
type settingFilter struct {
	SettingType string `json:"s,omitempty"`
	DeviceID    string `json:"d,omitempty"`
}

// RestoreResultRecord is a reported restore result with the user who reported it.
type RestoreResultRecord struct {
	backup.RestoreResult
	// UserID is the object id of the signed-in user who reported it.
	UserID string `json:"userId"`
}

// tenantSeed is what a tenant starts with when the database has never seen it.
type tenantSeed struct {
	TenantID    string
	RestorePage string
	// Backups are the settings to create, by user object id.
	Backups map[string][]storedSetting
}

// sqliteStore keeps the tenants' mutable state in SQLite, in a file under the data directory
// (`serve --data`), so that it survives restarts. It holds one connection, so every request sees
// the database one statement or one transaction at a time, and no transaction can wait on
// another. Statements run detached from the request's cancellation: they are short, and a
// committed change must not be cut off half-way by a client that went away.
//
// Every statement is prepared once, when the database is opened: SQLite takes about as long to
// parse and plan one of these statements as to run it, and the same few run on every request.
type sqliteStore struct {
	db *sql.DB
	q  *statements
	rs *runState // this run's, never written to the database
	// failAt, set only by tests, fails a mutation at a named step inside its transaction.
	failAt func(step string) error

	// gate lets operations run (read-locked) until close (write-locked) ends them: a closed
	// store refuses work, and close waits for what is under way.
	gate   sync.RWMutex
	closed bool
}

// errStoreClosed is what a request that reaches the server after Close gets from its store.
var errStoreClosed = errors.New("the tenant database is closed")

// enter starts an operation; on success the caller must call st.gate.RUnlock when done.
func (st *sqliteStore) enter() error {
	st.gate.RLock()
	if st.closed {
		st.gate.RUnlock()
		return errStoreClosed
	}
	return nil
}

// Queries, prepared once per database (see statements).
const (
	qSecretGet      = `SELECT value FROM meta WHERE key = ?`
	qSecretPut      = `INSERT INTO meta (key, value) VALUES (?, ?)`
	qTenantCount    = `SELECT count(*) FROM tenants WHERE tenant_id = ?`
	qTenantInsert   = `INSERT INTO tenants (tenant_id, restore_state, restore_version, created_ns, modified_ns) VALUES (?, ?, 1, ?, ?)`
	qSettingInsert  = `INSERT OR IGNORE INTO settings (tenant_id, user_oid, setting_id, device_id, setting_type, payload_type) VALUES (?, ?, ?, ?, ?, ?)`
	qInstanceInsert = `INSERT INTO instances (tenant_id, user_oid, setting_id, instance_id, payload, created_ns, modified_ns, expires_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	qRestoreConfig  = `SELECT restore_state, restore_version, created_ns, modified_ns FROM tenants WHERE tenant_id = ?`
	qRestoreState   = `UPDATE tenants SET restore_state = ?, restore_version = restore_version + 1, modified_ns = ? WHERE tenant_id = ?`
	qLiveSetting    = `SELECT s.device_id, s.setting_type, s.payload_type,
			i.instance_id, i.payload, i.created_ns, i.modified_ns, i.expires_ns
		FROM settings s JOIN instances i ON i.tenant_id = s.tenant_id AND i.user_oid = s.user_oid AND i.setting_id = s.setting_id
		WHERE s.tenant_id = ? AND s.user_oid = ? AND s.setting_id = ? AND i.expires_ns > ?
		ORDER BY i.modified_ns DESC, i.instance_id`
	qDeleteDevice = `DELETE FROM settings WHERE tenant_id = ? AND user_oid = ? AND device_id = ?`
	qDeleteUser   = `DELETE FROM settings WHERE tenant_id = ? AND user_oid = ?`
	qDeleteInst   = `DELETE FROM instances WHERE tenant_id = ? AND user_oid = ? AND setting_id = ? AND instance_id = ?`
	// A report replaces the kept one only when it is as new or newer by its own date.
	qPutResult = `INSERT INTO restore_results (tenant_id, device_id, user_oid, result, reported_ns) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, device_id) DO UPDATE SET user_oid = excluded.user_oid, result = excluded.result,
			reported_ns = excluded.reported_ns WHERE excluded.reported_ns >= restore_results.reported_ns`
	qDeviceRegister = `INSERT OR IGNORE INTO devices (tenant_id, device_id, owner_oid) VALUES (?, ?, ?)`
	qDeviceOwner    = `SELECT owner_oid FROM devices WHERE tenant_id = ? AND device_id = ?`
	// octet_length reads the length from the record header, not the payload's pages.
	qUsage       = `SELECT coalesce(sum(octet_length(payload)), 0) FROM instances WHERE tenant_id = ? AND user_oid = ?`
	qListResults = `SELECT result FROM restore_results WHERE tenant_id = ? ORDER BY device_id`
)

// liveSettingsQuery is the listing, filtered on setting type, device, both or neither, each
// setting with its live instances (Graph lists them inline): statements.liveSettings[i] is
// liveSettingsQuery(i&1 != 0, i&2 != 0). One query, so a page costs one round trip however many
// instances it holds.
func liveSettingsQuery(byType, byDevice bool) string {
	q := `SELECT s.setting_id, s.device_id, s.setting_type, s.payload_type FROM settings s
		WHERE s.tenant_id = ? AND s.user_oid = ? AND s.setting_id > ?`
	if byType {
		q += ` AND s.setting_type = ?`
	}
	if byDevice {
		q += ` AND s.device_id = ?`
	}
	q += ` AND EXISTS (SELECT 1 FROM instances i WHERE i.tenant_id = s.tenant_id AND i.user_oid = s.user_oid
			AND i.setting_id = s.setting_id AND i.expires_ns > ?)
		ORDER BY s.setting_id LIMIT ?`
	return `SELECT p.setting_id, p.device_id, p.setting_type, p.payload_type,
			i.instance_id, i.payload, i.created_ns, i.modified_ns, i.expires_ns
		FROM (` + q + `) p JOIN instances i ON i.tenant_id = ? AND i.user_oid = ? AND i.setting_id = p.setting_id
		WHERE i.expires_ns > ?
		ORDER BY p.setting_id, i.modified_ns DESC, i.instance_id`
}

// statements are a database's prepared statements.
type statements struct {
	secretGet, secretPut, tenantCount, tenantInsert, settingInsert, instanceInsert *sql.Stmt
	restoreConfig, restoreState, liveSetting, deleteDevice, deleteUser, deleteInst *sql.Stmt
	putResult, listResults, deviceRegister, deviceOwner, usage                     *sql.Stmt
	liveSettings                                                                   [4]*sql.Stmt
	all                                                                            []*sql.Stmt
}

// prepare prepares every statement the store runs on db.
func prepare(ctx context.Context, db *sql.DB) (*statements, error) {
	q := &statements{}
	var err error
	p := func(dst **sql.Stmt, query string) {
		if err != nil {
			return
		}
		var s *sql.Stmt
		if s, err = db.PrepareContext(ctx, query); err != nil {
			err = fmt.Errorf("preparing %q: %w", strings.Join(strings.Fields(query), " "), err)
			return
		}
		*dst = s
		q.all = append(q.all, s)
	}
	p(&q.secretGet, qSecretGet)
	p(&q.secretPut, qSecretPut)
	p(&q.tenantCount, qTenantCount)
	p(&q.tenantInsert, qTenantInsert)
	p(&q.settingInsert, qSettingInsert)
	p(&q.instanceInsert, qInstanceInsert)
	p(&q.restoreConfig, qRestoreConfig)
	p(&q.restoreState, qRestoreState)
	p(&q.liveSetting, qLiveSetting)
	p(&q.deleteDevice, qDeleteDevice)
	p(&q.deleteUser, qDeleteUser)
	p(&q.deleteInst, qDeleteInst)
	p(&q.putResult, qPutResult)
	p(&q.listResults, qListResults)
	p(&q.deviceRegister, qDeviceRegister)
	p(&q.deviceOwner, qDeviceOwner)
	p(&q.usage, qUsage)
	for i := range q.liveSettings {
		p(&q.liveSettings[i], liveSettingsQuery(i&1 != 0, i&2 != 0))
	}
	if err != nil {
		q.close()
		return nil, err
	}
	return q, nil
}

func (q *statements) close() {
	for _, s := range q.all {
		_ = s.Close()
	}
}

// openStore opens the database in dir, creating both if need be.
func openStore(dir string) (*sqliteStore, error) {
	if dir == "" {
		return nil, errors.New("the tenant database needs a data directory")
	}
	if strings.ContainsAny(dir, "?#") {
		return nil, fmt.Errorf("data directory %q: the path cannot contain ? or #", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	file := filepath.Join(dir, DataFileName)
	// The database holds every user's backups and the $skiptoken signing key: owner only.
	// SQLite gives its -wal and -shm files the database file's permissions.
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("tenant database %s: %w", file, err)
	}
	f.Close()
	if err := os.Chmod(file, 0o600); err != nil {
		return nil, fmt.Errorf("tenant database %s: %w", file, err)
	}
	// WAL keeps readers and the one writer apart; synchronous FULL makes each committed
	// transaction survive a power cut, which is the point of --data.
	dsn := file + "?_foreign_keys=1&_txlock=immediate&_busy_timeout=5000&_journal_mode=WAL&_synchronous=FULL"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening the tenant database: %w", err)
	}
	// One connection: the simulator's load is one person's or one test's, and one connection
	// means no transaction ever waits on another.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	st := &sqliteStore{db: db, rs: newRunState()}
	ctx := context.Background()
	if err := st.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("tenant database %s: %w: %w", file, ErrUnreadableData, err)
	}
	if st.q, err = prepare(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("tenant database %s: %w", file, err)
	}
	return st, nil
}

func (st *sqliteStore) run() *runState { return st.rs }

// close ends the store: operations after it fail with errStoreClosed.
func (st *sqliteStore) close() error {
	st.gate.Lock()
	if st.closed {
		st.gate.Unlock()
		return nil
	}
	st.closed = true
	st.gate.Unlock()
	st.q.close()
	return st.db.Close()
}

// migrate creates the schema in a new database and refuses one written by a newer build.
func (st *sqliteStore) migrate(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	return st.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).Scan(&n); err != nil {
			return err
		}
		if n == 1 {
			var v int
			if err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
				return fmt.Errorf("reading the schema version: %w", err)
			}
			switch {
			case v == schemaVersion:
				return nil
			case v == 1:
				return upgrade(ctx, tx, schemaV2, 2)
			case v > schemaVersion:
				return fmt.Errorf("schema version %d was written by a newer oobe (this one reads %d); upgrade oobe or use another --data directory", v, schemaVersion)
			default:
				return fmt.Errorf("schema version %d is unknown; remove the directory to start afresh", v)
			}
		}
		for _, stmt := range schema {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("creating the schema: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (1)`); err != nil {
			return err
		}
		return upgrade(ctx, tx, schemaV2, 2)
	})
}

// upgrade runs a version's statements and records the version, in the caller's transaction.
func upgrade(ctx context.Context, tx *sql.Tx, stmts []string, version int) error {
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("upgrading the schema to version %d: %w", version, err)
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, version)
	return err
}

// tx runs fn in a transaction: committed if fn returns nil, rolled back otherwise.
func (st *sqliteStore) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	ctx = context.WithoutCancel(ctx)
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// step is a test's chance to fail a mutation part-way.
func (st *sqliteStore) step(name string) error {
	if st.failAt != nil {
		return st.failAt(name)
	}
	return nil
}

// secret returns the named random value, creating it from newValue on first use, so it
// survives restarts with the database.
func (st *sqliteStore) secret(ctx context.Context, name string, newValue func() ([]byte, error)) ([]byte, error) {
	if err := st.enter(); err != nil {
		return nil, err
	}
	defer st.gate.RUnlock()
	ctx = context.WithoutCancel(ctx)
	var out []byte
	err := st.tx(ctx, func(tx *sql.Tx) error {
		err := tx.StmtContext(ctx, st.q.secretGet).QueryRowContext(ctx, name).Scan(&out)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if out, err = newValue(); err != nil {
			return err
		}
		_, err = tx.StmtContext(ctx, st.q.secretPut).ExecContext(ctx, name, out)
		return err
	})
	return out, err
}

// seed gives a tenant the database has never seen its fixture state, in one transaction. A
// tenant the database knows keeps what it has: fixtures seed, they do not overwrite.
func (st *sqliteStore) seed(ctx context.Context, s tenantSeed, now time.Time) (seeded bool, err error) {
	if err := st.enter(); err != nil {
		return false, fmt.Errorf("seeding tenant %s: %w", s.TenantID, err)
	}
	defer st.gate.RUnlock()
	ctx = context.WithoutCancel(ctx)
	err = st.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.StmtContext(ctx, st.q.tenantCount).QueryRowContext(ctx, s.TenantID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.StmtContext(ctx, st.q.tenantInsert).ExecContext(ctx, s.TenantID, s.RestorePage, now.UnixNano(), now.UnixNano()); err != nil {
			return err
		}
		if err := st.step("seed.tenant"); err != nil {
			return err
		}
		// In id order, so a device backed up by two users is registered to the same one on
		// every start.
		for _, oid := range slices.Sorted(maps.Keys(s.Backups)) {
			if err := st.insertSettings(ctx, tx, s.TenantID, oid, s.Backups[oid]); err != nil {
				return err
			}
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seeding tenant %s: %w", s.TenantID, err)
	}
	return seeded, nil
}

func (st *sqliteStore) insertSettings(ctx context.Context, tx *sql.Tx, tid, oid string, settings []storedSetting) error {
	if len(settings) == 0 {
		return nil
	}
	setStmt := tx.StmtContext(ctx, st.q.settingInsert)
	instStmt := tx.StmtContext(ctx, st.q.instanceInsert)
	devStmt := tx.StmtContext(ctx, st.q.deviceRegister)
	for _, s := range settings {
		// A device a user's backup was made on is that user's, unless it is someone's already.
		if s.DeviceID != "" {
			if _, err := devStmt.ExecContext(ctx, tid, s.DeviceID, oid); err != nil {
				return fmt.Errorf("registering device %s of user %s: %w", s.DeviceID, oid, err)
			}
		}
		// A setting stored already (the device profiles setting every device shares) gains instances.
		if _, err := setStmt.ExecContext(ctx, tid, oid, s.ID, s.DeviceID, s.SettingType, s.PayloadType); err != nil {
			return fmt.Errorf("storing setting %s of user %s: %w", s.ID, oid, err)
		}
		for _, in := range s.Instances {
			if _, err := instStmt.ExecContext(ctx, tid, oid, s.ID, in.ID, in.Payload, in.Created.UnixNano(), in.Modified.UnixNano(), in.KeptUntil.UnixNano()); err != nil {
				return fmt.Errorf("storing instance %s of setting %s: %w", in.ID, s.ID, err)
			}
		}
	}
	return nil
}

// restoreConfig reads a tenant's restore page configuration.
func (st *sqliteStore) restoreConfig(ctx context.Context, tid string) (restoreConfig, error) {
	if err := st.enter(); err != nil {
		return restoreConfig{}, fmt.Errorf("reading the restore configuration of tenant %s: %w", tid, err)
	}
	defer st.gate.RUnlock()
	return st.readRestoreConfig(ctx, tid)
}

func (st *sqliteStore) readRestoreConfig(ctx context.Context, tid string) (restoreConfig, error) {
	ctx = context.WithoutCancel(ctx)
	var (
		rc                  restoreConfig
		created, modifiedNS int64
	)
	err := st.q.restoreConfig.QueryRowContext(ctx, tid).Scan(&rc.State, &rc.Version, &created, &modifiedNS)
	if err != nil {
		return rc, fmt.Errorf("reading the restore configuration of tenant %s: %w", tid, err)
	}
	rc.Created, rc.Modified = time.Unix(0, created).UTC(), time.Unix(0, modifiedNS).UTC()
	return rc, nil
}

// setRestoreState changes the restore page state, bumping the version, and returns the result.
func (st *sqliteStore) setRestoreState(ctx context.Context, tid, state string, now time.Time) (restoreConfig, error) {
	if err := st.enter(); err != nil {
		return restoreConfig{}, fmt.Errorf("changing the restore page of tenant %s: %w", tid, err)
	}
	defer st.gate.RUnlock()
	ctx = context.WithoutCancel(ctx)
	err := st.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, st.q.restoreState).ExecContext(ctx, state, now.UnixNano(), tid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("tenant %s is not in the database", tid)
		}
		return st.step("restore.state")
	})
	if err != nil {
		return restoreConfig{}, fmt.Errorf("changing the restore page of tenant %s: %w", tid, err)
	}
	return st.readRestoreConfig(ctx, tid)
}

// liveSettings lists a user's settings that have an instance alive at now, matching f, with ids
// after `after`, in id order, at most limit of them, each with its live instances (newest first).
func (st *sqliteStore) liveSettings(ctx context.Context, tid, oid string, f settingFilter, after string, limit int, now time.Time) ([]storedSetting, error) {
	if err := st.enter(); err != nil {
		return nil, fmt.Errorf("listing settings: %w", err)
	}
	defer st.gate.RUnlock()
	ctx = context.WithoutCancel(ctx)
	args := make([]any, 0, 10)
	args = append(args, tid, oid, after)
	variant := 0
	if f.SettingType != "" {
		variant |= 1
		args = append(args, f.SettingType)
	}
	if f.DeviceID != "" {
		variant |= 2
		args = append(args, f.DeviceID)
	}
	args = append(args, now.UnixNano(), limit, tid, oid, now.UnixNano())
	rows, err := st.q.liveSettings[variant].QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("listing settings: %w", err)
	}
	defer rows.Close()
	var out []storedSetting
	for rows.Next() {
		var (
			s                   storedSetting
			in                  storedInstance
			created, mod, expir int64
		)
		if err := rows.Scan(&s.ID, &s.DeviceID, &s.SettingType, &s.PayloadType, &in.ID, &in.Payload, &created, &mod, &expir); err != nil {
			return nil, fmt.Errorf("listing settings: %w", err)
		}
		in.Created, in.Modified, in.KeptUntil = time.Unix(0, created).UTC(), time.Unix(0, mod).UTC(), time.Unix(0, expir).UTC()
		if n := len(out); n == 0 || out[n-1].ID != s.ID {
			out = append(out, s)
		}
		last := &out[len(out)-1]
		last.Instances = append(last.Instances, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing settings: %w", err)
	}
	return out, nil
}

// liveSetting returns one of the user's settings with its live instances, or nil when the user
// has no such setting or none of its instances is alive at now.
func (st *sqliteStore) liveSetting(ctx context.Context, tid, oid, id string, now time.Time) (*storedSetting, error) {
	if err := st.enter(); err != nil {
		return nil, fmt.Errorf("reading setting: %w", err)
	}
	defer st.gate.RUnlock()
	ctx = context.WithoutCancel(ctx)
	rows, err := st.q.liveSetting.QueryContext(ctx, tid, oid, id, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("reading setting: %w", err)
	}
	defer rows.Close()
	var s *storedSetting
	for rows.Next() {
		var (
			in                  storedInstance
			device, typ, ptype  string
			created, mod, expir int64
		)
		if err := rows.Scan(&device, &typ, &ptype, &in.ID, &in.Payload, &created, &mod, &expir); err != nil {
			return nil, fmt.Errorf("reading setting: %w", err)
		}
		if s == nil {
			s = &storedSetting{ID: id, DeviceID: device, SettingType: typ, PayloadType: ptype}
		}
		in.Created, in.Modified, in.KeptUntil = time.Unix(0, created).UTC(), time.Unix(0, mod).UTC(), time.Unix(0, expir).UTC()
		s.Instances = append(s.Instances, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading setting: %w", err)
	}
	return s, nil
}

// replaceDeviceBackup replaces everything a user has stored for one source device, at once:
// Windows keeps one backup per device.
func (st *sqliteStore) replaceDeviceBackup(ctx context.Context, tid, oid, deviceID string, settings []storedSetting, quota int64) error {
	if err := st.enter(); err != nil {
		return fmt.Errorf("storing the backup of device %s: %w", deviceID, err)
	}
	defer st.gate.RUnlock()
	ctx = context.WithoutCancel(ctx)
	err := st.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, st.q.deleteDevice).ExecContext(ctx, tid, oid, deviceID); err != nil {
			return err
		}
		// The device's instance of the shared device profiles setting goes with its backup.
		if _, err := tx.StmtContext(ctx, st.q.deleteInst).ExecContext(ctx, tid, oid, backup.DeviceProfilesSettingID, profileInstanceID(tid, oid, deviceID)); err != nil {
			return err
		}
		if err := st.step("upload.deleted"); err != nil {
			return err
		}
		if err := st.insertSettings(ctx, tx, tid, oid, settings); err != nil {
			return err
		}
		if quota <= 0 {
			return nil
		}
		var used int64
		if err := tx.StmtContext(ctx, st.q.usage).QueryRowContext(ctx, tid, oid).Scan(&used); err != nil {
			return err
		}
		if used > quota {
			return &QuotaError{Used: used, Quota: quota} // rolls the upload back
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing the backup of device %s: %w", deviceID, err)
	}
	return nil
}

// deleteUserSettings deletes every windowsSetting of a user and reports how many there were.
func (st *sqliteStore) deleteUserSettings(ctx context.Context, tid, oid string) (int64, error) {
	if err := st.enter(); err != nil {
		return 0, fmt.Errorf("deleting the settings of user %s: %w", oid, err)
	}
	defer st.gate.RUnlock()
	ctx = context.WithoutCancel(ctx)
	var n int64
	err := st.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, st.q.deleteUser).ExecContext(ctx, tid, oid)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return st.step("delete.settings")
	})
	if err != nil {
		return 0, fmt.Errorf("deleting the settings of user %s: %w", oid, err)
	}
	return n, nil
}

// putRestoreResult keeps a device's restore result when it is the newest by its date (a tie
// goes to the one received last) and reports whether it did.
func (st *sqliteStore) putRestoreResult(ctx context.Context, tid string, rec RestoreResultRecord) (bool, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	if err := st.enter(); err != nil {
		return false, fmt.Errorf("storing the restore result of device %s: %w", rec.WindowsDeviceID, err)
	}
	defer st.gate.RUnlock()
	ctx = context.WithoutCancel(ctx)
	// One statement is its own transaction.
	res, err := st.q.putResult.ExecContext(ctx, tid, rec.WindowsDeviceID, rec.UserID, string(data), rec.ReportedDateTime.UnixNano())
	if err != nil {
		return false, fmt.Errorf("storing the restore result of device %s: %w", rec.WindowsDeviceID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// registerDevice registers a device the tenant does not have yet to oid, and returns the
// user it is registered to.
func (st *sqliteStore) registerDevice(ctx context.Context, tid, deviceID, oid string) (string, error) {
	if err := st.enter(); err != nil {
		return "", fmt.Errorf("registering device %s: %w", deviceID, err)
	}
	defer st.gate.RUnlock()
	ctx = context.WithoutCancel(ctx)
	var owner string
	err := st.tx(ctx, func(tx *sql.Tx) error {
		if oid != "" {
			if _, err := tx.StmtContext(ctx, st.q.deviceRegister).ExecContext(ctx, tid, deviceID, oid); err != nil {
				return err
			}
		}
		err := tx.StmtContext(ctx, st.q.deviceOwner).QueryRowContext(ctx, tid, deviceID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("registering device %s: %w", deviceID, err)
	}
	return owner, nil
}

// restoreResults lists a tenant's latest restore result per device, by device id.
func (st *sqliteStore) restoreResults(ctx context.Context, tid string) ([]RestoreResultRecord, error) {
	if err := st.enter(); err != nil {
		return nil, fmt.Errorf("listing restore results: %w", err)
	}
	defer st.gate.RUnlock()
	ctx = context.WithoutCancel(ctx)
	rows, err := st.q.listResults.QueryContext(ctx, tid)
	if err != nil {
		return nil, fmt.Errorf("listing restore results: %w", err)
	}
	defer rows.Close()
	out := []RestoreResultRecord{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("listing restore results: %w", err)
		}
		var rec RestoreResultRecord
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			return nil, fmt.Errorf("listing restore results: a stored result is not JSON: %w", err)
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}
