"""The template engine: ARM-style deployment templates, evaluated and planned in pure Python.

::

    template = parse_template(text)                      # JSON or YAML
    plan = build_plan(template, {"workspaceName": "ws1"}, subscription=sub,
                      resource_group=rg, deployment_name="d1")
    for line in render_changes(what_if(plan, target)):   # target: a DeploymentTarget
        print(line)
    result = deploy(plan, target)

Every problem with a template or its parameters raises
:class:`mlyard.core.errors.InvalidTemplate`, naming where it is. Values of secure
parameters (``securestring``, ``secureObject``) are shown as ``***`` in messages and renderings.
"""

from mlyard.services.templates.changes import (
    ChangeType,
    DeploymentResult,
    DeploymentTarget,
    PropertyChange,
    ResourceChange,
    deploy,
    desired_state,
    render_change,
    render_changes,
    what_if,
)
from mlyard.services.templates.context import MASK, EvalContext, mask_secrets, mask_text
from mlyard.services.templates.expressions import FUNCTIONS, evaluate
from mlyard.services.templates.kinds import FULL_TYPES, canonical_type, provided_reason, resource_kind
from mlyard.services.templates.ordering import parse_resource_id
from mlyard.services.templates.parameters import load_parameters_file, resolve_parameters
from mlyard.services.templates.parser import is_expression, parse_expression
from mlyard.services.templates.plan import DeploymentPlan, PlannedResource, build_plan
from mlyard.services.templates.template import OutputSpec, ParameterSpec, ResourceSpec, Template, parse_template

__all__ = [
    "FULL_TYPES",
    "FUNCTIONS",
    "MASK",
    "ChangeType",
    "DeploymentPlan",
    "DeploymentResult",
    "DeploymentTarget",
    "EvalContext",
    "OutputSpec",
    "ParameterSpec",
    "PlannedResource",
    "PropertyChange",
    "ResourceChange",
    "ResourceSpec",
    "Template",
    "build_plan",
    "canonical_type",
    "deploy",
    "desired_state",
    "evaluate",
    "is_expression",
    "load_parameters_file",
    "mask_secrets",
    "mask_text",
    "parse_expression",
    "parse_resource_id",
    "parse_template",
    "provided_reason",
    "render_change",
    "render_changes",
    "resolve_parameters",
    "resource_kind",
    "what_if",
]
