"""MLflow's tracking REST API 2.0 on the wire: snake_case JSON as MLflow documents it.

These models do not use :class:`~mlyard.api.base.WireModel`: the ``mlflow`` client speaks
MLflow's names, and newer clients send fields that older servers never heard of, so unknown
fields are ignored instead of refused. Times are milliseconds since the epoch; int64 fields
may arrive as JSON strings (protobuf's JSON mapping), which pydantic's lax mode accepts, and
doubles as ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``, which are answered the same way.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlyard.api.metrics import WireFloat

# Protobuf's enum numbers, which its JSON mapping also accepts in place of the names.
_STATUS_NUMBERS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
_VIEW_NUMBERS = {1: "ACTIVE_ONLY", 2: "DELETED_ONLY", 3: "ALL"}


class MlflowModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, serialize_by_alias=True)


class ViewType(StrEnum):
    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"


class MlflowStatus(StrEnum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


def _enum_name(value: Any, numbers: dict[int, str]) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return numbers.get(value, value)
    return value.upper() if isinstance(value, str) else value


class KeyValue(MlflowModel):
    """A tag or a parameter."""

    key: str
    value: str = ""


# -- requests -------------------------------------------------------------------------------


class CreateExperiment(MlflowModel):
    name: str
    artifact_location: str | None = None  # ignored: artifacts live in the workspace's store
    tags: list[KeyValue] = []


class ExperimentRef(MlflowModel):
    experiment_id: str


class UpdateExperiment(ExperimentRef):
    new_name: str


class SetExperimentTag(ExperimentRef):
    key: str
    value: str = ""


class DeleteExperimentTag(ExperimentRef):
    key: str


class SearchExperiments(MlflowModel):
    max_results: int | None = None
    page_token: str | None = None
    filter: str | None = None
    order_by: list[str] = []
    view_type: ViewType = ViewType.ACTIVE_ONLY

    @field_validator("view_type", mode="before")
    @classmethod
    def _view(cls, value: Any) -> Any:
        return _enum_name(value, _VIEW_NUMBERS)


class RunRef(MlflowModel):
    """A run named by ``run_id`` or by its older spelling ``run_uuid``."""

    run_id: str = ""
    run_uuid: str | None = None

    @model_validator(mode="after")
    def _either_id(self) -> RunRef:
        self.run_id = self.run_id or self.run_uuid or ""
        if not self.run_id:
            raise ValueError("run_id is required")
        return self


class CreateRun(MlflowModel):
    experiment_id: str = "0"
    user_id: str | None = None  # ignored: the run's user is whoever signed the request
    start_time: int | None = None
    tags: list[KeyValue] = []
    run_name: str | None = None


class UpdateRun(RunRef):
    status: MlflowStatus | None = None
    end_time: int | None = None
    run_name: str | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        return _enum_name(value, _STATUS_NUMBERS)


class MetricIn(MlflowModel):
    key: str
    value: float
    timestamp: int
    step: int = 0


class LogMetric(RunRef, MetricIn):
    pass


class LogParam(RunRef):
    key: str
    value: str


class SetTag(RunRef):
    key: str
    value: str = ""


class DeleteTag(RunRef):
    key: str


class LogBatch(RunRef):
    metrics: list[MetricIn] = []
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class Dataset(MlflowModel):
    name: str
    digest: str
    source_type: str = ""
    source: str = ""
    schema_: str | None = Field(None, alias="schema")
    profile: str | None = None


class DatasetInput(MlflowModel):
    tags: list[KeyValue] = []
    dataset: Dataset


class LogInputs(RunRef):
    datasets: list[DatasetInput] = []


class SearchRuns(MlflowModel):
    experiment_ids: list[str] = []
    filter: str | None = None
    run_view_type: ViewType = ViewType.ACTIVE_ONLY
    max_results: int = 1000
    order_by: list[str] = []
    page_token: str | None = None

    @field_validator("run_view_type", mode="before")
    @classmethod
    def _view(cls, value: Any) -> Any:
        return _enum_name(value, _VIEW_NUMBERS)


# -- responses ------------------------------------------------------------------------------


class Empty(MlflowModel):
    pass


class SearchLoggedModels(MlflowModel):
    experiment_ids: list[str] = []
    filter: str | None = None
    max_results: int | None = None
    page_token: str | None = None


class SearchLoggedModelsResponse(MlflowModel):
    # mlyard keeps no MLflow 3 logged models (its model registry is its own): always empty.
    models: list[dict[str, object]] = []
    next_page_token: str | None = None


class ExperimentOut(MlflowModel):
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    last_update_time: int
    creation_time: int
    tags: list[KeyValue] = []


class ExperimentResponse(MlflowModel):
    experiment: ExperimentOut


class CreateExperimentResponse(MlflowModel):
    experiment_id: str


class SearchExperimentsResponse(MlflowModel):
    experiments: list[ExperimentOut] = []
    next_page_token: str | None = None


class MetricOut(MlflowModel):
    key: str
    value: WireFloat
    timestamp: int
    step: int


class RunInfoOut(MlflowModel):
    run_id: str
    run_uuid: str
    run_name: str
    experiment_id: str
    user_id: str
    status: MlflowStatus
    start_time: int
    end_time: int | None = None
    artifact_uri: str
    lifecycle_stage: str


class RunDataOut(MlflowModel):
    metrics: list[MetricOut] = []
    params: list[KeyValue] = []
    tags: list[KeyValue] = []


class DatasetInputsOut(MlflowModel):
    dataset_inputs: list[DatasetInput] = []


class RunOut(MlflowModel):
    info: RunInfoOut
    data: RunDataOut
    inputs: DatasetInputsOut


class RunResponse(MlflowModel):
    run: RunOut


class UpdateRunResponse(MlflowModel):
    run_info: RunInfoOut


class SearchRunsResponse(MlflowModel):
    runs: list[RunOut] = []
    next_page_token: str | None = None


class MetricHistoryResponse(MlflowModel):
    metrics: list[MetricOut] = []
    next_page_token: str | None = None


def key_values(values: dict[str, str]) -> list[KeyValue]:
    return [KeyValue(key=k, value=v) for k, v in values.items()]
