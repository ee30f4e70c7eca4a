-- Routing, assignment, SLA clocks and escalation (issue 5). docs/sla.md explains the exactly-once design.

-- The conversation's clock state (Sla/ConversationClockState as JSON) and an optimistic version: the ingest path, the
-- API and every scheduler instance read-modify-write it, and an update only wins when the version it read is current.
ALTER TABLE conversations ADD COLUMN sla_state TEXT;
ALTER TABLE conversations ADD COLUMN sla_version BIGINT NOT NULL DEFAULT 0;

-- One durable timer per conversation: its earliest pending clock timer (kind/policy/metric/level say which). The
-- scheduler keys on due_at; lease_owner/lease_until is the claim a scheduler instance takes with a conditional UPDATE
-- before processing, so two instances never work on the same conversation, and a killed one's claim expires.
CREATE TABLE sla_timers (
  conversation_id BIGINT PRIMARY KEY REFERENCES conversations(id),
  due_at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  policy TEXT NOT NULL,
  metric TEXT NOT NULL,
  level TEXT NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT,
  updated_at BIGINT NOT NULL
);

CREATE INDEX ix_sla_timers_due ON sla_timers (due_at);

-- The ledger of timer effects: one row per (conversation, policy, metric, level), written in the same transaction as
-- the effect's consequences (notifications, escalation level, reassignment). The unique key makes "exactly once" a
-- database fact rather than a scheduler promise.
CREATE TABLE sla_effects (
  id {{id}},
  conversation_id BIGINT NOT NULL REFERENCES conversations(id),
  policy TEXT NOT NULL,
  metric TEXT NOT NULL,
  level TEXT NOT NULL,
  kind TEXT NOT NULL,
  due_at BIGINT NOT NULL,
  fired_at BIGINT NOT NULL,
  processed_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  UNIQUE (conversation_id, policy, metric, level)
);

CREATE INDEX ix_sla_effects_fired ON sla_effects (fired_at, id);

-- Outgoing escalation webhooks (Slack-compatible JSON), written with the effect and sent after commit with retries.
CREATE TABLE webhook_outbox (
  id {{id}},
  effect_id BIGINT REFERENCES sla_effects(id),
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  sent_at BIGINT
);

CREATE INDEX ix_webhook_outbox_pending ON webhook_outbox (status, next_attempt_at);

-- Round-robin position per team (index in the team's member order of the last agent chosen).
CREATE TABLE routing_cursors (
  team TEXT PRIMARY KEY,
  position BIGINT NOT NULL
);
