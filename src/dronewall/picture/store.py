"""The event store: an embedded, versioned record of runs on SQLite (PostgreSQL-ready).

Everything a run produces -- its set-up (sites, sensors, fire units, objects), the simulated truth,
every detection, every track snapshot and every discrete event -- is appended to one store through
:class:`EventStore`, and read back as the same arrays for replay and reports. The schema is in
:mod:`dronewall.picture.schema`; this module only adds validation and the numpy <-> row mapping.

Data layout
-----------
Writers take the pipeline's struct-of-arrays types (:class:`~dronewall.core.DetectionBatch`,
:class:`~dronewall.core.TrackTable`, plain ``(K, n)`` float64 arrays) and readers give the same back
(a ``DetectionBatch``, :class:`TruthRecord`, :class:`TrackUpdates`), in insertion order. Set-up
rows are plain mappings of column name to value (see each ``add_*`` method for the keys). Times
are UTC epoch seconds, positions ENU metres in the run frame and WGS84 degrees / metres.

Writes
------
Every append is validated completely before anything is written (bad input raises
:class:`StoreInputError`, a ``StoreError`` and a ``ValueError``), then written with one
``executemany`` in one transaction: a failing append leaves no rows behind. Appends may be grouped
into one transaction with :meth:`EventStore.transaction` (one commit per pipeline tick).

On SQLite the bulk appenders bypass SQLAlchemy's per-row parameter processing (plain tuples to
the driver; the numeric columns need no conversion) and the connection runs with
``journal_mode=WAL`` and ``synchronous=NORMAL``: a commit is durable against a crash of the
process, and may be lost only on a power failure of the machine. Readers in other processes may
read while one process writes. One process should write a given run at a time.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import numpy as np
import sqlalchemy as sa
from numpy.typing import ArrayLike, NDArray

from dronewall.core.errors import StoreError
from dronewall.core.measurements import NO_CUE, DetectionBatch, MeasurementKind
from dronewall.core.taxonomy import ObjectClass
from dronewall.core.tracks import TrackStatus, TrackTable
from dronewall.picture import migrations
from dronewall.picture import schema as S
from dronewall.picture.events import EVENT_KINDS, Event, to_json_value
from dronewall.world.catalogue import Site
from dronewall.world.deployment import FireUnitSpec

F64 = NDArray[np.float64]

_IU = np.triu_indices(3)
"""Row and column indices of the 6 upper-triangle entries of a 3x3 matrix, in the order
``00 01 02 11 12 22`` (the ``r..`` and ``p_..`` columns)."""

_DETECTION_COLUMNS: Final = (
    "run_id",
    "sensor",
    "kind",
    *S.DETECTION_FLOATS,
    "ident",
    "protocol",
    "truth",
    "cue",
)
_TRUTH_COLUMNS: Final = ("run_id", "t", "idx", "e", "n", "u", "ve", "vn", "vu", "lat", "lon", "h")
_TRACK_COLUMNS: Final = (
    "run_id",
    "t",
    "track_id",
    "status",
    *S.TRACK_FLOATS,
    "object_class",
    "identity",
    "ident",
    "truth",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    """One row of ``runs``: what was run, from where, and how it ended."""

    run_id: int
    scenario: str
    seed: int
    t0: float
    """UTC epoch seconds at the start of the run."""
    origin_lla: tuple[float, float, float]
    """Origin of the run's ENU frame: latitude and longitude in degrees, height in metres."""
    started_utc: str
    finished_utc: str | None
    config: dict[str, Any]
    summary: dict[str, Any] | None
    status: str


@dataclass(frozen=True, slots=True)
class TruthRecord:
    """Simulated truth over ``R`` rows (one object at one time), ordered by insertion.

    Attributes
    ----------
    t : (R,) float64
        UTC epoch seconds.
    idx : (R,) int32
        Object index (``objects.idx``, the ``truth`` column of detections and tracks).
    enu : (R, 6) float64
        ``(e, n, u, ve, vn, vu)`` in the run frame, metres and metres per second.
    lla : (R, 3) float64
        Latitude and longitude in degrees, height in metres.
    """

    t: F64
    idx: NDArray[np.int32]
    enu: F64
    lla: F64

    def __len__(self) -> int:
        return int(self.t.shape[0])


@dataclass(frozen=True, slots=True)
class TrackUpdates:
    """Track snapshots over ``R`` rows (one track at one time), ordered by insertion.

    Attributes
    ----------
    t : (R,) float64
        Snapshot time, UTC epoch seconds.
    track_id : (R,) int64
    status : (R,) int8
        :class:`~dronewall.core.TrackStatus`.
    x : (R, 6) float64
        ``(e, n, u, ve, vn, vu)`` in the run frame.
    lla : (R, 3) float64
        Latitude, longitude (degrees), height (metres).
    pos_cov : (R, 3, 3) float64
        Position covariance ``P[:3, :3]`` (m²), symmetric (rebuilt from the stored upper triangle).
    vel_var : (R, 3) float64
        Velocity variances, the diagonal of ``P[3:, 3:]`` (m²/s²).
    object_class : (R,) str
        Class label (:attr:`~dronewall.core.ObjectClass.label`).
    class_prob : (R,) float64
        Probability of ``object_class``.
    identity : (R,) str
        Standard identity label (:attr:`~dronewall.core.Identity.label`).
    ident : (R,) int64
        Cooperative identity, -1 none.
    threat : (R,) float64
        Threat score.
    truth : (R,) int32
        Majority truth object index, -1 none (evaluation only).
    """

    t: F64
    track_id: NDArray[np.int64]
    status: NDArray[np.int8]
    x: F64
    lla: F64
    pos_cov: F64
    vel_var: F64
    object_class: NDArray[np.str_]
    class_prob: F64
    identity: NDArray[np.str_]
    ident: NDArray[np.int64]
    threat: F64
    truth: NDArray[np.int32]

    def __len__(self) -> int:
        return int(self.t.shape[0])


# --------------------------------------------------------------------------------------------
# validation helpers: every check raises ValueError (via StoreError) before anything is written


class StoreInputError(StoreError, ValueError):
    """Input handed to the store is malformed (a wrong shape, a NaN time, an unknown key ...).

    Raised before anything is written. It is a :class:`StoreError` and a :class:`ValueError`;
    ``field`` names the offending argument (``batch.t[4]``, ``sensors[2].lat``).
    """


def _bad(
    message: str, *, field: str, expected: str | None = None, actual: str | None = None
) -> StoreInputError:
    return StoreInputError(message, field=field, expected=expected, actual=actual)


def _floats(name: str, a: ArrayLike, shape: tuple[int, ...], *, finite: bool = False) -> F64:
    arr = np.asarray(a)
    if arr.shape != shape:
        raise _bad("wrong shape", field=name, expected=str(shape), actual=str(arr.shape))
    if arr.dtype.kind not in "fiub":
        raise _bad("not numeric", field=name, expected="float64", actual=str(arr.dtype))
    out = arr.astype(np.float64, copy=False)
    if finite and not np.isfinite(out).all():
        row = int(np.flatnonzero(~np.isfinite(out.reshape(shape[0], -1)).all(axis=1))[0])
        raise _bad("must be finite", field=f"{name}[{row}]", actual=str(out[row]))
    return out


