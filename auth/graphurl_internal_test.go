package auth

import "testing"

func TestGraphURLComesFromMSGraphHostWhereTheAuthorityMayUseIt(t *testing.T) {
	cases := []struct {
		name, authority, host, want string
	}{
		{"Entra's global cloud", "https://login.microsoftonline.com/39150fda-e360-47ce-b98e-d9250ba6f8e8", "graph.microsoft.com", "https://graph.microsoft.com"},
		{"Entra's US Government cloud", "https://login.microsoftonline.us/39150fda-e360-47ce-b98e-d9250ba6f8e8", "graph.microsoft.us", "https://graph.microsoft.us"},
		{"the simulator behind a public URL, a DNS name", "https://login.oobe.test/39150fda-e360-47ce-b98e-d9250ba6f8e8", "login.oobe.test", "https://login.oobe.test"},
		{"the simulator on loopback over http", "http://127.0.0.1:8400/39150fda-e360-47ce-b98e-d9250ba6f8e8", "127.0.0.1:8400", "http://127.0.0.1:8400"},
		{"the simulator on loopback over https", "https://127.0.0.1:8400/39150fda-e360-47ce-b98e-d9250ba6f8e8", "127.0.0.1:8400", "https://127.0.0.1:8400"},
		{"none named", "https://login.microsoftonline.com/39150fda-e360-47ce-b98e-d9250ba6f8e8", "", ""},
		{"a DNS authority may not send Graph to loopback", "https://login.microsoftonline.com/39150fda-e360-47ce-b98e-d9250ba6f8e8", "127.0.0.1:8400", ""},
		{"a DNS authority may not send Graph to an IP address", "https://login.microsoftonline.com/39150fda-e360-47ce-b98e-d9250ba6f8e8", "10.0.0.5", ""},
		{"the simulator on loopback keeps Graph on its own origin", "http://127.0.0.1:8400/39150fda-e360-47ce-b98e-d9250ba6f8e8", "graph.microsoft.com", ""},
		{"a host with a path is not a host", "https://login.microsoftonline.com/39150fda-e360-47ce-b98e-d9250ba6f8e8", "graph.microsoft.com/v1.0", ""},
		{"user information is not a host", "https://login.microsoftonline.com/39150fda-e360-47ce-b98e-d9250ba6f8e8", "me@graph.microsoft.com", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := parseAuthority(c.authority)
			if err != nil {
				t.Fatal(err)
			}
			if got := (&discovery{MSGraphHost: c.host}).graphURL(a); got != c.want {
				t.Fatalf("graphURL = %q, want %q", got, c.want)
			}
		})
	}
}
