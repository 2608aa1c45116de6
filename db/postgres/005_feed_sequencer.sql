-- 005_feed_sequencer (PostgreSQL): revoking transactions no longer take the feed's counter row.
--
-- Until now (001_init.sql) each revoking transaction locked revocation_feed's one row to take its
-- seq and held the lock until it committed: with several instances, revocations committed one at a
-- time, each holding the lock across its last round trips (measured in #17: PostgreSQL revoked at
-- 0.31x SQLite's rate).
--
-- Now an entry is written without a seq (pending), in the revoking transaction, and takes its
-- seq after that transaction has committed, from revocation_feed_assign(): one short statement
-- that locks the counter row, numbers every committed pending entry, moves last_seq and commits
-- at once. The lock is held inside one statement, never across a round trip to a client, and one
-- call numbers whatever is pending, so concurrent revokers share the work.
--
-- The feed's promise is unchanged: seqs are dense and a reader never skips an entry. An entry gets
-- its seq only in an assigning transaction, assigning transactions run one at a time (the counter
-- row lock, held to their commit), and each reads the pending entries after it took the lock (a
-- new statement inside a VOLATILE function under READ COMMITTED takes a new snapshot), so it sees
-- every earlier assignment. A reader sees last_seq and the entries up to it in one snapshot.
--
-- Who assigns: the store calls revocation_feed_assign() right after a transaction that added an
-- entry commits, before the request is answered, so an acknowledged revocation is on the feed. An
-- entry whose writer died between its commit and that call is numbered by the next call from
-- anyone: the next revocation on any instance, or the background jobs.
--
-- Instances of the previous version (which still write seqs under the counter row lock) keep
-- working beside this one during a rolling upgrade: both take the same lock to number entries.
ALTER TABLE revocations DROP CONSTRAINT revocations_pkey;
ALTER TABLE revocations ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE revocations ADD CONSTRAINT revocations_seq_key UNIQUE (seq);
ALTER TABLE revocations ADD PRIMARY KEY (token_id, revocation_id);
-- the order in which pending entries are numbered: the order they were written
ALTER TABLE revocations ADD COLUMN written bigint GENERATED ALWAYS AS IDENTITY;
CREATE INDEX revocations_pending ON revocations (written) WHERE seq IS NULL;

-- One notification per assigning transaction, whatever it numbered (PostgreSQL delivers identical
-- notifications of one transaction once); listeners re-read from their cursor, they need no payload.
DROP TRIGGER revocations_notify ON revocations;
DROP TRIGGER revocations_notify_moved ON revocations;
CREATE OR REPLACE FUNCTION revocations_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.seq IS NOT NULL THEN
    PERFORM pg_notify('crumb_revocations', '');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER revocations_notify AFTER INSERT OR UPDATE OF seq ON revocations
  FOR EACH ROW EXECUTE FUNCTION revocations_notify();

-- Numbers every committed pending entry; returns the feed's last seq. Pending entries locked by a
-- transaction still open (one replacing that entry) are left to that transaction's own call.
CREATE FUNCTION revocation_feed_assign() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  last bigint;
  newest bigint;
BEGIN
  SELECT last_seq INTO last FROM revocation_feed WHERE only_row FOR UPDATE;
  WITH pending AS (
    SELECT token_id, revocation_id, written FROM revocations
    WHERE seq IS NULL ORDER BY written FOR UPDATE SKIP LOCKED
  ), numbered AS (
    SELECT token_id, revocation_id, last + row_number() OVER (ORDER BY written) AS seq FROM pending
  ), assigned AS (
    UPDATE revocations r SET seq = n.seq FROM numbered n
    WHERE r.token_id = n.token_id AND r.revocation_id = n.revocation_id
    RETURNING r.seq
  )
  SELECT max(seq) INTO newest FROM assigned;
  IF newest IS NULL THEN
    RETURN last;
  END IF;
  UPDATE revocation_feed SET last_seq = newest WHERE only_row;
  RETURN newest;
END
$$;
