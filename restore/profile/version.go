package profile

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a full Windows version, 10.0.<CurrentBuild>.<UBR> (domain.md §3).
type Version struct {
	Major, Minor, Build, UBR int
}

// ParseVersion reads a full version string like 10.0.22631.4317.
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 4 {
		return Version{}, fmt.Errorf("version %q: want four numbers like 10.0.22631.4317", s)
	}
	var n [4]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || p == "" || (len(p) > 1 && p[0] == '+') {
			return Version{}, fmt.Errorf("version %q: %q is not a number", s, p)
		}
		n[i] = v
	}
	if n[0] != 10 || n[1] != 0 {
		return Version{}, fmt.Errorf("version %q: Windows 10 and 11 versions start with 10.0", s)
	}
	return Version{Major: n[0], Minor: n[1], Build: n[2], UBR: n[3]}, nil
}

// String returns the full version string.
func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d.%d", v.Major, v.Minor, v.Build, v.UBR)
}

// IsWindows11 reports whether the build is Windows 11 (22000 and later).
func (v Version) IsWindows11() bool { return v.Build >= 22000 }

// Less reports whether v is an older build or update than w.
func (v Version) Less(w Version) bool {
	if v.Build != w.Build {
		return v.Build < w.Build
	}
	return v.UBR < w.UBR
}

// Release names the Windows release of the build, e.g. "Windows 11 23H2". 26H1's build (28000)
// is higher than 26H2's (26300), so it is tested first.
func (v Version) Release() string {
	switch {
	// Build 28000 is from Microsoft's CVE data; one third-party report says 26800 (domain.md §7.6).
	case v.Build >= 28000:
		return "Windows 11 26H1"
	// "What's new in Windows 11 IoT Enterprise, version 26H2" (2026-09-29) gives build 26300.
	case v.Build >= 26300:
		return "Windows 11 26H2"
	case v.Build >= 26200:
		return "Windows 11 25H2"
	case v.Build >= 26100:
		return "Windows 11 24H2"
	case v.Build >= 22631:
		return "Windows 11 23H2"
	case v.Build >= 22621:
		return "Windows 11 22H2"
	case v.Build >= 22000:
		return "Windows 11 21H2"
	case v.Build >= 19045:
		return "Windows 10 22H2"
	case v.Build >= 19044:
		return "Windows 10 21H2"
	default:
		return "Windows 10"
	}
}

// Label names a full Windows version by its release, for people: "Windows 11 24H2
// (10.0.26100.4946)". A version it cannot read is shown as it is; "" is "unknown Windows
// version".
func Label(version string) string {
	v, err := ParseVersion(version)
	switch {
	case err == nil:
		return v.Release() + " (" + version + ")"
	case version == "":
		return "unknown Windows version"
	}
	return version
}
