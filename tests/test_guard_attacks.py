"""The execution trust boundary of `apply`, attacked on the real test server.

Every attack runs against a database holding canary tables with rows (and a
sequence, a large object, a same-named table in the role's own schema), and
must leave all of it as it was: exact exit code, not one statement run, the
catalogs unchanged (``snapshot``).

1. Statements the compiler never writes reach the final guard (as a bug
   upstream would put them in a plan: the planner's result is given extra steps)
   — side-effect functions in defaults, checks, index expressions, policies;
   strings whose meaning depends on ``standard_conforming_strings``; schema
   elements, GRANT, OWNER, COMMENT ON DATABASE; unknown phases. Exit 3.
2. Names: unqualified names that the old guard resolved as ``public`` while the
   server used ``search_path`` (``"$user", public``). Exit 3; the qualified
   forms pass and act exactly where the guard looked.
3. Settings: durations pasted into SQL, zero or sub-millisecond timeouts,
   unbounded retries; a database whose own defaults are hostile (search_path
   with look-alike functions first, standard_conforming_strings off, no
   timeouts). Exit 1 for bad options; the session pins and reads back its own.
"""

from __future__ import annotations

import psycopg
import pytest

from schemadiff import planning
from schemadiff.apply import (
    SEARCH_PATH,
    ApplyOptions,
    GuardError,
    Runner,
    SettingsError,
    StepView,
    check_settings,
    pin_session,
)
from schemadiff.introspect.connect import connect
from schemadiff.plan import Step

from .conftest import run_cli, write_spec

CANARY = """
CREATE TABLE public.canary (id integer PRIMARY KEY, note text NOT NULL);
INSERT INTO public.canary SELECT g, 'row ' || g FROM generate_series(1, 100) g;
CREATE TABLE public.canary2 (id integer PRIMARY KEY);
INSERT INTO public.canary2 SELECT generate_series(1, 10);
CREATE TABLE public.victim (id integer PRIMARY KEY);
INSERT INTO public.victim SELECT generate_series(1, 10);
CREATE SEQUENCE public.s1 START 500;
SELECT nextval('public.s1');
SELECT lo_create(4242);
CREATE TYPE public.mood AS ENUM ('ok', 'meh');
CREATE TABLE public.sp (c varchar(10) NOT NULL, d integer, CONSTRAINT sp_k CHECK (c <> ''));
INSERT INTO public.sp VALUES ('a', 1), ('b', 1);
"""
# The role's own schema, first on the default search_path ("$user", public).
USER_SCHEMA = """
CREATE SCHEMA {user};
CREATE TABLE {user}.sp (c text, CONSTRAINT sp_k PRIMARY KEY (c));
INSERT INTO {user}.sp VALUES ('a value much longer than twenty characters'), ('b');
CREATE INDEX ix ON {user}.sp (c);
"""
SPEC = {"schemadiff.yaml": "version: 1\n",
        "tables/fresh.yaml": "table: fresh\ncolumns:\n  id: {type: integer, primary_key: true}\n"}

SNAPSHOT = """
SELECT 'rel', n.nspname || '.' || c.relname || ' ' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
UNION ALL SELECT 'col', attrelid::regclass || '.' || attname || ' ' || format_type(atttypid, atttypmod) || ' ' || attnotnull
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE attnum > 0 AND NOT attisdropped AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
UNION ALL SELECT 'con', conrelid::regclass || '.' || conname || ' ' || contype::text || ' ' || convalidated || ' '
  || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace NOT IN ('pg_catalog'::regnamespace)
UNION ALL SELECT 'idx', indexrelid::regclass || ' ' || indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'pg_toast'::regnamespace)
UNION ALL SELECT 'nsp', nspname || ' ' || nspowner::regrole || ' ' || coalesce(array_to_string(nspacl, ','), '')
  FROM pg_namespace
UNION ALL SELECT 'acl', oid::regclass || ' ' || coalesce(array_to_string(relacl, ','), '') || ' ' || relowner::regrole
  FROM pg_class WHERE relnamespace = 'public'::regnamespace
UNION ALL SELECT 'desc', objoid || ' ' || classoid::regclass || ' ' || objsubid || ' ' || description FROM pg_description
  WHERE objoid >= 16384
UNION ALL SELECT 'shdesc', objoid || ' ' || description FROM pg_shdescription
UNION ALL SELECT 'policy', polrelid::regclass || ' ' || polname FROM pg_policy
UNION ALL SELECT 'ext', extname FROM pg_extension
UNION ALL SELECT 'lo', oid::text FROM pg_largeobject_metadata
UNION ALL SELECT 'seq', last_value::text FROM public.s1
UNION ALL SELECT 'dbset', setdatabase || ' ' || setrole || ' ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
UNION ALL SELECT 'rows', 'canary ' || count(*) || ' ' || md5(string_agg(id || note, ',' ORDER BY id)) FROM public.canary
UNION ALL SELECT 'rows', 'canary2 ' || count(*) FROM public.canary2
UNION ALL SELECT 'rows', 'victim ' || count(*) FROM public.victim
UNION ALL SELECT 'rows', 'sp ' || string_agg(c, ',' ORDER BY c) FROM public.sp
ORDER BY 1, 2
"""


def snapshot(dsn: str) -> list[tuple[str, str]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(SNAPSHOT).fetchall()


@pytest.fixture
def target(pg, db, tmp_path):
    """(dsn, spec dir): canaries with rows; public.ix INVALID (a failed unique build);
    the role's schema holding sp (primary key sp_k) and a valid index ix."""
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CANARY)
        user = conn.execute("SELECT quote_ident(current_user)").fetchone()[0]
        conn.execute(USER_SCHEMA.format(user=user))
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY ix ON public.sp (d)")
        assert conn.execute("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = 'public.ix'::regclass"
                            ).fetchone()[0]
    return dsn, str(write_spec(tmp_path / "spec", SPEC))


def inject(monkeypatch, extra: list[tuple[str, str]]) -> None:
    """The first plan apply makes gets ``extra`` (phase, sql) steps after its own:
    what a bug upstream (a compiler or planner fault) would hand the final guard."""
    real = planning.plan_with_connection
    done: list[bool] = []

    def patched(desired, conn):
        result = real(desired, conn)
        if not done:
            done.append(True)
            first = result.plan.steps[0]
            result.plan.steps = result.plan.steps + [Step(phase, sql, first.change, first.findings)
                                                     for phase, sql in extra]
        return result

    monkeypatch.setattr(planning, "plan_with_connection", patched)


