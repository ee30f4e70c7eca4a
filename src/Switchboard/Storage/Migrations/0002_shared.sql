-- Columns and tables several modules share, created once so routing/SLA, the inbox, composer and channels agree on
-- names. Module-specific tables live in their own migrations (0003 listening, 0004 classification, 0005 routing/SLA,
-- 0006 channel accounts, 0007 outbound sends, 0008 inbox, 0009 composer/compliance/approvals).

-- SLA deadlines are stored on the conversation (issue 5) so views can sort by them; next_due_at is the earliest
-- pending one (NULL when no clock runs). holding_since is set while the conversation waits for an eligible agent.
ALTER TABLE conversations ADD COLUMN sla_policy TEXT;
ALTER TABLE conversations ADD COLUMN first_response_due_at BIGINT;
ALTER TABLE conversations ADD COLUMN next_response_due_at BIGINT;
ALTER TABLE conversations ADD COLUMN resolution_due_at BIGINT;
ALTER TABLE conversations ADD COLUMN next_due_at BIGINT;
ALTER TABLE conversations ADD COLUMN escalation_level BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN escalated_at BIGINT;
ALTER TABLE conversations ADD COLUMN acknowledged_at BIGINT;
ALTER TABLE conversations ADD COLUMN snoozed_until BIGINT;
ALTER TABLE conversations ADD COLUMN holding_since BIGINT;
ALTER TABLE conversations ADD COLUMN assigned_at BIGINT;
ALTER TABLE conversations ADD COLUMN first_response_at BIGINT;
ALTER TABLE conversations ADD COLUMN last_inbound_at BIGINT;
ALTER TABLE conversations ADD COLUMN last_outbound_at BIGINT;
ALTER TABLE conversations ADD COLUMN requires_approval BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN route_trace TEXT;

CREATE INDEX ix_conversations_due ON conversations (next_due_at, id);
CREATE INDEX ix_conversations_holding ON conversations (team_id, holding_since);

-- Agent availability for assignment (issue 5) and presence for collision control (issue 6).
ALTER TABLE users ADD COLUMN available BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN last_seen_at BIGINT;

-- In-app notifications: escalations, approvals, @mentions, silence alerts. Delivered live through the inbox feed.
CREATE TABLE notifications (
  id {{id}},
  user_id BIGINT NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL,
  conversation_id BIGINT REFERENCES conversations(id),
  text TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  read_at BIGINT
);

CREATE INDEX ix_notifications_user ON notifications (user_id, read_at, id);

-- Audit trail of every action (issue 6 item 8): who, what, when, before and after (JSON).
CREATE TABLE audit_log (
  id {{id}},
  at BIGINT NOT NULL,
  actor_id BIGINT REFERENCES users(id),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT,
  before_json TEXT,
  after_json TEXT
);

CREATE INDEX ix_audit_at ON audit_log (at, id);
CREATE INDEX ix_audit_entity ON audit_log (entity, entity_id);
