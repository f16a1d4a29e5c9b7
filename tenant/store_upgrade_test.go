package tenant

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestAVersion1DatabaseIsUpgraded opens a database as version 1 left it: the upgrade rebuilds
// instances with the expiry index, keeping its rows, registers the devices its backups were made
// on and keeps the results.
func TestAVersion1DatabaseIsUpgraded(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, DataFileName))
	if err != nil {
		t.Fatal(err)
	}
	stmts := append(append([]string{}, schema...),
		`INSERT INTO schema_version (version) VALUES (1)`,
		`INSERT INTO tenants VALUES ('`+contosoID+`', 'enabled', 1, 0, 0)`,
		`INSERT INTO settings VALUES ('`+contosoID+`', '`+meganOID+`', 'x', '`+meganDevice+`', 'backup', 't')`,
		`INSERT INTO instances VALUES ('`+contosoID+`', '`+meganOID+`', 'x', 'i', 'payload', 1, 2, 9223372036854775807)`,
		`INSERT INTO restore_results VALUES ('`+contosoID+`', 'd', '`+meganOID+`', '{}')`)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	db.Close()
	st, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	var v int
	if err := st.db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != schemaVersion {
		t.Fatalf("version %d, %v", v, err)
	}
	if owner, err := st.registerDevice(context.Background(), contosoID, meganDevice, ""); err != nil || owner != meganOID {
		t.Fatalf("the backup's device is registered to %q (%v), want Megan", owner, err)
	}
	if got, err := st.liveSetting(context.Background(), contosoID, meganOID, "x", testStart); err != nil || got == nil ||
		len(got.Instances) != 1 || got.Instances[0].Payload != "payload" || got.Instances[0].Modified.UnixNano() != 2 {
		t.Fatalf("the instance after the upgrade: %+v, %v", got, err)
	}
	var n int
	if err := st.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'instances_live'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("instances_live: %d, %v", n, err)
	}
}

// TestAGarbageDatabaseIsUnreadableData marks a data file that is not a database as bad input.
func TestAGarbageDatabaseIsUnreadableData(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, DataFileName), []byte("this is not a database, just some text long enough to look like a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := openStore(dir)
	if !errors.Is(err, ErrUnreadableData) {
		t.Fatalf("err = %v, want ErrUnreadableData", err)
	}
}
