-- Hand-over to an internal expert (issue 6 item 3, docs/inbox.md "Hand-over to an expert").

-- Users an agent may ask: flagged by an admin or manager with their areas ("Legal", "HR"...). Being an expert does
-- not make a user a member of any team; a hand-over grants read access to its one conversation only.
CREATE TABLE experts (
  user_id BIGINT PRIMARY KEY REFERENCES users(id),
  areas TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- One question from an agent to an expert about a conversation, with its own due time (business calendar).
-- status: open | answered | declined | cancelled. warned_at / breached_at are set by the claim that fires the
-- effect (an UPDATE ... WHERE warned_at IS NULL), so each notification happens once whatever the instances.
CREATE TABLE handovers (
  id {{id}},
  conversation_id BIGINT NOT NULL REFERENCES conversations(id),
  agent_id BIGINT NOT NULL REFERENCES users(id),
  expert_id BIGINT NOT NULL REFERENCES users(id),
  area TEXT NOT NULL,
  question TEXT NOT NULL,
  status TEXT NOT NULL,
  answer TEXT,
  reason TEXT,
  created_at BIGINT NOT NULL,
  due_at BIGINT NOT NULL,
  warn_at BIGINT NOT NULL,
  warned_at BIGINT,
  breached_at BIGINT,
  closed_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX ix_handovers_conversation ON handovers (conversation_id);
CREATE INDEX ix_handovers_expert ON handovers (expert_id, status);
CREATE INDEX ix_handovers_open_due ON handovers (status, warn_at);
