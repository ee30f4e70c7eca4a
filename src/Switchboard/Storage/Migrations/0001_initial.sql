-- Tokens: {{id}} is the dialect's auto-increment primary key. Timestamps are Unix milliseconds (UTC), so both
-- databases compare and page them the same way. Booleans are 0/1 integers for the same reason.
CREATE TABLE teams (
  id {{id}},
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  department TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE users (
  id {{id}},
  email TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT,
  skills TEXT NOT NULL DEFAULT '',
  languages TEXT NOT NULL DEFAULT '',
  capacity BIGINT NOT NULL DEFAULT 5,
  created_at BIGINT NOT NULL
);

CREATE TABLE team_members (
  team_id BIGINT NOT NULL REFERENCES teams(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  is_lead BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (team_id, user_id)
);

CREATE TABLE api_tokens (
  id {{id}},
  user_id BIGINT NOT NULL REFERENCES users(id),
  token_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);

CREATE TABLE authors (
  id {{id}},
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  handle TEXT,
  name TEXT,
  followers BIGINT,
  verified BIGINT,
  UNIQUE (channel, external_id)
);

CREATE TABLE conversations (
  id {{id}},
  channel TEXT NOT NULL,
  root_external_id TEXT NOT NULL,
  author_id BIGINT REFERENCES authors(id),
  team_id BIGINT REFERENCES teams(id),
  assignee_id BIGINT REFERENCES users(id),
  status TEXT NOT NULL,
  priority TEXT NOT NULL DEFAULT 'normal',
  subject TEXT NOT NULL,
  message_count BIGINT NOT NULL DEFAULT 0,
  sentiment TEXT,
  intent TEXT,
  department TEXT,
  urgency DOUBLE PRECISION NOT NULL DEFAULT 0,
  route_reason TEXT,
  created_at BIGINT NOT NULL,
  last_message_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE INDEX ix_conversations_recent ON conversations (last_message_at DESC, id DESC);
CREATE INDEX ix_conversations_team ON conversations (team_id, last_message_at DESC, id DESC);
CREATE INDEX ix_conversations_assignee ON conversations (assignee_id, last_message_at DESC, id DESC);
CREATE INDEX ix_conversations_author ON conversations (author_id);

CREATE TABLE messages (
  id {{id}},
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  conversation_id BIGINT NOT NULL REFERENCES conversations(id),
  author_id BIGINT REFERENCES authors(id),
  direction TEXT NOT NULL,
  text TEXT NOT NULL,
  lang TEXT,
  url TEXT,
  in_reply_to TEXT,
  created_at BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  sentiment TEXT,
  sentiment_score DOUBLE PRECISION,
  intent TEXT,
  department TEXT,
  urgency DOUBLE PRECISION,
  influence DOUBLE PRECISION,
  explain TEXT,
  UNIQUE (channel, external_id)
);

CREATE INDEX ix_messages_conversation ON messages (conversation_id, created_at, id);
CREATE INDEX ix_messages_reply ON messages (channel, in_reply_to);

-- The eight enterprise functions are the default teams of every workspace (product brief; seed 003).
INSERT INTO teams (slug, name, department, created_at) VALUES
  ('marketing', 'Marketing', 'Marketing', 0),
  ('public-relations', 'Public Relations', 'Public Relations', 0),
  ('internal-communications', 'Internal Communications', 'Internal Communications', 0),
  ('partners-channel', 'Partners & Channel', 'Partners & Channel', 0),
  ('customer-service', 'Customer Service', 'Customer Service', 0),
  ('human-resources', 'Human Resources', 'Human Resources', 0),
  ('it', 'IT', 'IT', 0),
  ('innovation', 'Innovation', 'Innovation', 0);
