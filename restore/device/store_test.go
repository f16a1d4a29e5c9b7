package device

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/profile"
)

func testProfile(os string) profile.DeviceProfile {
	return profile.DeviceProfile{
		OS: os, Edition: "Enterprise", Join: profile.JoinEntra, Provisioning: profile.ProvisioningUserDriven,
		Cloud: profile.CloudGlobal, Architecture: ArchX64, Name: "ADELE-OLD",
		DeviceID: "0b9d1f7e-1c5a-4a8e-9f38-2d0b6f0c4e11", TenantID: "39150fda-e360-47ce-b98e-d9250ba6f8e8",
		EnableWindowsBackup: new(true), // a managed PC whose IT turned Windows Backup on
	}
}

// sampleWith is the Windows 11 sample device with one change.
func sampleWith(edit func(*State)) State {
	s := Sample(testProfile("10.0.22631.5768"))
	edit(&s)
	return s
}

func newDir(t *testing.T) string { return filepath.Join(t.TempDir(), "pc") }

func mustInit(t *testing.T, st State) string {
	t.Helper()
	dir := newDir(t)
	if _, err := Init(dir, st); err != nil {
		t.Fatal(err)
	}
	return dir
}

func mustOpen(t *testing.T, dir string) *Device {
	t.Helper()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tree returns every file under dir by relative path.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestADeviceReadsBackAsItWasCreated(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   State
	}{
		{"a Windows 10 PC with Start tiles", Sample(testProfile("10.0.19045.6216"))},
		{"a Windows 11 PC with Start pins", Sample(testProfile("10.0.22631.5768"))},
		{"an arm64 PC", Sample(func() profile.DeviceProfile {
			p := testProfile("10.0.26100.4946")
			p.Architecture = ArchARM64
			return p
		}())},
		{"an empty PC", State{Profile: testProfile("10.0.22631.4317")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := mustInit(t, tc.st)
			d := mustOpen(t, dir)
			want := tc.st.Clone()
			if err := want.Normalize(); err != nil {
				t.Fatal(err)
			}
			if got := asJSON(t, d.State); got != asJSON(t, want) {
				t.Fatalf("read back\n%s\nwant\n%s", got, asJSON(t, want))
			}
			if d.Generation != 0 {
				t.Fatalf("generation %d, want 0", d.Generation)
			}
			for _, name := range stateFiles() {
				data, err := os.ReadFile(osPath(dir, name))
				if err != nil || !json.Valid(data) || !strings.HasSuffix(string(data), "\n") {
					t.Fatalf("%s is not a readable JSON file: %v", name, err)
				}
			}
		})
	}
}

func TestInitRefusesADirectoryThatAlreadyHoldsADevice(t *testing.T) {
	dir := mustInit(t, Sample(testProfile("10.0.22631.5768")))
	before := tree(t, dir)
	_, err := Init(dir, State{Profile: testProfile("10.0.22631.4317")})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	if fmt.Sprint(tree(t, dir)) != fmt.Sprint(before) {
		t.Fatal("a refused Init changed the device")
	}
}

func TestOpenAndUpdateOfADirectoryWithoutADeviceSaySoAndWriteNothing(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); !errors.Is(err, ErrNotDevice) {
		t.Fatalf("Open: %v, want ErrNotDevice", err)
	}
	if _, err := Update(context.Background(), dir, func(*Device) (*State, error) { return nil, nil }); !errors.Is(err, ErrNotDevice) {
		t.Fatalf("Update: %v, want ErrNotDevice", err)
	}
	if _, err := Open(filepath.Join(dir, "missing")); !errors.Is(err, ErrNotDevice) {
		t.Fatalf("Open of a missing directory: %v, want ErrNotDevice", err)
	}
	if files := tree(t, dir); len(files) != 0 {
		t.Fatalf("files appeared: %v", files)
	}
}

