"""Database wiring: one peewee proxy, PostgreSQL connections from a pool per process,
a connection only for the requests that query, migrations."""
import atexit
import datetime
import logging
import os
import random
import threading
import time

from peewee import (DatabaseProxy, DateTimeField, Model, ModelNamedTupleCursorWrapper,
                    NamedTupleCursorWrapper, OperationalError, SqliteDatabase, Value)
from playhouse.db_url import connect as connect_url
from playhouse.db_url import parse as parse_url
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase
from playhouse.migrations import Runner

database = DatabaseProxy()
log = logging.getLogger(__name__)

# PostgreSQL aborts one of two transactions that wait on each other (deadlock
# detected) or that it cannot serialise; the other one goes on.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")

DEFAULT_POOL_SIZE = 20
DEFAULT_POOL_MAX_AGE_SECONDS = 300
# A request that finds every pooled connection in use waits this long for one to be
# given back, then fails (500) rather than queueing for ever.
POOL_WAIT_SECONDS = 10
# A pooled PostgreSQL connection idle this long is checked before it is handed out.
CHECK_IDLE_SECONDS = 1.0
POSTGRES_SCHEMES = ("postgres", "postgresql")

# One pool per database URL in the process: every app the process builds (the tests
# build one per test, a CLI command one) shares it, instead of each keeping idle
# connections open until the garbage collector finds them.
_pools = {}
_pools_lock = threading.Lock()