def _refused(monkeypatch, target, steps, fragment: str) -> None:
    dsn, spec = target
    before = snapshot(dsn)
    inject(monkeypatch, steps)
    result = run_cli("apply", spec, "--db", dsn, "--yes")
    assert result.code == 3, result
    assert "refused by the final guard" in result.err and "nothing ran" in result.err, result.err
    assert fragment in result.err, result.err
    assert "[1/" not in result.out and "applied" not in result.out, result.out
    assert snapshot(dsn) == before


# ----------------------------------------------------------------------------- 1. what the compiler never writes

T, C = "transactional", "concurrent"

NEVER_WRITTEN = {
    # the attack on the old build: a default that turns standard_conforming_strings off, then a comment
    # whose literal ends early under it
    "default calls set_config(standard_conforming_strings)": (
        [(T, "ALTER TABLE public.canary ADD COLUMN z text DEFAULT "
             "set_config('standard_conforming_strings','off',false)")], "calls set_config()"),
    "comment literal that ends early with standard_conforming_strings off": (
        [(T, "COMMENT ON TABLE public.canary IS 'x\\''; DROP TABLE public.victim; --'")], "backslash"),
    "a serial column (serial) added to an existing table": (
        [(T, "ALTER TABLE public.canary ADD COLUMN z serial")], "a new serial column z on an existing table"),
    "a serial type with a modifier is no serial": (
        [(T, "CREATE TABLE public.s (id serial(3))")], "the type of column id serial"),
    "default calls setval": ([(T, "ALTER TABLE public.canary ADD COLUMN z bigint DEFAULT setval('public.s1', 1)")],
                             "calls setval()"),
    "default calls pg_catalog.setval": (
        [(T, "ALTER TABLE public.canary ADD COLUMN z bigint DEFAULT pg_catalog.setval('public.s1', 1)")],
        "calls pg_catalog.setval()"),
    "CHECK calls lo_unlink": (
        [(T, "ALTER TABLE public.canary ADD CONSTRAINT ck_lo CHECK (lo_unlink(4242) = 1 OR id > 0) NOT VALID")],
        "calls lo_unlink()"),
    "new table's CHECK calls lo_unlink": (
        [(T, "CREATE TABLE public.t (a integer, CONSTRAINT ck CHECK (lo_unlink(4242) = 1))")], "calls lo_unlink()"),
    "default calls set_config(session_replication_role)": (
        [(T, "ALTER TABLE public.canary ADD COLUMN z text DEFAULT "
             "set_config('session_replication_role','replica',false)")], "calls set_config()"),
    "generated column calls random()": (
        [(T, "CREATE TABLE public.t (a integer, b double precision GENERATED ALWAYS AS (random()) STORED)")],
        "calls random()"),
    "index expression calls lo_unlink": (
        [(C, "CREATE INDEX CONCURRENTLY t_ix ON public.canary ((lo_unlink(id)))")], "calls lo_unlink()"),
    "index predicate takes an advisory lock": (
        [(C, "CREATE INDEX CONCURRENTLY t_ix ON public.canary (id) WHERE pg_advisory_lock(id) IS NOT NULL")],
        "calls pg_advisory_lock()"),
    "policy reads a file": (
        [(T, "CREATE TABLE public.t (a integer)"),
         (T, "CREATE POLICY p ON public.t USING (length(pg_read_file('/etc/passwd')) > 0)")], "pg_read_file()"),
    "policy calls an undeclared function": (
        [(T, "CREATE TABLE public.t (a integer)"), (T, "CREATE POLICY p ON public.t USING (evil.f(a))")],
        "calls evil.f()"),
    "policy subquery locks rows": (
        [(T, "CREATE TABLE public.t (a integer)"),
         (T, "CREATE POLICY p ON public.t USING (a IN (SELECT id FROM public.canary FOR UPDATE))")],
        "FOR UPDATE"),
    "CREATE SCHEMA with a GRANT element": ([(T, "CREATE SCHEMA evil GRANT ALL ON TABLE public.canary TO PUBLIC")],
                                          "CREATE SCHEMA with schema elements"),
    "CREATE SCHEMA with a CREATE TABLE element": ([(T, "CREATE SCHEMA evil CREATE TABLE t (a integer)")],
                                                 "CREATE SCHEMA with schema elements"),
    "CREATE SCHEMA AUTHORIZATION": ([(T, "CREATE SCHEMA evil AUTHORIZATION CURRENT_USER")],
                                    "CREATE SCHEMA with AUTHORIZATION"),
    "COMMENT ON DATABASE": ([(T, "COMMENT ON DATABASE current_database IS 'x'")], "COMMENT ON DATABASE"),
    "COMMENT ON ROLE": ([(T, "COMMENT ON ROLE CURRENT_USER IS 'x'")], "COMMENT ON ROLE"),
    "COMMENT ON SCHEMA": ([(T, "COMMENT ON SCHEMA public IS 'x'")], "COMMENT ON SCHEMA"),
    # schemadiff writes COMMENT ON MATERIALIZED VIEW s.m (a materialized view of the spec), never unqualified
    "COMMENT ON MATERIALIZED VIEW unqualified": ([(T, "COMMENT ON MATERIALIZED VIEW s1 IS 'x'")], "not schema-qualified"),
    "CREATE MATERIALIZED VIEW WITH DATA": ([(T, "CREATE MATERIALIZED VIEW public.m1 AS SELECT 1 AS a")],
                                           "filled by the migration"),
    "CREATE TABLE AS": ([(T, "CREATE TABLE public.m1 AS SELECT 1 AS a")], "CREATE TABLE AS"),
    # schemadiff writes CREATE/ALTER SEQUENCE and COMMENT ON SEQUENCE, never one that moves a value
    "ALTER SEQUENCE RESTART": ([(T, "ALTER SEQUENCE public.s1 RESTART WITH 1")], "ALTER SEQUENCE … RESTART"),
    "ALTER SEQUENCE START and RESTART": ([(T, "ALTER SEQUENCE public.s1 START WITH 1 RESTART")],
                                         "ALTER SEQUENCE … RESTART"),
    "ALTER SEQUENCE OWNED BY NONE": ([(T, "ALTER SEQUENCE public.s1 OWNED BY NONE")], "never NONE"),
    "setval": ([(T, "SELECT pg_catalog.setval('public.s1', 1)")], "SelectStmt is not a statement"),
    "GRANT": ([(T, "GRANT ALL ON public.canary TO PUBLIC")], "GrantStmt is not a statement"),
    "OWNER TO": ([(T, "ALTER TABLE public.canary OWNER TO CURRENT_USER")], "ChangeOwner is not additive"),
    "ALTER DEFAULT PRIVILEGES": ([(T, "ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO PUBLIC")],
                                 "AlterDefaultPrivilegesStmt"),
    "step in an unknown phase (DROP)": ([("cleanup", "DROP TABLE public.victim")], "unknown phase 'cleanup'"),
    "step in an unknown phase (harmless)": ([("later", "CREATE TABLE public.t (a integer)")],
                                            "unknown phase 'later'"),
    "steps out of phase order": ([(C, "CREATE INDEX CONCURRENTLY t_ix ON public.canary (note)"),
                                  (T, "CREATE TABLE public.t (a integer)")], "out of order"),
    "U& string": ([(T, "COMMENT ON TABLE public.canary IS U&'d\\0061ta'")], "U&"),
    "U& identifier": ([(T, 'CREATE TABLE public.U&"d\\0061ta" (a integer)')], "U&"),
    "N'' string with a backslash": ([(T, "COMMENT ON TABLE public.canary IS N'a\\'")], "backslash"),
    "NUL in the text": ([(T, "COMMENT ON TABLE public.canary IS 'x'\x00; DROP TABLE public.victim")], "NUL"),
    "two statements": ([(T, "COMMENT ON TABLE public.canary IS 'x'; DROP TABLE public.victim")],
                       "holds 2 statements"),
    "DO block": ([(T, "DO $$ BEGIN EXECUTE 'DROP TABLE public.victim'; END $$")], "DoStmt"),
    "TRUNCATE": ([(T, "TRUNCATE public.victim")], "TruncateStmt"),
    "DELETE": ([(T, "DELETE FROM public.victim")], "DeleteStmt"),
    "SELECT with a side effect": ([(T, "SELECT lo_unlink(4242)")], "SelectStmt"),
    # CREATE FUNCTION and CREATE TRIGGER are written since functions and triggers are in the
    # spec language, each in one exact shape: anything else is refused (more below).
    "CREATE FUNCTION": ([(T, "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")],
                        "without its volatility"),
    "CREATE TRIGGER": ([(T, "CREATE TRIGGER t BEFORE INSERT ON public.canary EXECUTE FUNCTION public.f()")],
                       "a table this plan does not create"),
    "CREATE EXTENSION … CASCADE": ([(T, "CREATE EXTENSION IF NOT EXISTS pgcrypto CASCADE")],
                                   "CASCADE"),
    "CREATE EXTENSION … VERSION": ([(T, "CREATE EXTENSION IF NOT EXISTS pgcrypto VERSION '1.0'")], "VERSION"),
    "CREATE TEMP TABLE": ([(T, "CREATE TEMP TABLE t (a integer)")], "not schema-qualified"),
    "CREATE TABLE … WITH an option that is no storage parameter": (
        [(T, "CREATE TABLE public.t (a integer) WITH (oids = false)")], "'oids' is not a storage parameter"),
    "CREATE TABLE … WITH a value out of range": (
        [(T, "CREATE TABLE public.t (a integer) WITH (fillfactor = 5)")], "fillfactor is between 10 and 100"),
    "CREATE TABLE … WITH a string where a number goes": (
        [(T, "CREATE TABLE public.t (a integer) WITH (fillfactor = 'x''; DROP TABLE public.victim; --')")],
        "fillfactor is not set to a number"),
    "CREATE TABLE … WITH a word an enum does not have": (
        [(T, "CREATE TABLE public.t (a integer) WITH (vacuum_index_cleanup = 'x')")], "is not a value schemadiff"),
    "CREATE TABLE … WITH a namespace other than toast": (
        [(T, "CREATE TABLE public.t (a integer) WITH (pg_catalog.fillfactor = 50)")], "is not a storage parameter"),
    "CREATE TABLE … WITH RESET-style option": (
        [(T, "CREATE TABLE public.t (a integer) WITH (fillfactor)")], "fillfactor is not set to a number"),
    "CREATE INDEX … WITH another method's option": (
        [(C, "CREATE INDEX CONCURRENTLY t_ix ON public.canary (note) WITH (fastupdate = off)")],
        "'fastupdate' is not a storage parameter"),
    "a key … WITH an option that is no storage parameter": (
        [(T, "CREATE TABLE public.t (a integer, CONSTRAINT t_pkey PRIMARY KEY (a) WITH (autovacuum_enabled = off))")],
        "'autovacuum_enabled' is not a storage parameter"),
    "ALTER TABLE … RESET": ([(T, "ALTER TABLE public.canary RESET (fillfactor)")], "ResetRelOptions is not additive"),
    "ALTER TABLE … SET UNLOGGED": ([(T, "ALTER TABLE public.canary SET UNLOGGED")], "SetUnLogged is not additive"),
    "ALTER TABLE … SET with a second subcommand": (
        [(T, "ALTER TABLE public.canary SET (fillfactor = 50), DROP COLUMN note")], "2 subcommands"),
    "ALTER TABLE … SET an ACCESS EXCLUSIVE parameter": (
        [(T, "ALTER TABLE public.canary SET (user_catalog_table = true)")], "takes ACCESS EXCLUSIVE"),
    "ALTER INDEX … SET on an unqualified index": (
        [(T, "ALTER INDEX canary_pkey SET (fillfactor = 50)")], "not schema-qualified"),
    "ALTER INDEX … SET a table's parameter": (
        [(T, "ALTER INDEX public.canary_pkey SET (autovacuum_enabled = false)")], "is not a storage parameter"),
    "CREATE TABLE … INHERITS": ([(T, "CREATE TABLE public.t (a integer) INHERITS (public.canary)")],
                                "CREATE TABLE with INHERITS"),
    "CREATE TABLE … PARTITION OF": (
        [(T, "CREATE TABLE public.t PARTITION OF public.canary DEFAULT")], "CREATE TABLE with INHERITS or PARTITION OF"),
    "identity with sequence options": (
        [(T, "CREATE TABLE public.t (a integer GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME public.s1))")],
        "IDENTITY with options"),
    "ALTER TABLE IF EXISTS": ([(T, "ALTER TABLE IF EXISTS public.canary ADD COLUMN z text")],
                              "ALTER TABLE with IF EXISTS"),
    "ALTER TABLE ONLY": ([(T, "ALTER TABLE ONLY public.canary ADD COLUMN z text")], "ONLY"),
    "ADD COLUMN and DROP COLUMN": ([(T, "ALTER TABLE public.canary ADD COLUMN z text, DROP COLUMN note")],
                                   "2 subcommands"),
    "DROP COLUMN": ([(T, "ALTER TABLE public.canary DROP COLUMN note")], "DropColumn is not additive"),
    "SET NOT NULL": ([(T, "ALTER TABLE public.sp ALTER COLUMN d SET NOT NULL")], "SetNotNull is not additive"),
    "ALTER COLUMN TYPE … USING": (
        [(T, "ALTER TABLE public.sp ALTER COLUMN c TYPE varchar(20) USING lo_unlink(4242)::text")], "TYPE with USING"),
    "narrowing to varchar": ([(T, "ALTER TABLE public.sp ALTER COLUMN c TYPE varchar(2)")], "only a varchar widening"),
    "DROP CONSTRAINT … CASCADE with the re-add": (
        [(T, "ALTER TABLE public.sp DROP CONSTRAINT sp_k CASCADE, ADD CONSTRAINT sp_k CHECK (c <> '') NOT VALID")],
        "CASCADE"),
    "a CHECK on an existing table validated at once": (
        [(T, "ALTER TABLE public.canary ADD CONSTRAINT ck CHECK (id > 0)")], "must be added NOT VALID"),
    "a UNIQUE on an existing table built in place": (
        [(T, "ALTER TABLE public.canary ADD CONSTRAINT u UNIQUE (note)")], "attached USING INDEX"),
    "an index on an existing table without CONCURRENTLY": (
        [(T, "CREATE INDEX t_ix ON public.canary (note)")], "without CONCURRENTLY"),
    "an identity column added to an existing table": (
        [(T, "ALTER TABLE public.canary ADD COLUMN z integer GENERATED ALWAYS AS IDENTITY")], "rewrites every row"),
    "a serial column added to an existing table": (
        [(T, "ALTER TABLE public.canary ADD COLUMN z bigserial")], "new serial column z on an existing table"),
    "a serial shorthand with an array bound": (
        [(T, "CREATE TABLE public.n (z serial[])")], "the type of column z serial"),
    "DROP INDEX … CASCADE": ([(C, "DROP INDEX CONCURRENTLY IF EXISTS public.ix CASCADE")],
                             "DROP INDEX is allowed only"),
    "DROP INDEX in a transaction": ([(T, "DROP INDEX CONCURRENTLY IF EXISTS public.ix")],
                                    "DROP INDEX is allowed only"),
    "RENAME VALUE": ([(T, "ALTER TYPE public.mood RENAME VALUE 'ok' TO 'fine'")], "ALTER TYPE with RENAME VALUE"),
    "ADD VALUE outside its phase": ([(T, "ALTER TYPE public.mood ADD VALUE 'new'")], "enum-values phase"),
    # functions and triggers: only the shapes the compiler writes
    "a C function": ([(T, "CREATE FUNCTION public.f(integer) RETURNS integer LANGUAGE c AS 'libc', 'abs'")],
                     "LANGUAGE c"),
    "an internal-language function": ([(T, "CREATE FUNCTION public.f(integer) RETURNS integer LANGUAGE internal "
                                           "AS 'int4abs'")], "LANGUAGE internal"),
    "an untrusted-language function": ([(T, "CREATE FUNCTION public.f() RETURNS integer LANGUAGE plpython3u "
                                            "AS 'return 1'")], "LANGUAGE plpython3u"),
    "CREATE OR REPLACE FUNCTION": ([(T, "CREATE OR REPLACE FUNCTION public.f() RETURNS integer LANGUAGE sql "
                                        "VOLATILE AS 'SELECT 1'")], "OR REPLACE"),
    "a procedure": ([(T, "CREATE PROCEDURE public.p() LANGUAGE sql AS 'SELECT 1'")], "PROCEDURE"),
    "a BEGIN ATOMIC body": ([(T, "CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql BEGIN ATOMIC SELECT 1; END")],
                            "BEGIN ATOMIC"),
    "SECURITY DEFINER without search_path": (
        [(T, "CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER AS 'SELECT 1'")],
        "SECURITY DEFINER without its own search_path"),
    "a function that sets a role": (
        [(T, "CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql VOLATILE SET role TO postgres AS 'SELECT 1'")],
        "may set search_path, and nothing else"),
    "a function whose search_path holds pg_temp": (
        [(T, "CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER "
             "SET search_path TO pg_temp, public AS 'SELECT 1'")], "pg_temp must be the last entry"),
    "an unqualified function": ([(T, "CREATE FUNCTION f() RETURNS integer LANGUAGE sql VOLATILE AS 'SELECT 1'")],
                                "not schema-qualified"),
    "a function with a default argument": (
        [(T, "CREATE FUNCTION public.f(a integer DEFAULT 1) RETURNS integer LANGUAGE sql VOLATILE AS 'SELECT 1'")],
        "function argument with defexpr"),
    "a trigger on an existing table": (
        [(T, "CREATE TRIGGER tr BEFORE INSERT ON public.canary FOR EACH ROW EXECUTE FUNCTION "
             "pg_catalog.suppress_redundant_updates_trigger()")], "a table this plan does not create"),
    "a constraint trigger": (
        [(T, "CREATE CONSTRAINT TRIGGER tr AFTER INSERT ON public.canary FOR EACH ROW EXECUTE FUNCTION "
             "pg_catalog.suppress_redundant_updates_trigger()")], "CONSTRAINT"),
    "a trigger disabled on an existing table": ([(T, "ALTER TABLE public.canary DISABLE TRIGGER tr")],
                                                "a table this plan does not create"),
    "every trigger disabled": ([(T, "ALTER TABLE public.canary DISABLE TRIGGER ALL")], "is not additive"),
    "a trigger enabled on an existing table": ([(T, "ALTER TABLE public.canary ENABLE TRIGGER ALL")],
                                               "is not additive"),
    "a comment on an unqualified function": ([(T, "COMMENT ON FUNCTION f() IS 'x'")], "not schema-qualified"),
    # review (guard hardening): a trigger's state only for a trigger this plan created before
    "a foreign key's trigger disabled on a new table": (
        [(T, "CREATE TABLE public.n (id integer)"),
         (T, "ALTER TABLE public.n ADD CONSTRAINT n_fk FOREIGN KEY (id) REFERENCES public.canary (id)"),
         (T, 'ALTER TABLE public.n DISABLE TRIGGER "RI_ConstraintTrigger_c_1"')],
        "a trigger this plan does not create"),
    "a trigger enabled for replicas before it is created": (
        [(T, "CREATE TABLE public.n (id integer)"), (T, "ALTER TABLE public.n ENABLE REPLICA TRIGGER tr"),
         (T, "CREATE TRIGGER tr BEFORE INSERT ON public.n FOR EACH ROW EXECUTE FUNCTION "
             "pg_catalog.suppress_redundant_updates_trigger()")],
        "a trigger this plan does not create"),
    "a trigger's state on another new table": (
        [(T, "CREATE TABLE public.n (id integer)"), (T, "CREATE TABLE public.m (id integer)"),
         (T, "CREATE TRIGGER tr BEFORE INSERT ON public.n FOR EACH ROW EXECUTE FUNCTION "
             "pg_catalog.suppress_redundant_updates_trigger()"),
         (T, "ALTER TABLE public.m DISABLE TRIGGER tr")], "a trigger this plan does not create"),
    # ... its function only one the plan created, or a trigger function the database has
    "a trigger running lo_import": (
        [(T, "CREATE TABLE public.n (id integer)"),
         (T, "CREATE TRIGGER tr BEFORE INSERT ON public.n FOR EACH ROW EXECUTE FUNCTION pg_catalog.lo_import()")],
        "not a trigger function"),
    "a trigger running a pg_catalog trigger function off the list": (
        [(T, "CREATE TABLE public.n (id integer)"),
         (T, "CREATE TRIGGER tr AFTER INSERT ON public.n FOR EACH ROW EXECUTE FUNCTION "
             'pg_catalog."RI_FKey_cascade_del"()')],
        "not a trigger function"),
    "a trigger running a function that returns no trigger": (
        [(T, "CREATE TABLE public.n (id integer)"),
         (T, "CREATE FUNCTION public.g() RETURNS integer LANGUAGE sql VOLATILE AS 'SELECT 1'"),
         (T, "CREATE TRIGGER tr BEFORE INSERT ON public.n FOR EACH ROW EXECUTE FUNCTION public.g()")],
        "not a trigger function"),
    "a trigger running a function nothing has": (
        [(T, "CREATE TABLE public.n (id integer)"),
         (T, "CREATE TRIGGER tr BEFORE INSERT ON public.n FOR EACH ROW EXECUTE FUNCTION public.nothing()")],
        "not a trigger function"),
    # ALTER SEQUENCE of a sequence the plan did not create: only a widening, per the catalog
    "a sequence's maxvalue lowered": ([(T, "ALTER SEQUENCE public.s1 MAXVALUE 3")], "only widens"),
    "a sequence's minvalue raised": ([(T, "ALTER SEQUENCE public.s1 MINVALUE 7")], "only widens"),
    "a sequence's type narrowed": ([(T, "ALTER SEQUENCE public.s1 AS smallint")], "only widens"),
    "a sequence's step reversed": ([(T, "ALTER SEQUENCE public.s1 INCREMENT BY -1")], "only widens"),
    "a sequence nothing has": ([(T, "ALTER SEQUENCE public.nothing MAXVALUE 30000")],
                               "a sequence this plan does not create"),
    # views: only the shape the compiler writes
    "CREATE OR REPLACE VIEW": ([(T, "CREATE OR REPLACE VIEW public.v AS SELECT canary.id FROM public.canary")],
                               "OR REPLACE"),
    "a view with a column list": ([(T, "CREATE VIEW public.v (x) AS SELECT canary.id FROM public.canary")],
                                  "aliases"),
    "a view reading an unqualified table": ([(T, "CREATE VIEW public.v AS SELECT id FROM canary")],
                                            "not schema-qualified"),
    "a view with a data-modifying CTE": (
        [(T, "CREATE VIEW public.v AS WITH d AS (DELETE FROM public.canary RETURNING id) SELECT id FROM d")],
        "WITH"),
    "a view that locks rows": ([(T, "CREATE VIEW public.v AS SELECT canary.id FROM public.canary FOR UPDATE")],
                               "FOR UPDATE"),
    "a view calling a denied function": (
        [(T, "CREATE VIEW public.v AS SELECT pg_catalog.set_config('role', 'x', false) AS s")], "set_config"),
    "a view with another option": ([(T, "CREATE VIEW public.v WITH (autovacuum_enabled = false) AS SELECT 1 AS x")],
                                   "autovacuum_enabled"),
    "a temporary view": ([(T, "CREATE TEMP VIEW v AS SELECT 1 AS x")], "not schema-qualified"),
    "operator outside pg_catalog": (
        [(T, "ALTER TABLE public.canary ADD CONSTRAINT ck CHECK (id OPERATOR(public.===) 1) NOT VALID")],
        "operator public.==="),
    "a comment on a domain's constraint": ([(T, "COMMENT ON CONSTRAINT c ON DOMAIN public.d IS 'x'")],
                                           "COMMENT ON DOMCONSTRAINT is not what schemadiff writes"),
    "a comment on a rule": ([(T, "COMMENT ON RULE r ON public.canary IS 'x'")],
                            "COMMENT ON RULE is not what schemadiff writes"),
    "a comment on an event trigger": ([(T, "COMMENT ON EVENT TRIGGER e IS 'x'")],
                                      "COMMENT ON EVENT_TRIGGER is not what schemadiff writes"),
}


