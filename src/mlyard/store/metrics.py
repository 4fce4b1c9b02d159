"""Tables and repository of run metrics: columnar chunks of points, latest values, batch ids, JSON metrics.

Points are not stored one row per point: each chunk row holds up to a few thousand points of one
metric as three packed little-endian columns (int64 steps, int64 millisecond timestamps, float64
values), so that a million-point history is a few hundred rows read and joined as bytes, and a
batch is a handful of inserts. Every table hangs off ``runs`` with ``ON DELETE CASCADE``.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.metrics import JsonMetric, JsonMetricKind, LatestMetric
from mlyard.store.base import Base

MAX_NAME = 250
_BIG_ENDIAN = sys.byteorder == "big"


def pack(column: array[Any]) -> bytes:
    """Little-endian bytes of an ``array`` ('q' or 'd'), whatever this machine's byte order."""
    if _BIG_ENDIAN:
        column = array(column.typecode, column)
        column.byteswap()
    return column.tobytes()


def unpack(typecode: str, data: bytes) -> array[Any]:
    column = array(typecode)
    column.frombytes(data)
    if _BIG_ENDIAN:
        column.byteswap()
    return column


class MetricChunkRow(Base):
    __tablename__ = "metric_chunks"
    __table_args__ = (Index("ix_metric_chunks_run_id_key_seq", "run_id", "key", "seq", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_NAME))
    seq: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    first_step: Mapped[int] = mapped_column(BigInteger)
    last_step: Mapped[int] = mapped_column(BigInteger)
    steps: Mapped[bytes] = mapped_column(LargeBinary)
    timestamps: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)


class LatestMetricRow(Base):
    __tablename__ = "latest_metrics"
    # Run search filters and sorts on a metric's latest value (revision 0007).
    __table_args__ = (Index("ix_latest_metrics_key_value_run_id", "key", "value", "run_id"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_NAME), primary_key=True)
    # NULL means NaN: SQLite cannot hold a NaN (it stores NULL), so both backends store it so.
    value: Mapped[float | None] = mapped_column(Float)
    step: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[datetime]
    count: Mapped[int] = mapped_column(BigInteger)

    def to_entity(self) -> LatestMetric:
        value = float("nan") if self.value is None else self.value
        return LatestMetric(self.key, value, self.step, self.timestamp, self.count)


class MetricBatchRow(Base):
    """An ingested batch id, so that a batch the SDK retries after a lost answer is stored once."""

    __tablename__ = "metric_batches"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime]


