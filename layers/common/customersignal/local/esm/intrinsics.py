"""Resolve the CloudFormation intrinsics a local run needs, with parameter values instead of a deployment.

``Resolver(template, overrides)`` takes each parameter's ``Default``, then the overrides (locally
``Stage=local`` and ``KafkaSourceType=self-managed`` first, when the template declares them). It resolves
``Ref`` (parameters and pseudo parameters), ``Fn::Sub`` (both forms), ``Fn::If``, ``Fn::Equals``,
``Fn::Not``, ``Fn::And``, ``Fn::Or``, ``Condition``, ``Fn::Split``, ``Fn::Select`` and ``Fn::Join``, and
evaluates the template's Conditions. ``!Ref AWS::NoValue`` removes the key or item that holds it, as
CloudFormation does. What only a deployment knows (a resource's ``Ref``, ``Fn::GetAtt``, imports) raises
``UnresolvableError`` naming it, so callers resolve lazily and only what they use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from customersignal.local.runtime import LOCAL_ACCOUNT_ID, LOCAL_REGION
from customersignal.local.template import TemplateError

LOCAL_PARAMETERS = {"Stage": "local", "KafkaSourceType": "self-managed"}
LOCAL_STACK_NAME = "customersignal-local"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class UnresolvableError(TemplateError):
    """A value only a deployment can give (a resource attribute, a parameter without Default, ...)."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["K=V", ...]`` from ``--param`` into a dict; a pair without ``=`` is a usage error."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise TemplateError(f"--param {pair!r} is not of the form Name=Value")
        out[name] = value
    return out


class Resolver:
    def __init__(self, template: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> None:
        self.parameters_declared: dict[str, Any] = dict(template.get("Parameters") or {})
        self.conditions: dict[str, Any] = dict(template.get("Conditions") or {})
        given = {k: v for k, v in LOCAL_PARAMETERS.items() if k in self.parameters_declared}
        for name, value in (overrides or {}).items():
            if name not in self.parameters_declared:
                raise TemplateError(
                    f"--param {name}: the template declares no such parameter "
                    f"(it has: {sorted(self.parameters_declared) or 'none'})"
                )
            given[name] = value
        self.values: dict[str, str] = {}
        for name, declaration in self.parameters_declared.items():
            default = (declaration or {}).get("Default")
            if name in given:
                self.values[name] = given[name]
            elif default is not None:
                self.values[name] = str(default)
        self.pseudo = {
            "AWS::Region": LOCAL_REGION,
            "AWS::AccountId": LOCAL_ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::StackName": LOCAL_STACK_NAME,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:stack/{LOCAL_STACK_NAME}/local",
        }
        self._condition_cache: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    # --- values -------------------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = self._FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
            if key.startswith("Fn::"):
                raise UnresolvableError(f"{key} cannot be resolved locally")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def ref(self, name: Any) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.values:
            kind = str((self.parameters_declared[name] or {}).get("Type", "String"))
            is_list = kind.startswith("List<") or kind == "CommaDelimitedList"
            return self.values[name].split(",") if is_list else self.values[name]
        if name in self.parameters_declared:
            raise UnresolvableError(f"parameter {name} has no Default: pass --param {name}=VALUE")
        raise UnresolvableError(f"Ref {name!r} names a resource, which only a deployment can resolve")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        local = {name: self.resolve(v) for name, v in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is written as ${Literal}
                return "${" + name[1:] + "}"
            value = local[name] if name in local else self.ref(name) if "." not in name else self._getatt(name)
            return ",".join(value) if isinstance(value, list) else str(value)

        return _SUB_VARIABLE.sub(substitute, text)

    def _getatt(self, argument: Any) -> Any:
        raise UnresolvableError(f"Fn::GetAtt {argument!r} needs a deployed resource")

    def _if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _split(self, argument: Any) -> list[str]:
        delimiter, source = argument[0], self.resolve(argument[1])
        text = delimiter.join(source) if isinstance(source, list) else str(source)  # a list parameter, split again
        return text.split(delimiter)

    def _select(self, argument: Any) -> Any:
        index, items = int(self.resolve(argument[0])), self.resolve(argument[1])
        if not isinstance(items, list) or not 0 <= index < len(items):
            raise UnresolvableError(f"Fn::Select index {index} is out of range of {items!r}")
        return items[index]

    def _join(self, argument: Any) -> str:
        delimiter, items = argument[0], self.resolve(argument[1])
        return str(delimiter).join(str(item) for item in items)

    # --- conditions ---------------------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        """A named Condition of the template, evaluated once."""
        if name in self._condition_cache:
            return self._condition_cache[name]
        if name not in self.conditions:
            raise TemplateError(f"condition {name!r} is not declared in Conditions (has: {sorted(self.conditions)})")
        if name in self._evaluating:
            raise TemplateError(f"condition {name!r} refers to itself")
        self._evaluating.add(name)
        try:
            result = self.truth(self.conditions[name])
        finally:
            self._evaluating.discard(name)
        self._condition_cache[name] = result
        return result

    def truth(self, expression: Any) -> bool:
        value = self.resolve(expression)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise TemplateError(f"condition expression {expression!r} is not a boolean (got {value!r})")

    def _equals(self, argument: Any) -> bool:
        left, right = (self.resolve(v) for v in argument)
        return bool(left == right) if isinstance(left, list) or isinstance(right, list) else str(left) == str(right)

    _FUNCTIONS: ClassVar[dict[str, Any]] = {
        "Ref": ref,
        "Fn::Sub": _sub,
        "Fn::GetAtt": _getatt,
        "Fn::If": _if,
        "Fn::Split": _split,
        "Fn::Select": _select,
        "Fn::Join": _join,
        "Fn::Equals": _equals,
        "Fn::Not": lambda self, arg: not self.truth(arg[0]),
        "Fn::And": lambda self, arg: all(self.truth(a) for a in arg),
        "Fn::Or": lambda self, arg: any(self.truth(a) for a in arg),
        "Condition": condition,
    }
