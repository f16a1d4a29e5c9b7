package device

import (
	"bytes"
	"encoding/json"
	"testing"
)

// validFiles is a complete, valid set of state files.
func validFiles(tb testing.TB) map[string][]byte {
	s := Sample(testProfile("10.0.19045.6216"))
	s.Policies = []Policy{{Category: CategoryDevice, Name: PolicyDeviceName, Value: json.RawMessage(`"CONTOSO-%SERIAL%"`), Source: "Autopilot"}}
	if err := s.Normalize(); err != nil {
		tb.Fatal(err)
	}
	files, err := encodeFiles(&s)
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// FuzzParseFiles replaces one file of a valid device with arbitrary bytes. Whatever it
// accepts must be a valid state that writes back to files reading as the same state.
func FuzzParseFiles(f *testing.F) {
	files := validFiles(f)
	names := stateFiles()
	for i, name := range names {
		f.Add(uint8(i), files[name])
	}
	f.Add(uint8(0), []byte(`{"os":"10.0.22631.4317","edition":"Pro","join":"entra","provisioning":"oobe","shared":false,"cloud":"global","installQualityUpdates":true,"architecture":"arm64","name":"PC-1"}`))
	f.Add(uint8(1), []byte(`[{"ssid":"A","security":"open"},{"ssid":"A","security":"open"}]`))
	f.Add(uint8(5), []byte(`{"x": 1e400, "y": "\ud800", "z": [{"b":1,"a":2}]}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := names[int(which)%len(names)]
		in := validFiles(t)
		in[name] = data
		s, err := ParseFiles(in)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted a state that does not validate: %v", err)
		}
		out, err := encodeFiles(s)
		if err != nil {
			t.Fatalf("accepted a state that does not encode: %v", err)
		}
		again, err := ParseFiles(out)
		if err != nil {
			t.Fatalf("the written files do not read back: %v", err)
		}
		out2, err := encodeFiles(again)
		if err != nil {
			t.Fatal(err)
		}
		for n := range out {
			if !bytes.Equal(out[n], out2[n]) {
				t.Fatalf("%s is not stable:\n%s\nthen\n%s", n, out[n], out2[n])
			}
		}
	})
}

// FuzzParseJournal feeds arbitrary bytes as journal.json. A journal it accepts is either
// finished with no state, or pending with a valid state and only known files to replace.
func FuzzParseJournal(f *testing.F) {
	s := Sample(testProfile("10.0.22631.5768"))
	_ = s.Normalize()
	pending, _ := marshal(journal{Generation: 3, Pending: true, Changed: []string{fileWiFi, fileProfile}, State: &s})
	done, _ := marshal(journal{Generation: 3})
	f.Add(pending)
	f.Add(done)
	f.Add([]byte(`{"generation":1,"pending":true,"changed":["../etc/passwd"],"state":{}}`))
	f.Add([]byte(`{"generation":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := parseJournal(data)
		if err != nil {
			return
		}
		if !j.Pending {
			if j.State != nil || len(j.Changed) > 0 {
				t.Fatal("accepted a finished journal with a state")
			}
			return
		}
		if err := j.State.Validate(); err != nil {
			t.Fatalf("accepted a pending journal with an invalid state: %v", err)
		}
		if _, err := encodeFiles(j.State); err != nil {
			t.Fatal(err)
		}
	})
}
