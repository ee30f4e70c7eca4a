-- Conversation labels (issue 6 item 2, docs/inbox.md "Labels"): put on by agents one at a time or in bulk, and by
-- routing rules. source: 'agent' or 'rule:<rule name>'. One spelling per label (Domain Inbox/ConversationLabel).
CREATE TABLE conversation_labels (
  conversation_id BIGINT NOT NULL REFERENCES conversations(id),
  label TEXT NOT NULL,
  source TEXT NOT NULL,
  added_by BIGINT REFERENCES users(id),
  added_at BIGINT NOT NULL,
  PRIMARY KEY (conversation_id, label)
);

-- The inbox filter "label=billing" walks this index, newest conversations first through the join.
CREATE INDEX ix_conversation_labels_label ON conversation_labels (label, conversation_id);
