package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/profile"

	"github.com/oobe-dev/oobe/internal/guid"
	"github.com/oobe-dev/oobe/internal/inputfile"
)

// defaultDevice is the device `oobe device init` makes without a profile: one the restore
// page shows on (Windows 11 23H2 above its minimum build, Enterprise, Entra joined,
// Autopilot user-driven, x64), managed by an IT that turned Windows Backup on (before 26H2
// it is off until the Enable Windows Backup policy enables it).
var defaultDevice = profile.DeviceProfile{
	OS:                  "10.0.22631.4317",
	Edition:             "Enterprise",
	Join:                profile.JoinEntra,
	Provisioning:        profile.ProvisioningUserDriven,
	Cloud:               profile.CloudGlobal,
	Architecture:        device.ArchX64,
	EnableWindowsBackup: new(true),
}

func newDeviceCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "device",
		Short: "Create and inspect simulated Windows devices (a directory of JSON files)",
		Long: `A simulated device is a directory of readable JSON files: its profile (OS version,
edition, join type, …, device name), settings by category, Wi-Fi networks, installed
Store apps, Start and taskbar pins, and the MDM policies enforced on it.
Backups are made from it and restored onto it; docs/apply.md describes the files.`,
	}
	cmd.AddCommand(newDeviceInitCmd(s), newDeviceShowCmd(s))
	return cmd
}

type deviceInitOptions struct {
	profile, state string
	sample, asJSON bool
	fields         map[string]*string
}

// profileFlags are the flags that set one profile field, over --state and --profile.
var profileFlags = []struct{ flag, usage string }{
	{"os", "full Windows version, like 10.0.22631.4317"},
	{"edition", "Windows edition: Enterprise, Education, Pro, …"},
	{"join", "join type: entra, hybrid, registered, domain, onPremDrs or none"},
	{"provisioning", "how the device is set up: userDriven, oobe, selfDeploying, preProvisioned, autopilotReset, settingsApp, groupPolicy or coManagement"},
	{"cloud", "cloud: global, gcch or 21vianet"},
	{"arch", "architecture: x64, arm64 or x86"},
	{"name", "device name, 1 to 15 letters, digits and hyphens (default: DESKTOP-<random>)"},
	{"device-id", "Entra device id, a GUID; backups are filed under it (default: random)"},
	{"tenant-id", "tenant the device is joined to, a GUID (default: none, any tenant)"},
}

