package schema

import "testing"

func benchProcess(b *testing.B, entity, in string) {
	e, ok := Get(entity)
	if !ok {
		b.Fatalf("no entity %s", entity)
	}
	var body map[string]any
	t := &testing.T{}
	body = decode(t, in)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Process(body, Insert, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProcessService(b *testing.B) {
	benchProcess(b, "services", `{"name":"svc","host":"httpbin.org","tags":["a","b"]}`)
}

func BenchmarkProcessRoute(b *testing.B) {
	benchProcess(b, "routes", `{"name":"r1","hosts":["example.com"],"paths":["/foo","~/bar/\\d+"],"methods":["GET","POST"],"service":{"id":"`+testUUID+`"}}`)
}

func BenchmarkProcessUpstream(b *testing.B) {
	benchProcess(b, "upstreams", `{"name":"up"}`)
}

func BenchmarkProcessRateLimitingPlugin(b *testing.B) {
	benchProcess(b, "plugins", `{"name":"rate-limiting","config":{"minute":10,"policy":"local"}}`)
}
