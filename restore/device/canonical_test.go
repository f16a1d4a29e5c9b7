package device

import (
	"bytes"
	"encoding/json"
	"testing"
)

// slowCanonical is the canonical form by definition: decode (numbers as written) and encode.
func slowCanonical(v []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return "", err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(x)
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), err
}

func TestValuesThatMeanTheSameHaveOneCanonicalForm(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`125`, `125`},
		{` 1.50 `, `1.50`},
		{`"dark"`, `"dark"`},
		{`[ "en-US", "fr-FR" ]`, `["en-US","fr-FR"]`},
		{"{\n  \"end\": 17,\n  \"start\": 8\n}", `{"end":17,"start":8}`},
		{`{"start":8,"end":17}`, `{"end":17,"start":8}`},
		{`"caf\u00e9"`, `"café"`},
		{`"a\/b <c>"`, `"a/b <c>"`},
		{`[{"b":[{"d":1,"c":2}],"a":null}]`, `[{"a":null,"b":[{"c":2,"d":1}]}]`},
		{`{"a":1,"a":2}`, `{"a":2}`},
		{`{"a b":{"y":[1,{}],"x":"ü"},"a":[]}`, `{"a":[],"a b":{"x":"ü","y":[1,{}]}}`},
		{"\"\u2028\"", `"\u2028"`},
		{"\"line\u2028sep\"", `"line\u2028sep"`},
		{"\"\xff\"", "\"\uFFFD\""}, // invalid UTF-8 becomes the replacement character
		{`"tab\tin"`, `"tab\tin"`},
	} {
		got, err := CanonicalValue(json.RawMessage(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("CanonicalValue(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `1 2`, `[1,]`, `'x'`} {
		if got, err := CanonicalValue(json.RawMessage(bad)); err == nil {
			t.Errorf("CanonicalValue(%q) = %s, want an error", bad, got)
		}
	}
}

func TestACanonicalValueIsReturnedAsItIsWithoutADecode(t *testing.T) {
	for _, in := range []string{`125`, `"dark"`, `["en-US","fr-FR"]`, `{"enabled":true,"level":3}`, `[{"a":null,"b":[{"c":2,"d":1}]}]`, `"café"`} {
		v := json.RawMessage(in)
		got, err := CanonicalValue(v)
		if err != nil || string(got) != in {
			t.Fatalf("CanonicalValue(%s) = %s, %v", in, got, err)
		}
		if &got[0] != &v[0] {
			t.Errorf("CanonicalValue(%s) copied a value that was canonical already", in)
		}
	}
}

// FuzzCanonicalValue checks the fast path against the definition, and that the canonical
// form is a fixed point.
func FuzzCanonicalValue(f *testing.F) {
	for _, s := range []string{`125`, `"x"`, `[1,"a",true,null]`, `{"b":1,"a":2}`, `"\u2028"`, "\"\xff\"", `1e400`, `-0.0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		got, err := CanonicalValue(v)
		want, werr := slowCanonical(v)
		if err != nil {
			return // the fast path may refuse trailing data the decoder would not read
		}
		if werr != nil || string(got) != want {
			t.Fatalf("CanonicalValue(%q) = %s, definition gives %s (%v)", v, got, want, werr)
		}
		again, err := CanonicalValue(got)
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("not a fixed point: %s then %s (%v)", got, again, err)
		}
	})
}
