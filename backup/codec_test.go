package backup

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func sampleContent() *Content {
	return &Content{
		Owner:           Owner{TenantID: "39150fda-e360-47ce-b98e-d9250ba6f8e8", ObjectID: "6f162abf-414f-4b42-bd2a-7ff532bb3859"},
		SourceOSVersion: "10.0.19045.6216",
		DeviceName:      "ADELE-LAPTOP",
		Settings: []Setting{
			{Category: CategoryAccessibility, Name: "textScale", Value: json.RawMessage(`125`)},
			{Category: CategoryPersonalization, Name: "theme", Value: json.RawMessage(`"dark"`)},
		},
		WiFi:        []WiFiNetwork{{SSID: "Contoso-Guest", Security: WiFiWPA2Personal}, {SSID: "Contoso-Corp", Security: WiFiWPA2Enterprise}},
		StoreApps:   []StoreApp{{ProductID: "9WZDNCRFJBH4", Name: "Microsoft Photos", Architectures: []string{"x64", "arm64"}}},
		StartPins:   []Pin{{AppID: "Microsoft.WindowsCalculator_8wekyb3d8bbwe!App", Name: "Calculator"}},
		TaskbarPins: []Pin{{AppID: "Microsoft.Windows.Explorer", Name: "File Explorer"}},
	}
}

func sealed(t *testing.T, c *Content) string {
	t.Helper()
	if err := c.Seal(); err != nil {
		t.Fatal(err)
	}
	p, err := EncodePayload(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestContentRoundTripsThroughAPayload(t *testing.T) {
	c := sampleContent()
	got, err := DecodeContent(sealed(t, c))
	if err != nil {
		t.Fatal(err)
	}
	if got.Checksum != c.Checksum || len(got.Settings) != 2 || got.Owner != c.Owner || got.Version != ContentVersion {
		t.Fatalf("decoded %+v, want %+v", got, c)
	}
}

func TestDecodeContentRefusesBadPayloads(t *testing.T) {
	good := sealed(t, sampleContent())
	raw, _ := base64.StdEncoding.DecodeString(good)
	reencode := func(edit func(map[string]any)) string {
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		edit(m)
		b, _ := json.Marshal(m)
		return base64.StdEncoding.EncodeToString(b)
	}
	resealed := func(edit func(*Content)) string {
		c := sampleContent()
		edit(c)
		_ = c.Seal()
		p, _ := EncodePayload(c)
		return p
	}
	tests := []struct {
		name, payload, want string
	}{
		{"bad base64 is refused", "%%%not-base64", "not base64"},
		{"bad JSON is refused", base64.StdEncoding.EncodeToString([]byte(`{"version":1,`)), "not valid JSON"},
		{"an unknown field is refused", reencode(func(m map[string]any) { m["extra"] = true }), "not valid JSON"},
		{"an unknown payload version is refused", reencode(func(m map[string]any) { m["version"] = 2 }), "version 2 is not supported"},
		{"an altered item fails the checksum", reencode(func(m map[string]any) { m["deviceName"] = "EVIL" }), "checksum"},
		{"an oversized payload is refused before decoding", strings.Repeat("A", MaxPayloadBytes/3*4+8), "limit"},
		{"an unknown category is refused", resealed(func(c *Content) { c.Settings[0].Category = "windowsUpdate" }), "category"},
		{"an unknown Wi-Fi security is refused", resealed(func(c *Content) { c.WiFi[0].Security = "wep" }), "security"},
		{"an owner that is not a GUID pair is refused", resealed(func(c *Content) { c.Owner.ObjectID = "adele" }), "owner"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeContent(tc.payload)
			var pe *PayloadError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a PayloadError mentioning %q", err, tc.want)
			}
		})
	}
}

