-- FerretDB 1.24 on PostgreSQL looks a document up by _id with
--   _jsonb -> '_id' @> $1
-- (jsonb containment), which the btree index FerretDB itself creates on
-- (_jsonb -> '_id') cannot serve: every _id lookup is a sequential scan of
-- its collection, so its cost grows with the collection. A GIN index on the
-- same expression serves containment. This installs, in the database
-- FerretDB uses, an event trigger that gives every table FerretDB creates
-- such an index, and gives one to the tables that exist already.
-- Idempotent; creating an event trigger needs a superuser (run it once per
-- database, as its owner's administrator would run a migration).

-- The index's name: "<table>_id_gin", within PostgreSQL's 63 bytes. A longer
-- table name is cut and given a hash of the whole, so two tables that share a
-- long prefix never share an index name (IF NOT EXISTS would skip the second).
CREATE OR REPLACE FUNCTION t2m_ferretdb_id_index_name(relname text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN octet_length(relname) <= 56 THEN relname || '_id_gin'
              ELSE left(relname, 40) || '_' || left(md5(relname), 8) || '_id_gin' END
$$;

CREATE OR REPLACE FUNCTION t2m_ferretdb_id_gin_index() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  created record;
BEGIN
  FOR created IN
    SELECT c.oid, n.nspname, c.relname
    FROM pg_event_trigger_ddl_commands() AS d
    JOIN pg_class AS c ON c.oid = d.objid
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    WHERE d.command_tag = 'CREATE TABLE' AND d.object_type = 'table'
  LOOP
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = created.oid AND attname = '_jsonb' AND NOT attisdropped) THEN
      EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> %L))', t2m_ferretdb_id_index_name(created.relname), created.nspname, created.relname, '_id');
    END IF;
  END LOOP;
END
$$;

DROP EVENT TRIGGER IF EXISTS t2m_ferretdb_id_gin_index;
CREATE EVENT TRIGGER t2m_ferretdb_id_gin_index ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION t2m_ferretdb_id_gin_index();

-- Collections FerretDB made before the trigger was installed.
DO $$
DECLARE
  existing record;
BEGIN
  FOR existing IN
    SELECT n.nspname, c.relname
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = '_jsonb' AND NOT a.attisdropped
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  LOOP
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> %L))', t2m_ferretdb_id_index_name(existing.relname), existing.nspname, existing.relname, '_id');
  END LOOP;
END
$$;
