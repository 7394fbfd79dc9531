// Package cluster keeps an emulator node's configuration in step with the
// rest of a Kong cluster: in traditional mode by polling cluster_events and
// rebuilding the node's snapshot, in hybrid mode as a control plane pushing
// the whole configuration to data planes, or as a data plane receiving it,
// over Kong 3.9's v1 websocket protocol (kong/clustering/*.lua) so either
// half also talks to a real Kong.
package cluster

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

	"github.com/kongdb/kubectl-kongdb/sim/emulator/store"
)

// Kong's sync_status values of clustering_data_planes.
const (
	SyncUnknown                   = "unknown"
	SyncNormal                    = "normal"
	SyncKongVersionIncompatible   = "kong_version_incompatible"
	SyncPluginSetIncompatible     = "plugin_set_incompatible"
	SyncPluginVersionIncompatible = "plugin_version_incompatible"
)

// Entities is a declarative configuration as the proxy compiles it: entity
// name → rows as decoded JSON.
type Entities = map[string][]map[string]any

// Applier installs a whole configuration on a node (the proxy compiles it
// aside and swaps it in); an error leaves the previous one serving.
type Applier interface {
	Apply(e Entities) error
}

// PluginInfo is one entry of basic_info's plugin list.
type PluginInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// basicInfo is the first frame a data plane sends.
type basicInfo struct {
	Type        string            `json:"type"`
	Plugins     []PluginInfo      `json:"plugins"`
	ProcessConf map[string]any    `json:"process_conf"`
	Filters     map[string]any    `json:"filters"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// reconfigure is the control plane's configuration frame, gzipped JSON.
type reconfigure struct {
	Type        string            `json:"type"`
	Timestamp   float64           `json:"timestamp"`
	ConfigHash  string            `json:"config_hash"`
	Hashes      map[string]string `json:"hashes"`
	ConfigTable map[string]any    `json:"config_table"` // last: encodePayload relies on it
}

// encodePayload writes a reconfigure message around an export and gzips
// it, as the CP deflates each export once for every data plane. The rows
// keep the JSON text the store read rather than being encoded again.
func encodePayload(x *store.Export, hash string, hashes map[string]string, now time.Time) ([]byte, error) {
	head, err := json.Marshal(reconfigure{Type: "reconfigure", Timestamp: float64(now.UnixMilli()) / 1000,
		ConfigHash: hash, Hashes: hashes})
	if err != nil {
		return nil, fmt.Errorf("encode reconfigure payload: %w", err)
	}
	// head ends with "config_table":null}; the export replaces the null.
	msg := head[:len(head)-len("null}")]
	if msg, err = x.AppendJSON(msg); err != nil {
		return nil, err
	}
	msg = append(msg, '}')
	var buf bytes.Buffer
	// BestSpeed: the frame crosses a local network once per change; the
	// time to compress it is on the propagation path, its size barely is.
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(msg); err != nil {
		return nil, fmt.Errorf("compress reconfigure payload: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress reconfigure payload: %w", err)
	}
	return buf.Bytes(), nil
}

// inflateRatio bounds a frame's inflated size at this many times
// cluster_max_payload. Kong sets no bound; configuration JSON compresses
// about tenfold, so this only stops a gzip bomb.
const inflateRatio = 64

// decodePayload inflates and decodes a configuration frame of at most
// maxPayload bytes.
func decodePayload(b []byte, maxPayload int64) (*reconfigure, error) {
	limit := maxPayload * inflateRatio
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("inflate configuration frame: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("inflate configuration frame: %w", err)
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("configuration frame inflates past %d bytes (%d × cluster_max_payload)", limit, inflateRatio)
	}
	var m reconfigure
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode configuration frame: %w", err)
	}
	return &m, nil
}

// toEntities turns a config_table into the proxy's shape; the top-level
// scalars (_format_version, _transform) are not entities.
func toEntities(table map[string]any) Entities {
	out := Entities{}
	for k, v := range table {
		list, ok := v.([]any)
		if !ok {
			continue
		}
		rows := make([]map[string]any, 0, len(list))
		for _, item := range list {
			if row, ok := item.(map[string]any); ok {
				rows = append(rows, row)
			}
		}
		out[k] = rows
	}
	return out
}

var majorMinor = regexp.MustCompile(`^(\d+)\.(\d+)\.\d+`)

func parseVersion(v string) (major, minor int, ok bool) {
	m := majorMinor.FindStringSubmatch(v)
	if m == nil {
		return 0, 0, false
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor, true
}

// checkKongVersion is compat/init.lua's check_kong_version_compatibility:
// same major, and a data plane minor not newer than the control plane's.
func checkKongVersion(cp, dp string) error {
	cpMajor, cpMinor, ok := parseVersion(cp)
	if !ok {
		return fmt.Errorf("data plane version %s is incompatible with control plane version", dp)
	}
	dpMajor, dpMinor, ok := parseVersion(dp)
	switch {
	case !ok:
		return fmt.Errorf("data plane version is incompatible with control plane version %s (%d.x.y are accepted)", cp, cpMajor)
	case cpMajor != dpMajor:
		return fmt.Errorf("data plane version %s is incompatible with control plane version %s (%d.x.y are accepted)", dp, cp, cpMajor)
	case cpMinor < dpMinor:
		return fmt.Errorf("data plane version %s is incompatible with older control plane version %s", dp, cp)
	}
	return nil
}

// checkPlugins is check_configuration_compatibility for plugins: every
// plugin configured in the export must be on the data plane, with the same
// major version and a minor not newer than the control plane's. It returns
// the sync_status and, when not normal, why.
func checkPlugins(cpPlugins map[string]string, configured []string, dpPlugins map[string]string) (string, error) {
	for _, name := range configured {
		cpVersion, known := cpPlugins[name]
		if !known {
			continue
		}
		dpVersion, ok := dpPlugins[name]
		if !ok {
			return SyncPluginSetIncompatible, fmt.Errorf("configured %s plugin %s is missing from data plane", name, cpVersion)
		}
		cpMajor, cpMinor, cpOK := parseVersion(cpVersion)
		dpMajor, dpMinor, dpOK := parseVersion(dpVersion)
		if !cpOK || !dpOK || (name == "opentelemetry" && dpMajor == 0 && dpMinor == 1) {
			continue
		}
		if cpMajor != dpMajor || cpMinor < dpMinor {
			return SyncPluginVersionIncompatible, fmt.Errorf(
				"configured data plane %s plugin version %s is different to control plane plugin version %s", name, dpVersion, cpVersion)
		}
	}
	return SyncNormal, nil
}

// configuredPlugins lists the distinct plugin names of an export, in order
// of first appearance.
func configuredPlugins(table map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	list, _ := table["plugins"].([]any)
	for _, p := range list {
		row, _ := p.(map[string]any)
		if name, ok := row["name"].(string); ok && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
