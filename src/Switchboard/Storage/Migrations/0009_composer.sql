-- Composer, compliance and approvals (issue 6 items 4-6). Replies, approvals and send attempts are shared (0002).

-- Canned replies: a shortcut the agent types after "/" in the composer, a title, and a body with {{variables}}
-- rendered on the server. team_id NULL means every team may use it.
CREATE TABLE canned_replies (
  id {{id}},
  team_id BIGINT REFERENCES teams(id),
  shortcut TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  created_by BIGINT REFERENCES users(id),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- One draft per agent and conversation, saved as they type and restored when they come back.
CREATE TABLE reply_drafts (
  conversation_id BIGINT NOT NULL REFERENCES conversations(id),
  user_id BIGINT NOT NULL REFERENCES users(id),
  text TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);

-- How many approval tiers (1-3) a reply of a team needs when it needs approval at all. No row: one tier.
CREATE TABLE approval_tiers (
  team_id BIGINT PRIMARY KEY REFERENCES teams(id),
  tiers BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Compliance rule sets as versioned YAML (docs/composer.md). Exactly one row is active at a time (none: the
-- built-in default applies); activating an older version is a rollback. Activation requires every example to behave.
CREATE TABLE compliance_rule_sets (
  id {{id}},
  version BIGINT NOT NULL UNIQUE,
  yaml TEXT NOT NULL,
  comment TEXT,
  author_id BIGINT REFERENCES users(id),
  author TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  active BIGINT NOT NULL DEFAULT 0,
  activated_at BIGINT,
  activated_by TEXT
);

-- The compliance findings (JSON) of a reply when it was last checked, shown to its approver.
ALTER TABLE replies ADD COLUMN findings_json TEXT;

INSERT INTO canned_replies (team_id, shortcut, title, body, created_by, created_at, updated_at) VALUES
  (NULL, 'thanks', 'Thank you', 'Hi {{author.name}}, thanks for reaching out! {{agent.first_name}} here, I am looking into it now.', NULL, 0, 0),
  (NULL, 'dm', 'Move to direct messages', 'Hi @{{author.handle}}, could you send us a direct message with your order number? We will sort it out there. ^{{agent.first_name}}', NULL, 0, 0),
  (NULL, 'sorry', 'Apology', 'We are sorry about this, {{author.name}}. Your case is #{{conversation.id}} and we will update you today.', NULL, 0, 0);
