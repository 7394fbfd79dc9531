package schema

import (
	"testing"
)

// The reference's example entities (Kong 3.9 responses), without the
// generated id and timestamps, which are checked separately.
func TestProcessFillsDefaultsLikeKong(t *testing.T) {
	tests := []struct {
		name    string
		entity  string
		in      string
		want    string
		floatTS bool
	}{
		{
			name: "service", entity: "services",
			in:   `{"name":"svc","host":"httpbin.org"}`,
			want: `{"name":"svc","retries":5,"protocol":"http","host":"httpbin.org","port":80,"path":null,"connect_timeout":60000,"write_timeout":60000,"read_timeout":60000,"tags":null,"client_certificate":null,"tls_verify":null,"tls_verify_depth":null,"ca_certificates":null,"enabled":true}`,
		},
		{
			name: "route", entity: "routes",
			in:   `{"name":"r1","hosts":["example.com"],"paths":["/foo"],"service":{"id":"` + testUUID + `"}}`,
			want: `{"name":"r1","protocols":["http","https"],"https_redirect_status_code":426,"strip_path":true,"preserve_host":false,"request_buffering":true,"response_buffering":true,"tags":null,"service":{"id":"` + testUUID + `"},"snis":null,"sources":null,"destinations":null,"methods":null,"hosts":["example.com"],"paths":["/foo"],"headers":null,"regex_priority":0,"path_handling":"v0"}`,
		},
		{
			name: "key-auth plugin on a service", entity: "plugins",
			in: `{"name":"key-auth","service":{"id":"` + testUUID + `"}}`,
			want: `{"name":"key-auth","instance_name":null,"route":null,"service":{"id":"` + testUUID + `"},"consumer":null,"protocols":["grpc","grpcs","http","https"],"enabled":true,"tags":null,
				"config":{"key_names":["apikey"],"hide_credentials":false,"anonymous":null,"key_in_header":true,"key_in_query":true,"key_in_body":false,"run_on_preflight":true,"realm":null}}`,
		},
		{
			name: "target with default port", entity: "targets",
			in:   `{"target":"10.0.0.1","upstream":{"id":"` + testUUID + `"}}`,
			want: `{"upstream":{"id":"` + testUUID + `"},"target":"10.0.0.1:8000","weight":100,"tags":null}`, floatTS: true,
		},
		{
			name: "consumer", entity: "consumers",
			in:   `{"username":"alice"}`,
			want: `{"username":"alice","custom_id":null,"tags":null}`,
		},
		{
			name: "upstream healthchecks", entity: "upstreams",
			in: `{"name":"up"}`,
			want: `{"name":"up","algorithm":"round-robin","hash_on":"none","hash_fallback":"none","hash_on_header":null,"hash_fallback_header":null,"hash_on_cookie":null,"hash_on_cookie_path":"/","hash_on_query_arg":null,"hash_fallback_query_arg":null,"hash_on_uri_capture":null,"hash_fallback_uri_capture":null,"slots":10000,"tags":null,"host_header":null,"client_certificate":null,"use_srv_name":false,
				"healthchecks":{"active":{"type":"http","timeout":1,"concurrency":10,"http_path":"/","https_sni":null,"https_verify_certificate":true,"headers":null,
				  "healthy":{"interval":0,"http_statuses":[200,302],"successes":0},
				  "unhealthy":{"interval":0,"http_statuses":[429,404,500,501,502,503,504,505],"tcp_failures":0,"timeouts":0,"http_failures":0}},
				 "passive":{"type":"http",
				  "healthy":{"http_statuses":[200,201,202,203,204,205,206,207,208,226,300,301,302,303,304,305,306,307,308],"successes":0},
				  "unhealthy":{"http_statuses":[429,500,503],"tcp_failures":0,"timeouts":0,"http_failures":0}},
				 "threshold":0}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := mustGet(t, tc.entity).Process(decode(t, tc.in), Insert, testNow)
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			id, _ := out["id"].(string)
			if !uuidRE.MatchString(id) {
				t.Errorf("id = %v, want a generated UUID", out["id"])
			}
			wantTS := float64(testNow.Unix())
			if tc.floatTS {
				wantTS = 1700000000.123
			}
			for _, k := range []string{"created_at", "updated_at"} {
				if out[k] != wantTS {
					t.Errorf("%s = %v, want %v", k, out[k], wantTS)
				}
				delete(out, k)
			}
			delete(out, "id")
			if got, want := canon(t, out), canon(t, decode(t, tc.want)); got != want {
				t.Errorf("Process(%s)\n got %s\nwant %s", tc.in, got, want)
			}
		})
	}
}

func TestCredentialsGetAutoFieldsAndKongStorage(t *testing.T) {
	consumer := `"consumer":{"id":"` + testUUID + `"}`
	t.Run("key-auth generates a key and shows ttl", func(t *testing.T) {
		out, err := mustGet(t, "keyauth_credentials").Process(decode(t, `{`+consumer+`}`), Insert, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if k, _ := out["key"].(string); len(k) != 32 {
			t.Errorf("key = %v, want a 32-character random string", out["key"])
		}
		if v, ok := out["ttl"]; !ok || v != nil {
			t.Errorf("ttl = %v (present %v), want null", v, ok)
		}
		if _, ok := out["updated_at"]; ok {
			t.Error("credentials have no updated_at")
		}
	})
	t.Run("basic-auth stores sha1(password..consumer_id)", func(t *testing.T) {
		out, err := mustGet(t, "basicauth_credentials").Process(decode(t, `{`+consumer+`,"username":"u","password":"secret"}`), Insert, testNow)
		if err != nil {
			t.Fatal(err)
		}
		// echo -n "secreta2c3e1b4-1234-4234-8234-123456789abc" | sha1sum
		// printf 'secret%s' a2c3e1b4-1234-4234-8234-123456789abc | sha1sum
		if want := "b56d99d9802df8aea18f9ae3ebc65ed990035869"; out["password"] != want {
			t.Errorf("password = %v, want %s", out["password"], want)
		}
	})
	t.Run("jwt defaults to HS256 with key and secret", func(t *testing.T) {
		out, err := mustGet(t, "jwt_secrets").Process(decode(t, `{`+consumer+`}`), Insert, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if out["algorithm"] != "HS256" || out["rsa_public_key"] != nil {
			t.Errorf("algorithm/rsa_public_key = %v/%v", out["algorithm"], out["rsa_public_key"])
		}
		for _, k := range []string{"key", "secret"} {
			if s, _ := out[k].(string); len(s) != 32 {
				t.Errorf("%s = %v, want generated", k, out[k])
			}
		}
	})
	t.Run("oauth2 defaults", func(t *testing.T) {
		out, err := mustGet(t, "oauth2_credentials").Process(decode(t, `{`+consumer+`,"name":"app"}`), Insert, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if out["client_type"] != "confidential" || out["hash_secret"] != false || out["redirect_uris"] != nil {
			t.Errorf("got %v", out)
		}
	})
}
