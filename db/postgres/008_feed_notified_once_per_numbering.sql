-- 008_feed_notified_once_per_numbering (PostgreSQL): one notification per statement that numbers
-- feed entries, instead of a trigger call for every entry written and every entry numbered.
--
-- Since 005 the row trigger revocations_notify ran for each INSERT (to do nothing: new entries are
-- pending since 006) and for each row numbered, each run a PL/pgSQL call; listeners need one
-- notification per numbering, with no payload (they re-read from their cursors), and PostgreSQL
-- folds a transaction's identical notifications into one anyway.
--
-- Entries written with their seq (instances from before 005, during a rolling upgrade) still
-- notify per row, now only those (the WHEN clause is checked without calling the function). Any
-- UPDATE of seq notifies once per statement, also one that changed no row or made an entry
-- pending again (replaced by a sooner one, 004): a notification with nothing new costs listeners
-- one read of their cursor, and such statements are rare.
DROP TRIGGER revocations_notify ON revocations;
CREATE TRIGGER revocations_notify AFTER INSERT ON revocations
  FOR EACH ROW WHEN (NEW.seq IS NOT NULL) EXECUTE FUNCTION revocations_notify();

CREATE FUNCTION revocations_notify_numbered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('crumb_revocations', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER revocations_notify_numbered AFTER UPDATE OF seq ON revocations
  FOR EACH STATEMENT EXECUTE FUNCTION revocations_notify_numbered();
