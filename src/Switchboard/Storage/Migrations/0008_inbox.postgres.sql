-- Full-text search on PostgreSQL: stored tsvector columns (the 'simple' configuration: posts come in many languages,
-- and handles must not be stemmed) with GIN indexes. Generated columns keep them current without triggers.
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED;
CREATE INDEX ix_messages_search ON messages USING GIN (search);
ALTER TABLE authors ADD COLUMN search tsvector
  GENERATED ALWAYS AS (to_tsvector('simple', coalesce(handle, '') || ' ' || coalesce(name, ''))) STORED;
CREATE INDEX ix_authors_search ON authors USING GIN (search);
