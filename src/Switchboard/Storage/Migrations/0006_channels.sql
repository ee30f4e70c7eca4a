-- Connector runtime (issue 7). Edits and deletes that networks send (Bluesky Jetstream updates/deletes, Mastodon
-- status.update/delete) are applied to the stored message: edited_at marks a replaced text, deleted_at a removed one
-- (its text is cleared, since the author withdrew it).
ALTER TABLE messages ADD COLUMN edited_at BIGINT;
ALTER TABLE messages ADD COLUMN deleted_at BIGINT;

-- Health inputs the alert rules need beyond the shared columns: when the connector started (silence is measured from
-- there until the first delivery), errors in a row, and an exponentially weighted error rate over recent attempts.
ALTER TABLE channel_health ADD COLUMN started_at BIGINT;
ALTER TABLE channel_health ADD COLUMN consecutive_errors BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channel_health ADD COLUMN error_rate DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE channel_health ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;

-- One row per alert episode: raised once when a source goes silent or starts failing, cleared on recovery.
CREATE TABLE channel_alerts (
  id {{id}},
  account_id BIGINT NOT NULL REFERENCES channel_accounts(id),
  kind TEXT NOT NULL,
  reason TEXT NOT NULL,
  raised_at BIGINT NOT NULL,
  cleared_at BIGINT
);

CREATE INDEX ix_channel_alerts_account ON channel_alerts (account_id, cleared_at);
