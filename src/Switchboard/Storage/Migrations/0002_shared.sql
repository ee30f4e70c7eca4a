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

-- Listening topics (issue 3) and which topics matched each stored message; the inbox filters conversations by them.
CREATE TABLE topics (
  id {{id}},
  name TEXT NOT NULL UNIQUE,
  query TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  version BIGINT NOT NULL DEFAULT 1,
  match_count BIGINT NOT NULL DEFAULT 0,
  backfilled_version BIGINT NOT NULL DEFAULT 0,
  created_by BIGINT REFERENCES users(id),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE message_topics (
  message_id BIGINT NOT NULL REFERENCES messages(id),
  topic_id BIGINT NOT NULL REFERENCES topics(id),
  conversation_id BIGINT NOT NULL,
  PRIMARY KEY (message_id, topic_id)
);

CREATE INDEX ix_message_topics_topic ON message_topics (topic_id, conversation_id);

-- Routing rules, SLA policies, calendars and ladders as versioned data (issue 5): each row is a whole workspace
-- configuration in YAML. Exactly one row is active; activating an older row is a rollback.
CREATE TABLE rule_versions (
  id {{id}},
  yaml TEXT NOT NULL,
  author_id BIGINT REFERENCES users(id),
  author TEXT NOT NULL,
  comment TEXT,
  created_at BIGINT NOT NULL,
  active BIGINT NOT NULL DEFAULT 0
);

-- Channel accounts (issue 7): settings are plain JSON; secrets are JSON encrypted with ASP.NET Core Data Protection
-- and never logged or returned by the API.
CREATE TABLE channel_accounts (
  id {{id}},
  kind TEXT NOT NULL,
  name TEXT NOT NULL UNIQUE,
  enabled BIGINT NOT NULL DEFAULT 1,
  settings_json TEXT NOT NULL,
  secrets_protected TEXT,
  expected_interval_seconds BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- One row per account: what its connector last did. cursor is the resume point (Jetstream time_us, Mastodon
-- last id, feed ETag/Last-Modified JSON), saved in the same transaction as the posts it covers.
CREATE TABLE channel_health (
  account_id BIGINT PRIMARY KEY REFERENCES channel_accounts(id),
  cursor TEXT,
  last_delivery_at BIGINT,
  last_attempt_at BIGINT,
  last_error TEXT,
  last_error_at BIGINT,
  deliveries BIGINT NOT NULL DEFAULT 0,
  errors BIGINT NOT NULL DEFAULT 0,
  reconnects BIGINT NOT NULL DEFAULT 0,
  lag_ms BIGINT,
  alert_state TEXT NOT NULL DEFAULT 'ok',
  updated_at BIGINT NOT NULL
);

-- Outgoing replies (issue 6 composer/approvals, issue 7 outbound). One row per reply an agent writes; its status
-- moves draft → pending_approval → approved → sending → sent | failed | unknown. idempotency_key is fixed at creation
-- so every retry and reconcile refers to the same send. A reply with needs_approval = 1 can only leave when
-- `approvals` holds an approved row for each of its required_tiers (checked by the sender, whatever the caller).
CREATE TABLE replies (
  id {{id}},
  conversation_id BIGINT NOT NULL REFERENCES conversations(id),
  in_reply_to_message_id BIGINT REFERENCES messages(id),
  author_id BIGINT NOT NULL REFERENCES users(id),
  channel TEXT NOT NULL,
  text TEXT NOT NULL,
  status TEXT NOT NULL,
  needs_approval BIGINT NOT NULL DEFAULT 0,
  required_tiers BIGINT NOT NULL DEFAULT 0,
  approval_reason TEXT,
  idempotency_key TEXT NOT NULL UNIQUE,
  external_id TEXT,
  external_url TEXT,
  error TEXT,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  sent_at BIGINT
);

CREATE INDEX ix_replies_conversation ON replies (conversation_id, id);
CREATE INDEX ix_replies_status ON replies (status, next_attempt_at);

CREATE TABLE approvals (
  id {{id}},
  reply_id BIGINT NOT NULL REFERENCES replies(id),
  tier BIGINT NOT NULL,
  approver_id BIGINT NOT NULL REFERENCES users(id),
  decision TEXT NOT NULL,
  comment TEXT,
  edited_text TEXT,
  created_at BIGINT NOT NULL,
  UNIQUE (reply_id, tier)
);

-- Every attempt to send, with its outcome: the thread shows failures and retries from here.
CREATE TABLE send_attempts (
  id {{id}},
  reply_id BIGINT NOT NULL REFERENCES replies(id),
  at BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  external_id TEXT,
  error TEXT
);

CREATE INDEX ix_send_attempts_reply ON send_attempts (reply_id, id);
