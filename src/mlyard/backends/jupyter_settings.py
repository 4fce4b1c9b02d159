"""A compute instance's settings checked (at create and at update), and its size from the catalogue."""

from __future__ import annotations

from typing import Any

from mlyard.core.cron import check_cron
from mlyard.core.errors import ValidationError
from mlyard.core.settings import InstanceSize, Settings

PROPERTIES = {"idleTimeBeforeShutdownMinutes", "sshPublicAccess", "tags", "schedules", "applications"}


def size_of(settings: Settings, name: str | None) -> InstanceSize:
    """The catalogue's size ``name`` (case ignored); a 400 listing the catalogue when unknown."""
    for size in settings.instance_sizes:
        if name is not None and size.name.lower() == name.lower():
            return size
    listed = "; ".join(
        f"{s.name} ({s.cores} cores, {s.memory_gb:g} GB, {s.price_per_hour:g}/hour)" for s in settings.instance_sizes
    )
    raise ValidationError(f"Unknown vm_size '{name}': this server's sizes are {listed}.", target="vmSize")


def check_properties(properties: dict[str, Any]) -> dict[str, Any]:
    """The instance's settings checked; answers them without ``applications`` and unset ones."""
    unknown = sorted(set(properties) - PROPERTIES)
    if unknown:
        raise ValidationError(
            f"Unknown compute instance setting(s): {', '.join(unknown)} "
            f"(known: {', '.join(sorted(PROPERTIES - {'applications'}))}).",
            target="properties",
        )
    props = {k: v for k, v in properties.items() if k != "applications" and v is not None}
    idle = props.get("idleTimeBeforeShutdownMinutes")
    if idle is not None and (isinstance(idle, bool) or not isinstance(idle, int | float) or idle <= 0):
        raise ValidationError(
            "idle_time_before_shutdown_minutes is a number of minutes above 0 (or None: never).",
            target="idleTimeBeforeShutdownMinutes",
        )
    if props.get("sshPublicAccess"):
        raise ValidationError(
            "SSH access is not offered: open the instance's JupyterLab (its terminal included) through mlyard.",
            target="sshPublicAccess",
        )
    tags = props.get("tags", {})
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise ValidationError("tags is an object of text values.", target="tags")
    schedules = props.get("schedules", [])
    if not isinstance(schedules, list):
        raise ValidationError("schedules is a list of {action: start|stop, cron: '...'}.", target="schedules")
    for item in schedules:
        if not isinstance(item, dict) or item.get("action") not in ("start", "stop") or set(item) - {"action", "cron"}:
            raise ValidationError(
                "Each schedule is {action: 'start' or 'stop', cron: 'minute hour day month weekday'}.",
                target="schedules",
            )
        check_cron(item.get("cron"))
    return props