@pytest.mark.parametrize("name", list(NEVER_WRITTEN))
def test_a_statement_the_compiler_never_writes_is_refused_whole(name, monkeypatch, target):
    steps, fragment = NEVER_WRITTEN[name]
    _refused(monkeypatch, target, steps, fragment)


# ----------------------------------------------------------------------------- 2. names

UNQUALIFIED = {
    "ALTER COLUMN TYPE on an unqualified table": ([(T, "ALTER TABLE sp ALTER COLUMN c TYPE varchar(20)")],
                                                  "table sp is not schema-qualified"),
    "CHECK replaced on an unqualified table": (
        [(T, "ALTER TABLE sp DROP CONSTRAINT sp_k, ADD CONSTRAINT sp_k CHECK (c <> '') NOT VALID")],
        "table sp is not schema-qualified"),
    "DROP INDEX of an unqualified index": ([(C, "DROP INDEX CONCURRENTLY IF EXISTS ix")],
                                           "DROP INDEX of ix, which is not schema-qualified"),
    "DROP INDEX of a valid index": ([(C, "DROP INDEX CONCURRENTLY IF EXISTS {user}.ix")],
                                    "does not hold INVALID"),
    "CHECK replacement dropping a primary key": (
        [(T, "ALTER TABLE {user}.sp DROP CONSTRAINT sp_k, ADD CONSTRAINT sp_k CHECK (c <> '') NOT VALID")],
        "is not a CHECK"),
    "index on an unqualified table": ([(C, "CREATE INDEX CONCURRENTLY t_ix ON sp (c)")],
                                      "table sp is not schema-qualified"),
    "unqualified type that is not built in": ([(T, "ALTER TABLE public.sp ADD COLUMN m mood")],
                                             "mood is not schema-qualified"),
    "unqualified foreign key target": (
        [(T, "ALTER TABLE public.canary ADD CONSTRAINT fk FOREIGN KEY (note) REFERENCES sp (c) NOT VALID")],
        "referenced table sp is not schema-qualified"),
    "comment on an unqualified table": ([(T, "COMMENT ON TABLE sp IS 'x'")], "is not schema-qualified"),
    "comment on an unqualified index": ([(T, "COMMENT ON INDEX ix IS 'x'")], "is not schema-qualified"),
    "comment on a constraint of an unqualified table": ([(T, "COMMENT ON CONSTRAINT sp_k ON sp IS 'x'")],
                                                        "is not schema-qualified"),
    "comment on a policy of an unqualified table": ([(T, "COMMENT ON POLICY p ON sp IS 'x'")],
                                                    "is not schema-qualified"),
    "comment on a trigger of an unqualified table": ([(T, "COMMENT ON TRIGGER tr ON sp IS 'x'")],
                                                     "is not schema-qualified"),
    "comment on a constraint in pg_catalog": (
        [(T, "COMMENT ON CONSTRAINT pg_class_oid_index ON pg_catalog.pg_class IS 'x'")], "reserved for the system"),
    "unqualified cast type in a default": (
        [(T, "ALTER TABLE public.canary ADD COLUMN m text DEFAULT 'ok'::mood::text")], "mood is not schema-qualified"),
    "unqualified relation in a policy subquery": (
        [(T, "CREATE TABLE public.t (a text)"), (T, "CREATE POLICY p ON public.t USING (a IN (SELECT c FROM sp))")],
        "relation sp is not schema-qualified"),
    "a table in pg_temp": ([(T, "CREATE TABLE pg_temp.t (a integer)")], "reserved for the system"),
    "a table in pg_catalog": ([(T, "ALTER TABLE pg_catalog.pg_class ADD COLUMN z text")], "reserved for the system"),
    "a temporary table": ([(T, "CREATE TEMP TABLE t (a integer)")], "not schema-qualified"),
    "unqualified collation that is not built in": ([(T, 'ALTER TABLE public.sp ADD COLUMN m text COLLATE "evil"')],
                                                  "collation evil is not schema-qualified"),
}