func TestDeviceProfileDecodesToTheDocumentedFields(t *testing.T) {
	payload := base64.StdEncoding.EncodeToString([]byte(`{"profileId":"{f7773c63-33ce-49d7-bc1e-8d340efdb52c}","deviceDisplayName":"ADELE-LAPTOP","createdBy":"windows","createdTime":1760000000,"modifiedTime":1763000000,"isActive":true,"lastFullBackupCompletedTime":1763000000,"osVersion":"10.0.22631.4317"}`))
	p, err := DecodeDeviceProfile(payload)
	if err != nil {
		t.Fatal(err)
	}
	want := DeviceProfilePayload{ProfileID: "{f7773c63-33ce-49d7-bc1e-8d340efdb52c}", DeviceDisplayName: "ADELE-LAPTOP", CreatedBy: "windows",
		CreatedTime: 1760000000, ModifiedTime: 1763000000, IsActive: true, LastFullBackupCompletedTime: 1763000000, OSVersion: "10.0.22631.4317"}
	if *p != want {
		t.Fatalf("decoded %+v, want %+v", *p, want)
	}
	newer := base64.StdEncoding.EncodeToString([]byte(`{"profileId":"{f7773c63-33ce-49d7-bc1e-8d340efdb52c}","deviceDisplayName":"ADELE-LAPTOP","createdBy":"windows","createdTime":1760000000,"modifiedTime":1763000000,"isActive":true,"lastFullBackupCompletedTime":1763000000,"osVersion":"10.0.22631.4317","deviceType":"laptop"}`))
	if _, err := DecodeDeviceProfile(newer); err != nil {
		t.Fatalf("a field a newer Windows adds hid the profile: %v", err)
	}
	if DeviceIDOf(p.ProfileID) != "f7773c63-33ce-49d7-bc1e-8d340efdb52c" || ProfileID(DeviceIDOf(p.ProfileID)) != p.ProfileID {
		t.Fatal("profileId and windowsDeviceId do not convert both ways")
	}
	for _, bad := range []string{
		`{"profileId":"f7773c63-33ce-49d7-bc1e-8d340efdb52c","deviceDisplayName":"X","createdBy":"windows","createdTime":1,"modifiedTime":1,"isActive":true,"lastFullBackupCompletedTime":1,"osVersion":"10.0.22631.4317"}`,
		`{"profileId":"{f7773c63-33ce-49d7-bc1e-8d340efdb52c}","deviceDisplayName":"X","createdBy":"windows","createdTime":1,"modifiedTime":1,"isActive":true,"lastFullBackupCompletedTime":1,"osVersion":"22631"}`,
	} {
		if _, err := DecodeDeviceProfile(base64.StdEncoding.EncodeToString([]byte(bad))); err == nil {
			t.Fatalf("accepted %s", bad)
		}
	}
}

func FuzzDecodePayloads(f *testing.F) {
	c := sampleContent()
	_ = c.Seal()
	data, _ := json.Marshal(c)
	f.Add(data)
	f.Add([]byte(`{"profileId":"{f7773c63-33ce-49d7-bc1e-8d340efdb52c}","deviceDisplayName":"X","createdBy":"windows","createdTime":1,"modifiedTime":1,"isActive":true,"lastFullBackupCompletedTime":1,"osVersion":"10.0.22631.4317"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":1,"settings":[{"category":"other","name":"x","value":{"a":[1,2]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The JSON is what the fuzzer shapes; base64 is only the envelope.
		payload := base64.StdEncoding.EncodeToString(data)
		if c, err := DecodeContent(payload); err == nil {
			if c.Validate() != nil {
				t.Fatal("accepted content that does not validate")
			}
			again, err := EncodePayload(c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := DecodeContent(again); err != nil {
				t.Fatalf("accepted content does not round-trip: %v", err)
			}
		} else if !errors.As(err, new(*PayloadError)) {
			t.Fatalf("error %T is not a PayloadError", err)
		}
		if p, err := DecodeDeviceProfile(payload); err == nil && p.Validate() != nil {
			t.Fatal("accepted a profile that does not validate")
		} else if err != nil && !errors.As(err, new(*PayloadError)) {
			t.Fatalf("error %T is not a PayloadError", err)
		}
	})
}

func TestADeviceProfileOSVersionIsReadInTheDocumentedFormAndTheOldOne(t *testing.T) {
	cases := []struct{ in, full string }{
		{"18045.3750.vb_release", "10.0.18045.3750"}, // Graph's documented example
		{"26100.4946.ge_release", "10.0.26100.4946"},
		{"10.0.26100.4946", "10.0.26100.4946"},
	}
	for _, c := range cases {
		if got, ok := FullOSVersion(c.in); !ok || got != c.full {
			t.Errorf("FullOSVersion(%q) = %q, %v; want %q", c.in, got, ok, c.full)
		}
	}
	for _, bad := range []string{"", "26100", "10.0.26100", "26100.4946.", "Windows 11"} {
		if _, ok := FullOSVersion(bad); ok {
			t.Errorf("FullOSVersion(%q) accepted", bad)
		}
	}
	if got := PayloadOSVersion("10.0.19045.6216"); got != "19045.6216.vb_release" {
		t.Errorf("PayloadOSVersion = %q", got)
	}
	p := DeviceProfilePayload{ProfileID: "{95b3a2c8-0000-4000-8000-000000000001}", DeviceDisplayName: "EXAMPLEUSERDESKTOP",
		CreatedBy: "windows", CreatedTime: 1664680589, ModifiedTime: 1698795040, IsActive: true,
		LastFullBackupCompletedTime: 1698332137, OSVersion: "18045.3750.vb_release"}
	if err := p.Validate(); err != nil {
		t.Fatalf("the documented example is refused: %v", err)
	}
}