func newDeviceInitCmd(s streams) *cobra.Command {
	o := deviceInitOptions{fields: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Create a simulated device in DIR",
		Long: `Create a simulated device in DIR (made if missing; refused if it already holds one).

Without --profile it is a device the restore page shows on: Windows 11 23H2
10.0.22631.4317 Enterprise, Entra joined, Autopilot user-driven, x64. --profile reads a
device profile file (YAML, docs/devices.md); --state starts from a whole state as
'oobe device show --json' prints it; --sample fills in a lived-in user's settings,
Wi-Fi networks, Store apps and pins. Flags override single profile fields.`,
		Example: `# A new, eligible Windows 11 PC to restore onto:
oobe device init new-pc

# An old Windows 10 PC with a user's settings, apps and Start tiles, to back up:
oobe device init old-pc --os 10.0.19045.6216 --name ADELE-OLD --sample

# From a device profile file:
oobe device init kiosk --profile fixtures/devices/shared-kiosk.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set := map[string]string{}
			for _, f := range profileFlags {
				if cmd.Flags().Changed(f.flag) {
					set[f.flag] = *o.fields[f.flag]
				}
			}
			return runDeviceInit(s, args[0], o, set)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.profile, "profile", "", "device profile file (YAML, docs/devices.md)")
	f.StringVar(&o.state, "state", "", "whole device state as JSON, as 'oobe device show --json' prints it")
	f.BoolVar(&o.sample, "sample", false, "fill the device with a lived-in user's settings, Wi-Fi, Store apps and pins")
	f.BoolVar(&o.asJSON, "json", false, "print the new device's state as one JSON object")
	for _, pf := range profileFlags {
		o.fields[pf.flag] = f.String(pf.flag, "", pf.usage)
	}
	_ = cmd.MarkFlagFilename("profile", "yaml", "yml", "json")
	_ = cmd.MarkFlagFilename("state", "json")
	return cmd
}

func runDeviceInit(s streams, dir string, o deviceInitOptions, set map[string]string) error {
	if o.state != "" && o.sample {
		return badInput("--state and --sample both give the device's contents; use one")
	}
	var st device.State
	st.Profile = defaultDevice
	if o.state != "" {
		data, err := inputfile.Read(o.state, device.MaxStateFile)
		if err != nil {
			return badInput("--state: %v", err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&st); err != nil {
			return badInput("--state %s: not a device state (as 'oobe device show --json' prints): %v", o.state, err)
		}
	}
	if o.profile != "" {
		data, err := readInputFile("--profile", o.profile)
		if err != nil {
			return err
		}
		p, err := profile.Parse(o.profile, data)
		if err != nil {
			return badInput("%v", err)
		}
		if p.Architecture == "" {
			p.Architecture = device.ArchX64
		}
		st.Profile = p
	}
	p := &st.Profile
	for flag, v := range set {
		switch flag {
		case "os":
			p.OS = v
		case "edition":
			p.Edition = v
		case "join":
			p.Join = v
		case "provisioning":
			p.Provisioning = v
		case "cloud":
			p.Cloud = v
		case "arch":
			p.Architecture = v
		case "name":
			p.Name = v
		case "device-id":
			p.DeviceID = v
		case "tenant-id":
			p.TenantID = v
		}
	}
	if p.Name == "" {
		p.Name = "DESKTOP-" + randomName(7)
	}
	if p.DeviceID == "" {
		p.DeviceID = randomGUID()
	}
	if o.sample {
		st = device.Sample(*p)
	}
	d, err := device.Init(dir, st)
	if err != nil {
		if isIOError(err) {
			return err
		}
		return badInput("%v", err) // the profile or state given is not a valid device
	}
	if o.asJSON {
		return json.NewEncoder(s.out).Encode(d.State)
	}
	release := d.State.Profile.OS
	if v, err := d.State.Version(); err == nil {
		release = fmt.Sprintf("%s (%s)", v.Release(), release)
	}
	_, err = fmt.Fprintf(s.out, "created %s: %s, %s, %s, %s, %s joined\n", dir, d.State.Profile.Name, release, d.State.Profile.Edition, d.State.Arch(), d.State.Profile.Join)
	return err
}

func newDeviceShowCmd(s streams) *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "show DIR",
		Short: "Show a simulated device: profile, name, counts and lists",
		Long: `Show the simulated device in DIR: its profile and name, then its settings, Wi-Fi
networks, Store apps, Start and taskbar pins and MDM policies, each with its count
(the first 20 of each list; --all for every one), its backups and its last restore.
--json prints the whole state as one JSON object. Reading never writes: a device
another process is changing shows as it will be once the change is finished.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := device.Open(args[0])
			if err != nil {
				if isIOError(err) {
					return err
				}
				return badInput("%v", err) // not a device, or a device file that is not valid
			}
			if asJSON {
				return json.NewEncoder(s.out).Encode(d.State)
			}
			limit := 20
			if all {
				limit = 0
			}
			return device.Show(s.out, d, limit)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole state as one JSON object")
	cmd.Flags().BoolVar(&all, "all", false, "list every entry, not the first 20 of each list")
	return cmd
}

// isIOError reports whether err is the file system failing rather than a bad device file.
func isIOError(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && !errors.Is(err, fs.ErrNotExist)
}

const nameAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

// randomName returns n characters like the ones Windows puts after DESKTOP-.
func randomName(n int) string {
	b := make([]byte, n)
	_, _ = io.ReadFull(rand.Reader, b)
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(nameAlphabet[int(c)%len(nameAlphabet)])
	}
	return sb.String()
}

// randomGUID returns a random (version 4) GUID.
func randomGUID() string {
	b := make([]byte, 16)
	_, _ = io.ReadFull(rand.Reader, b)
	return guid.V4(b)
}
