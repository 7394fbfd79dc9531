package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// DataPlane is one clustering_data_planes row as the control plane writes it.
type DataPlane struct {
	ID, Hostname, IP, ConfigHash, Version, SyncStatus string
	LastSeen                                          time.Time
	Labels                                            map[string]string
	// CertExpiry is the data plane certificate's notAfter (cert_details).
	CertExpiry time.Time
	// TTL is cluster_data_plane_purge_delay: the row expires that long
	// after this write.
	TTL time.Duration
}

// UpsertDataPlane records a data plane's state, as the control plane does
// on every ping. It inserts no cluster event (Kong's no_broadcast_crud_event).
func (s *Store) UpsertDataPlane(ctx context.Context, dp DataPlane) error {
	var labels any
	if dp.Labels != nil {
		b, err := json.Marshal(dp.Labels)
		if err != nil {
			return fmt.Errorf("encode labels of data plane %s: %w", dp.ID, err)
		}
		labels = string(b)
	}
	certDetails := fmt.Sprintf(`{"expiry_timestamp":%d}`, dp.CertExpiry.Unix())
	_, err := s.pool.Exec(ctx, `INSERT INTO clustering_data_planes
		  (id, hostname, ip, last_seen, config_hash, ttl, version, sync_status, updated_at, labels, cert_details, rpc_capabilities)
		VALUES ($1::uuid, $2, $3, to_timestamp($4), $5, CURRENT_TIMESTAMP + make_interval(secs => $6::float8), $7, $8,
		  CURRENT_TIMESTAMP(0), $9::jsonb, $10::jsonb, '{}')
		ON CONFLICT (id) DO UPDATE SET hostname = EXCLUDED.hostname, ip = EXCLUDED.ip, last_seen = EXCLUDED.last_seen,
		  config_hash = EXCLUDED.config_hash, ttl = EXCLUDED.ttl, version = EXCLUDED.version,
		  sync_status = EXCLUDED.sync_status, updated_at = EXCLUDED.updated_at, labels = EXCLUDED.labels,
		  cert_details = EXCLUDED.cert_details, rpc_capabilities = EXCLUDED.rpc_capabilities`,
		dp.ID, dp.Hostname, dp.IP, dp.LastSeen.Unix(), dp.ConfigHash, dp.TTL.Seconds(), dp.Version, dp.SyncStatus,
		labels, certDetails)
	if err != nil {
		return fmt.Errorf("upsert data plane %s: %w", dp.ID, dbError(err))
	}
	return nil
}

// DataPlanes pages clustering_data_planes ordered by id, each row in the
// shape GET /clustering/data-planes serves (times in seconds, ttl as the
// remaining seconds); next is the following page's offset or "".
func (s *Store) DataPlanes(ctx context.Context, size int, offset string) (rows []json.RawMessage, next string, err error) {
	after := "00000000-0000-0000-0000-000000000000"
	if offset != "" {
		if after, err = decodeOffset(offset); err != nil {
			return nil, "", err
		}
	}
	r, err := s.pool.Query(ctx, `SELECT json_build_object('id', id, 'hostname', hostname, 'ip', ip,
		  'last_seen', FLOOR(EXTRACT(EPOCH FROM last_seen))::bigint, 'config_hash', config_hash,
		  'ttl', GREATEST(0, FLOOR(EXTRACT(EPOCH FROM (ttl - CURRENT_TIMESTAMP))))::bigint,
		  'version', version, 'sync_status', sync_status,
		  'updated_at', FLOOR(EXTRACT(EPOCH FROM updated_at))::bigint, 'labels', labels,
		  'cert_details', cert_details, 'rpc_capabilities', to_json(COALESCE(rpc_capabilities, '{}')))::text, id::text
		FROM clustering_data_planes WHERE id > $1::uuid AND (ttl IS NULL OR ttl >= CURRENT_TIMESTAMP)
		ORDER BY id LIMIT `+strconv.Itoa(size+1), after)
	if err != nil {
		return nil, "", dbError(err)
	}
	defer r.Close()
	rows = []json.RawMessage{}
	var lastID string
	for r.Next() {
		var text, id string
		if err := r.Scan(&text, &id); err != nil {
			return nil, "", dbError(err)
		}
		if len(rows) == size {
			next = encodeOffset(lastID)
			break
		}
		rows, lastID = append(rows, json.RawMessage(text)), id
	}
	if err := r.Err(); err != nil {
		return nil, "", dbError(err)
	}
	return rows, next, nil
}

// ClusterEvent is one cluster_events row as a poller reads it.
type ClusterEvent struct {
	ID, NodeID, Channel, Data string
	// At and NBF are epoch seconds; NBF is 0 when unset. Now is the
	// database's clock when the row was read.
	At, NBF, Now float64
}

// PollEvents reads one page (1000 rows, skipping offset) of the events
// after minAt (epoch seconds) up to the database's current time, in order,
// as Kong's select_interval does.
func (s *Store) PollEvents(ctx context.Context, minAt float64, offset int) ([]ClusterEvent, error) {
	r, err := s.pool.Query(ctx, `SELECT id::text, node_id::text, COALESCE(channel, ''), COALESCE(data, ''),
		  EXTRACT(EPOCH FROM at)::float8, COALESCE(EXTRACT(EPOCH FROM nbf)::float8, 0),
		  EXTRACT(EPOCH FROM CURRENT_TIMESTAMP(3))::float8
		FROM cluster_events
		WHERE at > to_timestamp($1::float8) AND at <= CURRENT_TIMESTAMP(3)
		ORDER BY at LIMIT 1000 OFFSET $2`, minAt, offset)
	if err != nil {
		return nil, dbError(err)
	}
	evs, err := pgx.CollectRows(r, func(row pgx.CollectableRow) (ClusterEvent, error) {
		var e ClusterEvent
		err := row.Scan(&e.ID, &e.NodeID, &e.Channel, &e.Data, &e.At, &e.NBF, &e.Now)
		return e, err
	})
	if err != nil {
		return nil, dbError(err)
	}
	return evs, nil
}

// Now is the database's clock in epoch seconds: a poller's starting point.
func (s *Store) Now(ctx context.Context) (float64, error) {
	var now float64
	if err := s.pool.QueryRow(ctx, `SELECT EXTRACT(EPOCH FROM CURRENT_TIMESTAMP(3))::float8`).Scan(&now); err != nil {
		return 0, dbError(err)
	}
	return now, nil
}

// NodeID is the node id this store writes into cluster_events.
func (s *Store) NodeID() string { return s.nodeID() }

// Options are the settings the store was opened with.
func (s *Store) Options() Options { return s.opts }
