package store

// coreDDL creates Kong 3.9.3's core tables in their final state (what
// migrations 000_base … 024_380_to_390 leave behind), with the same table and
// column names and types, so that the data is laid out as a real Kong node
// expects it. Workspaceable tables carry ws_id, UNIQUE (id, ws_id), per
// workspace uniques and composite foreign keys, as migrations 200_to_210 make.
const coreDDL = `
CREATE TABLE IF NOT EXISTS cluster_events (
  id UUID PRIMARY KEY, node_id UUID NOT NULL, at TIMESTAMP WITH TIME ZONE NOT NULL,
  nbf TIMESTAMP WITH TIME ZONE, expire_at TIMESTAMP WITH TIME ZONE NOT NULL, channel TEXT, data TEXT);
CREATE INDEX IF NOT EXISTS cluster_events_at_idx ON cluster_events (at);
CREATE INDEX IF NOT EXISTS cluster_events_channel_idx ON cluster_events (channel);
CREATE INDEX IF NOT EXISTS cluster_events_expire_at_idx ON cluster_events (expire_at);

CREATE OR REPLACE FUNCTION batch_delete_expired_rows() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE FORMAT('WITH rows AS (SELECT ctid FROM %s WHERE %s < CURRENT_TIMESTAMP AT TIME ZONE ''UTC'' ORDER BY %s LIMIT 2 FOR UPDATE SKIP LOCKED) DELETE FROM %s WHERE ctid IN (TABLE rows)',
    TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[0], TG_TABLE_NAME);
  RETURN NULL;
END; $$;
DROP TRIGGER IF EXISTS cluster_events_ttl_trigger ON cluster_events;
CREATE TRIGGER cluster_events_ttl_trigger AFTER INSERT ON cluster_events
  FOR EACH STATEMENT EXECUTE PROCEDURE batch_delete_expired_rows('expire_at');

CREATE TABLE IF NOT EXISTS workspaces (
  id UUID PRIMARY KEY, name TEXT UNIQUE, comment TEXT,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  meta JSONB, config JSONB);

CREATE TABLE IF NOT EXISTS tags (entity_id UUID PRIMARY KEY, entity_name TEXT, tags TEXT[]);
CREATE INDEX IF NOT EXISTS tags_entity_name_idx ON tags (entity_name);
CREATE INDEX IF NOT EXISTS tags_tags_idx ON tags USING GIN (tags);
CREATE OR REPLACE FUNCTION sync_tags() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'TRUNCATE') THEN
    DELETE FROM tags WHERE entity_name = TG_TABLE_NAME;
    RETURN NULL;
  ELSIF (TG_OP = 'DELETE') THEN
    DELETE FROM tags WHERE entity_id = OLD.id;
    RETURN OLD;
  ELSE
    IF (TG_OP = 'INSERT' OR OLD.tags IS DISTINCT FROM NEW.tags) THEN
      INSERT INTO tags (entity_id, entity_name, tags) VALUES (NEW.id, TG_TABLE_NAME, NEW.tags)
      ON CONFLICT (entity_id) DO UPDATE SET tags = EXCLUDED.tags;
    END IF;
    RETURN NEW;
  END IF;
END; $$;

CREATE TABLE IF NOT EXISTS certificates (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  cert TEXT, key TEXT, cert_alt TEXT, key_alt TEXT, tags TEXT[],
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT certificates_id_ws_id_unique UNIQUE (id, ws_id));

CREATE TABLE IF NOT EXISTS ca_certificates (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  cert TEXT NOT NULL, cert_digest TEXT NOT NULL, tags TEXT[],
  CONSTRAINT ca_certificates_cert_digest_key UNIQUE (cert_digest));

CREATE TABLE IF NOT EXISTS services (
  id UUID PRIMARY KEY, created_at TIMESTAMP WITH TIME ZONE, updated_at TIMESTAMP WITH TIME ZONE,
  name TEXT, retries BIGINT, protocol TEXT, host TEXT, port BIGINT, path TEXT,
  connect_timeout BIGINT, write_timeout BIGINT, read_timeout BIGINT, tags TEXT[],
  client_certificate_id UUID, tls_verify BOOLEAN, tls_verify_depth SMALLINT, ca_certificates UUID[],
  enabled BOOLEAN DEFAULT true,
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT services_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT services_ws_id_name_unique UNIQUE (ws_id, name),
  CONSTRAINT services_client_certificate_id_fkey FOREIGN KEY (client_certificate_id, ws_id) REFERENCES certificates (id, ws_id));
CREATE INDEX IF NOT EXISTS services_fkey_client_certificate ON services (client_certificate_id);

CREATE TABLE IF NOT EXISTS routes (
  id UUID PRIMARY KEY, created_at TIMESTAMP WITH TIME ZONE, updated_at TIMESTAMP WITH TIME ZONE,
  name TEXT, service_id UUID, protocols TEXT[], methods TEXT[], hosts TEXT[], paths TEXT[], snis TEXT[],
  sources JSONB[], destinations JSONB[], regex_priority BIGINT, strip_path BOOLEAN, preserve_host BOOLEAN,
  tags TEXT[], https_redirect_status_code INTEGER, headers JSONB, path_handling TEXT DEFAULT 'v0',
  request_buffering BOOLEAN, response_buffering BOOLEAN, expression TEXT, priority BIGINT,
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT routes_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT routes_ws_id_name_unique UNIQUE (ws_id, name),
  CONSTRAINT routes_service_id_fkey FOREIGN KEY (service_id, ws_id) REFERENCES services (id, ws_id));
CREATE INDEX IF NOT EXISTS routes_service_id_idx ON routes (service_id);

CREATE TABLE IF NOT EXISTS snis (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  name TEXT NOT NULL, certificate_id UUID, tags TEXT[],
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT snis_name_key UNIQUE (name),
  CONSTRAINT snis_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT snis_certificate_id_fkey FOREIGN KEY (certificate_id, ws_id) REFERENCES certificates (id, ws_id));
CREATE INDEX IF NOT EXISTS snis_certificate_id_idx ON snis (certificate_id);

CREATE TABLE IF NOT EXISTS consumers (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  username TEXT, custom_id TEXT, tags TEXT[],
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT consumers_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT consumers_ws_id_username_unique UNIQUE (ws_id, username),
  CONSTRAINT consumers_ws_id_custom_id_unique UNIQUE (ws_id, custom_id));
CREATE INDEX IF NOT EXISTS consumers_username_idx ON consumers (LOWER(username));

CREATE TABLE IF NOT EXISTS plugins (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  name TEXT NOT NULL, instance_name TEXT, consumer_id UUID, service_id UUID, route_id UUID,
  config JSONB NOT NULL, enabled BOOLEAN NOT NULL, cache_key TEXT, protocols TEXT[], tags TEXT[],
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT plugins_cache_key_key UNIQUE (cache_key),
  CONSTRAINT plugins_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT plugins_ws_id_instance_name_unique UNIQUE (ws_id, instance_name),
  CONSTRAINT plugins_consumer_id_fkey FOREIGN KEY (consumer_id, ws_id) REFERENCES consumers (id, ws_id) ON DELETE CASCADE,
  CONSTRAINT plugins_service_id_fkey FOREIGN KEY (service_id, ws_id) REFERENCES services (id, ws_id) ON DELETE CASCADE,
  CONSTRAINT plugins_route_id_fkey FOREIGN KEY (route_id, ws_id) REFERENCES routes (id, ws_id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS plugins_name_idx ON plugins (name);
CREATE INDEX IF NOT EXISTS plugins_consumer_id_idx ON plugins (consumer_id);
CREATE INDEX IF NOT EXISTS plugins_service_id_idx ON plugins (service_id);
CREATE INDEX IF NOT EXISTS plugins_route_id_idx ON plugins (route_id);

CREATE TABLE IF NOT EXISTS upstreams (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(3) AT TIME ZONE 'UTC'),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  name TEXT, hash_on TEXT, hash_fallback TEXT, hash_on_header TEXT, hash_fallback_header TEXT,
  hash_on_cookie TEXT, hash_on_cookie_path TEXT, slots INTEGER NOT NULL, healthchecks JSONB, tags TEXT[],
  algorithm TEXT, host_header TEXT, client_certificate_id UUID,
  hash_on_query_arg TEXT, hash_fallback_query_arg TEXT, hash_on_uri_capture TEXT, hash_fallback_uri_capture TEXT,
  use_srv_name BOOLEAN DEFAULT false,
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT upstreams_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT upstreams_ws_id_name_unique UNIQUE (ws_id, name),
  CONSTRAINT upstreams_client_certificate_id_fkey FOREIGN KEY (client_certificate_id, ws_id) REFERENCES certificates (id, ws_id));
CREATE INDEX IF NOT EXISTS upstreams_fkey_client_certificate ON upstreams (client_certificate_id);

CREATE TABLE IF NOT EXISTS targets (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(3) AT TIME ZONE 'UTC'),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(3) AT TIME ZONE 'UTC'),
  upstream_id UUID, target TEXT NOT NULL, weight INTEGER NOT NULL, tags TEXT[], cache_key TEXT,
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT targets_cache_key_key UNIQUE (cache_key),
  CONSTRAINT targets_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT targets_upstream_id_fkey FOREIGN KEY (upstream_id, ws_id) REFERENCES upstreams (id, ws_id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS targets_target_idx ON targets (target);
CREATE INDEX IF NOT EXISTS targets_upstream_id_idx ON targets (upstream_id);

CREATE TABLE IF NOT EXISTS sm_vaults (
  id UUID PRIMARY KEY, ws_id UUID REFERENCES workspaces (id), prefix TEXT, name TEXT NOT NULL,
  description TEXT, config JSONB NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  updated_at TIMESTAMP WITH TIME ZONE, tags TEXT[],
  CONSTRAINT sm_vaults_prefix_key UNIQUE (prefix),
  CONSTRAINT sm_vaults_id_ws_id_key UNIQUE (id, ws_id),
  CONSTRAINT sm_vaults_prefix_ws_id_key UNIQUE (prefix, ws_id));

CREATE TABLE IF NOT EXISTS key_sets (
  id UUID PRIMARY KEY, name TEXT, tags TEXT[], ws_id UUID REFERENCES workspaces (id),
  created_at TIMESTAMP WITH TIME ZONE, updated_at TIMESTAMP WITH TIME ZONE,
  CONSTRAINT key_sets_name_key UNIQUE (name),
  CONSTRAINT key_sets_id_ws_id_unique UNIQUE (id, ws_id));
CREATE TABLE IF NOT EXISTS keys (
  id UUID PRIMARY KEY, set_id UUID REFERENCES key_sets (id) ON DELETE CASCADE, name TEXT, cache_key TEXT,
  ws_id UUID REFERENCES workspaces (id), kid TEXT, jwk TEXT, pem JSONB, tags TEXT[],
  created_at TIMESTAMP WITH TIME ZONE, updated_at TIMESTAMP WITH TIME ZONE,
  CONSTRAINT keys_name_key UNIQUE (name), CONSTRAINT keys_cache_key_key UNIQUE (cache_key),
  CONSTRAINT keys_kid_set_id_key UNIQUE (kid, set_id));

CREATE TABLE IF NOT EXISTS parameters (key TEXT PRIMARY KEY, value TEXT NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE);

CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT, ttl TIMESTAMP WITH TIME ZONE);
CREATE INDEX IF NOT EXISTS locks_ttl_idx ON locks (ttl);

CREATE TABLE IF NOT EXISTS clustering_data_planes (
  id UUID PRIMARY KEY, hostname TEXT NOT NULL, ip TEXT NOT NULL,
  last_seen TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  config_hash TEXT NOT NULL, ttl TIMESTAMP WITH TIME ZONE, version TEXT,
  sync_status TEXT NOT NULL DEFAULT 'unknown',
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  labels JSONB, cert_details JSONB, rpc_capabilities TEXT[]);
CREATE INDEX IF NOT EXISTS clustering_data_planes_ttl_idx ON clustering_data_planes (ttl);
DROP TRIGGER IF EXISTS clustering_data_planes_ttl_trigger ON clustering_data_planes;
CREATE TRIGGER clustering_data_planes_ttl_trigger AFTER INSERT ON clustering_data_planes
  FOR EACH STATEMENT EXECUTE PROCEDURE batch_delete_expired_rows('ttl');

CREATE TABLE IF NOT EXISTS filter_chains (
  id UUID PRIMARY KEY, name TEXT UNIQUE, enabled BOOLEAN DEFAULT true, route_id UUID REFERENCES routes (id) ON DELETE CASCADE,
  service_id UUID REFERENCES services (id) ON DELETE CASCADE, ws_id UUID REFERENCES workspaces (id) ON DELETE CASCADE,
  cache_key TEXT UNIQUE, filters JSONB[], tags TEXT[],
  created_at TIMESTAMP WITH TIME ZONE, updated_at TIMESTAMP WITH TIME ZONE);

CREATE TABLE IF NOT EXISTS clustering_rpc_requests (
  id BIGSERIAL PRIMARY KEY, node_id UUID NOT NULL, reply_to UUID NOT NULL,
  ttl TIMESTAMP WITH TIME ZONE NOT NULL, payload JSON NOT NULL);
CREATE INDEX IF NOT EXISTS clustering_rpc_requests_node_id_idx ON clustering_rpc_requests (node_id);

CREATE TABLE IF NOT EXISTS clustering_sync_version (version SERIAL PRIMARY KEY);
CREATE TABLE IF NOT EXISTS clustering_sync_delta (
  version INT NOT NULL, type TEXT NOT NULL, pk JSON NOT NULL, ws_id UUID NOT NULL, entity JSON,
  FOREIGN KEY (version) REFERENCES clustering_sync_version (version) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS clustering_sync_delta_version_idx ON clustering_sync_delta (version);
`