func TestInvalidStatesAreRefusedNamingTheFileAndField(t *testing.T) {
	tests := []struct {
		name string
		st   State
		want string
	}{
		{"a malformed OS version", sampleWith(func(s *State) { s.Profile.OS = "22631" }), "profile.json: os"},
		{"a missing edition", sampleWith(func(s *State) { s.Profile.Edition = "" }), "profile.json: edition: missing"},
		{"an unknown join type", sampleWith(func(s *State) { s.Profile.Join = "workgroup" }), "profile.json: join"},
		{"a device name past 15 characters", sampleWith(func(s *State) { s.Profile.Name = "ADELES-VERY-LONG-PC" }), "profile.json: name"},
		{"an unknown setting category", sampleWith(func(s *State) { s.Settings["gaming"] = map[string]json.RawMessage{"x": json.RawMessage(`1`)} }), `category "gaming"`},
		{"a setting value that is not JSON", sampleWith(func(s *State) { s.Settings[backup.CategoryOther]["x"] = json.RawMessage(`{`) }), "settings/other.json"},
		{"an unknown Wi-Fi security", sampleWith(func(s *State) { s.WiFi[0].Security = "wep" }), "wifi.json: [0]"},
		{"a network saved twice", sampleWith(func(s *State) { s.WiFi = append(s.WiFi, s.WiFi[0]) }), "saved twice"},
		{"an app installed for an unknown architecture", sampleWith(func(s *State) { s.StoreApps[0].Architecture = "ia64" }), "apps.json: [0]"},
		{"Start tiles on Windows 11", sampleWith(func(s *State) { s.StartTiles = []backup.StartTile{{AppID: "MSEdge"}} }), "start.json: tiles"},
		{"Start pins on Windows 10", State{Profile: testProfile("10.0.19045.6216"), StartPins: []backup.Pin{{AppID: "MSEdge"}}}, "start.json: pins"},
		{"a taskbar pin without an app id", sampleWith(func(s *State) { s.TaskbarPins[0].AppID = "" }), "taskbar.json"},
		{"a setting policy without the value it enforces", sampleWith(func(s *State) { s.Policies = []Policy{{Category: backup.CategoryOther, Name: "x", Source: "p"}} }), "policies.json: [0] other/x"},
		{"an unknown device policy", sampleWith(func(s *State) { s.Policies = []Policy{{Category: CategoryDevice, Name: "wallpaper", Source: "p"}} }), "policies.json"},
		{"a policy without its source", sampleWith(func(s *State) { s.Policies = []Policy{{Category: CategoryDevice, Name: PolicyStartLayout}} }), "source"},
		{"a backup history with a count and no time", sampleWith(func(s *State) { s.Backups.Count = 2 }), "backups.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := newDir(t)
			_, err := Init(dir, tc.st)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if _, err := os.Stat(osPath(dir, fileProfile)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatal("a refused Init created the device")
			}
		})
	}
}