class UTCDateTimeField(DateTimeField):
    """An instant: written as naive UTC (the same column type on SQLite and
    PostgreSQL), read back as an aware UTC datetime. Naive values are taken as UTC."""

    def db_value(self, value):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, datetime.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class _Parameter:
    """Where an argument of a prepared query goes in its parameter list."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


class PreparedSelect:
    """A SELECT run on every request (the signed-in account, its Candidat), whose SQL
    is built once per database instead of at each execution.

    peewee turns the query's tree into SQL every time it runs it: for a model with
    thirty columns that is ~0.2 ms, more than SQLite takes to answer, and a signed-in
    page runs three or four such queries. `build(*parameters)` returns the query with
    each parameter in place of a value; the SQL and the query (which knows how to
    turn rows into model instances) are kept, and a call binds the new arguments.
    Arguments go to the driver as they are (no field conversion): give ints and
    strings, as the column stores them."""

    def __init__(self, build):
        self.build = build
        self.arity = build.__code__.co_argcount
        self.prepared = {}  # database object → (query, sql, parameter list)
        self.row_format = {}  # database object → what peewee's cursor wrapper read once
        self.lock = threading.Lock()

    def _prepare(self, target):
        entry = self.prepared.get(target)
        if entry is None:
            query = self.build(*(Value(_Parameter(index), converter=False)
                                 for index in range(self.arity)))
            sql, params = target.get_sql_context().sql(query).query()
            with self.lock:
                entry = self.prepared.setdefault(target, (query, sql, params))
        return entry

    def rows(self, *arguments):
        """The cursor wrapper of peewee's own query (model instances, dicts or tuples,
        whatever the built query asked for), for these arguments."""
        target = database.obj
        query, sql, params = self._prepare(target)
        bound = [arguments[param.index] if isinstance(param, _Parameter) else param
                 for param in params]
        wrapper = query._get_cursor_wrapper(target.execute_sql(sql, bound))
        # The wrapper works out, at its first row, which column goes to which field
        # and with which converter, from the cursor's description: the same for the
        # same SQL, and a quarter of the time of a one-row query. Done once here.
        row_format = self.row_format.get(target)
        if row_format is not None:
            wrapper.__dict__.update(row_format)
            wrapper.initialized = True
            return wrapper
        fresh = set(wrapper.__dict__)
        wrapper.fill_cache()
        # Not a named tuple's: its constructor is a closure over this first wrapper.
        if wrapper.initialized and not isinstance(
                wrapper, (NamedTupleCursorWrapper, ModelNamedTupleCursorWrapper)):
            self.row_format[target] = {name: value for name, value in wrapper.__dict__.items()
                                       if name not in fresh}
        return wrapper

    def first(self, *arguments):
        """The first row, or None (build the query with `.limit(1)`)."""
        for row in self.rows(*arguments):
            return row
        return None


def write_transaction():
    """A transaction for a write that depends on what it reads.

    SQLite: `BEGIN IMMEDIATE` takes the database's write lock at once (waiting up
    to busy_timeout), so nothing read inside can change before the commit; a
    deferred transaction would read, then fail with "database is locked" on its
    first write. PostgreSQL: a READ COMMITTED transaction in which the caller takes
    row locks (`ecandidat.workflow.core.locked`). Inside another transaction it is a savepoint of that one."""
    if isinstance(database.obj, SqliteDatabase):
        return database.atomic("IMMEDIATE")
    return database.atomic()


def retryable(error):
    """An error PostgreSQL raised to abort a transaction that may simply be run again."""
    original = getattr(error, "orig", None)  # peewee keeps the driver's error there
    return getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES


def retrying(function, attempts=3):
    """`function()` — which opens and commits its own write transaction — run again,
    from the start, when PostgreSQL aborted it for a deadlock or a serialization
    failure: it was rolled back whole (its mails with it, they are in the outbox),
    so running it again does it once. Lock orders keep this rare (a désistement
    locks the candidature it promotes after its own). Inside an outer transaction
    nothing is retried: the outer one was aborted too, its caller decides."""
    for attempt in range(1, attempts + 1):
        try:
            return function()
        except OperationalError as error:
            if attempt == attempts or not retryable(error) or database.in_transaction():
                raise
            log.warning("Transaction annulée par PostgreSQL (%s), nouvel essai %s/%s",
                        error.orig.sqlstate, attempt + 1, attempts)
            time.sleep(random.uniform(0.01, 0.1) * attempt)


def make_database(url, pool_size=DEFAULT_POOL_SIZE, max_age=DEFAULT_POOL_MAX_AGE_SECONDS):
    """A peewee database for a URL (sqlite:///path or postgresql://…).

    PostgreSQL: a pool of at most `pool_size` connections per process (connecting
    costs ~5 ms, more than a whole simple page's queries); closing gives the connection
    back, rolled back. A connection taken from the pool after a second idle is checked
    first (one round trip; a dead one, after a server restart, is dropped: PostgresqlPool),
    and one older than `max_age`
    seconds is closed instead of reused, so a backend's memory or a failover to another
    server is not kept for ever. Each thread has its own connection. `pool_size` 0: a
    new connection every time.
    SQLite: pooled as well. A new connection costs little to open but its first
    statement reads and parses the whole schema (tables, indexes, triggers): ~3 ms,
    most of a signed-in page (tools/bench_requests.py). The pool gives each thread a
    connection of its own (never one connection to two threads at once, which is
    what sqlite3's same-thread check guards against) and rolls back whatever a
    request left open. `pool_size` 0: a new connection every time."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # WAL lets the web process read while a CLI job writes; foreign keys
        # are off by default in SQLite.
        pragmas = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000}
        if pool_size > 0 and path != ":memory:":
            return _pool(url, pool_size, max_age, lambda: PooledSqliteDatabase(
                path, pragmas=pragmas, max_connections=pool_size, stale_timeout=max_age,
                timeout=POOL_WAIT_SECONDS, check_same_thread=False))
        return SqliteDatabase(path, pragmas=pragmas)
    scheme, rest = url.split("://", 1)
    if scheme in POSTGRES_SCHEMES and pool_size > 0:
        return _pool(url, pool_size, max_age, lambda: PostgresqlPool(
            **parse_url(url), max_connections=pool_size, stale_timeout=max_age,
            timeout=POOL_WAIT_SECONDS))
    return connect_url(url)


class PostgresqlPool(PooledPostgresqlDatabase):
    """peewee's pool checks a connection (a SELECT 1 round trip) each time it hands it
    out; this one only when the connection has been idle CHECK_IDLE_SECONDS. At a peak
    a connection goes back and out again within milliseconds, and that round trip was
    a tenth of a signed-in page. A server restarted is still noticed by the first
    request after a second of quiet; a query caught within that second fails as any
    query on a lost connection does, and the connection is dropped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._returned_at = {}  # connection key → when it went back to the pool

    def _close(self, conn, close_conn=False):
        key = self.conn_key(conn)
        if close_conn:
            self._returned_at.pop(key, None)
        else:
            self._returned_at[key] = time.monotonic()
        return super()._close(conn, close_conn)

    def _is_closed(self, conn):
        if conn.closed:
            return True
        returned = self._returned_at.pop(self.conn_key(conn), None)
        if returned is not None and time.monotonic() - returned < CHECK_IDLE_SECONDS:
            return False
        return super()._is_closed(conn)


def _pool(url, size, max_age, make):
    with _pools_lock:
        key = (url, size, max_age)
        if key not in _pools:
            pool = make()
            # Say goodbye to the server at exit (a CLI command, a worker stopping)
            # instead of letting it log connections reset by peer.
            atexit.register(pool.close_idle)
            _pools[key] = pool
        return _pools[key]


def init_app(app):
    """The database of `app.config`; a request connects at its first query (peewee's
    autoconnect), so a static file or a page that reads nothing opens no connection,
    and gives its connection back (to the pool on PostgreSQL) when it ends."""
    database.initialize(make_database(app.config["DATABASE_URL"],
                                      pool_size=app.config["DB_POOL_SIZE"],
                                      max_age=app.config["DB_POOL_MAX_AGE_SECONDS"]))

    @app.teardown_request
    def _close_connection(exc):
        if not database.is_closed():
            database.close()


def migration_runner():
    return Runner(database.obj, MIGRATIONS_DIR)


def upgrade():
    """Apply pending migrations; returns the names applied (empty when up to date)."""
    with database.connection_context():
        return migration_runner().up()