@pytest.mark.parametrize("name", list(UNQUALIFIED))
def test_a_name_the_server_could_read_otherwise_is_refused(name, monkeypatch, target):
    steps, fragment = UNQUALIFIED[name]
    user = _user_schema(target[0])
    _refused(monkeypatch, target, [(phase, sql.format(user=user)) for phase, sql in steps], fragment)


def _user_schema(dsn: str) -> str:
    """The role's own schema, quoted as SQL writes it ("$user" on the default search_path)."""
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT quote_ident(current_user)").fetchone()[0]


def test_the_qualified_forms_act_exactly_where_the_guard_looked(monkeypatch, target):
    """The old guard checked public.sp / public.ix while the server changed the role's
    own sp and ix. Qualified, they pass the guard and change public's only."""
    dsn, spec = target
    inject(monkeypatch, [
        (T, "ALTER TABLE public.sp ALTER COLUMN c TYPE varchar(20)"),
        (T, "ALTER TABLE public.sp DROP CONSTRAINT sp_k, ADD CONSTRAINT sp_k CHECK (c <> '' AND c <> 'z') NOT VALID"),
        (C, "DROP INDEX CONCURRENTLY IF EXISTS public.ix"),
    ])
    result = run_cli("apply", spec, "--db", dsn, "--yes")
    assert result.code == 0, result
    assert "applied 4 statement(s)" in result.out, result.out
    with psycopg.connect(dsn, autocommit=True) as conn:
        public_or_own = "CASE n.nspname WHEN 'public' THEN 'public' WHEN current_user THEN 'own' END"
        types = dict(conn.execute(
            f"SELECT {public_or_own}, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c "
            "ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'sp' AND a.attname = 'c'").fetchall())
        assert types == {"public": "character varying(20)", "own": "text"}
        kinds = dict(conn.execute(
            f"SELECT {public_or_own}, contype FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace "
            "WHERE conname = 'sp_k'").fetchall())
        assert kinds == {"public": "c", "own": "p"}
        ix = conn.execute(f"SELECT {public_or_own}, i.indisvalid FROM pg_index i JOIN pg_class c "
                          "ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE c.relname = 'ix'").fetchall()
        assert ix == [("own", True)]  # public's INVALID one dropped, the role's valid one kept
        assert conn.execute("SELECT count(*) FROM public.canary").fetchone()[0] == 100


