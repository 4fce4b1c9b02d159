"""MLflow's experiment names on mlyard's experiments.

MLflow allows nearly any text as an experiment name (``"churn model v2"``,
``"/Users/ana@example.com/churn"``); mlyard's own names are path segments of its REST API and
follow Azure ML's rule (letters, digits, ``_``, ``.``, ``-``). An MLflow name that is a valid
mlyard name, and free, is the experiment's name as it is. Any other gets a mlyard name made from
it (each run of other characters becomes ``-``, then ``-2``, ``-3``... while that is taken:
``churn-model-v2``, ``Users-ana-example.com-churn``), and the MLflow name is kept in the
experiment's tag :data:`MLFLOW_NAME_TAG`, which the MLflow API answers as the name and hides
from the tags. The native API and the studio show the mlyard name (and the tag).

Names stay unique in both spaces, without regard to case as mlyard's are: an MLflow name is
refused when another experiment already answers to it through the MLflow API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlyard.core.entities.tracking import Experiment
from mlyard.core.errors import InvalidName, MlyardError
from mlyard.core.names import name_key
from mlyard.services.experiments import EXPERIMENT_NAME

MLFLOW_NAME_TAG = "mlyard.mlflowName"
MAX_MLFLOW_NAME = 255
_OTHER = re.compile(r"[^A-Za-z0-9_.-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def mlflow_name(e: Experiment) -> str:
    """The name the MLflow API shows."""
    return e.tags.get(MLFLOW_NAME_TAG) or e.name


def mlflow_tags(e: Experiment) -> dict[str, str]:
    """The tags the MLflow API shows (without the name it keeps in one)."""
    return {k: v for k, v in e.tags.items() if k != MLFLOW_NAME_TAG}


def check_mlflow_name(name: object, target: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidName("An experiment name must be a non-empty string.", target=target)
    if len(name) > MAX_MLFLOW_NAME or _CONTROL.search(name):
        raise InvalidName(
            f"'{name[:80]}' is not a valid experiment name: at most {MAX_MLFLOW_NAME} characters, "
            "no control characters.",
            target=target,
        )
    return name


def answering_to(experiments: Iterable[Experiment], name: str) -> Experiment | None:
    """The experiment whose MLflow name is ``name`` (case aside), if any."""
    key = name_key(name)
    return next((e for e in experiments if name_key(mlflow_name(e)) == key), None)


def native_name(experiments: Iterable[Experiment], name: str, own_id: str | None = None) -> tuple[str, str | None]:
    """The mlyard name for the MLflow name ``name``, and the tag value to keep (None: not needed).

    ``experiments`` are the workspace's (deleted ones too); ``own_id`` is the experiment being
    renamed, whose own name does not count as taken."""
    taken = {name_key(e.name) for e in experiments if e.id != own_id}
    if _valid(name) and name_key(name) not in taken:
        return name, None
    base = _OTHER.sub("-", name).lstrip("-_.")[:240].rstrip("-") or "experiment"
    candidate, n = base, 2
    while name_key(candidate) in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate, name


def _valid(name: str) -> bool:
    try:
        EXPERIMENT_NAME.check(name)
    except MlyardError:
        return False
    return True


__all__ = ["MLFLOW_NAME_TAG", "answering_to", "check_mlflow_name", "mlflow_name", "mlflow_tags", "native_name"]
