"""Joins the static findings with what the built models showed.

Each static finding gets ``runtime = {verdict, detail}``:
- ``confirmed``: the built instance (or a construction error) shows the bug;
- ``refuted``: positive evidence against it: the instance holds the attribute and
  torch registered it, or the line ran and torch accepted it;
- ``unverified``: the class could not be built, the attribute was not reached with
  the synthesised arguments, or construction cannot observe the rule (TL009).
Runtime findings no static finding accounts for are returned as new diagnostics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from torchlint.runtime.subjects import FileClasses, Subject

CONFIRMED, REFUTED, UNVERIFIED = "confirmed", "refuted", "unverified"
FORWARD_CODES = frozenset({"TL009"})  # about forward(): construction cannot observe them
LATER_CODES = frozenset({"TL012"})  # about a method the user calls after construction (fit): building does not run it
ERROR_CODES = frozenset({"TL002", "TL006", "TL010"})  # confirmed by the error at their line
MOVE_CODES = frozenset({"TL011"})  # a moved Parameter: also confirmed by torch refusing it (a TL010 error)
# A static finding of the key's code accounts for runtime findings of these codes on the
# same statement or attribute (one finding per defect): a moved Parameter shows up at
# runtime as a plain tensor (TL001, TL004) or as a registration torch refused (TL010).
ACCOUNTS_FOR = {"TL011": ("TL001", "TL004", "TL010")}
# One defect, one finding: findings of one family on the same attribute of the same class
# are one defect (a plain tensor that requires grad is TL004, not TL001 and TL004).
_FAMILIES = {"TL001": "tensor", "TL004": "tensor", "TL011": "tensor"}


def defect_family(code: str) -> str:
    return _FAMILIES.get(code, code)


@dataclass
class FileRecord:
    """One linted file as the runtime check saw it."""

    path: str  # real path
    shown: str  # as the user spelled it
    lines: list[str]
    classes: FileClasses
    imported: Optional[bool] = None  # None: not imported (no Module class, or standard input)
    import_reason: Optional[str] = None
    found: list[str] = field(default_factory=list)  # the Module classes the worker found
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # qualname -> class report
    faults: dict[str, str] = field(default_factory=dict)  # qualname -> why the worker was lost
    peak_rss_mb: int = 0  # of the process that imported and built it


@dataclass
class Evidence:
    """Everything every build showed, over all files (a class may be seen inside another's model)."""

    facts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    reached: set[tuple[str, int]] = field(default_factory=set)

    def add(self, report: dict[str, Any]) -> None:
        for key, facts in report.get("facts", {}).items():
            self.facts[key] = merge_facts(self.facts.get(key), facts)
        self.findings.extend(report.get("findings", []))
        self.events.extend(report.get("events") or [])
        self.reached.update(tuple(r) for r in report.get("reached") or [])

    def event_at(self, code: str, path: str, rows: tuple[int, int], made_up: bool = False,
                 name: Optional[str] = None) -> Optional[dict[str, Any]]:
        """An error event at these rows: one the user's code caused, or (``made_up``) one
        where torch rejected an argument value torchlint synthesised. With ``name``, only an
        event about that attribute (torch's error for another name on the line proves nothing)."""
        for event in self.events:
            if event["code"] == code and event.get("file") == path and event.get("line") is not None \
                    and rows[0] <= event["line"] <= rows[1] and bool(event.get("made_up")) == made_up \
                    and _same_name(name, event.get("name")):
                return event
        return None

    def events_at(self, path: str, rows: tuple[int, int]) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("file") == path and event.get("line") is not None
                and rows[0] <= event["line"] <= rows[1]]

    def class_event(self, code: str, path: str, qualname: str, classes: FileClasses) -> Optional[dict[str, Any]]:
        for event in self.events:
            if event["code"] != code:
                continue
            if event.get("qualname") is not None:
                if (event.get("class_file"), event["qualname"]) == (path, qualname):
                    return event
            elif event.get("file") == path and event.get("line") is not None:
                enclosing = classes.enclosing_class(event["line"])
                if enclosing is not None and enclosing.qualname == qualname:
                    return event
        return None