def test_an_owned_sequence_is_not_given_another_owner(monkeypatch, target):
    dsn, spec = target
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.owner (id serial PRIMARY KEY)")
    _refused(monkeypatch, target, [(T, "ALTER SEQUENCE public.owner_id_seq OWNED BY public.canary.id")],
             "already has an owner")


def test_the_trigger_and_sequence_shapes_the_compiler_writes_pass(monkeypatch, target):
    """The hardened checks refuse no shape the compiler writes: a trigger's state after
    its CREATE TRIGGER, a trigger function the plan creates or the database has, a
    pg_catalog trigger function of the list, a widening of an existing sequence, an
    owner for a sequence the plan creates or for one without an owner."""
    dsn, spec = target
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION public.old_tg() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$BEGIN RETURN NEW; END$$; CREATE SEQUENCE public.s3 AS integer")
    inject(monkeypatch, [
        (T, "CREATE TABLE public.n (id integer, d tsvector, body text)"),
        (T, "CREATE FUNCTION public.tg() RETURNS trigger LANGUAGE plpgsql VOLATILE AS 'BEGIN RETURN NEW; END'"),
        (T, "CREATE TRIGGER a BEFORE INSERT ON public.n FOR EACH ROW EXECUTE FUNCTION public.tg()"),
        (T, "CREATE TRIGGER b BEFORE INSERT ON public.n FOR EACH ROW EXECUTE FUNCTION public.old_tg()"),
        (T, "CREATE TRIGGER c BEFORE UPDATE ON public.n FOR EACH ROW EXECUTE FUNCTION "
            "pg_catalog.suppress_redundant_updates_trigger()"),
        (T, "CREATE TRIGGER d BEFORE INSERT ON public.n FOR EACH ROW EXECUTE FUNCTION "
            "pg_catalog.tsvector_update_trigger('d', 'pg_catalog.english', 'body')"),
        (T, "ALTER TABLE public.n DISABLE TRIGGER a"),
        (T, "ALTER TABLE public.n ENABLE REPLICA TRIGGER b"),
        (T, "ALTER SEQUENCE public.s3 AS bigint MINVALUE 1 MAXVALUE 9000000000"),
        (T, "ALTER SEQUENCE public.s1 MINVALUE -5 MAXVALUE 9223372036854775807"),
        (T, "ALTER SEQUENCE public.s1 INCREMENT BY 2 CACHE 5 START WITH 7"),
        (T, "ALTER SEQUENCE public.s1 OWNED BY public.n.id"),
        (T, "CREATE SEQUENCE public.s2 AS integer INCREMENT BY 1 MINVALUE 1 MAXVALUE 10 START WITH 1 CACHE 1 NO CYCLE"),
        (T, "ALTER SEQUENCE public.s2 MAXVALUE 5"),
        (T, "ALTER SEQUENCE public.s2 OWNED BY public.n.id"),
    ])
    result = run_cli("apply", spec, "--db", dsn, "--yes")
    assert result.code == 0, result.err
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'public.n'::regclass "
                            "ORDER BY 1").fetchall() == [("a", "D"), ("b", "R"), ("c", "O"), ("d", "O")]
        assert conn.execute("SELECT seqmax FROM pg_sequence WHERE seqrelid = 'public.s3'::regclass").fetchone()[0] \
            == 9000000000


