-- 005_feed_sequencer (PostgreSQL): revoking transactions no longer hold the feed's counter row
-- across round trips.
--
-- Until now (001_init.sql) each revoking transaction locked revocation_feed's one row to take its
-- seq as it wrote its entry, and held the lock until the client's COMMIT arrived: with several
-- instances, revocations committed one at a time, each holding the lock over its remaining round
-- trips (measured in #17: PostgreSQL revoked at 0.31x SQLite's rate).
--
-- Now an entry is written without a seq (pending), and a deferred constraint trigger numbers it as
-- its transaction commits: revocation_feed_assign() locks the counter row, numbers the pending
-- entries it can see (its own transaction's), moves last_seq, and the commit follows at once. The
-- lock is held only inside the server's commit, never across a round trip to a client.
--
-- The feed's promise is unchanged: seqs are dense and a reader never skips an entry. An entry gets
-- its seq only in this commit-time step, those steps run one at a time (the counter row lock, held
-- to their commit), and one that waited for the lock reads the pending entries with a new snapshot
-- (a new statement inside a VOLATILE function under READ COMMITTED), after the one before it
-- committed. A reader sees last_seq and the entries up to it in one snapshot. And since the number
-- is taken in the entry's own commit, no committed entry is ever left without one.
--
-- Instances of the previous version (which write seqs under the counter row lock themselves) keep
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

-- Numbers the pending entries this transaction can see (its own; any other's would be committed,
-- which the trigger below never leaves pending) and returns the feed's last seq. Rows locked by a
-- transaction still open are skipped: that transaction numbers them as it commits.
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

CREATE FUNCTION revocations_number_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM revocation_feed_assign();
  RETURN NULL;
END
$$;

-- Deferred: runs as the writing transaction commits, after all its statements. Once per pending
-- row; the first numbers them all and the others find nothing left.
CREATE CONSTRAINT TRIGGER revocations_number_at_commit
  AFTER INSERT OR UPDATE OF seq ON revocations
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.seq IS NULL)
  EXECUTE FUNCTION revocations_number_at_commit();