func TestABrokenFileIsNamedWithItsPathAndLine(t *testing.T) {
	tests := []struct {
		name, file, content, want string
	}{
		{"a syntax error", fileWiFi, "[\n  {\"ssid\": \"Home\",\n   \"security\" \"open\"}\n]\n", "wifi.json:3:"},
		{"an unknown field", fileApps, `[{"productId":"9WZDNCRFJBH4","name":"Photos","architecture":"x64","architectures":[],"license":"free"}]`, `unknown field "license"`},
		{"a wrong type", fileBackups, "{\n  \"count\": \"two\"\n}\n", "backups.json:2:"},
		{"two JSON values", fileTaskbar, "[]\n[]\n", "more after the JSON value"},
		{"an empty file", filePolicies, "", "empty file"},
		{"a bad value", fileWiFi, `[{"ssid":"Home","security":"wep"}]`, `wifi.json: [0] "Home": security "wep"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := mustInit(t, Sample(testProfile("10.0.22631.5768")))
			if err := os.WriteFile(osPath(dir, tc.file), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("err = %v, want it to name %s in %s and mention %q", err, tc.file, dir, tc.want)
			}
		})
	}
}

func TestAChangeRewritesOnlyTheFilesThatChange(t *testing.T) {
	dir := mustInit(t, Sample(testProfile("10.0.22631.5768")))
	infos := map[string]os.FileInfo{}
	for _, name := range stateFiles() {
		fi, err := os.Stat(osPath(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		infos[name] = fi
	}
	committed, err := Update(context.Background(), dir, func(cur *Device) (*State, error) {
		next := cur.State.Clone()
		next.WiFi = append(next.WiFi, backup.WiFiNetwork{SSID: "Cafe", Security: backup.WiFiOpen})
		next.Settings[backup.CategoryLanguage]["displayLanguage"] = json.RawMessage(`"fr-FR"`)
		return next, nil
	})
	if err != nil || !committed {
		t.Fatalf("committed %v, %v", committed, err)
	}
	for _, name := range stateFiles() {
		fi, err := os.Stat(osPath(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		replaced := !os.SameFile(fi, infos[name])
		if want := name == fileWiFi || name == settingsFile(backup.CategoryLanguage); replaced != want {
			t.Errorf("%s: replaced = %v, want %v", name, replaced, want)
		}
	}
	d := mustOpen(t, dir)
	if d.Generation != 1 || len(d.State.WiFi) != 4 || string(d.State.Settings[backup.CategoryLanguage]["displayLanguage"]) != `"fr-FR"` {
		t.Fatalf("generation %d, state %s", d.Generation, asJSON(t, d.State))
	}
	if j, _ := os.ReadFile(osPath(dir, fileJournal)); string(j) != "{\n  \"generation\": 1,\n  \"pending\": false\n}\n" {
		t.Fatalf("journal after the change:\n%s", j)
	}
}

func TestAnUpdateThatChangesNothingWritesNothing(t *testing.T) {
	dir := mustInit(t, Sample(testProfile("10.0.22631.5768")))
	before := tree(t, dir)
	for _, change := range []func(cur *Device) (*State, error){
		func(*Device) (*State, error) { return nil, nil },
		func(cur *Device) (*State, error) { return cur.State.Clone(), nil },
	} {
		committed, err := Update(context.Background(), dir, change)
		if err != nil || committed {
			t.Fatalf("committed %v, %v", committed, err)
		}
	}
	if fmt.Sprint(tree(t, dir)) != fmt.Sprint(before) {
		t.Fatal("the directory changed")
	}
}

// leavePending makes dir look like a writer was killed after writing the journal for next
// and replacing the first `replaced` of the files it changes.
func leavePending(t *testing.T, dir string, next *State, replaced int) {
	t.Helper()
	cur := mustOpen(t, dir)
	if err := next.Normalize(); err != nil {
		t.Fatal(err)
	}
	files, err := encodeFiles(next)
	if err != nil {
		t.Fatal(err)
	}
	var changed []string
	for _, name := range stateFiles() {
		if files[name] != nil && string(files[name]) != string(cur.files[name]) {
			changed = append(changed, name)
		}
	}
	data, err := marshal(journal{Generation: cur.Generation + 1, Pending: true, Changed: changed, State: next})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(osPath(dir, fileJournal), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range changed[:replaced] {
		if err := os.WriteFile(osPath(dir, name), files[name], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// and a half-written temp file of the next one
	if err := os.WriteFile(tempName(osPath(dir, changed[replaced])), files[changed[replaced]][:10], 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAChangeLeftPendingIsWhatReadersSeeAndTheNextWriterFinishes(t *testing.T) {
	dir := mustInit(t, Sample(testProfile("10.0.22631.5768")))
	next := mustOpen(t, dir).State.Clone()
	next.Profile.Name = "ADELE-NEW"
	next.WiFi = next.WiFi[:1]
	next.StartPins = next.StartPins[1:]
	leavePending(t, dir, next, 1)

	pendingTree := tree(t, dir)
	d := mustOpen(t, dir)
	if asJSON(t, d.State) != asJSON(t, next) || d.Generation != 1 {
		t.Fatalf("a reader saw generation %d:\n%s\nwant the pending state", d.Generation, asJSON(t, d.State))
	}
	if fmt.Sprint(tree(t, dir)) != fmt.Sprint(pendingTree) {
		t.Fatal("a reader wrote to the device")
	}

	var seen *State
	if _, err := Update(context.Background(), dir, func(cur *Device) (*State, error) {
		seen = cur.State
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if asJSON(t, seen) != asJSON(t, next) {
		t.Fatal("the writer did not finish the pending change before reading")
	}
	want := mustInit(t, *next)
	got := tree(t, dir)
	for name, data := range tree(t, want) {
		if got[name] != data {
			t.Errorf("%s after the redo:\n%s\nwant\n%s", name, got[name], data)
		}
	}
	if !strings.Contains(got[fileJournal], `"pending": false`) || strings.Contains(fmt.Sprint(got), ".tmp") {
		t.Fatalf("journal %q and leftovers after the redo: %v", got[fileJournal], got)
	}
}

func TestReadersNeverSeeAMixOfTwoStates(t *testing.T) {
	a := Sample(testProfile("10.0.22631.5768"))
	b := Sample(testProfile("10.0.22631.5768"))
	b.Profile.Name = "ADELE-B"
	b.WiFi = b.WiFi[:1]
	b.StoreApps = b.StoreApps[:1]
	b.StartPins = b.StartPins[:2]
	b.TaskbarPins = b.TaskbarPins[:1]
	b.Policies = []Policy{{Category: CategoryDevice, Name: PolicyStartLayout, Source: "Contoso Start"}}
	for _, cat := range Categories() {
		b.Settings[cat] = map[string]json.RawMessage{"b": json.RawMessage(`true`)}
	}
	dir := mustInit(t, a)
	for _, s := range []*State{&a, &b} {
		if err := s.Normalize(); err != nil {
			t.Fatal(err)
		}
	}
	valid := map[string]bool{asJSON(t, &a): true, asJSON(t, &b): true}

	const writes = 40
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 2 {
		wg.Go(func() {
			reads := 0
			for ctx.Err() == nil || reads == 0 {
				d, err := Open(dir)
				if err != nil {
					errs <- err
					return
				}
				seen, _ := json.Marshal(d.State)
				if !valid[string(seen)] {
					errs <- fmt.Errorf("a reader saw a mixed state at generation %d: %s", d.Generation, seen)
					return
				}
				reads++
			}
		})
	}
	for i := range writes {
		next := &a
		if i%2 == 0 {
			next = &b
		}
		if _, err := Update(context.Background(), dir, func(*Device) (*State, error) { return next.Clone(), nil }); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if d := mustOpen(t, dir); d.Generation != writes {
		t.Fatalf("generation %d after %d changes", d.Generation, writes)
	}
}

func TestWritersTakeTurns(t *testing.T) {
	dir := mustInit(t, State{Profile: testProfile("10.0.22631.5768")})
	const writers = 8
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			_, err := Update(context.Background(), dir, func(cur *Device) (*State, error) {
				next := cur.State.Clone()
				next.Backups.First = start
				next.Backups.Count++
				next.Backups.Last = start.Add(time.Duration(next.Backups.Count) * BackupInterval)
				return next, nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if d := mustOpen(t, dir); d.State.Backups.Count != writers || d.Generation != writers {
		t.Fatalf("count %d at generation %d, want %d: a change was lost", d.State.Backups.Count, d.Generation, writers)
	}
}

func TestAWriterWaitingForTheLockStopsWithItsContext(t *testing.T) {
	dir := mustInit(t, State{Profile: testProfile("10.0.22631.5768")})
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := Update(context.Background(), dir, func(*Device) (*State, error) {
			close(held)
			<-release
			return nil, nil
		})
		done <- err
	}()
	<-held
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Update(ctx, dir, func(*Device) (*State, error) { return nil, nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled while another writer holds the lock", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestAnInitCutShortLeavesNoDeviceAndInitRunsAgain(t *testing.T) {
	want := Sample(testProfile("10.0.22631.5768"))
	cases := []struct {
		name string
		// leftover is what the interrupted Init left, by file.
		leftover map[string]string
	}{
		{"one file half written", map[string]string{fileWiFi: `[{"ssid": "Cont`}},
		{"every file but the profile written, one of them empty", map[string]string{fileApps: "", fileStart: `{"pins": []}`, "settings/personalization.json": `{"theme": "dark"}`}},
		{"a temp file beside the files", map[string]string{fileTaskbar: "[]", ".profile.json.tmp": `{"os": "10.0`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := newDir(t)
			if err := os.MkdirAll(filepath.Join(dir, dirSettings), 0o755); err != nil {
				t.Fatal(err)
			}
			// Init takes its lock before it writes a file, so its leftovers come with the lock file.
			if err := os.WriteFile(filepath.Join(dir, fileLock), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			for name, content := range c.leftover {
				if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := Open(dir); !errors.Is(err, ErrNotDevice) {
				t.Fatalf("Open of the interrupted Init: %v, want ErrNotDevice", err)
			}
			created, err := Init(dir, want)
			if err != nil {
				t.Fatal(err)
			}
			got := mustOpen(t, dir)
			if asJSON(t, got.State) != asJSON(t, created.State) {
				t.Fatalf("read back:\n%s\nInit made:\n%s", asJSON(t, got.State), asJSON(t, created.State))
			}
			for name := range tree(t, dir) {
				if isTempName(filepath.Base(name)) {
					t.Errorf("%s was left behind", name)
				}
			}
		})
	}
}

// decodeStrictAsBefore is decodeStrict as it was: the decoder itself reads past the value.
func decodeStrictAsBefore(name string, data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &FileError{File: name, Line: lineAt(data, dec.InputOffset()), Err: errors.New("more after the JSON value")}
	}
	return nil
}

func TestWhatMayFollowAFilesValueIsWhatTheDecoderAllowed(t *testing.T) {
	cases := []struct{ name, content string }{
		{"nothing", `[]`},
		{"a newline", "[]\n"},
		{"every kind of white space", "[] \t\r\n \n"},
		{"a second value", "[]\n[]\n"},
		{"a second value after blank lines", "[]\n\n\n  [1]"},
		{"a closing bracket", "[]]"},
		{"a closing brace on the next line", "[]\n}"},
		{"a word", "[] x"},
		{"a string", `[] "x"`},
		{"a non-breaking space", "[]\u00a0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got, want []Policy
			errGot := decodeStrict(filePolicies, []byte(c.content), &got)
			errWant := decodeStrictAsBefore(filePolicies, []byte(c.content), &want)
			if fmt.Sprint(errGot) != fmt.Sprint(errWant) {
				t.Fatalf("decodeStrict says %v, the decoder said %v", errGot, errWant)
			}
		})
	}
}