def _same_name(wanted: Optional[str], seen: Any) -> bool:
    """Unknown on either side matches; ``__x`` matches its mangled ``_C__x``."""
    if not wanted or not isinstance(seen, str) or not seen:
        return True
    return seen == wanted or (wanted.startswith("__") and seen.startswith("_") and seen.endswith(wanted))


def merge_facts(old: Optional[dict[str, Any]], new: dict[str, Any]) -> dict[str, Any]:
    """Facts of several instances of one class: a bug seen in any instance is kept."""
    if old is None:
        return new
    for name, fact in new["attrs"].items():
        previous = old["attrs"].get(name)
        if previous is None or (_is_bug(fact) and not _is_bug(previous)):
            old["attrs"][name] = fact
    old["typos"].update(new["typos"])
    return old


def _is_bug(fact: dict[str, Any]) -> bool:
    if fact["kind"] == "tensor":
        return not fact["parameter"]
    return fact["kind"] == "container" and bool(fact["unregistered_modules"] or fact["unregistered_parameters"])


def judge(code: str, subject: Subject, record: Optional[FileRecord], evidence: Evidence) -> tuple[str, str]:
    """The verdict and its reason for one static finding."""
    if record is None or record.imported is None:
        return UNVERIFIED, "the file was not imported (standard input, or no Module class in it)"
    if record.imported is False:
        return UNVERIFIED, f"the file could not be imported: {record.import_reason}"
    if code in ERROR_CODES:  # confirmed only by torch's own error for this registration
        name = subject.attribute if code != "TL006" else None
        event = evidence.event_at(code, record.path, subject.statement_rows, name=name)
        if event is not None:
            return CONFIRMED, f"building the model raised `{event['message']}` here"
        event = evidence.event_at(code, record.path, subject.statement_rows, made_up=True, name=name)
        if event is not None:
            return UNVERIFIED, f"building the model raised `{event['message']}` here, but on an argument value " \
                               "torchlint made up, not one the code builds" + _built_with(subject.qualname, record)
        other = evidence.events_at(record.path, subject.statement_rows)
        if other:  # torch raised here, but not the fact this rule predicts (another name, another error)
            return UNVERIFIED, f"build failed: {other[0]['message']} at this line, which is not the error " \
                               f"{code} predicts" + (f" for `{subject.attribute}`" if subject.attribute else "")
    if code in MOVE_CODES:  # torch refused the plain tensor: `register_parameter` or a parameter's name
        event = evidence.event_at("TL010", record.path, subject.statement_rows, name=subject.attribute)
        if event is not None:
            return CONFIRMED, f"building the model raised `{event['message']}` here"
    if code == "TL003" and subject.qualname:
        event = evidence.class_event("TL003", record.path, subject.qualname, record.classes)
        if event is not None:
            return CONFIRMED, f"building `{subject.qualname}` showed it: {event['message']}"
    if subject.qualname is None:
        return UNVERIFIED, "not inside a class: building Modules does not run it"
    if code in FORWARD_CODES:
        return UNVERIFIED, "it is about forward(): building the model cannot observe it"
    if code in LATER_CODES:
        return UNVERIFIED, "it is about a method called after construction (fit, calibrate): building the model does not run it"
    facts = evidence.facts.get((record.path, subject.qualname))
    if facts is None:
        return UNVERIFIED, _not_built(subject.qualname, record)
    reached = any((record.path, row) in evidence.reached
                  for row in range(subject.statement_rows[0], subject.statement_rows[1] + 1))
    check = _CHECKS.get(code)
    if check is None:
        return UNVERIFIED, f"the runtime checker has no check for {code}"
    verdict, detail = check(subject, facts, reached)
    return verdict, detail + _built_with(subject.qualname, record)


_SUFFIX = re.compile(r"(; `[^`]+` was (built|tried) with .*| \(while building `[^`]+`\)| \(`[^`]+`\).*)$", re.S)


def reason_of(detail: str) -> str:
    """A verdict's reason: its detail without the arguments of the build (``build failed:
    TypeError: ...``, ``the built instance holds a plain tensor ...``)."""
    return _SUFFIX.sub("", detail)


