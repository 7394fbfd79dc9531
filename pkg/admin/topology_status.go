package admin

import (
	"context"
	"fmt"
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

// DataPlanes lists the data planes a control plane knows, page by page; a control plane that
// repeats an offset (or never stops) ends the listing with an error (Pager), not a partial
// list read as whole.
func DataPlanes(ctx context.Context, cp *kong.Client) ([]DataPlane, error) {
	var rows []DataPlane
	var pages Pager
	offset := ""
	for {
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
		if page.Offset == "" {
			return rows, nil
		}
		if err := pages.Next(page.Offset); err != nil {
			return nil, fmt.Errorf("list /clustering/data-planes: %w", err)
		}
		offset = page.Offset
	}
}