def test_the_comment_shapes_on_constraints_policies_and_triggers_pass(monkeypatch, target):
    """``COMMENT ON CONSTRAINT / POLICY / TRIGGER name ON schema.table``, as the compiler
    writes them, pass the guard and land on the object they name."""
    dsn, spec = target
    inject(monkeypatch, [
        (T, "CREATE TABLE public.m (id integer NOT NULL, CONSTRAINT m_pk PRIMARY KEY (id))"),
        (T, "CREATE FUNCTION public.tg() RETURNS trigger LANGUAGE plpgsql VOLATILE AS 'BEGIN RETURN NEW; END'"),
        (T, "CREATE POLICY p ON public.m USING (true)"),
        (T, "CREATE TRIGGER tr BEFORE UPDATE ON public.m FOR EACH ROW EXECUTE FUNCTION public.tg()"),
        (T, "COMMENT ON CONSTRAINT m_pk ON public.m IS E'it''s \\\\ $$ */'"),
        (T, "COMMENT ON POLICY p ON public.m IS 'the policy'"),
        (T, "COMMENT ON TRIGGER tr ON public.m IS 'the trigger'"),
    ])
    result = run_cli("apply", spec, "--db", dsn, "--yes")
    assert result.code == 0, result.err
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute(
            "SELECT obj_description((SELECT oid FROM pg_constraint WHERE conname = 'm_pk'), 'pg_constraint'), "
            "obj_description((SELECT oid FROM pg_policy WHERE polname = 'p'), 'pg_policy'), "
            "obj_description((SELECT oid FROM pg_trigger WHERE tgname = 'tr'), 'pg_trigger')").fetchone() \
            == ("it's \\ $$ */", "the policy", "the trigger")


