package restore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/oobe-dev/oobe/restore/profile"
)

const contosoTenant = "39150fda-e360-47ce-b98e-d9250ba6f8e8"

func TestDsregcmdCapturesGiveTheJoinTypeAndTenant(t *testing.T) {
	cases := []struct {
		file       string
		join       string
		reason     string // the join rule's outcome on a Windows 11 device
		device     profile.DeviceProfile
		tenantName string
	}{
		{"dsregcmd-entra-joined.txt", profile.JoinEntra, "",
			profile.DeviceProfile{Join: profile.JoinEntra, Cloud: profile.CloudGlobal, Name: "CONTOSO-8F2K1Q", DeviceID: "f7773c63-33ce-49d7-bc1e-8d340efdb52c", TenantID: contosoTenant}, "Contoso"},
		{"dsregcmd-hybrid-joined-crlf.txt", profile.JoinHybrid, ReasonNotEntraJoined,
			profile.DeviceProfile{Join: profile.JoinHybrid, Cloud: profile.CloudGlobal, Name: "CONTOSO-OLD042", DeviceID: "0b4e5d8a-2f61-4c3b-9e7d-6a1f2c3b4d5e", TenantID: contosoTenant}, "Contoso"},
		{"dsregcmd-registered.txt", profile.JoinRegistered, ReasonNotEntraJoined,
			profile.DeviceProfile{Join: profile.JoinRegistered, Cloud: profile.CloudGlobal, Name: "ADELE-HOME", DeviceID: "5d0a7e92-4b1c-4f3d-8e6a-2b9c1d0e3f47", TenantID: contosoTenant}, "Contoso"},
		{"dsregcmd-domain-joined.txt", profile.JoinDomain, ReasonNotEntraJoined,
			profile.DeviceProfile{Join: profile.JoinDomain, Name: "CONTOSO-LAB07"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			s, err := profile.ParseDsregcmd(tc.file, readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if s.Join() != tc.join {
				t.Errorf("join = %s, want %s", s.Join(), tc.join)
			}
			if d := s.Profile(); d != tc.device {
				t.Errorf("device = %+v, want %+v", d, tc.device)
			}
			if s.TenantName != tc.tenantName {
				t.Errorf("tenant name = %q, want %q", s.TenantName, tc.tenantName)
			}
			d := s.Profile()
			d.OS = "10.0.26100.4946"
			e := mustEvaluate(t, Input{Device: d})
			var got []string
			for _, r := range e.Reasons {
				got = append(got, r.ID)
			}
			if strings.Join(got, ",") != tc.reason {
				t.Errorf("reasons = %v, want %q", got, tc.reason)
			}
		})
	}
}

func TestDsregcmdKeepsEveryExtraSectionInOrder(t *testing.T) {
	s, err := profile.ParseDsregcmd("entra", readFixture(t, "dsregcmd-entra-joined.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Device State", "Device Details", "Tenant Details", "User State", "SSO State", "Diagnostic Data",
		"IE Proxy Config for Current User", "WinHTTP Default Proxy Config", "Ngc Prerequisite Check"}
	if !slices.Equal(s.Sections, want) {
		t.Fatalf("sections = %q, want %q", s.Sections, want)
	}
}

func TestTheHybridFixtureReallyHasCRLFLineEnds(t *testing.T) {
	if data := readFixture(t, "dsregcmd-hybrid-joined-crlf.txt"); !bytes.Contains(data, []byte("\r\n")) {
		t.Skip("the checkout turned CRLF into LF; TestDsregcmdEncodingsAndSpacingGiveTheSameResult covers CRLF")
	}
}

func utf16LE(s string, bom bool) []byte {
	var b bytes.Buffer
	if bom {
		b.Write([]byte{0xFF, 0xFE})
	}
	for _, u := range utf16.Encode([]rune(s)) {
		_ = binary.Write(&b, binary.LittleEndian, u)
	}
	return b.Bytes()
}

func utf16BE(s string) []byte {
	b := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.BigEndian.AppendUint16(b, u)
	}
	return b
}

func TestDsregcmdEncodingsAndSpacingGiveTheSameResult(t *testing.T) {
	base := string(readFixture(t, "dsregcmd-entra-joined.txt"))
	crlf := strings.ReplaceAll(base, "\n", "\r\n")
	variants := map[string][]byte{
		"LF":                         []byte(base),
		"CRLF":                       []byte(crlf),
		"UTF-8 with a BOM":           append([]byte{0xEF, 0xBB, 0xBF}, crlf...),
		"UTF-16LE with a BOM (PS 5)": utf16LE(crlf, true),
		"UTF-16LE without a BOM":     utf16LE(crlf, false),
		"UTF-16BE with a BOM":        utf16BE(crlf),
		"tabs and no alignment":      []byte(strings.ReplaceAll(strings.ReplaceAll(base, "             AzureAdJoined : ", "\tAzureAdJoined\t:\t"), "                  DeviceId : ", "DeviceId:")),
		"prompt and trailing spaces": []byte("PS C:\\Users\\adele> dsregcmd /status\n\n" + strings.ReplaceAll(base, "\n", "   \n")),
		"title padding changed":      []byte(strings.ReplaceAll(base, "| Device State                                                         |", "|Device State|")),
	}
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			s, err := profile.ParseDsregcmd("capture.txt", data)
			if err != nil {
				t.Fatal(err)
			}
			want := profile.DeviceProfile{Join: profile.JoinEntra, Cloud: profile.CloudGlobal, Name: "CONTOSO-8F2K1Q", DeviceID: "f7773c63-33ce-49d7-bc1e-8d340efdb52c", TenantID: contosoTenant}
			if d := s.Profile(); d != want {
				t.Fatalf("device = %+v, want %+v", d, want)
			}
		})
	}
}

