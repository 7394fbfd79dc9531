package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Ready returns the cluster once it is whole: in hybrid mode, when the
// first control plane lists every data plane in sync. Runtimes call it last in Up.
func Ready(ctx context.Context, rt Runtime, spec Spec, progress func(string)) (*Cluster, error) {
	c, err := rt.Get(ctx, spec.Name)
	if err != nil {
		return nil, err
	}
	if spec.Mode == Hybrid && spec.DataPlanes > 0 {
		progress(fmt.Sprintf("waiting for the control plane to list %d data planes in sync", spec.DataPlanes))
		if err := WaitDataPlanes(ctx, c, spec.DataPlanes); err != nil {
			return nil, fmt.Errorf("cluster %q: %w", spec.Name, err)
		}
	}
	return c, nil
}

// dataPlane is the part of /clustering/data-planes the wait reads.
type dataPlane struct {
	ID         string `json:"id"`
	Hostname   string `json:"hostname"`
	SyncStatus string `json:"sync_status"`
	ConfigHash string `json:"config_hash"`
}

// WaitDataPlanes polls the first control plane until want data planes are
// listed with sync_status normal.
func WaitDataPlanes(ctx context.Context, c *Cluster, want int) error {
	cp, err := c.Find("cp-1")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var last string
	for {
		dps, err := listDataPlanes(ctx, cp.AdminURL)
		normal := 0
		for _, dp := range dps {
			if dp.SyncStatus == "normal" {
				normal++
			}
		}
		if err == nil && normal >= want {
			return nil
		}
		last = fmt.Sprintf("%d of %d in sync", normal, want)
		if err != nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("data planes not in sync on %s/clustering/data-planes: %s", cp.AdminURL, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func listDataPlanes(ctx context.Context, adminURL string) ([]dataPlane, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminURL+"/clustering/data-planes", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /clustering/data-planes: %s", resp.Status)
	}
	var body struct {
		Data []dataPlane `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("GET /clustering/data-planes: %w", err)
	}
	return body.Data, nil
}