def test_runner_guards_on_its_own(pg, target):
    """Runner.run (what check --prove runs too) pins its session and guards before
    the first statement, whoever calls it."""
    dsn, _ = target
    before = snapshot(dsn)
    with connect(dsn) as conn:
        runner = Runner(conn, ApplyOptions(progress_interval=0), lambda text: None, dsn)
        with pytest.raises(GuardError) as info:
            runner.run([StepView(T, "CREATE TABLE public.t (a integer)", "ok"),
                        StepView(T, "ALTER TABLE public.canary ADD COLUMN z text DEFAULT "
                                    "set_config('standard_conforming_strings','off',false)", "attack")])
        assert [p.index for p in info.value.problems] == [1]
    assert snapshot(dsn) == before


# ----------------------------------------------------------------------------- 3. settings

OPTIONS = {
    "SQL pasted into --lock-timeout": ["--lock-timeout", "5s'; DROP TABLE public.canary2; SELECT '1"],
    "SQL pasted into --statement-timeout": ["--statement-timeout", "1min'; DROP TABLE public.canary2; SELECT '1"],
    "--lock-timeout 0": ["--lock-timeout", "0"],
    "--lock-timeout 0ms": ["--lock-timeout", "0ms"],
    "--lock-timeout 0.4ms (rounds to 0)": ["--lock-timeout", "0.4ms"],
    "--lock-timeout in microseconds": ["--lock-timeout", "400us"],
    "--lock-timeout negative": ["--lock-timeout", "-5s"],
    "--lock-timeout above its bound": ["--lock-timeout", "11min"],
    "--lock-timeout hexadecimal": ["--lock-timeout", "0x10"],
    "--lock-timeout exponent": ["--lock-timeout", "1e3"],
    "--lock-timeout fraction without a unit": ["--lock-timeout", "1.5"],
    "--lock-timeout empty": ["--lock-timeout", ""],
    "--statement-timeout 0": ["--statement-timeout", "0"],
    "--statement-timeout above its bound": ["--statement-timeout", "25h"],
    "--retries -1": ["--retries", "-1"],
    "--retries 21": ["--retries", "21"],
    "--retries 1.5": ["--retries", "1.5"],
    "--lock-wait nan": ["--lock-wait", "nan"],
    "--lock-wait inf": ["--lock-wait", "inf"],
    "--lock-wait -1": ["--lock-wait", "-1"],
    "--lock-wait 3601": ["--lock-wait", "3601"],
}


@pytest.mark.parametrize("name", list(OPTIONS))
def test_an_option_out_of_bounds_is_exit_1_and_nothing_runs(name, target):
    dsn, spec = target
    before = snapshot(dsn)
    result = run_cli("apply", spec, "--db", dsn, "--yes", *OPTIONS[name])
    assert result.code == 1, result
    lines = result.err.strip().splitlines()
    assert lines[0].startswith("schemadiff apply: error: argument --"), result.err
    assert "Traceback" not in result.err and result.out == ""
    assert snapshot(dsn) == before


@pytest.mark.parametrize("name", [n for n in OPTIONS if "timeout" in n])
def test_plan_reads_durations_the_same_way(name, target):
    dsn, spec = target
    result = run_cli("plan", spec, "--db", dsn, "--format", "sql", *OPTIONS[name])
    assert result.code == 1 and result.err.startswith("schemadiff plan: error: argument --"), result
    assert result.out == ""


@pytest.mark.parametrize("option, given, written", [
    ("--lock-timeout", "250ms", "250ms"), ("--lock-timeout", "5s", "5s"), ("--lock-timeout", "1.5s", "1500ms"),
    ("--lock-timeout", "2min", "120s"), ("--lock-timeout", "700", "700ms"), ("--lock-timeout", "10min", "600s"),
    ("--lock-timeout", " 3 s", "3s"), ("--statement-timeout", "1h", "3600s"), ("--statement-timeout", "1d", "86400s"),
    ("--statement-timeout", "60000", "60s"), ("--statement-timeout", "0.0015s", "2ms")])
