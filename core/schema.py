"""Schema versions: Alembic migrations in ``core/migrations/versions``, applied when a database
is opened.

- A database without a version table (every one from before versions existed, some with only
  some tables) runs the baseline, which creates what is missing and stamps it.
- An older schema is upgraded in place, in one transaction, under a lock, so two processes
  starting at once upgrade it once.
- A schema newer than this code knows stops the process with the reason: with several
  processes, an upgrade means stop all, upgrade one, start all.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)
# Alembic logs each plugin and step at INFO: a dozen lines before every CLI command's output.
# Our own line says what was upgraded.
logging.getLogger("alembic").setLevel(logging.WARNING)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
# Alembic's migration context and ``op`` are process-wide proxies: two migrations running at
# once in one process (ours for a second app, or MLflow creating its store's tables, which
# training/tracking.py does under this lock) tear each other's proxies down mid-way.
MIGRATION_LOCK = threading.RLock()


class SchemaError(RuntimeError):
    """The database's schema can't be used by this code."""


@lru_cache(maxsize=1)
def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    return _script().get_current_head()


def current(conn) -> tuple[str, ...]:
    """The revisions a database is stamped with (none before versions existed)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_heads()


def check_known(revisions: tuple[str, ...], where: str) -> None:
    script = _script()
    known = {r.revision for r in script.walk_revisions()}
    unknown = [r for r in revisions if r not in known]
    if unknown:
        raise SchemaError(
            f"the database {where} has schema version {', '.join(unknown)}, newer than this app "
            f"knows (its newest is {script.get_current_head()}): a newer version of the app "
            "upgraded it. Run that version, or upgrade this one; with several processes on one "
            "database: stop all, upgrade one, start all"
        )


def _one_migration_at_a_time() -> None:
    """Make every Alembic environment in this process, ours and MLflow's (it creates its store's
    tables with Alembic on first use, from whichever thread touches it first), hold
    ``MIGRATION_LOCK`` from enter to exit: their proxies are module globals, and one ending while
    another runs deletes the other's (``KeyError: 'config'``)."""
    from alembic.runtime.environment import EnvironmentContext

    if getattr(EnvironmentContext, "_one_at_a_time", False):
        return
    enter, leave = EnvironmentContext.__enter__, EnvironmentContext.__exit__

    def locked_enter(self):
        MIGRATION_LOCK.acquire()
        try:
            return enter(self)
        except BaseException:
            MIGRATION_LOCK.release()
            raise

    def locked_exit(self, *exc):
        try:
            return leave(self, *exc)
        finally:
            MIGRATION_LOCK.release()

    EnvironmentContext.__enter__ = locked_enter
    EnvironmentContext.__exit__ = locked_exit
    EnvironmentContext._one_at_a_time = True


def upgrade(db) -> list[str]:
    """Bring ``db`` to the newest schema; returns the revisions applied."""
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext

    _one_migration_at_a_time()

    script = _script()
    target = script.get_current_head()
    applied: list[str] = []
    with db.transaction() as conn:
        raw = conn.raw
        db.dialect.lock_schema(raw)
        have = current(raw)
        check_known(have, db.where)
        if have == (target,):
            return applied

        def steps(rev, context):
            found = script._upgrade_revs(target, rev)
            applied.extend(step.revision.revision for step in found)
            return found

        with EnvironmentContext(Config(), script, fn=steps) as env:
            env.configure(connection=raw, version_table=VERSION_TABLE)
            env.run_migrations()
    log.info("database %s: schema upgraded to %s (%s)", db.where, target, ", ".join(applied))
    return applied
