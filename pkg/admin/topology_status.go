package admin

import (
	"context"
	"net/http"
	"net/url"

	"github.com/kong/go-kong/kong"
)

// NodeStatus is what a node's /status says of itself that status shows.
type NodeStatus struct {
	Database struct {
		Reachable bool `json:"reachable"`
	} `json:"database"`
	ConfigurationHash string `json:"configuration_hash"`
}

// ReadNodeStatus asks a node for its /status.
func ReadNodeStatus(ctx context.Context, c *kong.Client) (*NodeStatus, error) {
	var st NodeStatus
	if err := Do(ctx, c, http.MethodGet, "/status", nil, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// DataPlane is one row of a control plane's /clustering/data-planes.
type DataPlane struct {
	ID          string `json:"id"`
	Hostname    string `json:"hostname"`
	IP          string `json:"ip"`
	Version     string `json:"version"`
	SyncStatus  string `json:"sync_status"`
	ConfigHash  string `json:"config_hash"`
	LastSeen    int64  `json:"last_seen"`
	CertDetails struct {
		ExpiryTimestamp int64 `json:"expiry_timestamp"`
	} `json:"cert_details"`
}

// maxDataPlanePages bounds the listing: a control plane that keeps answering with an offset
// must not keep a caller reading forever.
const maxDataPlanePages = 1000

// DataPlanes lists the data planes a control plane knows, page by page.
func DataPlanes(ctx context.Context, cp *kong.Client) ([]DataPlane, error) {
	var rows []DataPlane
	offset := ""
	for range maxDataPlanePages {
		var page struct {
			Data   []DataPlane `json:"data"`
			Offset string      `json:"offset"`
		}
		q := url.Values{"size": {"1000"}}
		if offset != "" {
			q.Set("offset", offset)
		}
		if err := Do(ctx, cp, http.MethodGet, "/clustering/data-planes?"+q.Encode(), nil, nil, &page); err != nil {
			return nil, err
		}
		rows = append(rows, page.Data...)
		if page.Offset == "" || page.Offset == offset {
			return rows, nil
		}
		offset = page.Offset
	}
	return rows, nil
}
