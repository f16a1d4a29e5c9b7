package profile

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/oobe-dev/oobe/backup"
)

// DsregStatus is what a `dsregcmd /status` capture says about a device: its join state,
// identity and tenant. Ids are kept as written (captures shared in tickets are often redacted).
type DsregStatus struct {
	AzureAdJoined    bool
	EnterpriseJoined bool
	DomainJoined     bool
	// WorkplaceJoined is from User State; false when the capture has no User State section
	// (dsregcmd run as SYSTEM).
	WorkplaceJoined bool

	DomainName string
	DeviceName string // Device State's "Device Name", on Windows 10 2004 and later
	DeviceID   string // Device Details' DeviceId, or a Work Account's WorkplaceDeviceId
	TenantID   string // Tenant Details' TenantId, or a Work Account's WorkplaceTenantId
	TenantName string
	// Cloud is global, gcch or 21vianet, read from the tenant's sign-in and registration
	// URLs; "" when the capture has none (a device that is not joined).
	Cloud string
	// Sections lists the boxed section titles in the order they appear.
	Sections []string
}

var (
	sectionTitleRE = regexp.MustCompile(`^\|\s*(.*?)\s*\|$`)
	borderRE       = regexp.MustCompile(`^\+-+\+$`)
)

// dsregField is one "Name : Value" line and where it was.
type dsregField struct {
	value string
	line  int
}

