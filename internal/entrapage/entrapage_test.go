package entrapage

import "testing"

func TestErrorReadsThePagesErrorOrEntrasJSON(t *testing.T) {
	for _, tc := range []struct {
		body string
		code int
		msg  string
	}{
		{`<form><div class="error" role="alert">
  <p>AADSTS50126: Error validating credentials due to invalid username or password.</p></div>`, 50126, "AADSTS50126: Error validating credentials due to invalid username or password."},
		{`<div class="error" role="alert"><p>AADSTS70000: The code &amp; the page.</p>`, 70000, "AADSTS70000: The code & the page."},
		{`{"error":"invalid_request","error_description":"Unsupported method.","error_codes":[900561]}`, 900561, "AADSTS900561: Unsupported method."},
		{`{"error":"x","error_description":"AADSTS50053: Locked.","error_codes":[50053]}`, 50053, "AADSTS50053: Locked."},
		{`<html>nothing</html>`, 0, ""},
	} {
		code, msg := Error([]byte(tc.body))
		if code != tc.code || msg != tc.msg {
			t.Errorf("Error(%.40q) = %d, %q; want %d, %q", tc.body, code, msg, tc.code, tc.msg)
		}
	}
	if got := Text("AADSTS50126: Error validating credentials."); got != "Error validating credentials." {
		t.Errorf("Text = %q", got)
	}
}

func TestAPagesErrorIsMadePrintable(t *testing.T) {
	code, msg := Error([]byte(`{"error_description":"AADSTS50126: bad\u001b[2J password\nnext","error_codes":[50126]}`))
	if code != 50126 || msg != `AADSTS50126: bad\x1b[2J password\nnext` {
		t.Fatalf("Error = %d, %q", code, msg)
	}
}