func TestDsregcmdJoinTable(t *testing.T) {
	cases := []struct {
		azure, enterprise, domain, workplace bool
		want                                 string
	}{
		{true, false, false, false, profile.JoinEntra},
		{true, false, true, false, profile.JoinHybrid},
		{true, false, false, true, profile.JoinEntra}, // a joined device's user state does not change its join
		{false, false, true, false, profile.JoinDomain},
		{false, true, true, false, profile.JoinOnPremDRS},
		{false, false, false, true, profile.JoinRegistered},
		{false, false, true, true, profile.JoinDomain},
		{false, false, false, false, profile.JoinNone},
	}
	yn := func(b bool) string {
		if b {
			return "YES"
		}
		return "NO"
	}
	for _, tc := range cases {
		capture := "+----+\n| Device State |\n+----+\n AzureAdJoined : " + yn(tc.azure) +
			"\n EnterpriseJoined : " + yn(tc.enterprise) + "\n DomainJoined : " + yn(tc.domain) +
			"\n+----+\n| User State |\n+----+\n WorkplaceJoined : " + yn(tc.workplace) + "\n"
		s, err := profile.ParseDsregcmd("t", []byte(capture))
		if err != nil {
			t.Fatal(err)
		}
		if s.Join() != tc.want {
			t.Errorf("AzureAdJoined %v EnterpriseJoined %v DomainJoined %v WorkplaceJoined %v: join %s, want %s",
				tc.azure, tc.enterprise, tc.domain, tc.workplace, s.Join(), tc.want)
		}
	}
}

func TestDsregcmdTellsTheCloudFromTheSignInURLs(t *testing.T) {
	base := string(readFixture(t, "dsregcmd-entra-joined.txt"))
	cases := map[string]string{
		"login.microsoftonline.us":         profile.CloudGCCHigh,
		"login.partner.microsoftonline.cn": profile.Cloud21Vianet,
		"login.chinacloudapi.cn":           profile.Cloud21Vianet,
	}
	for host, want := range cases {
		capture := strings.ReplaceAll(base, "login.microsoftonline.com", host)
		capture = strings.ReplaceAll(capture, "enterpriseregistration.windows.net", "enterpriseregistration.example")
		s, err := profile.ParseDsregcmd("t", []byte(capture))
		if err != nil {
			t.Fatal(err)
		}
		if s.Cloud != want {
			t.Errorf("%s: cloud %q, want %q", host, s.Cloud, want)
		}
	}
}

func TestRedactedIdsAreLeftOutNotGuessed(t *testing.T) {
	base := string(readFixture(t, "dsregcmd-entra-joined.txt"))
	redacted := strings.ReplaceAll(base, "f7773c63-33ce-49d7-bc1e-8d340efdb52c", "f7773c63-xxxx-xxxx-xxxx-8d340efdxxxx")
	redacted = strings.ReplaceAll(redacted, contosoTenant, "39150fda-xxxx-xxxx-xxxx-d9250ba6xxxx")
	s, err := profile.ParseDsregcmd("t", []byte(redacted))
	if err != nil {
		t.Fatal(err)
	}
	if s.DeviceID != "f7773c63-xxxx-xxxx-xxxx-8d340efdxxxx" {
		t.Errorf("raw device id = %q, want it kept as written", s.DeviceID)
	}
	d := s.Profile()
	if d.DeviceID != "" || d.TenantID != "" {
		t.Errorf("device = %+v, want the redacted ids left out", d)
	}
	d.OS = "10.0.22631.4317"
	if err := d.Validate(); err != nil {
		t.Errorf("a device from a redacted capture must still validate: %v", err)
	}
}

func TestDsregcmdErrorsNameFileLineAndField(t *testing.T) {
	cases := []struct {
		name    string
		capture string
		line    int
		field   string
		want    string
	}{
		{"not a capture", "hello\nworld\n", 0, "", "no Device State section"},
		{"AzureAdJoined missing", "+--+\n| Device State |\n+--+\n  DomainJoined : NO\n", 2, "Device State.AzureAdJoined", "missing"},
		{"DomainJoined not yes or no", "+--+\n| Device State |\n+--+\n  AzureAdJoined : YES\n  DomainJoined : MAYBE\n", 5, "Device State.DomainJoined", `"MAYBE": want YES or NO`},
		{"WorkplaceJoined garbled", "| Device State |\nAzureAdJoined : NO\nDomainJoined : NO\n| User State |\nWorkplaceJoined : 1\n", 5, "User State.WorkplaceJoined", "want YES or NO"},
		{"binary", "\x00\x01\x02\x03\x04", 0, "", "binary data"},
		{"Latin-1", "| Device State |\nAzureAdJoined : NO\xe9\n", 0, "", "not UTF-8 or UTF-16"},
		{"huge", strings.Repeat("x", profile.MaxProfileBytes+1), 0, "", "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := profile.ParseDsregcmd("status.txt", []byte(tc.capture))
			var fe *profile.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a profile.FieldError", err)
			}
			if fe.File != "status.txt" || fe.Line != tc.line || fe.Field != tc.field || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q (line %d, field %q), want line %d, field %q, saying %q", err, fe.Line, fe.Field, tc.line, tc.field, tc.want)
			}
		})
	}
}
