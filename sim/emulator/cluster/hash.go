package cluster

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// EmptyHash is Kong's DECLARATIVE_EMPTY_CONFIG_HASH: what a data plane
// without configuration reports.
const EmptyHash = "00000000000000000000000000000000"

// hashedKeys are the entities Kong hashes on their own, in the order their
// hashes are concatenated; everything else is hashed together as "config".
var hashedKeys = []string{"routes", "services", "plugins", "upstreams", "targets"}

// ConfigHash computes Kong's config_hash and per-part hashes of an export
// as kong/clustering/config_helper.lua does, so a real Kong data plane and
// this emulator agree on the value. cfg is decoded JSON (nil for null,
// float64 numbers, []any, map[string]any).
func ConfigHash(cfg map[string]any) (string, map[string]string) {
	var b hashBuffer
	hashes := map[string]string{}
	rest := make(map[string]any, len(cfg))
	for k, v := range cfg {
		rest[k] = v
	}
	var all strings.Builder
	for _, k := range hashedKeys {
		v, ok := cfg[k]
		h := EmptyHash
		if ok {
			h = b.hash(v)
		}
		delete(rest, k)
		hashes[k] = h
		all.WriteString(h)
	}
	all.WriteString(b.hash(rest))
	sum := md5.Sum([]byte(all.String()))
	config := hex.EncodeToString(sum[:])
	hashes["config"] = config
	return config, hashes
}

// hashBuffer is config_helper's string.buffer: once it grows past a
// million bytes it is replaced by the raw MD5 of its content.
type hashBuffer struct{ buf []byte }

func (b *hashBuffer) hash(v any) string {
	b.buf = b.buf[:0]
	b.sorted(v)
	sum := md5.Sum(b.buf)
	return hex.EncodeToString(sum[:])
}

// sorted is to_sorted_string: null as /null/, scalars as Lua prints them,
// arrays joined with ";" (each item followed by ";" past five), objects as
// key:value; in byte order of keys.
func (b *hashBuffer) sorted(v any) {
	if len(b.buf) > 1000000 {
		sum := md5.Sum(b.buf)
		b.buf = append(b.buf[:0], sum[:]...)
	}
	switch x := v.(type) {
	case nil:
		b.buf = append(b.buf, "/null/"...)
	case string:
		b.buf = append(b.buf, x...)
	case float64:
		b.buf = append(b.buf, luaNumber(x)...)
	case bool:
		b.buf = strconv.AppendBool(b.buf, x)
	case []any:
		switch {
		case len(x) == 0:
			b.buf = append(b.buf, "{}"...)
		case len(x) <= 5:
			for i, item := range x {
				if i > 0 {
					b.buf = append(b.buf, ';')
				}
				b.sorted(item)
			}
		default:
			for _, item := range x {
				b.sorted(item)
				b.buf = append(b.buf, ';')
			}
		}
	case map[string]any:
		if len(x) == 0 {
			b.buf = append(b.buf, "{}"...)
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.buf = append(b.buf, k...)
			b.buf = append(b.buf, ':')
			b.sorted(x[k])
			b.buf = append(b.buf, ';')
		}
	default:
		// Only decoded JSON reaches here; anything else is a caller bug.
		panic(fmt.Sprintf("cluster: cannot hash %T", v))
	}
}

// luaNumber formats a number as LuaJIT's tostring does ("%.14g"): Go's 'g'
// with precision 14 drops trailing zeros and switches to an exponent at the
// same points as C's, so 60000, 1.5 and 1e+20 print alike.
func luaNumber(f float64) string { return strconv.FormatFloat(f, 'g', 14, 64) }
