package guid

import (
	"crypto/rand"
	"regexp"
	"testing"
)

func TestValidAcceptsTheEntraFormInAnyCaseAndNothingElse(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"39150fda-e360-47ce-b98e-d9250ba6f8e8", true},
		{"39150FDA-E360-47CE-B98E-D9250BA6F8E8", true},
		{"{39150fda-e360-47ce-b98e-d9250ba6f8e8}", false},
		{"39150fda-e360-47ce-b98e-d9250ba6f8e", false},
		{"39150fdae-360-47ce-b98e-d9250ba6f8e8", false},
		{"39150fda-e360-47ce-b98e-d9250ba6f8eg", false},
		{"39150fdae36047ceb98ed9250ba6f8e8____", false},
		{"", false},
	} {
		if got := Valid(c.s); got != c.want {
			t.Errorf("Valid(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}

var v4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestV4MakesAValidVersion4GUIDFromAnyBytes(t *testing.T) {
	for _, b := range [][]byte{make([]byte, 16), {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1}} {
		if g := V4(b); !v4.MatchString(g) || !Valid(g) {
			t.Errorf("V4(%x) = %s", b, g)
		}
	}
	for range 100 {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		if g := V4(b); !v4.MatchString(g) {
			t.Fatalf("V4(%x) = %s", b, g)
		}
	}
	if V4(make([]byte, 16)) != "00000000-0000-4000-8000-000000000000" {
		t.Errorf("V4 of zeros = %s", V4(make([]byte, 16)))
	}
}

func TestStableKeepsTheHashsDigitsButTheVersionAndAVariantOfEight(t *testing.T) {
	b := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10, 0xff}
	if g, want := Stable(b), "01234567-89ab-4def-8edc-ba9876543210"; g != want {
		t.Fatalf("Stable(%x) = %s, want %s", b, g, want)
	}
	for range 100 {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		if g := Stable(b); !v4.MatchString(g) || g[19] != '8' {
			t.Fatalf("Stable(%x) = %s: not version 4 with variant digit 8", b, g)
		}
	}
}
