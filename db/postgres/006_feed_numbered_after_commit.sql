-- 006_feed_numbered_after_commit (PostgreSQL): revoking transactions commit side by side.
--
-- Since 005 a deferred trigger numbered each revoking transaction's entries inside its commit,
-- under the feed's counter row lock: revoking transactions still committed one at a time (each
-- holding the lock through its own WAL flush), each ran the numbering function (~0.6 ms of
-- database CPU), and each sent a NOTIFY, which takes a database-wide lock through the commit too.
-- Measured (#17): disabling the trigger alone took revocations from ~510/s to ~690/s.
--
-- Now a revoking transaction only writes its entry pending (seq NULL) and commits; the instance
-- that committed it calls revocation_feed_number() right after, on the same connection, in the
-- same round trip as the COMMIT (the statements are pipelined). One call numbers every committed
-- pending entry, so concurrent revocations share one numbering transaction, one flush and one
-- notification; a call that finds nothing pending takes no lock and writes nothing.
--
-- The feed's promise is unchanged: seqs are dense, assigned only by revocation_feed_assign() (005)
-- one call at a time under the counter row lock, each reading the pending entries with a snapshot
-- taken after the lock (so after the call before it committed), and readers see last_seq and the
-- entries up to it in one snapshot. What changes: a committed entry is pending until the call
-- that follows its commit. An instance that dies between the two leaves it pending; every
-- instance also calls revocation_feed_number() every second (src/store/postgres/store.ts), so it
-- is numbered within about a second. Instances of the previous version (which relied on the
-- trigger) are served the same way during a rolling upgrade.
DROP TRIGGER revocations_number_at_commit ON revocations;
DROP FUNCTION revocations_number_at_commit();

-- Numbers the committed pending entries (revocation_feed_assign, 005) and returns the feed's last
-- seq, or NULL when nothing was pending. Calls queue on an advisory lock (no transaction id, no
-- WAL) rather than on the counter row: a call that finds its entries numbered by the one before it
-- (concurrent revocations: the usual case) commits without a flush and lets the next one go. Each
-- check after the lock is a new statement, so it sees what the call before it committed. The
-- notification goes out from the numbering transaction (revocations_notify fires on the seq it
-- sets), once per call.
CREATE FUNCTION revocation_feed_number() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM revocations WHERE seq IS NULL) THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('crumb:revocation_feed', 0));
  IF NOT EXISTS (SELECT 1 FROM revocations WHERE seq IS NULL) THEN
    RETURN NULL;
  END IF;
  RETURN revocation_feed_assign();
END
$$;
