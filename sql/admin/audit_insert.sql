-- Leaves the audit_log row of a write ctodb made (migrate, reset, seed, refresh, update).
-- Parameters: $1 actor_id (uuid or NULL), $2 action, $3 entity_type, $4 entity_id,
-- $5 changes (jsonb), $6 user agent. The client address is the server's view of it.
INSERT INTO audit_log (actor_id, action, entity_type, entity_id, changes, ip_address, user_agent)
VALUES ($1, $2, $3, $4, $5, inet_client_addr(), $6)