def _built_with(qualname: str, record: FileRecord) -> str:
    """The arguments the class was built with (made up, mended, or a factory's): what a
    user needs to reproduce the build, or to see why a line was not reached."""
    report = record.reports.get(qualname)
    if report is None or report.get("status") != "built" or not report.get("arguments"):
        return ""
    if report["arguments"] == "no arguments":
        return f"; `{qualname}` was built without arguments"
    return f"; `{qualname}` was built with {report['arguments']}"


def _not_built(qualname: str, record: FileRecord) -> str:
    """Why there is no built instance to judge by: ``build failed: <Type: message>`` for a
    build that raised anything a rule does not predict, or the fault that ended it."""
    if qualname in record.faults:
        return f"build failed: {record.faults[qualname]} (while building `{qualname}`)"
    report = record.reports.get(qualname)
    if report is not None:
        if report["status"] == "built":
            return f"`{qualname}` was built but holds no facts (internal)"
        if report["status"] == "skipped":
            return f"`{qualname}` was skipped: {report['reason']}"
        if report.get("error"):
            return f"build failed: {report['error']}; `{qualname}` was tried with {report.get('tried')}" + \
                (f" ({report['attempts']} attempts)" if report.get("attempts", 0) > 2 else "")
        reason = report["reason"] or "unknown"
        hint = "; name a factory for it in [tool.torchlint.runtime] factories" \
            if reason.startswith("cannot synthesise") else ""
        return f"build failed: {reason} (`{qualname}`){hint}"
    span = record.classes.by_qualname(qualname)
    if span is not None and span.in_function:
        return f"`{qualname}` is defined inside a function: importing the file does not create it"
    return f"`{qualname}` is not an nn.Module subclass once imported (or was not found)"


# -- per rule ---------------------------------------------------------------------------

def _attribute(subject: Subject, facts: dict[str, Any]) -> Optional[dict[str, Any]]:
    return facts["attrs"].get(subject.attribute) if subject.attribute else None


def _absent(subject: Subject, fact: Optional[dict[str, Any]], reached: bool) -> tuple[str, str]:
    name = f"`self.{subject.attribute}`"
    if fact is None:
        if not reached:
            return UNVERIFIED, f"{name} was not set in this build: the line was not reached with the synthesised " \
                               "arguments (a branch not taken?)"
        return UNVERIFIED, f"{name} is not an attribute of the built instance"
    if fact["kind"] in ("none", "registered_none"):
        return UNVERIFIED, f"{name} is None in this build (the tensor is made elsewhere, or a branch not taken)"
    if fact["kind"] == "value":
        return UNVERIFIED, f"{name} holds a {fact['type']} in this build, not a tensor"
    return UNVERIFIED, f"{name} holds a {fact['kind']} in this build"


def _registered(subject: Subject, fact: dict[str, Any]) -> Optional[tuple[str, str]]:
    if fact["kind"] in ("parameter", "buffer", "module"):
        return REFUTED, f"torch registered `self.{subject.attribute}` as a {fact['kind']} of the built instance"
    return None


def _tensor_check(requires_grad: bool):
    def check(subject: Subject, facts: dict[str, Any], reached: bool) -> tuple[str, str]:
        fact = _attribute(subject, facts)
        if fact is None:
            return _absent(subject, fact, reached)
        if fact["kind"] == "tensor" and not fact["parameter"]:
            if requires_grad and not fact["requires_grad"]:
                return UNVERIFIED, f"`self.{subject.attribute}` is a plain tensor that does not require grad " \
                                   "in this build"
            if not requires_grad and fact.get("alias_of"):
                # TL001's fact is a tensor missing from `named_buffers()`/`state_dict()`: this very
                # object is in them, under another name (saved and loaded there). Not that fact; what
                # remains is an alias that `.to()` does not update, which this build cannot show.
                return UNVERIFIED, f"`self.{subject.attribute}` is a plain attribute, but the very same tensor " \
                                   f"is registered as `{fact['alias_of']}` (torch lists it under that name); " \
                                   "`.to()` or `.half()` replaces the registered one and leaves this attribute " \
                                   "holding the old tensor"
            return CONFIRMED, f"the built instance holds a plain tensor of shape {list(fact['shape'])} in " \
                              f"`self.{subject.attribute}`, and torch did not register it"
        return _registered(subject, fact) or _absent(subject, fact, reached)

    return check