// ParseDsregcmd reads a `dsregcmd /status` capture: boxed section headers and "Name : Value"
// lines, in UTF-8 (with or without a BOM) or UTF-16 (what PowerShell 5's > writes), with CRLF
// or LF line ends and any spacing. Sections it does not need are skipped. It needs Device
// State's AzureAdJoined and DomainJoined; errors name the file, line and field.
func ParseDsregcmd(file string, data []byte) (*DsregStatus, error) {
	if len(data) > MaxProfileBytes {
		return nil, &FieldError{File: file, Msg: fmt.Sprintf("file is larger than %d bytes: not a dsregcmd /status capture", MaxProfileBytes)}
	}
	text, err := decodeText(data)
	if err != nil {
		return nil, &FieldError{File: file, Msg: err.Error(), Err: err}
	}
	sections := map[string]map[string]dsregField{}
	sectionLine := map[string]int{}
	var order []string
	current := ""
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(strings.TrimRight(raw, "\r"))
		if line == "" || borderRE.MatchString(line) {
			continue
		}
		if m := sectionTitleRE.FindStringSubmatch(line); m != nil {
			current = strings.Join(strings.Fields(m[1]), " ")
			key := strings.ToLower(current)
			if _, seen := sections[key]; !seen {
				sections[key] = map[string]dsregField{}
				sectionLine[key] = i + 1
				order = append(order, current)
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || current == "" || name == "" {
			continue // prompts, notes and anything outside a section
		}
		fields := sections[strings.ToLower(current)]
		if _, dup := fields[name]; !dup {
			fields[name] = dsregField{value: strings.TrimSpace(value), line: i + 1}
		}
	}

	s := &DsregStatus{Sections: order}
	state, ok := sections["device state"]
	if !ok {
		return nil, &FieldError{File: file, Msg: "no Device State section: is this the output of dsregcmd /status?"}
	}
	yesNo := func(sec map[string]dsregField, section, name string, required bool) (bool, error) {
		f, ok := sec[name]
		if !ok {
			if required {
				return false, &FieldError{File: file, Line: sectionLine[strings.ToLower(section)], Field: section + "." + name, Msg: "missing from the section: dsregcmd /status always prints it"}
			}
			return false, nil
		}
		switch strings.ToUpper(f.value) {
		case "YES":
			return true, nil
		case "NO":
			return false, nil
		}
		return false, &FieldError{File: file, Line: f.line, Field: section + "." + name, Msg: fmt.Sprintf("%q: want YES or NO", f.value)}
	}
	if s.AzureAdJoined, err = yesNo(state, "Device State", "AzureAdJoined", true); err != nil {
		return nil, err
	}
	if s.DomainJoined, err = yesNo(state, "Device State", "DomainJoined", true); err != nil {
		return nil, err
	}
	if s.EnterpriseJoined, err = yesNo(state, "Device State", "EnterpriseJoined", false); err != nil {
		return nil, err
	}
	if user, ok := sections["user state"]; ok {
		if s.WorkplaceJoined, err = yesNo(user, "User State", "WorkplaceJoined", false); err != nil {
			return nil, err
		}
	}
	s.DomainName = state["DomainName"].value
	s.DeviceName = state["Device Name"].value
	s.DeviceID = sections["device details"]["DeviceId"].value
	tenant := sections["tenant details"]
	s.TenantID = tenant["TenantId"].value
	s.TenantName = tenant["TenantName"].value
	urls := []string{tenant["AuthCodeUrl"].value, tenant["AccessTokenUrl"].value, tenant["JoinSrvUrl"].value, tenant["Idp"].value}

	// A registered device has no Device or Tenant Details: its identity is in a Work Account section.
	for _, title := range order {
		if !strings.HasPrefix(strings.ToLower(title), "work account") {
			continue
		}
		wa := sections[strings.ToLower(title)]
		if s.TenantID == "" {
			s.TenantID = wa["WorkplaceTenantId"].value
			s.TenantName = wa["WorkplaceTenantName"].value
		}
		if s.DeviceID == "" {
			s.DeviceID = wa["WorkplaceDeviceId"].value
		}
		urls = append(urls, wa["WorkplaceIdp"].value)
		break
	}
	urls = append(urls, sections["sso state"]["AzureAdPrtAuthority"].value)
	s.Cloud = cloudOf(urls)
	return s, nil
}

// Join is the join type the capture shows (domain.md §3, and Microsoft's dsregcmd page):
// AzureAdJoined decides entra or hybrid by DomainJoined; then EnterpriseJoined is on-premises
// DRS; then DomainJoined alone is domain (a domain-joined PC whose user added a work account
// is still domain joined); then WorkplaceJoined is registered; else none.
func (s *DsregStatus) Join() string {
	switch {
	case s.AzureAdJoined && s.DomainJoined:
		return JoinHybrid
	case s.AzureAdJoined:
		return JoinEntra
	case s.EnterpriseJoined:
		return JoinOnPremDRS
	case s.DomainJoined:
		return JoinDomain
	case s.WorkplaceJoined:
		return JoinRegistered
	}
	return JoinNone
}

// Device is the part of a device profile the capture can tell: join, cloud, name and ids.
// OS version, edition and provisioning are not in dsregcmd's output and stay empty for the
// caller to fill. Redacted or malformed ids and names are left out rather than guessed at.
func (s *DsregStatus) Profile() DeviceProfile {
	d := DeviceProfile{Join: s.Join(), Cloud: s.Cloud}
	// Domain-joined devices print their DNS name; the device name is its first label.
	if name, _, _ := strings.Cut(s.DeviceName, "."); backup.ValidDeviceName(name) {
		d.Name = name
	}
	if isGUID(s.DeviceID) {
		d.DeviceID = strings.ToLower(s.DeviceID)
	}
	if isGUID(s.TenantID) {
		d.TenantID = strings.ToLower(s.TenantID)
	}
	return d
}

// cloudOf tells the cloud from Entra sign-in or registration URLs (or bare host names, as
// in Idp fields): the first it recognises.
func cloudOf(urls []string) string {
	for _, raw := range urls {
		if raw == "" {
			continue
		}
		host := raw
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			host = u.Hostname()
		}
		host = strings.ToLower(host)
		switch {
		case strings.HasSuffix(host, ".microsoftonline.us"):
			return CloudGCCHigh
		case strings.HasSuffix(host, ".microsoftonline.cn"), strings.HasSuffix(host, ".chinacloudapi.cn"):
			return Cloud21Vianet
		case strings.HasSuffix(host, ".microsoftonline.com"), strings.HasSuffix(host, ".windows.net"):
			return CloudGlobal
		}
	}
	return ""
}

// decodeText turns a capture into a string: UTF-8 with or without a BOM, or UTF-16 with a
// BOM or, without one, recognised by its zero bytes (ASCII text in UTF-16LE).
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(data[2:], true)
	case len(data) >= 4 && data[0] != 0 && data[1] == 0 && data[2] != 0 && data[3] == 0:
		return decodeUTF16(data, false)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return "", fmt.Errorf("binary data (NUL bytes): not a dsregcmd /status text capture")
	}
	if !utf8.Valid(data) {
		return "", fmt.Errorf("not UTF-8 or UTF-16 text: save the output of dsregcmd /status as text")
	}
	return string(data), nil
}

func decodeUTF16(b []byte, bigEndian bool) (string, error) {
	if len(b)%2 != 0 {
		return "", fmt.Errorf("UTF-16 text with an odd number of bytes: the capture is cut short")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return string(utf16.Decode(u)), nil
}
