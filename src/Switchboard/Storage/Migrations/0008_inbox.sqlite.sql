-- Full-text search on SQLite: FTS5 external-content tables kept in step by triggers, so the ingest pipeline does not
-- change and a rolled-back batch leaves no index entries behind.
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2');

CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF text ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE VIRTUAL TABLE authors_fts USING fts5(handle, name, content='authors', content_rowid='id', tokenize='unicode61 remove_diacritics 2');

CREATE TRIGGER authors_fts_ai AFTER INSERT ON authors BEGIN
  INSERT INTO authors_fts (rowid, handle, name) VALUES (new.id, new.handle, new.name);
END;
CREATE TRIGGER authors_fts_ad AFTER DELETE ON authors BEGIN
  INSERT INTO authors_fts (authors_fts, rowid, handle, name) VALUES ('delete', old.id, old.handle, old.name);
END;
CREATE TRIGGER authors_fts_au AFTER UPDATE OF handle, name ON authors BEGIN
  INSERT INTO authors_fts (authors_fts, rowid, handle, name) VALUES ('delete', old.id, old.handle, old.name);
  INSERT INTO authors_fts (rowid, handle, name) VALUES (new.id, new.handle, new.name);
END;

-- Index what was stored before this migration.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
INSERT INTO authors_fts (authors_fts) VALUES ('rebuild');