class JsonMetricRow(Base):
    __tablename__ = "json_metrics"
    __table_args__ = (Index("ix_json_metrics_run_id_key", "run_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_NAME))
    step: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[Any] = mapped_column(JSON, nullable=False)

    def to_entity(self) -> JsonMetric:
        return JsonMetric(self.key, JsonMetricKind(self.kind), self.value, self.step, self.timestamp)


@dataclass(frozen=True)
class MetricTotals:
    """Metric data of some runs: chunk rows, the points in them, JSON metrics (tables, images)."""

    chunks: int
    points: int
    json_metrics: int


@dataclass(frozen=True)
class Chunk:
    """One chunk's points, unpacked."""

    seq: int
    first_step: int
    last_step: int
    steps: array[int]
    timestamps: array[int]
    values: array[float]


# The tables themselves, for Core INSERTs: an ORM bulk insert costs more than its rows here.
_BATCHES, _CHUNKS, _LATEST = (cast(Table, row.__table__) for row in (MetricBatchRow, MetricChunkRow, LatestMetricRow))


class MetricsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # batches

    def has_batch(self, run_id: str, batch_id: str) -> bool:
        return self.session.get(MetricBatchRow, (run_id, batch_id)) is not None

    def add_batch(self, run_id: str, batch_id: str, received_at: datetime) -> None:
        # A core INSERT: the unit of work costs more than the row (this runs on every batch).
        self.session.execute(insert(_BATCHES), [{"run_id": run_id, "batch_id": batch_id, "received_at": received_at}])

    # chunks

    def next_seqs(self, run_id: str, keys: Iterable[str]) -> dict[str, int]:
        """The next chunk number of each metric (0 for a new one)."""
        wanted = list(keys)
        query = (
            select(MetricChunkRow.key, func.max(MetricChunkRow.seq))
            .where(MetricChunkRow.run_id == run_id, MetricChunkRow.key.in_(wanted))
            .group_by(MetricChunkRow.key)
        )
        found = {key: int(seq) + 1 for key, seq in self.session.execute(query)}
        return {key: found.get(key, 0) for key in wanted}

    def add_chunks(self, rows: list[dict[str, Any]]) -> None:
        """Insert many chunk rows in one executemany; each dict has the table's columns but ``id``."""
        if rows:
            self.session.execute(insert(_CHUNKS), rows)  # Core: no ORM bulk layer

    def chunks(self, run_id: str, key: str) -> list[Chunk]:
        query = (
            select(
                MetricChunkRow.seq,
                MetricChunkRow.first_step,
                MetricChunkRow.last_step,
                MetricChunkRow.steps,
                MetricChunkRow.timestamps,
                MetricChunkRow.values,
            )
            .where(MetricChunkRow.run_id == run_id, MetricChunkRow.key == key)
            .order_by(MetricChunkRow.seq)
        )
        return [
            Chunk(seq, first, last, unpack("q", steps), unpack("q", stamps), unpack("d", values))
            for seq, first, last, steps, stamps, values in self.session.execute(query)
        ]

    # latest values

    def latest_rows(self, run_id: str, keys: Iterable[str] | None = None) -> dict[str, LatestMetricRow]:
        query = select(LatestMetricRow).where(LatestMetricRow.run_id == run_id)
        if keys is not None:
            query = query.where(LatestMetricRow.key.in_(list(keys)))
        return {row.key: row for row in self.session.scalars(query.order_by(LatestMetricRow.key))}

    def latest(self, run_id: str) -> list[LatestMetric]:
        return [row.to_entity() for row in self.latest_rows(run_id).values()]

    def latest_one(self, run_id: str, key: str) -> LatestMetric | None:
        row = self.session.get(LatestMetricRow, (run_id, key))
        return None if row is None else row.to_entity()

    def add_latest(self, row: LatestMetricRow) -> None:
        self.session.add(row)

    def add_latest_values(self, rows: list[dict[str, Any]]) -> None:
        """Insert latest values of metrics a run does not have yet, in one executemany."""
        if rows:
            self.session.execute(insert(_LATEST), rows)  # Core: no ORM bulk layer

    # JSON metrics

    def add_json(self, run_id: str, metric: JsonMetric) -> None:
        self.session.add(
            JsonMetricRow(
                run_id=run_id,
                key=metric.name,
                step=metric.step,
                timestamp=metric.timestamp,
                kind=metric.kind.value,
                value=metric.value,
            )
        )

    def json_metrics(self, run_id: str, key: str | None = None) -> list[JsonMetric]:
        query = select(JsonMetricRow).where(JsonMetricRow.run_id == run_id)
        if key is not None:
            query = query.where(JsonMetricRow.key == key)
        return [row.to_entity() for row in self.session.scalars(query.order_by(JsonMetricRow.key, JsonMetricRow.id))]

    def json_count(self, run_id: str, key: str) -> int:
        query = select(func.count()).where(JsonMetricRow.run_id == run_id, JsonMetricRow.key == key)
        return int(self.session.scalar(query) or 0)

    # purging (services.retention)

    def totals(self, run_ids: Collection[str]) -> MetricTotals:
        """How much metric data the runs hold, summed over them."""
        ids = list(run_ids)
        chunks, points = self.session.execute(
            select(func.count(), func.coalesce(func.sum(MetricChunkRow.count), 0)).where(MetricChunkRow.run_id.in_(ids))
        ).one()
        json_count = self.session.scalar(select(func.count()).where(JsonMetricRow.run_id.in_(ids)))
        return MetricTotals(int(chunks), int(points), int(json_count or 0))

    def delete_run_metrics(self, run_id: str) -> None:
        """Remove every metric of a run (the foreign keys cascade too; this is for callers that purge)."""
        self.delete_metrics([run_id])

    def delete_metrics(self, run_ids: Collection[str]) -> None:
        """Remove every metric of the runs, table by table, so that no cascade has to find them."""
        ids = list(run_ids)
        for table in (MetricChunkRow, LatestMetricRow, MetricBatchRow, JsonMetricRow):
            self.session.execute(delete(table).where(table.run_id.in_(ids)))