def _ints(name: str, a: ArrayLike, n: int, lo: int, hi: int) -> NDArray[np.int64]:
    """Integer column of length ``n`` with values in ``[lo, hi]``; floats must be integral."""
    arr = np.asarray(a)
    if arr.shape != (n,):
        raise _bad("wrong shape", field=name, expected=f"({n},)", actual=str(arr.shape))
    if arr.dtype.kind == "f":
        ok = np.isfinite(arr) & (arr == np.round(arr))
        if not ok.all():
            row = int(np.flatnonzero(~ok)[0])
            raise _bad("must be a whole number", field=f"{name}[{row}]", actual=str(arr[row]))
    elif arr.dtype.kind not in "iub":
        raise _bad("not an integer array", field=name, expected="int", actual=str(arr.dtype))
    out = arr.astype(np.int64)
    if n and (out.min() < lo or out.max() > hi):
        row = int(np.flatnonzero((out < lo) | (out > hi))[0])
        raise _bad(
            "out of range", field=f"{name}[{row}]", expected=f"{lo}..{hi}", actual=str(out[row])
        )
    return out


def _labels(name: str, labels: Sequence[str], n: int, max_len: int) -> list[str]:
    out = list(labels)
    if len(out) != n:
        raise _bad("wrong length", field=name, expected=str(n), actual=str(len(out)))
    for i, s in enumerate(out):
        if not isinstance(s, str):
            raise _bad("not a string", field=f"{name}[{i}]", actual=type(s).__name__)
        if len(s) > max_len or "\x00" in s:
            raise _bad(
                "too long or contains NUL",
                field=f"{name}[{i}]",
                expected=f"at most {max_len} characters, no NUL",
                actual=repr(s[:40]),
            )
    return out


def _text(table: sa.Table, column: str, value: object, field: str, *, empty: bool = False) -> str:
    """``value`` checked to fit a text column on every dialect: a ``str`` within the column's
    length, without NUL (PostgreSQL refuses it), non-empty unless ``empty``."""
    if not isinstance(value, str):
        raise _bad("must be a string", field=field, actual=type(value).__name__)
    if not value and not empty:
        raise _bad("must not be empty", field=field)
    if "\x00" in value:
        raise _bad("must not contain a NUL character", field=field, actual=repr(value[:40]))
    length = getattr(table.c[column].type, "length", None)
    if length is not None and len(value) > length:
        raise _bad(
            "too long", field=field, expected=f"at most {length} characters", actual=str(len(value))
        )
    return value


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(v: Any) -> str:
    """One field of PostgreSQL's COPY text format (see ``EventStore._write_copy``)."""
    if v is None or v != v:  # v != v: a float NaN
        return "\\N"
    if type(v) is str:
        return v.translate(_COPY_ESCAPES)
    return repr(v) if type(v) is float else str(int(v))


def _len(table: sa.Table, column: str) -> int:
    length = getattr(table.c[column].type, "length", None)
    return int(length) if length is not None else 2**31 - 1


def _upper(m: F64) -> list[list[float]]:
    """The 6 upper-triangle entries of ``(K, 3, 3)`` as 6 lists of K floats."""
    tri = m[:, _IU[0], _IU[1]]
    return [tri[:, j].tolist() for j in range(6)]


def _from_upper(cols: Sequence[Sequence[float | None]], k: int) -> F64:
    """Rebuild symmetric ``(K, 3, 3)`` from 6 upper-triangle columns (None -> NaN)."""
    out = np.empty((k, 3, 3))
    for j, (r, c) in enumerate(zip(_IU[0], _IU[1], strict=True)):
        col = np.array(cols[j], dtype=np.float64)
        out[:, r, c] = col
        out[:, c, r] = col
    return out


def _f64(col: Sequence[Any]) -> F64:
    return np.array(col, dtype=np.float64) if len(col) else np.empty(0)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_PG_MAX_PARAMS: Final = 32_000
"""Bind parameters per multi-row INSERT on PostgreSQL (the protocol's limit is 32,767)."""

_I32 = (-(2**31), 2**31 - 1)
_I64 = (-(2**63), 2**63 - 1)


# --------------------------------------------------------------------------------------------


