"""A scenario being edited: the texts typed into its fields, checked as they are typed.

Every check is the one a scenario file gets: a hardware value goes through
``spec.with_overrides`` and the workload through its model, so the editor refuses exactly
what ``gpusim run`` would refuse, with the same one-line message naming the dotted path.
The edits are checked together; when they fail, each is checked alone, so every field that
is wrong by itself is marked, and a rule that spans fields (``sm.max_threads`` against
``sm.max_warps``) marks the field it names and the last one edited. Then the whole scenario
is checked (a collective's ranks against the system).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from gpusim.errors import GpusimError
from gpusim.scenario import Scenario, scenario_from_dict
from gpusim.schema import validate_model
from gpusim.tui.fields import Parameter, hardware_table, parameters, value_of


class DraftError(GpusimError):
    """The draft has an invalid field; the message is that field's one-line error."""


class Draft:
    """Edits to one scenario, with the error of every field that does not validate."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.parameters = parameters(scenario)
        self._by_path: dict[str, Parameter] = {p.path: p for p in self.parameters}
        self._texts: dict[str, str] = {}
        self._values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}
        """Dotted path -> its one-line error (``gpu.l2.size_bytes: must be > 0, got -4``)."""

    def parameter(self, path: str) -> Parameter:
        """The parameter at ``path``."""
        return self._by_path[path]

    def original_text(self, path: str) -> str:
        """The field's value in the scenario as loaded, as the editor shows it."""
        parameter = self._by_path[path]
        return parameter.display(value_of(self.scenario, parameter))

    def text(self, path: str) -> str:
        """What the field shows now: the edit if there is one, else the loaded value."""
        return self._texts.get(path, self.original_text(path))

    def is_edited(self, path: str) -> bool:
        """Whether the field differs from the scenario as loaded."""
        return path in self._texts

    @property
    def edits(self) -> dict[str, Any]:
        """Path -> parsed value of every valid edit, in the order they were made."""
        return {path: self._values[path] for path in self._texts if path in self._values}

    @property
    def valid(self) -> bool:
        """Whether every field validates (a run or a save is allowed)."""
        return not self.errors

    def set(self, path: str, text: str) -> str | None:
        """Type ``text`` into the field at ``path``; return its error, if any."""
        parameter = self._by_path[path]
        if not parameter.editable:
            raise DraftError(f"{path}: cannot be changed here (choose another scenario)")
        if text.strip() == self.original_text(path):
            self._texts.pop(path, None)
        else:
            self._texts[path] = text
        self._check()
        return self.errors.get(path)

    def document(self) -> dict[str, Any]:
        """The edited scenario as a document ``scenario_from_dict`` and TOML files accept.

        Raises ``DraftError`` naming the first invalid field.
        """
        if self.errors:
            raise DraftError(next(iter(self.errors.values())))
        return self._document(self.edits)

    def build(self) -> Scenario:
        """The edited scenario, resolved (raises ``DraftError`` if a field is invalid)."""
        return scenario_from_dict(self.document(), source=self.scenario.source)

    def _document(self, edits: Mapping[str, Any]) -> dict[str, Any]:
        document = copy.deepcopy(dict(self.scenario.document))
        document["name"] = self.scenario.name
        table = hardware_table(self.scenario)
        overrides = document[table].setdefault("overrides", {})
        workload = document["workload"]
        for path, value in edits.items():
            parameter = self._by_path[path]
            target = workload if parameter.table == "workload" else overrides
            if value is None:
                target.pop(parameter.key, None)
            else:
                target[parameter.key] = value
        return document

    def _check(self) -> None:
        errors: dict[str, str] = {}
        self._values = {}
        for path, text in self._texts.items():
            try:
                self._values[path] = self._by_path[path].parse(text)
            except ValueError as err:
                errors[path] = f"{path}: {err}"
        message = self._model_error(self._values) if self._values else None
        if message is not None:
            # Together the edits break a rule: mark each edit that is wrong on its own; if
            # none is, the rule spans fields (sm.max_warps too small for sm.max_threads).
            local = {
                path: alone
                for path, value in self._values.items()
                if (alone := self._model_error({path: value})) is not None
                and alone.startswith(f"{path}:")
            }
            errors.update(local)
            if not local:
                self._record(errors, message, next(reversed(self._values)))
        elif self._values and not errors:
            message = self._scenario_error()
            if message is not None:
                self._record(errors, message, next(reversed(self._values)))
        self.errors = errors

    def _model_error(self, edits: Mapping[str, Any]) -> str | None:
        """The first error of the workload and hardware models with ``edits`` applied."""
        table = hardware_table(self.scenario)
        hardware = {
            self._by_path[p].key: v for p, v in edits.items() if self._by_path[p].table == table
        }
        workload = {
            self._by_path[p].key: v for p, v in edits.items() if self._by_path[p].table != table
        }
        try:
            if hardware:
                self.scenario.hardware.with_overrides(hardware, prefix=table)
            if workload:
                data = {**self.scenario.workload.model_dump(), **workload}
                validate_model(type(self.scenario.workload), data, prefix="workload")
        except ValueError as err:
            return str(err)
        return None

    def _scenario_error(self) -> str | None:
        """A whole-scenario rule (a collective's ranks, algorithm, root) the edits break."""
        source = self.scenario.source
        try:
            scenario_from_dict(self._document(self._values), source=source)
        except GpusimError as err:
            return str(err).removeprefix(f"{source}: ")
        return None

    def _record(self, errors: dict[str, str], message: str, edited: str) -> None:
        """File ``message`` under the edited field and under the field it names, if another
        (``sm.max_warps`` made too small is reported by ``sm.max_threads``'s rule)."""
        errors.setdefault(edited, message)
        named = [path for path in self._by_path if message.startswith(f"{path}:")]
        if named:
            errors.setdefault(max(named, key=len), message)
