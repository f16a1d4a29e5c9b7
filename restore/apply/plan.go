package apply

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/device"
)

// ErrNotOwner is wrapped when a backup belongs to another user or tenant than the one
// signed in: nothing of it is restored.
var ErrNotOwner = errors.New("the backup belongs to someone else")

// ErrTarget is wrapped when the device cannot take a restore at all.
var ErrTarget = errors.New("this device cannot be restored to")

// firstBuildWithoutTaskbarPins is Windows 11 24H2: Windows restores taskbar pins only up to
// 23H2 (domain.md §1, from Microsoft Learn "Windows backup for organizations").
const firstBuildWithoutTaskbarPins = 26100

// runs lists, per device architecture, the Store builds it runs, best first: Windows 11 on
// Arm runs x64 and x86 apps under emulation, x64 Windows runs x86 apps under WOW64
// (Microsoft Learn, "How emulation works on Arm"; "Running 32-bit applications").
var runs = map[string][]string{
	device.ArchARM64: {device.ArchARM64, device.ArchX64, device.ArchX86},
	device.ArchX64:   {device.ArchX64, device.ArchX86},
	device.ArchX86:   {device.ArchX86},
}

// Plan is a restore decided up front: every item of a backup with its outcome, and the
// state the device will have after it. It is applied with Apply.
type Plan struct {
	Source     Source
	Items      []ItemResult
	Counts     Counts
	ByCategory map[string]Counts
	// base is the device generation the plan was made against.
	base uint64
	// next is the device state after the plan; nil when nothing is applied.
	next *device.State
}

// NewPlan decides the outcome of every item of content on dev, restored for owner (the
// signed-in user). It refuses another user's or tenant's backup, a device joined to another
// tenant, and a device that is not Windows 11. It does not touch the device.
func NewPlan(content *backup.Content, dev *device.Device, owner backup.Owner) (*Plan, error) {
	if err := checkOwner(content.Owner, owner); err != nil {
		return nil, err
	}
	if err := content.Validate(); err != nil { // DecodeContent has, but content may come from elsewhere
		return nil, &backup.PayloadError{PayloadType: backup.PayloadContent, Reason: err.Error()}
	}
	st := dev.State
	if st.Profile.TenantID != "" && !strings.EqualFold(st.Profile.TenantID, owner.TenantID) {
		return nil, fmt.Errorf("%w: %s is joined to tenant %s, and you are signed in to tenant %s", ErrTarget, dev.Dir, st.Profile.TenantID, owner.TenantID)
	}
	v, err := st.Version()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dev.Dir, err)
	}
	if !v.IsWindows11() {
		return nil, fmt.Errorf("%w: %s runs %s (%s); the restore page needs Windows 11", ErrTarget, dev.Dir, v.Release(), v)
	}
	b := &builder{
		plan: &Plan{
			Source:     Source{DeviceName: content.DeviceName, OSVersion: content.SourceOSVersion, Checksum: content.Checksum},
			Items:      make([]ItemResult, 0, len(content.Settings)+len(content.WiFi)+len(content.StoreApps)+len(content.StartPins)+len(content.StartTiles)+len(content.TaskbarPins)+1),
			ByCategory: map[string]Counts{},
			base:       dev.Generation,
		},
		next:  st.Clone(),
		build: v.Build,
	}
	b.index()
	b.deviceName(content.DeviceName)
	for _, s := range content.Settings {
		if err := b.setting(s); err != nil {
			return nil, err
		}
	}
	for _, w := range content.WiFi {
		b.wifi(w)
	}
	for _, a := range content.StoreApps {
		b.storeApp(a)
	}
	b.start(content)
	b.taskbar(content.TaskbarPins)
	p := b.plan
	if p.Counts.Applied > 0 {
		b.next.LastRestore = &device.RestoreRecord{
			SourceDeviceName: content.DeviceName,
			SourceOSVersion:  content.SourceOSVersion,
			Checksum:         content.Checksum,
			Counts:           p.Counts.Map(),
		}
		p.next = b.next
	}
	return p, nil
}

// Report returns the plan as the report an apply of it gives.
func (p *Plan) Report() *Report {
	by := make(map[string]Counts, len(p.ByCategory))
	for k, v := range p.ByCategory {
		by[k] = v
	}
	return &Report{Source: p.Source, Items: slices.Clone(p.Items), Counts: p.Counts, ByCategory: by}
}

