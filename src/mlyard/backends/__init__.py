"""Compute backends: one module per kind of compute, each a ``ComputeBackend``
(:mod:`mlyard.services.compute_backends`). The server builds the registry with
:func:`default_backends`; a new kind of compute adds one line there.

This package stays light at import: the local backend's launcher is a file of it that job
processes run, and the backends load only when the registry is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlyard.core.settings import Settings
    from mlyard.services.compute_backends import BackendRegistry


def default_backends(settings: Settings) -> BackendRegistry:
    from mlyard.backends.jupyter import JupyterBackend
    from mlyard.backends.local import LocalBackend
    from mlyard.backends.ray import RayBackend
    from mlyard.services.compute_backends import BackendRegistry

    local = LocalBackend(settings)
    return BackendRegistry([local, JupyterBackend(settings, local), RayBackend(settings)])
