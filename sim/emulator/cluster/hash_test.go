package cluster

import (
	"fmt"
	"testing"
)

// The expected values are those of Kong 3.9.3's own unit tests
// (spec/01-unit/19-hybrid/02-clustering_spec.lua, ".calculate_config_hash()").
func TestConfigHashMatchesKongSpec(t *testing.T) {
	arr := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = fmt.Sprintf("v%d", i+1)
		}
		return out
	}
	plugin := func(name string, config map[string]any) any {
		return map[string]any{"name": name, "config": config}
	}
	consumers := make([]any, 1000)
	for i := range consumers {
		consumers[i] = map[string]any{"username": fmt.Sprintf("user-%d", i+1)}
	}
	complexTable := map[string]any{
		"plugins": []any{
			plugin("0", map[string]any{"param": "value"}),
			plugin("1", map[string]any{"param": arr(6)}),
			plugin("2", map[string]any{"param": arr(5)}),
			plugin("3", map[string]any{"param": arr(4)}),
			plugin("4", map[string]any{"param": arr(3)}),
			plugin("5", map[string]any{"param": arr(2)}),
			plugin("6", map[string]any{"param": arr(1)}),
			plugin("7", map[string]any{"param": []any{}}),
			plugin("8", map[string]any{"param": "value", "array": arr(6)}),
			plugin("9", map[string]any{"bool1": true, "bool2": false, "number": 1.0, "double": 1.1,
				"empty": map[string]any{}, "null": nil, "string": "test", "hash": map[string]any{"k": "v"},
				"array": arr(6)}),
		},
		"consumers": consumers,
	}
	const emptyObj = "99914b932bd37a50b983c5e7c90ae93b" // md5("{}")
	tests := []struct {
		name   string
		cfg    map[string]any
		want   string
		hashes map[string]string
	}{
		{"complex table", complexTable, "675ff4b6b1c8cefa5198284110786ad0", nil},
		{"missing parts hash as zeros", map[string]any{}, "2da3c26e4dbd6dd6ea3ab60a3dd7fb3e", map[string]string{
			"config": "2da3c26e4dbd6dd6ea3ab60a3dd7fb3e", "routes": EmptyHash, "services": EmptyHash,
			"plugins": EmptyHash, "upstreams": EmptyHash, "targets": EmptyHash}},
		{"empty routes, services, plugins", map[string]any{"routes": []any{}, "services": []any{}, "plugins": []any{}},
			"81aac97a81ad03c0cf0b36663806488e", map[string]string{
				"config": "81aac97a81ad03c0cf0b36663806488e", "routes": emptyObj, "services": emptyObj,
				"plugins": emptyObj, "upstreams": EmptyHash, "targets": EmptyHash}},
		{"empty upstreams, targets", map[string]any{"upstreams": []any{}, "targets": []any{}},
			"4d60dd9998ea4314039da5ca2f1db96f", map[string]string{
				"config": "4d60dd9998ea4314039da5ca2f1db96f", "routes": EmptyHash, "services": EmptyHash,
				"plugins": EmptyHash, "upstreams": emptyObj, "targets": emptyObj}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, hashes := ConfigHash(tt.cfg)
			if got != tt.want {
				t.Errorf("config hash = %s, want %s", got, tt.want)
			}
			for k, v := range tt.hashes {
				if hashes[k] != v {
					t.Errorf("hashes[%s] = %s, want %s", k, hashes[k], v)
				}
			}
		})
	}
}

// Kong's scalar cases hash one value on its own: md5 of its sorted string.
func TestSortedStringOfScalars(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, "5bf07a8b7343015026657d1108d8206e"},
		{10.0, "d3d9446802a44259755d38e6d163e820"},
		{0.9, "a894124cc6d5c5c71afe060d5dde0762"},
		{"", "d41d8cd98f00b204e9800998ecf8427e"},
		{"hello", "5d41402abc4b2a76b9719d911017c592"},
		{false, "68934a3e9455fa72420237eb05902327"},
		{true, "b326b5062b2f0e69046810717534cb09"},
	}
	for _, tt := range tests {
		var b hashBuffer
		if got := b.hash(tt.v); got != tt.want {
			t.Errorf("hash(%#v) = %s, want %s", tt.v, got, tt.want)
		}
	}
}

func TestLuaNumberFormatsAsPercent14g(t *testing.T) {
	for f, want := range map[float64]string{60000: "60000", 1.5: "1.5", 1e20: "1e+20", 1700000000.123: "1700000000.123",
		0.1 + 0.2: "0.3", 100000000000000: "1e+14"} {
		if got := luaNumber(f); got != want {
			t.Errorf("luaNumber(%v) = %q, want %q", f, got, want)
		}
	}
}
