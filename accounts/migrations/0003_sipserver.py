"""What Kamailio reads from the console's PostgreSQL database (DESIGN 9).

- `sip_register_check(username, source)`: what Kamailio needs to answer a REGISTER, in one query:
  the account's HA1 digests, its enabled flag and the allow/deny decision for the source address,
  flags as integers (Kamailio's PostgreSQL driver hands booleans to the script as the strings
  "t"/"f"). No row: no such account.
- `sip_source_allowed(account id, source)`: the allow/deny decision of accounts/access_lists.py in SQL
  with inet operators: the most specific matching entry wins, a tie goes to deny, and an account
  with any allow entry refuses a source that matches none.
- `sip_credentials`: the same digests and enabled flag as a view shaped like Kamailio's
  `subscriber` table, for auth_db-based configurations.
- Kamailio's own `version`, `location` and `location_attrs` tables, as its usrloc module expects
  them (schema version 9 of `location`), created only when absent so a database that Kamailio's
  tools already prepared keeps its rows.

On SQLite (the embedded default) there is no SIP server and this migration does nothing.
"""
from django.db import migrations

FORWARD_SQL = [
    """
    CREATE TABLE IF NOT EXISTS version (
        id SERIAL PRIMARY KEY NOT NULL,
        table_name VARCHAR(32) NOT NULL,
        table_version INTEGER DEFAULT 0 NOT NULL,
        CONSTRAINT version_table_name_idx UNIQUE (table_name)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS location (
        id SERIAL PRIMARY KEY NOT NULL,
        ruid VARCHAR(64) DEFAULT '' NOT NULL,
        username VARCHAR(64) DEFAULT '' NOT NULL,
        domain VARCHAR(64) DEFAULT NULL,
        contact VARCHAR(512) DEFAULT '' NOT NULL,
        received VARCHAR(128) DEFAULT NULL,
        path VARCHAR(512) DEFAULT NULL,
        expires TIMESTAMP WITHOUT TIME ZONE DEFAULT '2030-05-28 21:32:15' NOT NULL,
        q REAL DEFAULT 1.0 NOT NULL,
        callid VARCHAR(255) DEFAULT 'Default-Call-ID' NOT NULL,
        cseq INTEGER DEFAULT 1 NOT NULL,
        last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL,
        flags INTEGER DEFAULT 0 NOT NULL,
        cflags INTEGER DEFAULT 0 NOT NULL,
        user_agent VARCHAR(255) DEFAULT '' NOT NULL,
        socket VARCHAR(64) DEFAULT NULL,
        methods INTEGER DEFAULT NULL,
        instance VARCHAR(255) DEFAULT NULL,
        reg_id INTEGER DEFAULT 0 NOT NULL,
        server_id INTEGER DEFAULT 0 NOT NULL,
        connection_id INTEGER DEFAULT 0 NOT NULL,
        keepalive INTEGER DEFAULT 0 NOT NULL,
        partition INTEGER DEFAULT 0 NOT NULL,
        CONSTRAINT location_ruid_idx UNIQUE (ruid)
    )
    """,
    "CREATE INDEX IF NOT EXISTS location_account_contact_idx ON location (username, domain, contact)",
    "CREATE INDEX IF NOT EXISTS location_expires_idx ON location (expires)",
    "CREATE INDEX IF NOT EXISTS location_tcpcon_idx ON location (connection_id)",
    "CREATE INDEX IF NOT EXISTS location_connection_idx ON location (server_id, connection_id)",
    """
    CREATE TABLE IF NOT EXISTS location_attrs (
        id SERIAL PRIMARY KEY NOT NULL,
        ruid VARCHAR(64) DEFAULT '' NOT NULL,
        username VARCHAR(64) DEFAULT '' NOT NULL,
        domain VARCHAR(64) DEFAULT NULL,
        aname VARCHAR(64) DEFAULT '' NOT NULL,
        atype INTEGER DEFAULT 0 NOT NULL,
        avalue VARCHAR(512) DEFAULT '' NOT NULL,
        last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS location_attrs_account_record_idx ON location_attrs (username, domain, ruid)",
    "CREATE INDEX IF NOT EXISTS location_attrs_last_modified_idx ON location_attrs (last_modified)",
    """
    INSERT INTO version (table_name, table_version)
    VALUES ('version', 1), ('location', 9), ('location_attrs', 1), ('sip_credentials', 7)
    ON CONFLICT (table_name) DO NOTHING
    """,
    """
    CREATE VIEW sip_credentials AS
    SELECT a.username,
           ''::varchar AS domain,
           a.ha1,
           ''::varchar AS ha1b,
           a.ha1_sha256,
           a.enabled::integer AS enabled
    FROM accounts_account a
    """,
    # PL/pgSQL rather than SQL functions: their plans are cached per connection, which matters
    # because Kamailio's driver sends every query as text to be planned (bench/register.py).
    """
    CREATE FUNCTION sip_source_allowed(account bigint, source inet) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
    DECLARE
        decision boolean;
    BEGIN
        SELECT r.action = 'allow' INTO decision
          FROM accounts_accessrule r
         WHERE r.account_id = account AND source <<= r.network::cidr
         ORDER BY masklen(r.network::cidr) DESC, r.action = 'deny' DESC
         LIMIT 1;
        IF FOUND THEN
            RETURN decision;
        END IF;
        RETURN NOT EXISTS (SELECT 1 FROM accounts_accessrule r WHERE r.account_id = account AND r.action = 'allow');
    END
    $$
    """,
    """
    CREATE FUNCTION sip_register_check(account_username text, source inet)
    RETURNS TABLE (ha1 varchar, ha1_sha256 varchar, enabled integer, allowed integer)
    LANGUAGE plpgsql STABLE AS $$
    DECLARE
        account bigint;
    BEGIN
        SELECT a.id, a.ha1, a.ha1_sha256, a.enabled::integer INTO account, ha1, ha1_sha256, enabled
          FROM accounts_account a
         WHERE a.username = account_username;
        IF FOUND THEN
            allowed := sip_source_allowed(account, source)::integer;
            RETURN NEXT;
        END IF;
    END
    $$
    """,
]

REVERSE_SQL = [
    "DROP FUNCTION IF EXISTS sip_register_check(text, inet)",
    "DROP FUNCTION IF EXISTS sip_source_allowed(bigint, inet)",
    "DROP VIEW IF EXISTS sip_credentials",
    "DROP TABLE IF EXISTS location_attrs",
    "DROP TABLE IF EXISTS location",
    "DELETE FROM version WHERE table_name IN ('location', 'location_attrs', 'sip_credentials')",
]


def _run(statements: list[str]):
    def operation(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_search")]

    operations = [migrations.RunPython(_run(FORWARD_SQL), _run(REVERSE_SQL), elidable=False)]
