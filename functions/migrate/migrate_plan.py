"""The migration custom resource's decisions, with no I/O: what to do with a request, what to answer.

CloudFormation sends Create, Update or Delete with the template's properties and then waits for exactly
one JSON document at the request's ResponseURL. Migrations only go forward, so:

- Create migrates to head.
- Update migrates to head when the request's ``MigrationsHash`` is the hash of the migrations packaged
  with this code. A different hash means code and properties come from different deploys, which is what
  an update rollback looks like (the previous properties sent to whichever code is deployed). Running
  forward then could fail the rollback too and leave the stack in UPDATE_ROLLBACK_FAILED, so it skips.
- Delete does nothing: the schema and its data outlive the stack.
- A database at a revision these scripts do not know is ahead of this code: an Update (a rollback) leaves
  it and succeeds; a Create refuses, because nothing says the schema fits this code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# CloudFormation rejects a response document over 4096 bytes; the reason is the only unbounded part.
REASON_LIMIT = 1000


class _Properties(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    # optional here so that a Delete always answers, whatever an old template passed
    migrations_hash: str | None = Field(default=None, alias="MigrationsHash")


class CustomResourceRequest(BaseModel):
    """The fields of CloudFormation's request that the answer needs (ServiceToken, ServiceTimeout... ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    request_type: Literal["Create", "Update", "Delete"] = Field(alias="RequestType")
    response_url: str = Field(alias="ResponseURL", pattern=r"^https?://")
    stack_id: str = Field(alias="StackId")
    request_id: str = Field(alias="RequestId")
    logical_resource_id: str = Field(alias="LogicalResourceId")
    physical_resource_id: str | None = Field(default=None, alias="PhysicalResourceId")
    properties: _Properties = Field(default_factory=_Properties, alias="ResourceProperties")


class Step(StrEnum):
    MIGRATE = "migrate"
    SKIP = "skip"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Plan:
    step: Step
    reason: str


def plan(request: CustomResourceRequest, packaged_hash: str) -> Plan:
    wanted = request.properties.migrations_hash
    if request.request_type == "Delete":
        return Plan(Step.SKIP, "Delete leaves the schema: migrations only go forward")
    if wanted is None:
        return Plan(Step.REFUSE, "the custom resource has no MigrationsHash property")
    if request.request_type == "Update" and wanted != packaged_hash:
        return Plan(
            Step.SKIP,
            f"the request asks for migrations {wanted} but this code carries {packaged_hash}"
            " (a rollback): migrations only go forward, nothing done",
        )
    return Plan(Step.MIGRATE, f"{request.request_type}: upgrade to head")


# ------------------------------------------------------------------------------------- what happened


@dataclass(frozen=True)
class Skipped:
    reason: str


@dataclass(frozen=True)
class Migrated:
    before: str | None
    after: str | None


@dataclass(frozen=True)
class AheadOfCode:
    """The database is at a revision the packaged scripts do not know."""

    current: str


@dataclass(frozen=True)
class Failed:
    reason: str


Result = Skipped | Migrated | AheadOfCode | Failed


def respond(request: CustomResourceRequest, result: Result) -> dict[str, Any]:
    """The response document CloudFormation expects at ResponseURL."""
    data: dict[str, str] = {}
    match result:
        case Skipped(reason):
            status, text = "SUCCESS", reason
        case Migrated(before, after):
            status, text = "SUCCESS", f"schema at {after} (was {before or 'empty'})"
            data = {"Revision": after or "", "PreviousRevision": before or ""}
        case AheadOfCode(current) if request.request_type == "Update":
            status, text = "SUCCESS", f"database at {current}, newer than this code's migrations: left as it is"
        case AheadOfCode(current):
            status, text = "FAILED", f"database at {current}, which this code's migrations do not know"
        case Failed(reason):
            status, text = "FAILED", reason
    return {
        "Status": status,
        "Reason": text[:REASON_LIMIT],
        # stable across updates: a new id would make CloudFormation delete the "old" resource
        "PhysicalResourceId": request.physical_resource_id or f"{request.logical_resource_id}-schema",
        "StackId": request.stack_id,
        "RequestId": request.request_id,
        "LogicalResourceId": request.logical_resource_id,
        "Data": data,
    }


# ------------------------------------------------------------------------------------- the migrations hash


def migrations_hash(files: Mapping[str, bytes]) -> str:
    """The hash template.yaml's MigrationsHash must equal: env.py and versions/*.py, by path and content.

    ``files`` maps paths relative to the migrations folder (``/``-separated) to their bytes; anything else
    in it (alembic.ini, the revision template, caches) does not change what an upgrade does.
    """
    digest = hashlib.sha256()
    for path in sorted(files):
        if path == "env.py" or (path.startswith("versions/") and path.count("/") == 1 and path.endswith(".py")):
            digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return digest.hexdigest()[:16]