func checkOwner(backupOwner, signedIn backup.Owner) error {
	switch {
	case !strings.EqualFold(backupOwner.TenantID, signedIn.TenantID):
		return fmt.Errorf("%w: it was made in tenant %s, and you are signed in to tenant %s; a backup restores only for the account that made it", ErrNotOwner, backupOwner.TenantID, signedIn.TenantID)
	case !strings.EqualFold(backupOwner.ObjectID, signedIn.ObjectID):
		return fmt.Errorf("%w: it was made by user %s, and you are signed in as user %s; a backup restores only for the account that made it", ErrNotOwner, backupOwner.ObjectID, signedIn.ObjectID)
	}
	return nil
}

// builder decides items one by one against the state as the plan has made it so far, so a
// duplicate item in a backup is "already set" the second time, as it would be on Windows.
type builder struct {
	plan  *Plan
	next  *device.State
	build int
	// Indexes into next, so a plan of n items takes O(n), not O(n²).
	policies    map[[2]string]device.Policy
	ssids       map[string]int // SSID → index in next.WiFi
	apps        map[string]bool
	startPins   map[string]bool
	taskbarPins map[string]bool
}

func (b *builder) index() {
	b.policies = make(map[[2]string]device.Policy, len(b.next.Policies))
	for _, p := range b.next.Policies {
		b.policies[[2]string{p.Category, p.Name}] = p
	}
	b.ssids = make(map[string]int, len(b.next.WiFi))
	for i, w := range b.next.WiFi {
		b.ssids[w.SSID] = i
	}
	b.apps = make(map[string]bool, len(b.next.StoreApps))
	for _, a := range b.next.StoreApps {
		b.apps[a.ProductID] = true
	}
	b.startPins = make(map[string]bool, len(b.next.StartPins))
	for _, p := range b.next.StartPins {
		b.startPins[p.AppID] = true
	}
	b.taskbarPins = make(map[string]bool, len(b.next.TaskbarPins))
	for _, p := range b.next.TaskbarPins {
		b.taskbarPins[p.AppID] = true
	}
}

func (b *builder) policy(category, name string) (device.Policy, bool) {
	p, ok := b.policies[[2]string{category, name}]
	return p, ok
}

func (b *builder) add(kind Kind, category, name string, o Outcome, reason string) {
	b.plan.Items = append(b.plan.Items, ItemResult{Kind: kind, Category: category, Name: name, Outcome: o, Reason: reason})
	b.plan.Counts.add(o)
	c := b.plan.ByCategory[category]
	c.add(o)
	b.plan.ByCategory[category] = c
}

func (b *builder) deviceName(name string) {
	if name == "" {
		return
	}
	const cat = backup.CategoryOther
	switch pol, managed := b.policy(device.CategoryDevice, device.PolicyDeviceName); {
	case managed:
		b.add(KindDeviceName, cat, name, KeptByPolicy, fmt.Sprintf("the device name comes from %q; the device keeps the name %s", pol.Source, b.next.Profile.Name))
	case strings.EqualFold(name, b.next.Profile.Name):
		b.add(KindDeviceName, cat, name, AlreadySet, "the device already has this name")
	case !backup.ValidDeviceName(name):
		b.add(KindDeviceName, cat, name, Failed, "not a valid device name (1 to 15 letters, digits and hyphens, not all digits)")
	default:
		b.add(KindDeviceName, cat, name, Applied, fmt.Sprintf("renamed from %s", b.next.Profile.Name))
		b.next.Profile.Name = name
	}
}

func (b *builder) setting(s backup.Setting) error {
	const kind = KindSetting
	if sup, ok := lookup(s.Category, s.Name); ok {
		if sup.NotRestorable {
			b.add(kind, s.Category, s.Name, NotRestorable, sup.Why)
			return nil
		}
		if !sup.supportedOn(b.build) {
			b.add(kind, s.Category, s.Name, NotSupported, fmt.Sprintf("%s; this device runs build %d", sup.Why, b.build))
			return nil
		}
	}
	if pol, managed := b.policy(s.Category, s.Name); managed {
		b.add(kind, s.Category, s.Name, KeptByPolicy, fmt.Sprintf("managed by %q, which sets %s; policy wins", pol.Source, pol.Value))
		return nil
	}
	value, err := device.CanonicalValue(s.Value)
	if err != nil {
		return fmt.Errorf("setting %s/%s: value is not JSON: %w", s.Category, s.Name, err)
	}
	m := b.next.Settings[s.Category]
	if m == nil {
		m = map[string]json.RawMessage{}
		b.next.Settings[s.Category] = m
	}
	if cur, ok := m[s.Name]; ok && string(cur) == string(value) {
		b.add(kind, s.Category, s.Name, AlreadySet, "the device already has this value")
		return nil
	}
	m[s.Name] = value
	b.add(kind, s.Category, s.Name, Applied, "set to "+string(value))
	return nil
}

