-- Inbox (issue 6): channel scope of users, author tags and notes, internal notes on conversations, and the indexes
-- the inbox views page through. Full-text search is dialect-specific: 0008_inbox.sqlite.sql / 0008_inbox.postgres.sql.

-- Channels a user may work on; no row means every channel. Teams scope through team_members.
CREATE TABLE user_channels (
  user_id BIGINT NOT NULL REFERENCES users(id),
  channel TEXT NOT NULL,
  PRIMARY KEY (user_id, channel)
);

-- Agent-maintained tags on an author (vip, journalist, employee, regulator). The classifier's influence score reads
-- workspace lists; these tags are what agents add by hand in the author panel.
CREATE TABLE author_tags (
  author_id BIGINT NOT NULL REFERENCES authors(id),
  tag TEXT NOT NULL,
  created_by BIGINT REFERENCES users(id),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (author_id, tag)
);

CREATE TABLE author_notes (
  id {{id}},
  author_id BIGINT NOT NULL REFERENCES authors(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  text TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE INDEX ix_author_notes_author ON author_notes (author_id, id);

-- Internal notes on a conversation: never sent to the author. @mentions notify the mentioned users.
CREATE TABLE conversation_notes (
  id {{id}},
  conversation_id BIGINT NOT NULL REFERENCES conversations(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  text TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE INDEX ix_conversation_notes_conversation ON conversation_notes (conversation_id, id);

-- Views: sort by urgency, and partial indexes so "escalated" and "holding" page as fast as the recent list even
-- when only a handful of a million conversations qualify.
CREATE INDEX ix_conversations_urgency ON conversations (urgency DESC, id DESC);
CREATE INDEX ix_conversations_escalated ON conversations (last_message_at DESC, id DESC) WHERE escalation_level > 0;
CREATE INDEX ix_conversations_holding_recent ON conversations (last_message_at DESC, id DESC) WHERE holding_since IS NOT NULL;
CREATE INDEX ix_audit_actor ON audit_log (actor, at);
-- "Unassigned" for one team: a range of this index instead of a walk over every unassigned conversation.
CREATE INDEX ix_conversations_unassigned ON conversations (team_id, last_message_at DESC, id DESC) WHERE assignee_id IS NULL AND status = 'open';
