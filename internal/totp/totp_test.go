package totp

import (
	"encoding/base32"
	"testing"
	"time"
)

func TestCodesMatchRFC6238AppendixB(t *testing.T) {
	key := []byte("12345678901234567890") // RFC 6238's SHA-1 key
	secret := base32.StdEncoding.EncodeToString(key)
	for _, v := range []struct {
		unix int64
		want string
	}{{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"}, {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}} {
		if got := At(key, time.Unix(v.unix, 0), 8); got != v.want {
			t.Errorf("At(%d) = %s, want %s", v.unix, got, v.want)
		}
		if got, err := Code(secret, time.Unix(v.unix, 0)); err != nil || got != v.want[2:] {
			t.Errorf("Code(%d) = %q, %v, want %s", v.unix, got, err, v.want[2:])
		}
		if !Matches(secret, v.want[2:], time.Unix(v.unix, 0).Add(Step), 1) || Matches(secret, v.want[2:], time.Unix(v.unix, 0).Add(2*Step), 1) {
			t.Errorf("Matches at %d: one step of drift is taken, two are not", v.unix)
		}
	}
}

func TestDecodeTakesWhatAuthenticatorAppsShow(t *testing.T) {
	for _, s := range []string{"jbsw y3dp ehpk 3pxp", "JBSWY3DPEHPK3PXP====", "JBSW-Y3DP-EHPK-3PXP"} {
		if _, err := Decode(s); err != nil {
			t.Errorf("Decode(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "JBSWY3DP", "JBSWY3DPEHPK3PX1"} {
		if _, err := Decode(s); err == nil {
			t.Errorf("Decode(%q) took it", s)
		}
	}
}