func (b *builder) wifi(w backup.WiFiNetwork) {
	const cat = backup.CategoryAccountsAndWiFi
	if device.IsEnterpriseWiFi(w.Security) {
		b.add(KindWiFi, cat, w.SSID, NotRestorable, "802.1X (enterprise) Wi-Fi profiles are not carried by Windows backup; the organization deploys them")
		return
	}
	if i, ok := b.ssids[w.SSID]; ok {
		have := b.next.WiFi[i]
		if have.Security == w.Security {
			b.add(KindWiFi, cat, w.SSID, AlreadySet, "the network is already saved")
			return
		}
		b.next.WiFi[i].Security = w.Security
		b.add(KindWiFi, cat, w.SSID, Applied, fmt.Sprintf("saved network updated from %s to %s", have.Security, w.Security))
		return
	}
	b.ssids[w.SSID] = len(b.next.WiFi)
	b.next.WiFi = append(b.next.WiFi, backup.WiFiNetwork{SSID: w.SSID, Security: w.Security})
	b.add(KindWiFi, cat, w.SSID, Applied, "network saved ("+w.Security+")")
}

func (b *builder) storeApp(a backup.StoreApp) {
	arch := b.next.Arch()
	if b.apps[a.ProductID] {
		b.add(KindStoreApp, CategoryApps, a.Name, AlreadySet, "already installed")
		return
	}
	for _, build := range runs[arch] {
		if !slices.Contains(a.Architectures, build) {
			continue
		}
		reason := "reinstalled from the Microsoft Store (" + build + "); its data is not restored"
		switch {
		case build == "x86" && arch == "x64":
			reason = "reinstalled from the Microsoft Store (x86, runs as a 32-bit app on x64); its data is not restored"
		case build != arch:
			reason = fmt.Sprintf("reinstalled from the Microsoft Store (%s, runs emulated on %s); its data is not restored", build, arch)
		}
		b.apps[a.ProductID] = true
		b.next.StoreApps = append(b.next.StoreApps, device.App{ProductID: a.ProductID, Name: a.Name, Architecture: build, Architectures: slices.Clone(a.Architectures)})
		b.add(KindStoreApp, CategoryApps, a.Name, Applied, reason)
		return
	}
	b.add(KindStoreApp, CategoryApps, a.Name, Failed, fmt.Sprintf("the Microsoft Store does not offer it for %s (only %s)", arch, strings.Join(a.Architectures, ", ")))
}

func pinName(name, appID string) string {
	if name == "" {
		return appID
	}
	return name
}

func (b *builder) start(content *backup.Content) {
	pol, managed := b.policy(device.CategoryDevice, device.PolicyStartLayout)
	add := func(kind Kind, pin backup.Pin, how string) {
		name := pinName(pin.Name, pin.AppID)
		switch {
		case managed:
			b.add(kind, CategoryApps, name, KeptByPolicy, fmt.Sprintf("the Start layout comes from %q; policy wins", pol.Source))
		case b.startPins[pin.AppID]:
			b.add(kind, CategoryApps, name, AlreadySet, "already pinned to Start")
		default:
			b.startPins[pin.AppID] = true
			b.next.StartPins = append(b.next.StartPins, pin)
			b.add(kind, CategoryApps, name, Applied, how)
		}
	}
	for _, p := range content.StartPins {
		add(KindStartPin, p, "pinned to Start")
	}
	for _, t := range content.StartTiles {
		add(KindStartTile, backup.Pin{AppID: t.AppID, Name: t.Name}, "Windows 10 Start tile pinned to Windows 11 Start")
	}
}

func (b *builder) taskbar(pins []backup.Pin) {
	pol, managed := b.policy(device.CategoryDevice, device.PolicyTaskbarLayout)
	for _, pin := range pins {
		name := pinName(pin.Name, pin.AppID)
		switch {
		case b.build >= firstBuildWithoutTaskbarPins:
			b.add(KindTaskbarPin, CategoryApps, name, NotSupported, fmt.Sprintf("Windows restores taskbar pins only up to Windows 11 23H2; this device runs build %d", b.build))
		case managed:
			b.add(KindTaskbarPin, CategoryApps, name, KeptByPolicy, fmt.Sprintf("the taskbar layout comes from %q; policy wins", pol.Source))
		case b.taskbarPins[pin.AppID]:
			b.add(KindTaskbarPin, CategoryApps, name, AlreadySet, "already pinned to the taskbar")
		default:
			b.taskbarPins[pin.AppID] = true
			b.next.TaskbarPins = append(b.next.TaskbarPins, pin)
			b.add(KindTaskbarPin, CategoryApps, name, Applied, "pinned to the taskbar")
		}
	}
}