def test_a_duration_reaches_the_script_as_its_integer_milliseconds(option, given, written, target):
    """Parsed to integer milliseconds, written back as whole seconds or milliseconds: never the text given."""
    dsn, spec = target
    result = run_cli("plan", spec, "--db", dsn, "--format", "sql", option, given)
    assert result.code == 0, result
    setting = option.removeprefix("--").replace("-", "_")
    assert f"SET LOCAL {setting} = '{written}';" in result.out, result.out


SETS = {
    "SET lock_timeout = '0.4us' (rounds to 0)": "SET lock_timeout = '0.4us'",
    "SET lock_timeout = '0.4ms'": "SET LOCAL lock_timeout = '0.4ms'",
    "SET lock_timeout = 0": "SET lock_timeout = 0",
    "SET lock_timeout = '11min'": "SET lock_timeout = '11min'",
    "SET lock_timeout = 5.5": "SET lock_timeout = 5.5",
    "SET lock_timeout = '0x10'": "SET lock_timeout = '0x10'",
    "SET lock_timeout TO DEFAULT": "SET lock_timeout TO DEFAULT",
    "RESET lock_timeout": "RESET lock_timeout",
    "SET statement_timeout = 0": "SET statement_timeout = 0",
    "SET search_path": "SET search_path = public",
    "SET standard_conforming_strings off": "SET standard_conforming_strings = off",
    "SET session_replication_role": "SET session_replication_role = replica",
    "SET ROLE": "SET ROLE NONE",
    "set_config in a SELECT": "SELECT set_config('search_path', 'public', false)",
}


@pytest.mark.parametrize("name", list(SETS))
def test_a_setting_in_a_plan_is_refused_unless_a_bounded_timeout(name, monkeypatch, target):
    _refused(monkeypatch, target, [(T, SETS[name])], "")


def test_a_bounded_timeout_in_a_plan_passes(monkeypatch, target):
    dsn, spec = target
    inject(monkeypatch, [(T, "SET LOCAL lock_timeout = '2s'"), (T, "SET LOCAL statement_timeout = 1500")])
    result = run_cli("apply", spec, "--db", dsn, "--yes")
    assert result.code == 0 and "applied 3 statement(s)" in result.out, result


HOSTILE_DEFAULTS = """
CREATE SCHEMA evil;
CREATE TABLE evil.calls (what text);
CREATE FUNCTION evil.set_config(text, text, boolean) RETURNS text LANGUAGE sql
  AS $$ INSERT INTO evil.calls VALUES ('set_config'); DROP TABLE IF EXISTS public.victim; SELECT 'x'::text $$;
CREATE FUNCTION evil.pg_try_advisory_lock(bigint) RETURNS boolean LANGUAGE sql
  AS $$ INSERT INTO evil.calls VALUES ('pg_try_advisory_lock'); SELECT true $$;
CREATE FUNCTION evil.pg_advisory_unlock(bigint) RETURNS boolean LANGUAGE sql
  AS $$ INSERT INTO evil.calls VALUES ('pg_advisory_unlock'); SELECT true $$;
CREATE FUNCTION evil.format_type(oid, integer) RETURNS text LANGUAGE sql
  AS $$ INSERT INTO evil.calls VALUES ('format_type'); SELECT 'text'::text $$;
CREATE FUNCTION evil.eq(integer, integer) RETURNS boolean LANGUAGE sql
  AS $$ INSERT INTO evil.calls VALUES ('='); SELECT $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR evil.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.eq);
ALTER DATABASE {db} SET search_path = evil, pg_catalog, public;
ALTER DATABASE {db} SET standard_conforming_strings = off;
ALTER DATABASE {db} SET lock_timeout = 0;
ALTER DATABASE {db} SET statement_timeout = 0;
"""


def test_a_database_with_hostile_defaults_gets_the_session_apply_pins(pg, db, tmp_path):
    """The database's own defaults put a schema of look-alike functions and an
    operator first on search_path, turn standard_conforming_strings off and remove
    the timeouts. apply pins its session before its first query: none of evil's
    functions runs, and the applied statements read as the guard read them."""
    dsn = pg.dsn(db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(CANARY)
        conn.execute(HOSTILE_DEFAULTS.format(db=psycopg.sql.Identifier(db).as_string(conn)))
    spec = write_spec(tmp_path / "spec", {**SPEC, "tables/fresh.yaml": (
        "table: fresh\ncomment: 'x\\''; DROP TABLE public.victim; --'\n"
        "columns:\n  id: {type: integer, primary_key: true}\n")})
    result = run_cli("apply", str(spec), "--db", dsn, "--yes")
    assert result.code == 0, result
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM public.victim").fetchone()[0] == 10
        assert conn.execute("SELECT * FROM evil.calls").fetchall() == []
        assert conn.execute("SELECT obj_description('public.fresh'::regclass)").fetchone()[0] == \
            "x\\'; DROP TABLE public.victim; --"


def test_the_session_holds_what_it_pinned_and_says_when_it_does_not(target):
    dsn, _ = target
    with connect(dsn) as conn:
        conn.execute("SET search_path = public; SET standard_conforming_strings = off; SET lock_timeout = 0")
        pin_session(conn, ApplyOptions(lock_timeout="1.5s", statement_timeout="2min"))
        rows = dict(conn.execute("SELECT name, setting FROM pg_settings WHERE name IN ('search_path', "
                                 "'standard_conforming_strings', 'lock_timeout', 'statement_timeout')").fetchall())
        assert rows == {"search_path": SEARCH_PATH, "standard_conforming_strings": "on", "lock_timeout": "1500",
                        "statement_timeout": "120000"}
        conn.execute("SET lock_timeout = '3s'")
        with pytest.raises(SettingsError, match="lock_timeout is '3000', not '1500'"):
            check_settings(conn, {"lock_timeout": "1500ms"})


@pytest.mark.parametrize("kwargs", [{"lock_timeout": "0"}, {"lock_timeout": 0}, {"statement_timeout": "25h"},
                                    {"lock_timeout": "5s'; DROP TABLE x; --"}, {"retries": -1}, {"retries": 21},
                                    {"lock_wait": float("nan")}, {"lock_wait": -1}, {"backoff": float("inf")}])
def test_apply_options_refuse_what_the_cli_refuses(kwargs):
    with pytest.raises(ValueError):
        ApplyOptions(**kwargs)
