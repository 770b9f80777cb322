"""PostgreSQL notifies the channel ``nrm_accounts`` on every write that may change what an API token call reads.

The token's row (not its ``last_used_at``, which a call writes), its user, their memberships, the
organisations and their types, and the authenticators: rows kept between requests
(:mod:`nrm.core.listened`, ``nrm.api.authentication.TOKEN_ROWS``) are dropped on that signal. One
notification per statement, sent when its transaction commits. Nothing on SQLite, which keeps no
such rows.
"""

from django.db import migrations

CHANNEL = "nrm_accounts"
# Table -> the writes that notify (the token's INSERT does not: a new token is read when first used).
WRITES = {
    "accounts_apitoken": "UPDATE OF user_id, key_hash, expires_at, revoked_at OR DELETE OR TRUNCATE",
    "accounts_user": "UPDATE OR DELETE OR TRUNCATE",
    "accounts_membership": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "accounts_organisation": "UPDATE OR DELETE OR TRUNCATE",
    "accounts_organisationtype": "UPDATE OR DELETE OR TRUNCATE",
    "otp_totp_totpdevice": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
}


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION nrm_notify_accounts() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    for table, writes in WRITES.items():
        schema_editor.execute(
            f"CREATE TRIGGER nrm_notify_accounts AFTER {writes} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION nrm_notify_accounts()"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in WRITES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS nrm_notify_accounts ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS nrm_notify_accounts()")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_tokens"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(install, remove, elidable=True)]
