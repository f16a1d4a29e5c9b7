package backup

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/oobe-dev/oobe/internal/guid"
)

// MaxPayloadBytes is the largest decoded payload accepted (32 MiB): enough for a backup of
// 100,000 items, and a bound on what a hostile or broken payload can make a reader allocate.
const MaxPayloadBytes = 32 << 20

// PayloadError says why a payload was refused; nothing is applied from a refused payload.
type PayloadError struct {
	PayloadType string
	Reason      string
	Err         error
}

func (e *PayloadError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s payload refused: %s: %v", e.PayloadType, e.Reason, e.Err)
	}
	return fmt.Sprintf("%s payload refused: %s", e.PayloadType, e.Reason)
}

func (e *PayloadError) Unwrap() error { return e.Err }

// ErrChecksum is wrapped when a content payload's checksum does not match its content.
var ErrChecksum = errors.New("checksum mismatch")

var (
	versionRE = regexp.MustCompile(`^10\.0\.\d{4,6}\.\d{1,6}$`)
	// payloadVersionRE is the deviceprofile's documented osVersion: build.UBR.branch (domain.md §7.4 [G]).
	payloadVersionRE = regexp.MustCompile(`^(\d{4,6})\.(\d{1,6})\.[A-Za-z0-9_]{1,64}$`)
)

// FullOSVersion returns a deviceprofile osVersion as the full version 10.0.build.UBR: the
// documented build.UBR.branch form loses its branch, the older full form is kept. ok is false
// for anything else.
func FullOSVersion(osVersion string) (full string, ok bool) {
	if versionRE.MatchString(osVersion) {
		return osVersion, true
	}
	if m := payloadVersionRE.FindStringSubmatch(osVersion); m != nil {
		return "10.0." + m[1] + "." + m[2], true
	}
	return "", false
}

// PayloadOSVersion writes a full version 10.0.build.UBR as Windows writes a deviceprofile's
// osVersion: build.UBR.branch. Only vb_release (19041 to 19045) is documented [G]; the other
// branch names are Windows' own build-lab names for those builds (ni_release, ge_release), and
// builds after 26200 are inferred to stay on ge_release until Microsoft says otherwise.
func PayloadOSVersion(full string) string {
	if !versionRE.MatchString(full) {
		return full
	}
	parts := strings.Split(full, ".")
	build, _ := strconv.Atoi(parts[2]) // versionRE: digits
	branch := "ge_release"
	switch {
	case build < 22000:
		branch = "vb_release"
	case build == 22000:
		branch = "co_release"
	case build < 26100:
		branch = "ni_release"
	}
	return parts[2] + "." + parts[3] + "." + branch
}

// EncodePayload encodes v as a Graph windowsSettingInstance payload: base64 of its JSON.
func EncodePayload(v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(data), nil
}

// decodePayload turns a base64 payload into strict JSON, refusing oversized or malformed input.
func decodePayload(payloadType, payload string, v any) error {
	return decodePayloadWith(payloadType, payload, v, true)
}

// decodePayloadWith decodes like decodePayload; strict also refuses unknown fields, which only
// the simulator's own payloads can promise (Windows may add fields to its own at any time).
func decodePayloadWith(payloadType, payload string, v any, strict bool) error {
	if base64.StdEncoding.DecodedLen(len(payload)) > MaxPayloadBytes {
		return &PayloadError{PayloadType: payloadType, Reason: fmt.Sprintf("larger than the %d MiB limit", MaxPayloadBytes>>20)}
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return &PayloadError{PayloadType: payloadType, Reason: "not base64", Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return &PayloadError{PayloadType: payloadType, Reason: "not valid JSON for this payload type", Err: err}
	}
	if dec.More() {
		return &PayloadError{PayloadType: payloadType, Reason: "trailing data after the JSON object"}
	}
	return nil
}

// ProfileID returns the deviceprofile's profileId for a windowsDeviceId: the GUID in braces.
func ProfileID(windowsDeviceID string) string { return "{" + windowsDeviceID + "}" }

// DeviceIDOf returns the windowsDeviceId a profileId stands for: the GUID without braces.
func DeviceIDOf(profileID string) string {
	return strings.TrimSuffix(strings.TrimPrefix(profileID, "{"), "}")
}

// DecodeDeviceProfile decodes and checks a deviceprofile payload. Fields Windows adds later are
// ignored, so a newer Windows does not hide a user's previous PCs.
func DecodeDeviceProfile(payload string) (*DeviceProfilePayload, error) {
	var p DeviceProfilePayload
	if err := decodePayloadWith(PayloadDeviceProfile, payload, &p, false); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, &PayloadError{PayloadType: PayloadDeviceProfile, Reason: err.Error()}
	}
	return &p, nil
}

