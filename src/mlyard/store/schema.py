"""The whole schema: every table module, so that ``METADATA`` knows every table.

Add a new table module here (one line each); the migration test compares this with Alembic's.
"""

from __future__ import annotations

import mlyard.store.audit
import mlyard.store.compute
import mlyard.store.datasets
import mlyard.store.datastores
import mlyard.store.deployments
import mlyard.store.environments
import mlyard.store.experiments
import mlyard.store.hierarchy
import mlyard.store.identity
import mlyard.store.instances
import mlyard.store.jobs
import mlyard.store.metrics
import mlyard.store.principals
import mlyard.store.rbac
import mlyard.store.runs
import mlyard.store.vault
from mlyard.store.base import Base

TABLE_MODULES = (
    mlyard.store.audit,
    mlyard.store.compute,
    mlyard.store.datasets,
    mlyard.store.datastores,
    mlyard.store.deployments,
    mlyard.store.environments,
    mlyard.store.experiments,
    mlyard.store.hierarchy,
    mlyard.store.identity,
    mlyard.store.instances,
    mlyard.store.jobs,
    mlyard.store.metrics,
    mlyard.store.principals,
    mlyard.store.rbac,
    mlyard.store.runs,
    mlyard.store.vault,
)
METADATA = Base.metadata