// credentialsDDL creates the tables of the bundled auth plugins' DAOs
// (their own migration namespaces in Kong).
var credentialsDDL = map[string]string{
	"key-auth": `
CREATE TABLE IF NOT EXISTS keyauth_credentials (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  consumer_id UUID, key TEXT, tags TEXT[], ttl TIMESTAMP WITH TIME ZONE,
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT keyauth_credentials_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT keyauth_credentials_ws_id_key_unique UNIQUE (ws_id, key),
  CONSTRAINT keyauth_credentials_consumer_id_fkey FOREIGN KEY (consumer_id, ws_id) REFERENCES consumers (id, ws_id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS keyauth_credentials_consumer_id_idx ON keyauth_credentials (consumer_id);
CREATE INDEX IF NOT EXISTS keyauth_credentials_ttl_idx ON keyauth_credentials (ttl);`,
	"basic-auth": `
CREATE TABLE IF NOT EXISTS basicauth_credentials (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  consumer_id UUID, username TEXT, password TEXT, tags TEXT[],
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT basicauth_credentials_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT basicauth_credentials_ws_id_username_unique UNIQUE (ws_id, username),
  CONSTRAINT basicauth_credentials_consumer_id_fkey FOREIGN KEY (consumer_id, ws_id) REFERENCES consumers (id, ws_id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS basicauth_consumer_id_idx ON basicauth_credentials (consumer_id);`,
	"hmac-auth": `
CREATE TABLE IF NOT EXISTS hmacauth_credentials (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  consumer_id UUID, username TEXT, secret TEXT, tags TEXT[],
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT hmacauth_credentials_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT hmacauth_credentials_ws_id_username_unique UNIQUE (ws_id, username),
  CONSTRAINT hmacauth_credentials_consumer_id_fkey FOREIGN KEY (consumer_id, ws_id) REFERENCES consumers (id, ws_id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS hmacauth_credentials_consumer_id_idx ON hmacauth_credentials (consumer_id);`,
	"jwt": `
CREATE TABLE IF NOT EXISTS jwt_secrets (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  consumer_id UUID, key TEXT, secret TEXT, algorithm TEXT, rsa_public_key TEXT, tags TEXT[],
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT jwt_secrets_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT jwt_secrets_ws_id_key_unique UNIQUE (ws_id, key),
  CONSTRAINT jwt_secrets_consumer_id_fkey FOREIGN KEY (consumer_id, ws_id) REFERENCES consumers (id, ws_id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS jwt_secrets_consumer_id_idx ON jwt_secrets (consumer_id);
CREATE INDEX IF NOT EXISTS jwt_secrets_secret_idx ON jwt_secrets (secret);`,
	"acl": `
CREATE TABLE IF NOT EXISTS acls (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  consumer_id UUID, "group" TEXT, cache_key TEXT, tags TEXT[],
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT acls_cache_key_key UNIQUE (cache_key),
  CONSTRAINT acls_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT acls_consumer_id_fkey FOREIGN KEY (consumer_id, ws_id) REFERENCES consumers (id, ws_id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS acls_consumer_id_idx ON acls (consumer_id);
CREATE INDEX IF NOT EXISTS acls_group_idx ON acls ("group");`,
	"oauth2": `
CREATE TABLE IF NOT EXISTS oauth2_credentials (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  name TEXT, consumer_id UUID, client_id TEXT, client_secret TEXT, redirect_uris TEXT[], tags TEXT[],
  client_type TEXT, hash_secret BOOLEAN,
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT oauth2_credentials_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT oauth2_credentials_ws_id_client_id_unique UNIQUE (ws_id, client_id),
  CONSTRAINT oauth2_credentials_consumer_id_fkey FOREIGN KEY (consumer_id, ws_id) REFERENCES consumers (id, ws_id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS oauth2_credentials_consumer_id_idx ON oauth2_credentials (consumer_id);
CREATE INDEX IF NOT EXISTS oauth2_credentials_secret_idx ON oauth2_credentials (client_secret);
CREATE TABLE IF NOT EXISTS oauth2_authorization_codes (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  credential_id UUID, service_id UUID, code TEXT, authenticated_userid TEXT, scope TEXT, ttl TIMESTAMP WITH TIME ZONE,
  challenge TEXT, challenge_method TEXT, plugin_id UUID,
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT oauth2_authorization_codes_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT oauth2_authorization_codes_ws_id_code_unique UNIQUE (ws_id, code),
  CONSTRAINT oauth2_authorization_codes_credential_id_fkey FOREIGN KEY (credential_id, ws_id) REFERENCES oauth2_credentials (id, ws_id) ON DELETE CASCADE,
  CONSTRAINT oauth2_authorization_codes_service_id_fkey FOREIGN KEY (service_id, ws_id) REFERENCES services (id, ws_id) ON DELETE CASCADE,
  CONSTRAINT oauth2_authorization_codes_plugin_id_fkey FOREIGN KEY (plugin_id) REFERENCES plugins (id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS oauth2_tokens (
  id UUID PRIMARY KEY,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT (CURRENT_TIMESTAMP(0) AT TIME ZONE 'UTC'),
  credential_id UUID, service_id UUID, access_token TEXT, refresh_token TEXT, token_type TEXT,
  expires_in INTEGER, authenticated_userid TEXT, scope TEXT, ttl TIMESTAMP WITH TIME ZONE,
  ws_id UUID REFERENCES workspaces (id),
  CONSTRAINT oauth2_tokens_id_ws_id_unique UNIQUE (id, ws_id),
  CONSTRAINT oauth2_tokens_ws_id_access_token_unique UNIQUE (ws_id, access_token),
  CONSTRAINT oauth2_tokens_ws_id_refresh_token_unique UNIQUE (ws_id, refresh_token),
  CONSTRAINT oauth2_tokens_credential_id_fkey FOREIGN KEY (credential_id, ws_id) REFERENCES oauth2_credentials (id, ws_id) ON DELETE CASCADE,
  CONSTRAINT oauth2_tokens_service_id_fkey FOREIGN KEY (service_id, ws_id) REFERENCES services (id, ws_id) ON DELETE CASCADE);`,
}

// tagTriggers installs sync_tags() on every table with a tags column, so the
// tags table (behind /tags) follows every write, as in Kong.
const tagTriggers = `
DO $$
DECLARE t TEXT;
BEGIN
  FOR t IN SELECT c.table_name FROM information_schema.columns c
           WHERE c.table_schema = current_schema() AND c.column_name = 'tags' AND c.table_name <> 'tags'
  LOOP
    EXECUTE FORMAT('DROP TRIGGER IF EXISTS %I ON %I', t || '_sync_tags_trigger', t);
    EXECUTE FORMAT('CREATE TRIGGER %I AFTER INSERT OR UPDATE OF tags OR DELETE ON %I FOR EACH ROW EXECUTE PROCEDURE sync_tags()',
      t || '_sync_tags_trigger', t);
  END LOOP;
END $$;`
