"""The server's catalogue of compute instance sizes on the wire (Azure's ``vmSizes`` list)."""

from __future__ import annotations

from mlyard.api.base import WireModel


class VmSizeOut(WireModel):
    """One size a compute instance may take (``vmSize``), and what an hour of it costs."""

    name: str
    cores: int
    memory_gb: float
    price_per_hour: float


class VmSizeListOut(WireModel):
    value: list[VmSizeOut]


__all__ = ["VmSizeListOut", "VmSizeOut"]
