-- Outbound (issue 7): which channel account a message arrived through, so a reply leaves through the same account
-- (one Slack workspace or Facebook Page among several). Set by webhook deliveries and connectors; NULL for imports
-- and the demo, where the sender falls back to the only enabled account of the channel's kind.
ALTER TABLE messages ADD COLUMN account_id BIGINT REFERENCES channel_accounts(id);
ALTER TABLE conversations ADD COLUMN account_id BIGINT REFERENCES channel_accounts(id);

CREATE INDEX ix_conversations_account ON conversations (account_id);