// Validate checks the fields Windows always writes.
func (p *DeviceProfilePayload) Validate() error {
	switch {
	case !strings.HasPrefix(p.ProfileID, "{") || !strings.HasSuffix(p.ProfileID, "}") || !guid.Valid(DeviceIDOf(p.ProfileID)):
		return fmt.Errorf("profileId %q is not a GUID in braces", p.ProfileID)
	case strings.TrimSpace(p.DeviceDisplayName) == "":
		return errors.New("deviceDisplayName is empty")
	case !versionRE.MatchString(p.OSVersion) && !payloadVersionRE.MatchString(p.OSVersion):
		return fmt.Errorf("osVersion %q is not a Windows version like 22631.4317.ni_release (or 10.0.22631.4317)", p.OSVersion)
	case p.CreatedTime <= 0 || p.ModifiedTime < p.CreatedTime || p.LastFullBackupCompletedTime < 0:
		return errors.New("createdTime, modifiedTime and lastFullBackupCompletedTime are not a consistent set of Unix times")
	}
	return nil
}

// Seal sets the content's version and checksum; call it after the last change.
func (c *Content) Seal() error {
	c.Version = ContentVersion
	sum, err := c.sum()
	if err != nil {
		return err
	}
	c.Checksum = sum
	return nil
}

func (c *Content) sum() (string, error) {
	cp := *c
	cp.Checksum = ""
	data, err := json.Marshal(&cp)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:]), nil
}

// DecodeContent decodes a content payload and checks its version, checksum and every item.
func DecodeContent(payload string) (*Content, error) {
	var c Content
	if err := decodePayload(PayloadContent, payload, &c); err != nil {
		return nil, err
	}
	if c.Version != ContentVersion {
		return nil, &PayloadError{PayloadType: PayloadContent, Reason: fmt.Sprintf("payload version %d is not supported (this build reads version %d)", c.Version, ContentVersion)}
	}
	sum, err := c.sum()
	if err != nil {
		return nil, &PayloadError{PayloadType: PayloadContent, Reason: "cannot re-encode", Err: err}
	}
	if sum != c.Checksum {
		return nil, &PayloadError{PayloadType: PayloadContent, Reason: "the content does not match its checksum (damaged or altered)", Err: ErrChecksum}
	}
	if err := c.Validate(); err != nil {
		return nil, &PayloadError{PayloadType: PayloadContent, Reason: err.Error()}
	}
	return &c, nil
}

// Validate checks every item of the content, naming the first bad one.
func (c *Content) Validate() error {
	if !guid.Valid(c.Owner.TenantID) || !guid.Valid(c.Owner.ObjectID) {
		return fmt.Errorf("owner %s/%s is not a tenant and object GUID pair", c.Owner.TenantID, c.Owner.ObjectID)
	}
	if !versionRE.MatchString(c.SourceOSVersion) {
		return fmt.Errorf("sourceOsVersion %q is not a Windows version like 10.0.22631.4317", c.SourceOSVersion)
	}
	cats := Categories()
	seen := map[string]bool{}
	for i, s := range c.Settings {
		if !slices.Contains(cats, s.Category) {
			return fmt.Errorf("settings[%d] %q: category %q is not one of %s", i, s.Name, s.Category, strings.Join(cats, ", "))
		}
		if strings.TrimSpace(s.Name) == "" {
			return fmt.Errorf("settings[%d]: empty name", i)
		}
		if !json.Valid(s.Value) {
			return fmt.Errorf("settings[%d] %q: value is not JSON", i, s.Name)
		}
		key := s.Category + "/" + s.Name
		if seen[key] {
			return fmt.Errorf("settings[%d]: %s appears twice", i, key)
		}
		seen[key] = true
	}
	for i, w := range c.WiFi {
		switch w.Security {
		case WiFiOpen, WiFiWPA2Personal, WiFiWPA3Personal, WiFiWPA2Enterprise, WiFiWPA3Enterprise:
		default:
			return fmt.Errorf("wifi[%d] %q: security %q is not one of open, wpa2Personal, wpa3Personal, wpa2Enterprise, wpa3Enterprise", i, w.SSID, w.Security)
		}
		if w.SSID == "" || len(w.SSID) > 32 {
			return fmt.Errorf("wifi[%d]: SSID must be 1 to 32 bytes", i)
		}
	}
	for i, a := range c.StoreApps {
		if a.ProductID == "" || a.Name == "" {
			return fmt.Errorf("storeApps[%d]: productId and name are required", i)
		}
		for _, arch := range a.Architectures {
			if arch != "x64" && arch != "arm64" && arch != "x86" {
				return fmt.Errorf("storeApps[%d] %q: architecture %q is not x64, arm64 or x86", i, a.Name, arch)
			}
		}
	}
	for _, list := range []struct {
		name string
		pins []Pin
	}{{"startPins", c.StartPins}, {"taskbarPins", c.TaskbarPins}} {
		for i, p := range list.pins {
			if p.AppID == "" {
				return fmt.Errorf("%s[%d]: empty appId", list.name, i)
			}
		}
	}
	for i, t := range c.StartTiles {
		if t.AppID == "" {
			return fmt.Errorf("startTiles[%d]: empty appId", i)
		}
	}
	return nil
}
