package plan

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kongdb/kubectl-kongdb/pkg/kongstate"
)

func toJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

func equalJSON(a, b any) bool {
	var x, y any
	_ = json.Unmarshal([]byte(toJSON(a)), &x)
	_ = json.Unmarshal([]byte(toJSON(b)), &y)
	return reflect.DeepEqual(x, y)
}

// stateFromOps rebuilds the State Kong would hold after the create ops of p, as the admin
// reader nests it: everything top-level keyed by ID, plugins with foreign keys by ID.
func stateFromOps(t *testing.T, p *Plan) *kongstate.State {
	t.Helper()
	var doc struct {
		Services       []map[string]any `json:"services"`
		Upstreams      []map[string]any `json:"upstreams"`
		Certificates   []map[string]any `json:"certificates"`
		Consumers      []map[string]any `json:"consumers"`
		Plugins        []map[string]any `json:"plugins"`
		CACertificates []map[string]any `json:"ca_certificates"`
	}
	byID := map[string]map[string]any{}
	for _, op := range p.Ops {
		body := clone(op.Body)
		if id, ok := body["id"].(string); ok {
			byID[id] = body
		}
		switch op.Kind {
		case KindService:
			doc.Services = append(doc.Services, body)
		case KindRoute:
			svc := byID[body["service"].(map[string]any)["id"].(string)]
			delete(body, "service")
			routes, _ := svc["routes"].([]any)
			svc["routes"] = append(routes, body)
		case KindUpstream:
			doc.Upstreams = append(doc.Upstreams, body)
		case KindTarget:
			for _, u := range doc.Upstreams {
				if op.Path == "/upstreams/"+u["id"].(string)+"/targets" {
					ts, _ := u["targets"].([]any)
					u["targets"] = append(ts, body)
				}
			}
		case KindCertificate:
			doc.Certificates = append(doc.Certificates, body)
		case KindSNI:
			cert := byID[body["certificate"].(map[string]any)["id"].(string)]
			snis, _ := cert["snis"].([]any)
			cert["snis"] = append(snis, body["name"])
		case KindConsumer:
			doc.Consumers = append(doc.Consumers, body)
		case KindKeyAuth, KindBasicAuth:
			c := byID[body["consumer"].(map[string]any)["id"].(string)]
			field := map[Kind]string{KindKeyAuth: "keyauth_credentials", KindBasicAuth: "basicauth_credentials"}[op.Kind]
			list, _ := c[field].([]any)
			c[field] = append(list, body)
		case KindPlugin:
			doc.Plugins = append(doc.Plugins, body)
		case KindCACertificate:
			doc.CACertificates = append(doc.CACertificates, body)
		default:
			t.Fatalf("stateFromOps: %s not handled", op.Kind)
		}
	}
	var s kongstate.State
	if err := json.Unmarshal([]byte(toJSON(doc)), &s); err != nil {
		t.Fatalf("decode state: %v", err)
	}
	return &s
}

func phcPBKDF2(t *testing.T, secret string, salt []byte) string {
	t.Helper()
	k, err := pbkdf2.Key(sha512.New, secret, salt, 10000, 32)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawStdEncoding
	return "$pbkdf2-sha512$i=10000,l=32$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(k)
}
