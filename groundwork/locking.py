"""Locks that make a read-then-write safe when several processes serve the site at once.

`hold(*names)` takes transaction-scoped locks by name, so two requests (or workers) doing
the same check-then-insert wait for each other instead of both seeing "nothing yet":

- PostgreSQL: advisory transaction locks (`pg_advisory_xact_lock`), freed at commit or
  rollback; taken in sorted order, so two callers never wait on each other in a circle.
- SQLite: nothing to take. The site's SQLite transactions are IMMEDIATE (config/settings/
  base.py), so a transaction that writes holds the database's one write lock from its start.

Call it first thing inside `transaction.atomic()`.
"""

import hashlib

from django.db import connections, transaction


def _key(name: str) -> int:
    """A signed 64-bit number for a lock name, as PostgreSQL's advisory locks want."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def hold(*names: str, using: str = "default") -> None:
    """Lock `names` until the current transaction ends."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("locking.hold() needs a transaction to hold the locks in.")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted({_key(name) for name in names}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