class EventStore:
    """An open event store. Make one with :meth:`open`; use as a context manager or :meth:`close`.

    Threads may share one store: each call outside :meth:`transaction` uses a connection of its
    own from the engine's pool, and a :meth:`transaction` belongs to the thread that opened it
    (writes from other threads meanwhile go in their own transactions). On SQLite one writer at
    a time holds the file (others wait up to 5 s); readers in other processes may read while one
    writes (WAL).
    """

    def __init__(self, engine: sa.Engine, source: str) -> None:
        """Use :meth:`open`. ``source`` names the store in errors (a path, or a URL without
        password)."""
        self._engine = engine
        self.source = source
        self._fast_sql: dict[str, str] | None = {} if engine.dialect.name == "sqlite" else None
        self._pg_copy = engine.dialect.name == "postgresql" and engine.dialect.driver == "pg8000"
        self._pg_values = engine.dialect.name == "postgresql" and engine.dialect.paramstyle in (
            "format",
            "pyformat",
        )
        self._known_runs: set[int] = set()
        # per thread: the connection of the open transaction() and whether a write in it failed
        self._local = threading.local()

    @property
    def _conn(self) -> sa.Connection | None:
        conn: sa.Connection | None = getattr(self._local, "conn", None)
        return conn

    @_conn.setter
    def _conn(self, conn: sa.Connection | None) -> None:
        self._local.conn = conn

    @property
    def _failed(self) -> bool:
        return bool(getattr(self._local, "failed", False))

    @_failed.setter
    def _failed(self, failed: bool) -> None:
        self._local.failed = failed

    # ---------------------------------------------------------------- opening and closing

    @classmethod
    def open(
        cls, path_or_url: str | Path, *, create: bool = True, schema: str | None = None
    ) -> EventStore:
        """Open (and with ``create``, create or upgrade if needed) an event store.

        Parameters
        ----------
        path_or_url
            A filesystem path (a :class:`~pathlib.Path`, or a string without ``://``) means an
            SQLite file there; a string with ``://`` is an SQLAlchemy URL: ``sqlite:///path``,
            ``sqlite://`` (in memory, one connection shared by the threads of this process),
            ``postgresql://user@host:port/db`` (driven by pg8000, as is the bare ``postgres://``)
            or ``postgresql+<driver>://...`` for another installed driver.
        create
            Create the file and the schema when they do not exist. When false, a missing file
            or an empty database is an error. An older schema is upgraded in either case (as
            before the Alembic revisions: readers such as the report open with ``create=False``
            the runs of older dronewall versions).
        schema
            PostgreSQL only: the schema (namespace) inside the database that holds the store's
            tables, put first on the connections' ``search_path``; created when missing (with
            ``create``). Several stores can so share one database. Default: the database's own
            default (``public``).

        Raises
        ------
        StoreError
            naming the file or URL (without password): it is missing (and ``create`` is false),
            is unreachable, is not a database, is not a dronewall store, or has a schema version
            this code cannot read (``expected`` and ``actual`` give the versions).
        """
        path: Path | None = None
        if isinstance(path_or_url, Path) or "://" not in path_or_url:
            path = Path(path_or_url)
            source = str(path)
            if not path.exists():
                if not create:
                    raise StoreError("no event store at this path", source=source)
                if not path.parent.is_dir():
                    raise StoreError("the folder of the event store does not exist", source=source)
            url = sa.URL.create("sqlite", database=str(path))
        else:
            try:
                url = sa.make_url(path_or_url)
            except sa.exc.ArgumentError as exc:
                raise StoreError(f"not a database URL: {exc}", source=path_or_url) from exc
            if url.drivername in ("postgresql", "postgres"):
                url = url.set(drivername="postgresql+pg8000")
            source = url.render_as_string(hide_password=True)
        kwargs: dict[str, Any] = {}
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            # one in-memory database per process, not one per thread
            kwargs = {"poolclass": sa.StaticPool, "connect_args": {"check_same_thread": False}}
        try:
            engine = sa.create_engine(url, **kwargs)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise StoreError(f"cannot open the event store: {exc}", source=source) from exc
        if schema is not None:
            if engine.dialect.name != "postgresql":
                engine.dispose()
                raise StoreError(
                    "a schema is only for PostgreSQL stores",
                    source=source,
                    field="schema",
                    actual=repr(schema),
                )
            _configure_search_path(engine, schema, create, source)
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine)
        store = cls(engine, source)
        try:
            store._check_schema(create)
        except BaseException:
            engine.dispose()
            raise
        return store

    def _check_schema(self, create: bool) -> None:
        """Create, stamp or upgrade the schema to :data:`~.schema.SCHEMA_VERSION`, or refuse.

        A database with neither ``schema_meta`` nor other tables is a new store; one with
        ``schema_meta`` but no ``alembic_version`` was written before the Alembic revisions and
        is stamped with the revision of its ``schema_version``; anything newer than this code
        (a larger ``schema_version`` or a revision it does not ship) is refused untouched.
        """
        try:
            with self._engine.begin() as conn:
                tables = set(sa.inspect(conn).get_table_names())
                if S.schema_meta.name not in tables:
                    if tables - {"alembic_version"}:
                        raise StoreError(
                            "not a dronewall event store (it has no schema_meta table)",
                            source=self.source,
                            actual=f"tables {sorted(tables)}",
                        )
                    if not create:
                        raise StoreError(
                            "the database is empty, not an event store", source=self.source
                        )
                    migrations.upgrade(conn)
                    return
                found = self._read_version(conn)
                revision = migrations.current(conn) if "alembic_version" in tables else None
                newer = found > S.SCHEMA_VERSION or (
                    revision is not None and not migrations.known(revision)
                )
                if newer or found < 1:
                    raise StoreError(
                        "unsupported event store schema version"
                        + (" (written by a newer dronewall)" if newer else ""),
                        source=self.source,
                        field="schema_meta.schema_version",
                        expected=str(S.SCHEMA_VERSION),
                        actual=str(found)
                        if revision is None or migrations.known(revision)
                        else f"revision {revision}",
                    )
                if revision != migrations.head():
                    migrations.upgrade(conn, stamp=f"{found:04d}" if revision is None else None)
                missing = sorted(set(S.metadata.tables) - set(sa.inspect(conn).get_table_names()))
                if missing:
                    raise StoreError(
                        "the event store lacks tables of its schema version",
                        source=self.source,
                        expected=", ".join(missing),
                    )
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot open the event store: {exc}", source=self.source) from exc

    def _read_version(self, conn: sa.Connection) -> int:
        value = conn.execute(
            sa.select(S.schema_meta.c.value).where(S.schema_meta.c.key == "schema_version")
        ).scalar_one_or_none()
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise StoreError(
                "the event store has no readable schema_version",
                source=self.source,
                field="schema_meta.schema_version",
                actual=repr(value),
            ) from None

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the store."""
        with self._reading() as conn:
            return self._read_version(conn)

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for ad-hoc queries; the schema is :mod:`~.schema`)."""
        return self._engine

    def close(self) -> None:
        """Release the connections (on SQLite this checkpoints the WAL into the file)."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---------------------------------------------------------------- transactions

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group the writes made inside into one transaction: one commit instead of one per call.

        Nothing is committed until the block ends; an exception leaving the block rolls back every
        write made in it. If a write inside fails in the database, the whole transaction is rolled
        back, later writes in the block raise :class:`StoreError`, and so does the end of the
        block even if the error was caught: no append is ever half written. Reads inside the block
        see its writes. Nested calls join the outer transaction.

        A pipeline appending truth, detections, tracks and events every tick may wrap each tick
        (or several) in one; on SQLite a commit costs about 0.5 ms.
        """
        if self._conn is not None:
            yield
            return
        try:
            with self._engine.begin() as conn:
                self._conn, self._failed = conn, False
                try:
                    yield
                    if self._failed:
                        raise StoreError(
                            "a write inside the transaction failed; all of it was rolled back",
                            source=self.source,
                        )
                finally:
                    self._conn = None
        except sa.exc.SQLAlchemyError as exc:
            self._known_runs.clear()
            raise StoreError(f"the transaction failed: {exc}", source=self.source) from exc
        except BaseException:
            self._known_runs.clear()  # a run begun inside may have been rolled back
            raise
        finally:
            self._failed = False

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """A connection to write on: a transaction of its own, or the open ``transaction()``'s,
        which a failure rolls back at once (no savepoint: they cost ~0.25 ms each on SQLite)."""
        if self._conn is None:
            with self._engine.begin() as conn:
                yield conn
            return
        if self._failed:
            raise StoreError(
                "an earlier write in this transaction failed and rolled it back",
                source=self.source,
            )
        try:
            yield self._conn
        except BaseException:
            self._failed = True
            self._conn.rollback()
            raise

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        if self._conn is None:
            with self._engine.connect() as conn:
                yield conn
        else:
            yield self._conn

    # ---------------------------------------------------------------- writing

    def _write(self, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (tuples in ``columns`` order) in one transaction (or the open one).

        SQLite: one ``executemany`` of the compiled INSERT with plain tuples (the driver stores a
        NaN as NULL). PostgreSQL with pg8000: one ``COPY ... FROM STDIN`` (text format, NaN as
        ``\\N``); with another ``format``-paramstyle driver: multi-row ``INSERT ... VALUES``
        statements of up to :data:`_PG_MAX_PARAMS` parameters each, NaN as NULL (a driver's
        ``executemany`` is one round trip per row: 5-15x slower, see ``bench_store.py``).
        Tables with JSON columns go through SQLAlchemy, which serialises the JSON.
        """
        if not rows:
            return
        try:
            with self._writing() as conn:
                has_json = any(isinstance(table.c[c].type, sa.JSON) for c in columns)
                if self._fast_sql is not None and not has_json:
                    sql = self._fast_sql.get(table.name)
                    if sql is None:
                        compiled = table.insert().compile(
                            dialect=self._engine.dialect, column_keys=list(columns)
                        )
                        if list(compiled.positiontup or ()) != list(columns):
                            raise AssertionError("unexpected parameter order")  # pragma: no cover
                        sql = self._fast_sql[table.name] = compiled.string
                    conn.exec_driver_sql(sql, rows)
                elif self._pg_copy and not has_json:
                    self._write_copy(conn, table, columns, rows)
                elif self._pg_values and not has_json:
                    self._write_values(conn, table, columns, rows)
                else:
                    conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows])
        except sa.exc.SQLAlchemyError as exc:
            what = "nothing written" if self._conn is None else "the transaction was rolled back"
            raise StoreError(
                f"write to {table.name} failed, {what}: {exc.__class__.__name__}: "
                f"{exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc}",
                source=self.source,
            ) from exc

    def _write_copy(
        self,
        conn: sa.Connection,
        table: sa.Table,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """``COPY table (columns) FROM STDIN`` in PostgreSQL's text format through pg8000.

        Each row is one line of tab-separated fields: ``\\N`` for NULL (and NaN), ``repr`` of a
        float (shortest round-trip form; ``inf``/``-inf`` are read by PostgreSQL as infinities),
        ``str`` of an int, and text with backslash, tab, newline and carriage return escaped.
        The rows were validated (no NUL in text) before.
        """
        quote = self._engine.dialect.identifier_preparer.quote
        text = "\n".join("\t".join([_copy_field(v) for v in r]) for r in rows) + "\n"
        sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        dbapi = conn.connection.dbapi_connection
        if dbapi is None:  # pragma: no cover - a live connection has one
            raise StoreError("the connection was closed", source=self.source)
        cur: Any = dbapi.cursor()  # pg8000 Cursor: execute() takes stream=
        try:
            cur.execute(sql, stream=io.BytesIO(text.encode()))
        except Exception as exc:
            # pg8000's errors reach here unwrapped (the cursor is the driver's own)
            raise sa.exc.DBAPIError(sql, None, exc) from exc
        finally:
            cur.close()

    def _write_values(
        self,
        conn: sa.Connection,
        table: sa.Table,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """Multi-row VALUES inserts on a ``format``-paramstyle PostgreSQL driver (pg8000)."""
        quote = self._engine.dialect.identifier_preparer.quote
        k = len(columns)
        head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
        one = "(" + ", ".join(["%s"] * k) + ")"
        per = max(1, _PG_MAX_PARAMS // k)
        full_sql: str | None = None
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            if len(chunk) == per and full_sql is not None:
                sql = full_sql
            else:
                sql = head + ", ".join([one] * len(chunk))
                if len(chunk) == per:
                    full_sql = sql
            # v != v only for a float NaN: PostgreSQL would store NaN, the store's NULL is NULL
            params = tuple(None if v != v else v for r in chunk for v in r)
            conn.exec_driver_sql(sql, params)

    def _require_run(self, run_id: int) -> None:
        if run_id in self._known_runs:
            return
        with self._reading() as conn:
            found = conn.execute(
                sa.select(S.runs.c.run_id).where(S.runs.c.run_id == run_id)
            ).scalar_one_or_none()
        if found is None:
            raise StoreError("no such run", source=self.source, field="run_id", actual=str(run_id))
        self._known_runs.add(run_id)

    def begin_run(
        self,
        *,
        scenario: str,
        seed: int,
        t0: float,
        origin_lla: ArrayLike,
        config: Mapping[str, Any],
    ) -> int:
        """Record the start of a run and return its ``run_id``.

        Parameters
        ----------
        scenario : str
            Scenario name.
        seed : int
            Random seed of the run.
        t0 : float
            UTC epoch seconds at the start of the run.
        origin_lla : (3,) float
            Origin of the run's ENU frame: latitude, longitude (degrees), height (m).
        config : mapping
            The run's configuration, JSON-able (stored as JSON; non-finite floats become null).
        """
        _text(S.runs, "scenario", scenario, "scenario")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise _bad("must be an integer", field="seed", actual=repr(seed))
        if not math.isfinite(float(t0)):
            raise _bad("must be finite", field="t0", actual=repr(t0))
        origin = _floats("origin_lla", origin_lla, (3,))
        if not np.isfinite(origin).all() or abs(origin[0]) > 90 or abs(origin[1]) > 180:
            raise _bad("not a WGS84 position", field="origin_lla", actual=str(origin.tolist()))
        cfg = self._json(config, "config")
        try:
            with self._writing() as conn:
                res = conn.execute(
                    S.runs.insert().values(
                        scenario=scenario,
                        seed=int(seed),
                        t0=float(t0),
                        origin_lat=float(origin[0]),
                        origin_lon=float(origin[1]),
                        origin_h=float(origin[2]),
                        started_utc=_now_iso(),
                        finished_utc=None,
                        config=cfg,
                        summary=None,
                        status="running",
                    )
                )
                pk = res.inserted_primary_key
                if pk is None:  # pragma: no cover
                    raise StoreError("no run_id was assigned", source=self.source)
                run_id = int(pk[0])
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot record the run: {exc}", source=self.source) from exc
        self._known_runs.add(run_id)
        return run_id

    def finish_run(self, run_id: int, summary: Mapping[str, Any], status: str = "finished") -> None:
        """Record the end of a run: its summary (JSON-able), status ``finished`` or ``failed``,
        and the UTC time now."""
        if status not in ("finished", "failed"):
            raise _bad(
                "unknown run status",
                field="status",
                expected="finished or failed",
                actual=repr(status),
            )
        self._require_run(run_id)
        summ = self._json(summary, "summary")
        try:
            with self._writing() as conn:
                conn.execute(
                    S.runs.update()
                    .where(S.runs.c.run_id == run_id)
                    .values(summary=summ, status=status, finished_utc=_now_iso())
                )
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot finish run {run_id}: {exc}", source=self.source) from exc

    @staticmethod
    def _json(value: Mapping[str, Any], name: str) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise _bad("must be a mapping", field=name, actual=type(value).__name__)
        try:
            out: dict[str, Any] = to_json_value(value, name)
        except TypeError as exc:
            raise _bad(f"not JSON-able: {exc}", field=name) from exc
        return out

    # set-up tables ------------------------------------------------------------------

    def _meta_rows(
        self,
        run_id: int,
        table: sa.Table,
        what: str,
        rows: Sequence[Mapping[str, Any]],
        required: Sequence[str],
        optional: Sequence[str],
        indexed: bool,
    ) -> None:
        self._require_run(run_id)
        allowed = set(required) | set(optional) | ({"idx"} if indexed else set())
        out: list[tuple[Any, ...]] = []
        columns = ("run_id", *(("idx",) if indexed else ()), *required, *optional)
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise _bad("must be a mapping", field=f"{what}[{i}]", actual=type(row).__name__)
            missing = [k for k in required if k not in row]
            unknown = sorted(set(row) - allowed)
            if missing or unknown:
                raise _bad(
                    "wrong keys"
                    + (f"; missing {missing}" if missing else "")
                    + (f"; unknown {unknown}" if unknown else ""),
                    field=f"{what}[{i}]",
                    expected=f"keys {list(required)}, optionally {sorted(allowed - set(required))}",
                )
            values: list[Any] = [run_id]
            if indexed:
                values.append(row.get("idx", i))
            values += [row[k] for k in required] + [row.get(k) for k in optional]
            try:
                values = [to_json_value(v) for v in values]
            except TypeError as exc:
                raise _bad(f"not a plain value: {exc}", field=f"{what}[{i}]") from exc
            for k, v in zip(columns, values, strict=True):
                col_type = table.c[k].type
                if v is None:
                    if not table.c[k].nullable:
                        raise _bad("must not be null", field=f"{what}[{i}].{k}")
                elif isinstance(col_type, sa.Integer):
                    if isinstance(v, bool) or not isinstance(v, int):
                        raise _bad("must be an integer", field=f"{what}[{i}].{k}", actual=repr(v))
                    lo, hi = _I64 if isinstance(col_type, sa.BigInteger) else _I32
                    if not lo <= v <= hi:
                        raise _bad(
                            "out of range",
                            field=f"{what}[{i}].{k}",
                            expected=f"{lo}..{hi}",
                            actual=repr(v),
                        )
                elif isinstance(col_type, sa.Float) and (
                    isinstance(v, bool) or not isinstance(v, int | float)
                ):
                    raise _bad("must be a number", field=f"{what}[{i}].{k}", actual=repr(v))
                elif isinstance(col_type, sa.String):
                    _text(table, k, v, f"{what}[{i}].{k}", empty=True)
            out.append(tuple(values))
        self._write(table, columns, out)

    def add_sites(self, run_id: int, sites: Sequence[Site | Mapping[str, Any]]) -> None:
        """Record the protected sites of a run; ``idx`` is the position in ``sites``.

        Each entry is a :class:`~dronewall.world.Site` or a mapping with the keys ``site_id``,
        ``name``, ``kind``, ``lat``, ``lon`` and optionally ``value``, ``alert_radius_m``,
        ``core_radius_m``, ``idx``.
        """
        rows = [
            {
                "site_id": s.id,
                "name": s.name,
                "kind": s.kind,
                "lat": s.lat_deg,
                "lon": s.lon_deg,
                "value": s.value,
                "alert_radius_m": s.alert_radius_m,
                "core_radius_m": s.core_radius_m,
            }
            if isinstance(s, Site)
            else s
            for s in sites
        ]
        self._meta_rows(
            run_id,
            S.sites,
            "sites",
            rows,
            ("site_id", "name", "kind", "lat", "lon"),
            ("value", "alert_radius_m", "core_radius_m"),
            indexed=True,
        )

    def add_sensors(self, run_id: int, rows: Sequence[Mapping[str, Any]]) -> None:
        """Record the sensors of a run.

        Each row is a mapping with ``sensor_id``, ``kind``, ``lat``, ``lon`` and optionally
        ``h_m``, ``max_range_m`` and ``idx`` (default: the position in ``rows``; it is the value of
        the ``sensor`` column of the run's detections).
        """
        self._meta_rows(
            run_id,
            S.sensors,
            "sensors",
            rows,
            ("sensor_id", "kind", "lat", "lon"),
            ("h_m", "max_range_m"),
            indexed=True,
        )

    def add_fire_units(self, run_id: int, rows: Sequence[FireUnitSpec | Mapping[str, Any]]) -> None:
        """Record the fire units of a run.

        Each entry is a :class:`~dronewall.world.FireUnitSpec` or a mapping with
        ``fire_unit_id``, ``effector_id``, ``layer`` (label), ``lat``, ``lon`` and optionally
        ``h_m``, ``magazine`` (``None``: unlimited).
        """
        mapped = [
            {
                "fire_unit_id": f.id,
                "effector_id": f.effector.id,
                "layer": f.effector.layer.label,
                "lat": f.lat_deg,
                "lon": f.lon_deg,
                "h_m": f.h_m,
                "magazine": f.effector.magazine if f.magazine is None else f.magazine,
            }
            if isinstance(f, FireUnitSpec)
            else f
            for f in rows
        ]
        self._meta_rows(
            run_id,
            S.fire_units,
            "fire_units",
            mapped,
            ("fire_unit_id", "effector_id", "layer", "lat", "lon"),
            ("h_m", "magazine"),
            indexed=False,
        )

    def add_objects(self, run_id: int, rows: Sequence[Mapping[str, Any]]) -> None:
        """Record the simulated objects (truth metadata) of a run.

        Each row is a mapping with ``object_id``, ``type_id``, ``object_class`` (label),
        ``allegiance`` (label: ``hostile``/``civil``/``friend``/``nature``) and optionally
        ``target_site`` (site id), ``icao`` (int), ``rcs_m2``, ``cost_eur`` and ``idx`` (default:
        the position in ``rows``; it is the ``truth`` index of detections and tracks).
        """
        self._meta_rows(
            run_id,
            S.objects,
            "objects",
            rows,
            ("object_id", "type_id", "object_class", "allegiance"),
            ("target_site", "icao", "rcs_m2", "cost_eur"),
            indexed=True,
        )

    # bulk appenders -------------------------------------------------------------------

    def append_detections(self, run_id: int, batch: DetectionBatch) -> int:
        """Append the rows of a detection batch; return the number written.

        ``R`` must be symmetric (within 1e-9 of its diagonal scale): its upper triangle is stored.
        ``t`` must be finite, ``sensor`` >= 0, ``kind`` a :class:`~dronewall.core.MeasurementKind`,
        ``cue`` -1 (no class cue, stored as NULL) or an :class:`~dronewall.core.ObjectClass` code.
        NaN in any other float column is stored as NULL and read back as NaN.
        """
        if not isinstance(batch, DetectionBatch):
            raise _bad("not a DetectionBatch", field="batch", actual=type(batch).__name__)
        self._require_run(run_id)
        m = len(batch)
        if m == 0:
            return 0
        t = _floats("batch.t", batch.t, (m,), finite=True)
        t_rx = _floats("batch.t_received", batch.t_received, (m,))
        z = _floats("batch.z", batch.z, (m, 3))
        r = _floats("batch.R", batch.R, (m, 3, 3))
        sp = _floats("batch.sensor_pos", batch.sensor_pos, (m, 3))
        rcs = _floats("batch.rcs_m2", batch.rcs_m2, (m,))
        snr = _floats("batch.snr_db", batch.snr_db, (m,))
        rr = _floats("batch.range_rate", batch.range_rate, (m,))
        rr_var = _floats("batch.range_rate_var", batch.range_rate_var, (m,))
        sensor = _ints("batch.sensor", batch.sensor, m, 0, _I32[1])
        kind = _ints("batch.kind", batch.kind, m, min(MeasurementKind), max(MeasurementKind))
        ident = _ints("batch.ident", batch.ident, m, *_I64)
        protocol = _ints("batch.protocol", batch.protocol, m, -(2**15), 2**15 - 1)
        truth = _ints("batch.truth", batch.truth, m, -1, _I32[1])
        cue = _ints("batch.cue", batch.cue, m, NO_CUE, max(ObjectClass))
        r_t = r.transpose(0, 2, 1)
        diag = np.abs(np.diagonal(r, axis1=1, axis2=2))
        scale = np.where(np.isfinite(diag), diag, 0.0).max(axis=1)
        with np.errstate(invalid="ignore"):
            sym = (
                (r == r_t)
                | (np.isnan(r) & np.isnan(r_t))
                | (np.abs(r - r_t) <= 1e-9 * scale[:, None, None])
            )
        if not sym.all():
            row = int(np.flatnonzero(~sym.all(axis=(1, 2)))[0])
            raise _bad("R is not symmetric", field=f"batch.R[{row}]", actual=str(r[row].tolist()))
        cols: list[Any] = [
            [run_id] * m,
            sensor.tolist(),
            kind.tolist(),
            t.tolist(),
            t_rx.tolist(),
            *(z[:, j].tolist() for j in range(3)),
            *_upper(r),
            *(sp[:, j].tolist() for j in range(3)),
            rcs.tolist(),
            snr.tolist(),
            rr.tolist(),
            rr_var.tolist(),
            ident.tolist(),
            protocol.tolist(),
            truth.tolist(),
            [None if c == NO_CUE else c for c in cue.tolist()],
        ]
        self._write(S.detections, _DETECTION_COLUMNS, list(zip(*cols, strict=True)))
        return m

    def append_truth(
        self, run_id: int, t: float, idx: ArrayLike, enu: ArrayLike, lla: ArrayLike
    ) -> int:
        """Append the simulated states of ``K`` objects at time ``t``; return ``K``.

        Parameters
        ----------
        t : float
            UTC epoch seconds.
        idx : (K,) int
            Object indices (``objects.idx``), distinct, >= 0.
        enu : (K, 6) float
            ``(e, n, u, ve, vn, vu)`` in the run frame, metres and metres per second.
        lla : (K, 3) float
            Latitude, longitude (degrees), height (metres).
        """
        self._require_run(run_id)
        if not math.isfinite(float(t)):
            raise _bad("must be finite", field="t", actual=repr(t))
        idx_arr = np.asarray(idx)
        if idx_arr.ndim != 1:
            raise _bad("wrong shape", field="idx", expected="(K,)", actual=str(idx_arr.shape))
        k = int(idx_arr.shape[0])
        ids = _ints("idx", idx_arr, k, 0, _I32[1])
        if k == 0:
            return 0
        if np.unique(ids).size != k:
            raise _bad("object indices repeat within one time", field="idx")
        x = _floats("enu", enu, (k, 6))
        p = _floats("lla", lla, (k, 3))
        cols: list[Any] = [
            [run_id] * k,
            [float(t)] * k,
            ids.tolist(),
            *(x[:, j].tolist() for j in range(6)),
            *(p[:, j].tolist() for j in range(3)),
        ]
        self._write(S.truth, _TRUTH_COLUMNS, list(zip(*cols, strict=True)))
        return k

    def append_track_updates(
        self,
        run_id: int,
        t: float,
        tracks: TrackTable,
        lla: ArrayLike,
        class_label: Sequence[str],
        class_prob: ArrayLike,
        identity: Sequence[str],
        threat: ArrayLike,
    ) -> int:
        """Append one snapshot of ``N`` tracks, recorded at time ``t``; return ``N``.

        Parameters
        ----------
        t : float
            Snapshot time, UTC epoch seconds (normally ``tracks.t``).
        tracks : TrackTable
            The tracks; ``track_id`` distinct. Stored: ``status``, ``x``, the upper triangle of
            ``P[:3, :3]`` and the diagonal of ``P[3:, 3:]``, ``ident``, ``truth``.
        lla : (N, 3) float
            WGS84 position of each track (degrees, metres).
        class_label : sequence of N str
            Most probable class label per track.
        class_prob : (N,) float
            Its probability.
        identity : sequence of N str
            Standard identity label per track.
        threat : (N,) float
            Threat score per track.
        """
        if not isinstance(tracks, TrackTable):
            raise _bad("not a TrackTable", field="tracks", actual=type(tracks).__name__)
        self._require_run(run_id)
        if not math.isfinite(float(t)):
            raise _bad("must be finite", field="t", actual=repr(t))
        n = len(tracks)
        tid = _ints("tracks.track_id", tracks.track_id, n, *_I64)
        status = _ints("tracks.status", tracks.status, n, min(TrackStatus), max(TrackStatus))
        x = _floats("tracks.x", tracks.x, (n, 6))
        cov = _floats("tracks.P", tracks.P, (n, 6, 6))
        ident = _ints("tracks.ident", tracks.ident, n, *_I64)
        truth = _ints("tracks.truth", tracks.truth, n, -1, _I32[1])
        pos = _floats("lla", lla, (n, 3))
        labels = _labels("class_label", class_label, n, _len(S.track_updates, "object_class"))
        prob = _floats("class_prob", class_prob, (n,))
        ids = _labels("identity", identity, n, _len(S.track_updates, "identity"))
        thr = _floats("threat", threat, (n,))
        if n == 0:
            return 0
        if np.unique(tid).size != n:
            raise _bad("track ids repeat within one snapshot", field="tracks.track_id")
        vel_var = np.diagonal(cov[:, 3:, 3:], axis1=1, axis2=2)
        cols: list[Any] = [
            [run_id] * n,
            [float(t)] * n,
            tid.tolist(),
            status.tolist(),
            *(x[:, j].tolist() for j in range(6)),
            *(pos[:, j].tolist() for j in range(3)),
            *_upper(np.ascontiguousarray(cov[:, :3, :3])),
            *(vel_var[:, j].tolist() for j in range(3)),
            prob.tolist(),
            thr.tolist(),
            labels,
            ids,
            ident.tolist(),
            truth.tolist(),
        ]
        self._write(S.track_updates, _TRACK_COLUMNS, list(zip(*cols, strict=True)))
        return n

    def append_events(self, run_id: int, events: Sequence[Event]) -> int:
        """Append events in the given order (which is the order :meth:`events` returns them);
        return the number written. Kinds must be in :data:`~dronewall.picture.EVENT_KINDS`."""
        self._require_run(run_id)
        rows: list[tuple[Any, ...]] = []
        for i, ev in enumerate(events):
            where = f"events[{i}]"
            if not isinstance(ev, Event):
                raise _bad("not an Event", field=where, actual=type(ev).__name__)
            if ev.kind not in EVENT_KINDS:
                raise _bad(
                    "unknown event kind",
                    field=f"{where}.kind",
                    expected=" | ".join(sorted(EVENT_KINDS)),
                    actual=repr(ev.kind),
                )
            if not math.isfinite(float(ev.t)):
                raise _bad("must be finite", field=f"{where}.t", actual=repr(ev.t))
            if ev.track_id is not None and (
                isinstance(ev.track_id, bool) or not isinstance(ev.track_id, int | np.integer)
            ):
                raise _bad(
                    "must be an int or None", field=f"{where}.track_id", actual=repr(ev.track_id)
                )
            if ev.site_id is not None:
                _text(S.events, "site_id", ev.site_id, f"{where}.site_id", empty=True)
            payload = self._json(ev.payload, f"{where}.payload")
            rows.append(
                (
                    run_id,
                    float(ev.t),
                    ev.kind,
                    None if ev.track_id is None else int(ev.track_id),
                    ev.site_id,
                    payload,
                )
            )
        self._write(S.events, ("run_id", "t", "kind", "track_id", "site_id", "payload"), rows)
        return len(rows)

    # ---------------------------------------------------------------- audit log

    def append_audit(
        self, *, wall_time: float, user: str, role: str, action: str, item: str, reason: str
    ) -> int:
        """Append one entry to the audit log and return its ``seq`` (increasing, store-wide).

        Parameters
        ----------
        wall_time : float
            When the decision was taken, UTC epoch seconds (finite).
        user, role, action, item : str
            Who (token subject), in which role, did what (``approve``, ``reject``,
            ``acknowledge`` ...), to which item (a proposal or alert id); non-empty, at most
            200/64/64/200 characters, no NUL character.
        reason : str
            Why (free text, may be empty, no NUL character).

        The entry is committed before this returns (or with the open :meth:`transaction`); the
        log is append-only: the database refuses UPDATE and DELETE of its rows.
        """
        if isinstance(wall_time, bool) or not isinstance(wall_time, int | float | np.number):
            raise _bad("must be a number", field="wall_time", actual=repr(wall_time))
        if not math.isfinite(float(wall_time)):
            raise _bad("must be finite", field="wall_time", actual=repr(wall_time))
        values: dict[str, Any] = {"wall_time": float(wall_time)}
        given = {"user": user, "role": role, "action": action, "item": item, "reason": reason}
        for name, value in given.items():
            values[name] = _text(S.audit_log, name, value, name, empty=name == "reason")
        try:
            with self._writing() as conn:
                pk = conn.execute(S.audit_log.insert().values(**values)).inserted_primary_key
                if pk is None:  # pragma: no cover
                    raise StoreError("no seq was assigned to the audit entry", source=self.source)
                return int(pk[0])
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(
                f"cannot append to the audit log, nothing written: {exc}", source=self.source
            ) from exc

    def audit_entries(self, since_seq: int = 0) -> list[dict[str, Any]]:
        """Audit entries with ``seq > since_seq``, oldest first, as dicts with the keys ``seq``,
        ``wall_time``, ``user``, ``role``, ``action``, ``item``, ``reason``.

        Pass the last ``seq`` seen to read only what was appended since.
        """
        if isinstance(since_seq, bool) or not isinstance(since_seq, int | np.integer):
            raise _bad("must be an integer", field="since_seq", actual=repr(since_seq))
        stmt = (
            sa.select(S.audit_log)
            .where(S.audit_log.c.seq > int(since_seq))
            .order_by(S.audit_log.c.seq)
        )
        return [
            {
                "seq": int(m["seq"]),
                "wall_time": float(m["wall_time"]),
                **{k: str(m[k]) for k in S.AUDIT_FIELDS[1:]},
            }
            for m in (r._mapping for r in self._all(stmt))
        ]

    # ---------------------------------------------------------------- reading

    def _all(self, stmt: sa.Select[Any]) -> list[sa.Row[Any]]:
        try:
            with self._reading() as conn:
                return list(conn.execute(stmt).all())
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"read failed: {exc}", source=self.source) from exc

    @staticmethod
    def _run_info(row: sa.Row[Any]) -> RunInfo:
        m = row._mapping
        return RunInfo(
            run_id=int(m["run_id"]),
            scenario=str(m["scenario"]),
            seed=int(m["seed"]),
            t0=float(m["t0"]),
            origin_lla=(float(m["origin_lat"]), float(m["origin_lon"]), float(m["origin_h"])),
            started_utc=str(m["started_utc"]),
            finished_utc=m["finished_utc"],
            config=dict(m["config"] or {}),
            summary=None if m["summary"] is None else dict(m["summary"]),
            status=str(m["status"]),
        )

    def runs(self) -> list[RunInfo]:
        """All runs, oldest first."""
        return [self._run_info(r) for r in self._all(sa.select(S.runs).order_by(S.runs.c.run_id))]

    def run(self, run_id: int) -> RunInfo:
        """One run; :class:`StoreError` if there is none of that id."""
        rows = self._all(sa.select(S.runs).where(S.runs.c.run_id == run_id))
        if not rows:
            raise StoreError("no such run", source=self.source, field="run_id", actual=str(run_id))
        return self._run_info(rows[0])

    def _meta(self, table: sa.Table, run_id: int, order: sa.Column[Any]) -> list[dict[str, Any]]:
        rows = self._all(sa.select(table).where(table.c.run_id == run_id).order_by(order))
        return [{k: v for k, v in r._mapping.items() if k != "run_id"} for r in rows]

    def sites(self, run_id: int) -> list[dict[str, Any]]:
        """Sites of a run by ``idx``, as dicts of the ``sites`` columns (without ``run_id``)."""
        return self._meta(S.sites, run_id, S.sites.c.idx)

    def sensors(self, run_id: int) -> list[dict[str, Any]]:
        """Sensors of a run by ``idx``, as dicts of the ``sensors`` columns."""
        return self._meta(S.sensors, run_id, S.sensors.c.idx)

    def fire_units(self, run_id: int) -> list[dict[str, Any]]:
        """Fire units of a run by id, as dicts of the ``fire_units`` columns."""
        return self._meta(S.fire_units, run_id, S.fire_units.c.fire_unit_id)

    def objects(self, run_id: int) -> list[dict[str, Any]]:
        """Simulated objects of a run by ``idx``, as dicts of the ``objects`` columns."""
        return self._meta(S.objects, run_id, S.objects.c.idx)

    @staticmethod
    def _window(
        stmt: sa.Select[Any], table: sa.Table, t_from: float | None, t_to: float | None
    ) -> sa.Select[Any]:
        if t_from is not None:
            stmt = stmt.where(table.c.t >= t_from)
        if t_to is not None:
            stmt = stmt.where(table.c.t < t_to)
        return stmt

    def detections(
        self, run_id: int, t_from: float | None = None, t_to: float | None = None
    ) -> DetectionBatch:
        """Detections of a run with ``t_from <= t < t_to`` (either bound optional), in insertion
        order, as one batch equal to what was appended (a ``NULL`` cue, as in the rows of stores
        older than schema version 4, reads back as -1: no class cue)."""
        names = _DETECTION_COLUMNS[1:]
        stmt = sa.select(*(S.detections.c[c] for c in names)).where(S.detections.c.run_id == run_id)
        rows = self._all(
            self._window(stmt, S.detections, t_from, t_to).order_by(S.detections.c.seq)
        )
        if not rows:
            return DetectionBatch.empty()
        cols = dict(zip(names, zip(*rows, strict=True), strict=True))
        m = len(rows)
        return DetectionBatch(
            t=_f64(cols["t"]),
            sensor=np.array(cols["sensor"], dtype=np.int32),
            kind=np.array(cols["kind"], dtype=np.int8),
            z=np.column_stack([_f64(cols[c]) for c in ("z0", "z1", "z2")]),
            R=_from_upper([cols[c] for c in ("r00", "r01", "r02", "r11", "r12", "r22")], m),
            sensor_pos=np.column_stack(
                [_f64(cols[c]) for c in ("sensor_e", "sensor_n", "sensor_u")]
            ),
            rcs_m2=_f64(cols["rcs_m2"]),
            snr_db=_f64(cols["snr_db"]),
            ident=np.array(cols["ident"], dtype=np.int64),
            protocol=np.array(cols["protocol"], dtype=np.int16),
            truth=np.array(cols["truth"], dtype=np.int32),
            t_received=_f64(cols["t_received"]),
            range_rate=_f64(cols["range_rate"]),
            range_rate_var=_f64(cols["range_rate_var"]),
            cue=np.array([NO_CUE if c is None else c for c in cols["cue"]], dtype=np.int8),
        )

    def truth(
        self,
        run_id: int,
        t_from: float | None = None,
        t_to: float | None = None,
        *,
        idx: int | None = None,
    ) -> TruthRecord:
        """Simulated truth of a run (optionally of one object, in a time window), in insertion
        order."""
        names = _TRUTH_COLUMNS[1:]
        stmt = sa.select(*(S.truth.c[c] for c in names)).where(S.truth.c.run_id == run_id)
        if idx is not None:
            stmt = stmt.where(S.truth.c.idx == idx)
        rows = self._all(self._window(stmt, S.truth, t_from, t_to).order_by(S.truth.c.seq))
        if not rows:
            return TruthRecord(
                np.empty(0), np.empty(0, np.int32), np.empty((0, 6)), np.empty((0, 3))
            )
        cols = dict(zip(names, zip(*rows, strict=True), strict=True))
        return TruthRecord(
            t=_f64(cols["t"]),
            idx=np.array(cols["idx"], dtype=np.int32),
            enu=np.column_stack([_f64(cols[c]) for c in ("e", "n", "u", "ve", "vn", "vu")]),
            lla=np.column_stack([_f64(cols[c]) for c in ("lat", "lon", "h")]),
        )

    def track_updates(
        self,
        run_id: int,
        t_from: float | None = None,
        t_to: float | None = None,
        *,
        track_id: int | None = None,
    ) -> TrackUpdates:
        """Track snapshots of a run (optionally of one track, in a time window), in insertion
        order."""
        stmt = self._track_select().where(S.track_updates.c.run_id == run_id)
        if track_id is not None:
            stmt = stmt.where(S.track_updates.c.track_id == track_id)
        return self._track_rows(
            self._window(stmt, S.track_updates, t_from, t_to).order_by(S.track_updates.c.seq)
        )

    def track_history(
        self,
        run_id: int,
        track_id: int,
        t_from: float | None = None,
        t_to: float | None = None,
    ) -> TrackUpdates:
        """Every snapshot of one track of a run with ``t_from <= t < t_to`` (either bound
        optional), in the order written (time order for a pipeline); uses the index on
        ``(run_id, track_id)``."""
        return self.track_updates(run_id, t_from, t_to, track_id=track_id)

    def track_picture(self, run_id: int, t: float, *, max_age_s: float = 10.0) -> TrackUpdates:
        """The track picture of a run as it stood at time ``t``: per track, its latest snapshot
        with ``t - max_age_s <= t_snapshot <= t`` (the last written of equal times), ordered by
        ``track_id``. A track last seen more than ``max_age_s`` before ``t`` is not in it; a
        tentative or coasting track is (filter on ``status``).

        One query: the ``seq`` of the rows in the window (index ``(run_id, t)``) ranked per
        track by ``row_number() over (partition by track_id order by t desc, seq desc)``, then
        the full rows of rank 1 by primary key; the cost grows with the rows in the window
        (tracks x snapshots in ``max_age_s``).
        """
        for name, value in (("t", t), ("max_age_s", max_age_s)):
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise _bad("must be a number", field=name, actual=repr(value))
            if not math.isfinite(float(value)):
                raise _bad("must be finite", field=name, actual=repr(value))
        if max_age_s < 0:
            raise _bad("must be >= 0", field="max_age_s", actual=repr(max_age_s))
        tu = S.track_updates
        rank = (
            sa.func.row_number()
            .over(partition_by=tu.c.track_id, order_by=(tu.c.t.desc(), tu.c.seq.desc()))
            .label("rank")
        )
        # rank narrow rows (seq only), then fetch the full rows of the winners by primary key
        ranked = (
            sa.select(tu.c.seq, rank)
            .where(tu.c.run_id == run_id)
            .where(tu.c.t <= float(t))
            .where(tu.c.t >= float(t) - float(max_age_s))
            .subquery("ranked")
        )
        latest = sa.select(ranked.c.seq).where(ranked.c.rank == 1)
        stmt = self._track_select().where(tu.c.seq.in_(latest)).order_by(tu.c.track_id)
        return self._track_rows(stmt)

    @staticmethod
    def _track_select() -> sa.Select[Any]:
        return sa.select(*(S.track_updates.c[c] for c in _TRACK_COLUMNS[1:]))

    def _track_rows(self, stmt: sa.Select[Any]) -> TrackUpdates:
        """Run a select of the ``_TRACK_COLUMNS[1:]`` columns into :class:`TrackUpdates`."""
        names = _TRACK_COLUMNS[1:]
        rows = self._all(stmt)
        m = len(rows)
        cols: dict[str, Sequence[Any]] = (
            dict(zip(names, zip(*rows, strict=True), strict=True)) if m else {c: () for c in names}
        )

        def stack(keys: Iterable[str]) -> F64:
            return (
                np.column_stack([_f64(cols[c]) for c in keys])
                if m
                else np.empty((0, len(list(keys))))
            )

        return TrackUpdates(
            t=_f64(cols["t"]),
            track_id=np.array(cols["track_id"], dtype=np.int64),
            status=np.array(cols["status"], dtype=np.int8),
            x=stack(("e", "n", "u", "ve", "vn", "vu")),
            lla=stack(("lat", "lon", "h")),
            pos_cov=_from_upper(
                [cols[c] for c in ("p_ee", "p_en", "p_eu", "p_nn", "p_nu", "p_uu")], m
            ),
            vel_var=stack(("p_ve", "p_vn", "p_vu")),
            object_class=np.array(cols["object_class"], dtype=np.str_),
            class_prob=_f64(cols["class_prob"]),
            identity=np.array(cols["identity"], dtype=np.str_),
            ident=np.array(cols["ident"], dtype=np.int64),
            threat=_f64(cols["threat"]),
            truth=np.array(cols["truth"], dtype=np.int32),
        )

    def events(
        self,
        run_id: int,
        kinds: Iterable[str] | None = None,
        *,
        t_from: float | None = None,
        t_to: float | None = None,
    ) -> list[Event]:
        """Events of a run in the order they were appended, optionally only of some kinds and
        with ``t_from <= t < t_to``."""
        stmt: sa.Select[Any] = sa.select(
            S.events.c.t,
            S.events.c.kind,
            S.events.c.track_id,
            S.events.c.site_id,
            S.events.c.payload,
        ).where(S.events.c.run_id == run_id)
        if kinds is not None:
            wanted = [kinds] if isinstance(kinds, str) else list(kinds)
            unknown = sorted(set(wanted) - EVENT_KINDS)
            if unknown:
                raise _bad(
                    "unknown event kind",
                    field="kinds",
                    expected=" | ".join(sorted(EVENT_KINDS)),
                    actual=", ".join(unknown),
                )
            stmt = stmt.where(S.events.c.kind.in_(wanted))
        stmt = self._window(stmt, S.events, t_from, t_to).order_by(S.events.c.seq)
        return [
            Event(
                t=float(m["t"]),
                kind=str(m["kind"]),
                track_id=None if m["track_id"] is None else int(m["track_id"]),
                site_id=m["site_id"],
                payload=dict(m["payload"] or {}),
            )
            for m in (r._mapping for r in self._all(stmt))
        ]


def _configure_sqlite(engine: sa.Engine) -> None:
    """WAL journal, NORMAL sync, enforced foreign keys, and real transactions.

    pysqlite by default neither opens a transaction before DDL nor lets ``BEGIN`` be issued under
    its control; the SQLAlchemy-documented recipe below hands transaction control to SQLAlchemy,
    so that schema creation and every append are atomic.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
        finally:
            cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")


def _configure_search_path(engine: sa.Engine, schema: str, create: bool, source: str) -> None:
    """Put ``schema`` first on the ``search_path`` of every new PostgreSQL connection (the
    SQLAlchemy-documented recipe: set on connect, in autocommit, so it holds for the session),
    creating it first when ``create`` is true."""
    if not schema or "\x00" in schema or len(schema) > 63:
        raise StoreError(
            "not a PostgreSQL schema name", source=source, field="schema", actual=repr(schema)
        )
    quoted = engine.dialect.identifier_preparer.quote_identifier(schema)

    @sa.event.listens_for(engine, "connect", insert=True)
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        cur = dbapi_conn.cursor()
        try:
            if create:
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
            cur.execute(f"SET SESSION search_path TO {quoted}")
        finally:
            cur.close()
            dbapi_conn.autocommit = autocommit
