"""API Gateway's routing on a REST or HTTP API's resources: a literal segment beats ``{param}``, which beats
``{proxy+}``; ``/a/b/`` routes as ``/a/b``. Part of the local gateway (``customersignal.local.gateway``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

from chalice.app import Chalice


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    param: tuple[str, _Node] | None = None
    greedy: tuple[str, str] | None = None  # (parameter name, resource)
    resource: str | None = None


@dataclass(frozen=True)
class RouteMatch:
    resource: str
    path_parameters: dict[str, str]


class RouteTable:
    """API Gateway's resource tree: a literal segment beats ``{param}``, which beats ``{proxy+}``."""

    def __init__(self, resources: Iterable[str]) -> None:
        self._root = _Node()
        for resource in resources:
            self._add(resource)

    def _add(self, resource: str) -> None:
        node = self._root
        parts = _segments(resource)
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if index != len(parts) - 1:
                    raise ValueError(f"{resource}: a greedy {part} must be the last segment")
                node.greedy = (part[1:-2], resource)
                return
            if part.startswith("{") and part.endswith("}"):
                name = part[1:-1]
                if node.param is None:
                    node.param = (name, _Node())
                elif node.param[0] != name:
                    raise ValueError(f"{resource}: {{{name}}} beside {{{node.param[0]}}} (API Gateway refuses this)")
                node = node.param[1]
            else:
                node = node.literals.setdefault(part, _Node())
        node.resource = resource

    def match(self, raw_path: str) -> RouteMatch | None:
        segments = _segments(raw_path)
        if segments and segments[-1] == "":  # API Gateway routes "/a/b/" as "/a/b"
            segments = segments[:-1]
        return _match(self._root, segments, 0, {})


def _segments(path: str) -> list[str]:
    return [] if path in ("", "/") else path.split("/")[1:]


def _match(node: _Node, segments: list[str], index: int, params: dict[str, str]) -> RouteMatch | None:
    if index == len(segments):
        return RouteMatch(node.resource, params) if node.resource is not None else None
    segment = segments[index]
    literal = node.literals.get(unquote(segment))
    if literal is not None and (found := _match(literal, segments, index + 1, params)) is not None:
        return found
    if node.param is not None and segment:
        name, child = node.param
        if (found := _match(child, segments, index + 1, {**params, name: unquote(segment)})) is not None:
            return found
    if node.greedy is not None:
        name, resource = node.greedy
        return RouteMatch(resource, {**params, name: unquote("/".join(segments[index:]))})
    return None


def chalice_routes(app: Chalice) -> set[tuple[str, str]]:
    """``{(path, METHOD)}`` of a Chalice app, to compare with ``template.api_routes``."""
    return {(path, method) for path, methods in app.routes.items() for method in methods}