def _container_check(what: str):
    unregistered, registered = f"unregistered_{what}", f"registered_{what}"

    def check(subject: Subject, facts: dict[str, Any], reached: bool) -> tuple[str, str]:
        fact = _attribute(subject, facts)
        if fact is None:
            return _absent(subject, fact, reached)
        name = f"`self.{subject.attribute}`"
        if fact["kind"] == "container":
            if fact[unregistered]:
                return CONFIRMED, f"{name} is a plain {fact['container']} holding {fact[unregistered]} {what} " \
                                  "that torch did not register"
            if fact[registered] and not fact.get("stateless_modules"):
                return REFUTED, f"every one of the {what} in {name} is registered elsewhere in the model"
            if fact.get("stateless_modules"):
                return UNVERIFIED, f"{name} holds only modules without parameters or buffers in this build"
            return UNVERIFIED, f"{name} is an empty {fact['container']} in this build"
        return _registered(subject, fact) or _absent(subject, fact, reached)

    return check


def _line_check(ran_ok: str):
    """Rules proven by an error at their line: refuted when the line ran without one."""

    def check(subject: Subject, facts: dict[str, Any], reached: bool) -> tuple[str, str]:
        if reached:
            return REFUTED, ran_ok
        return UNVERIFIED, "the line was not reached while building with the synthesised arguments"

    return check


def _moved_check(subject: Subject, facts: dict[str, Any], reached: bool) -> tuple[str, str]:
    """TL011. A plain tensor in ``__dict__`` that torch did not register confirms it. A
    registered Parameter does not refute it: where the call copies nothing (same device
    and dtype, as in a meta or CPU build) it returns the Parameter itself; on another
    device or dtype the same line stores a plain tensor."""
    fact = _attribute(subject, facts)
    name = f"`self.{subject.attribute}`"
    if fact is None:
        return _absent(subject, fact, reached)
    if fact["kind"] == "tensor" and not fact["parameter"]:
        if fact.get("alias_of"):
            return UNVERIFIED, f"{name} is a plain tensor, but the same tensor is registered as `{fact['alias_of']}`"
        return CONFIRMED, f"the built instance holds a plain tensor of shape {list(fact['shape'])} in {name}, " \
                          "not a Parameter: it is missing from `named_parameters()`"
    if fact["kind"] == "parameter":
        return UNVERIFIED, f"in this build the call copied nothing (same device and dtype), so it returned the " \
                           f"Parameter itself and torch registered {name}; where it copies (another device or " \
                           "dtype) it returns a plain tensor"
    return _absent(subject, fact, reached)


def _init_check(subject: Subject, facts: dict[str, Any], reached: bool) -> tuple[str, str]:
    return REFUTED, f"Module.__init__() ran for the built `{subject.qualname}` (through a base class or a helper)"


def _typo_check(subject: Subject, facts: dict[str, Any], reached: bool) -> tuple[str, str]:
    """TL005's fact: the misspelt attribute sits on a tensor the module holds, and that
    tensor's ``requires_grad`` is not what the assignment asked for."""
    typo = facts["typos"].get(subject.attribute or "")
    if typo:
        if not typo["unchanged"]:
            return UNVERIFIED, f"`{typo['tensor']}.{subject.attribute}` was set to {typo['value']}, but its " \
                               f"`requires_grad` is {typo['requires_grad']} anyway in this build"
        return CONFIRMED, f"the built instance's tensor `{typo['tensor']}` carries a plain `{subject.attribute}` " \
                          f"attribute ({typo['value']}) and its `requires_grad` is still {typo['requires_grad']}"
    if reached:
        return UNVERIFIED, f"the line ran, but no tensor the module holds has a `{subject.attribute}` attribute"
    return UNVERIFIED, "the line was not reached while building (it may run outside construction)"


_CHECKS = {
    "TL001": _tensor_check(requires_grad=False),
    "TL004": _tensor_check(requires_grad=True),
    "TL005": _typo_check,
    "TL007": _container_check("modules"),
    "TL008": _container_check("parameters"),
    "TL002": _line_check("the line ran after Module.__init__() and torch registered it without error"),
    "TL003": _init_check,
    "TL006": _line_check("the in-place operation ran during construction without an error"),
    "TL010": _line_check("the line ran and torch accepted the registration"),
    "TL011": _moved_check,
}
