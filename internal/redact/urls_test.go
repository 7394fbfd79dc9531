package redact

import "testing"

func TestURLsLoseUserinfoAndQuery(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"admin URL with a password", "https://admin:s3cret@kong-0:8444", "https://kong-0:8444"},
		{"manifest URL with a token", "manifests https://git.example.com/raw/app.yaml?token=ghp_abc#L1", "manifests https://git.example.com/raw/app.yaml"},
		{"several in a sentence", "nodes http://u:p@a:8001, http://b:8001/?x=1.", "nodes http://a:8001, http://b:8001/."},
		{"error of the HTTP client", `Get "http://u:***@kong:8001/services?tags=x": dial tcp: refused`, `Get "http://kong:8001/services": dial tcp: refused`},
		{"no URL", "Ingress default/echo", "Ingress default/echo"},
		{"unparseable keeps nothing after ? or @", "http://us%er:p@a%zz/x?token=t", "http://a%zz/x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := URLs(tc.in); got != tc.want {
				t.Errorf("URLs(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
