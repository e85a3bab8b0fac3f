"""Building one Module class (in a worker): meta device, recorded assignments, probes.

A build runs under a ``Recorder``: a temporary wrapper of ``nn.Module.__setattr__``
and the ``register_*`` methods that notes the caller's line for every attribute
(runtime findings point there), and, in probe mode, turns torch's registration
errors into recorded evidence instead of exceptions, so one build shows every
registration before ``super().__init__()`` and every rejected ``register_buffer``.
Construction is tried on the meta device first (no memory for the weights), then on
the CPU for small models whose code does not work on meta tensors.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import sys
import time
import weakref
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from torchlint.analysis.spelling import is_requires_grad_typo
from torchlint.runtime.repair import Repairer
from torchlint.runtime.synthesis import SCHEMES, CannotSynthesise, Synthesiser, module_factories, namespace_reads

# A CPU build is a fallback for small models only: above this many tensor elements
# seen before the meta build failed, the class is given up instead.
CPU_FALLBACK_ELEMENTS = 20_000_000
# Seconds all the attempts at one class may take (less when the per-class timeout is
# short): no attempt starts after it, and one still running then is stopped. A chain of
# attempts (or one attempt importing a whole library) ends as a reason, not as a kill.
CLASS_BUDGET_S = 8.0
_BUFFER_TYPES = tuple(t for t in (getattr(nn, "Buffer", None),) if t is not None)
_TORCH_MODULE_FILE = os.path.realpath(nn.Module.__init__.__code__.co_filename)
_OWN_FILE = os.path.realpath(__file__)
_SKIPPED_FILES = {_TORCH_MODULE_FILE, _OWN_FILE}
_TORCH_DIR = os.path.dirname(os.path.realpath(torch.__file__)) + os.sep
_REALPATHS: dict[str, str] = {}
_MISSING = object()


def realpath(filename: str) -> str:
    found = _REALPATHS.get(filename)
    if found is None:
        found = _REALPATHS[filename] = os.path.realpath(filename)
    return found


def _caller(depth: int = 2, outside_torch: bool = False) -> Optional[tuple[str, int]]:
    """The first frame outside torch's Module code (``outside_torch``: all of torch) and
    this file: the assigning line, or the line that wrote in place."""
    frame = sys._getframe(depth)
    while frame is not None:
        filename = realpath(frame.f_code.co_filename)
        skipped = filename.startswith(_TORCH_DIR) if outside_torch else (
            filename in _SKIPPED_FILES or frame.f_code.co_name == "__setattr__")
        if not skipped and filename != _OWN_FILE:
            return filename, frame.f_lineno
        frame = frame.f_back
    return None


def _initialised(module: nn.Module) -> bool:
    return "_parameters" in module.__dict__


class OutOfTime(BaseException):
    """Raised into a build that runs past its class's time budget (a BaseException, so
    that user code's `except Exception` does not swallow it)."""


class _Deadline:
    """Stops the build running when the budget ends: a SIGALRM timer in the main thread
    (the worker's); elsewhere, or where a timer is already set, only the check between attempts."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.armed = False
        self.fired = False

    def __enter__(self) -> "_Deadline":
        import signal
        import threading

        if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread() \
                or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
            return self
        self._signal = signal
        self._previous = signal.signal(signal.SIGALRM, self._expired)
        signal.setitimer(signal.ITIMER_REAL, max(self.seconds, 0.001))
        self.armed = True
        return self

    def _expired(self, signum, frame) -> None:
        if not self.armed or self.fired:
            return
        if Recorder.switching:  # torch's methods half patched or restored: a moment later
            self._signal.setitimer(self._signal.ITIMER_REAL, 0.01)
            return
        self.fired = True
        raise OutOfTime(f"timed out: building took over {self.seconds:g} s, the class's time budget")

    def __exit__(self, *exc) -> None:
        if self.armed:
            self.armed = False
            self._signal.setitimer(self._signal.ITIMER_REAL, 0)
            self._signal.signal(self._signal.SIGALRM, self._previous)


class TooLargeForCpu(BaseException):
    """Stops a CPU fallback build that grows past the small-model budget (a
    BaseException so that user code's `except Exception` does not swallow it)."""


class Recorder:
    """Active during one build; see the module docstring."""

    _active: Optional["Recorder"] = None
    switching = False  # installing or removing the patches: a deadline waits

    def __init__(self, probe: bool = False, watch: Optional[dict[str, set[int]]] = None,
                 element_budget: Optional[int] = None, made_up: Optional[list] = None):
        self.probe = probe
        # the argument values torchlint synthesised for this build: torch rejecting one of them
        # (register_buffer given the int made up for `storage`) is no evidence about the code
        self.made_up = list(made_up or ())
        self.element_budget = element_budget  # a CPU build stops past it
        self.watch = watch or {}
        self.where: "weakref.WeakKeyDictionary[nn.Module, dict[str, tuple[str, int]]]" = weakref.WeakKeyDictionary()
        self.events: list[dict[str, Any]] = []
        self.reached: set[tuple[str, int]] = set()
        self.elements = 0
        self._before_init: list[tuple[dict[str, Any], nn.Module]] = []
        self._saved: dict[tuple[Any, str], Any] = {}
        # misspelt `requires_grad` attributes set on tensors: id -> (tensor ref, {name: (file, line)})
        self._typos: dict[int, tuple[Any, dict[str, tuple[str, int]]]] = {}

    def note_typo(self, tensor: torch.Tensor, name: str, where: Optional[tuple[str, int]]) -> None:
        if where is None:
            return
        try:
            ref = weakref.ref(tensor)
        except TypeError:
            return
        entry = self._typos.get(id(tensor))
        if entry is None or entry[0]() is not tensor:
            entry = self._typos[id(tensor)] = (ref, {})
        entry[1].setdefault(name, where)

    def typo_where(self, tensor: Any, name: str) -> Optional[tuple[str, int]]:
        """Where the build set the misspelt attribute ``name`` on ``tensor`` (its line)."""
        entry = self._typos.get(id(tensor))
        if entry is None or entry[0]() is not tensor:
            return None
        return entry[1].get(name)

    def is_made_up(self, value: Any) -> bool:
        return any(value is made for made in self.made_up)

    # -- what the wrappers note ----------------------------------------------------------

    def note(self, module: nn.Module, name: Any, where: Optional[tuple[str, int]], value: Any) -> None:
        if isinstance(value, torch.Tensor):
            self.elements += value.numel()
            if self.element_budget is not None and self.elements > self.element_budget:
                raise TooLargeForCpu(f"more than {self.element_budget:,} tensor elements")
        if where is not None and isinstance(name, str):
            try:
                self.where.setdefault(module, {})[name] = where
            except TypeError:  # an unhashable Module subclass
                pass

    def before_init(self, module: nn.Module, name: Any, where, what: str) -> None:
        event = {"kind": "before_init", "code": "TL002", "name": name, "file": where[0] if where else None,
                 "line": where[1] if where else None,
                 "message": f"cannot assign {what} before Module.__init__() call"}
        self.events.append(event)
        self._before_init.append((event, module))

    def settle(self) -> None:
        """After a probe build: a registration before an __init__ that never ran is TL003's."""
        for event, module in self._before_init:
            if not _initialised(module):
                event["code"] = "TL003"
                event["qualname"] = type(module).__qualname__
                event["class_file"] = class_file(type(module))
        self._before_init.clear()

    # -- patching ------------------------------------------------------------------------

    def __enter__(self) -> "Recorder":
        Recorder.switching = True
        try:
            self._install()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        finally:
            Recorder.switching = False
        return self

    def _install(self) -> None:
        Recorder._active = self
        self._patch(nn.Module, "__setattr__", _recording_setattr)
        for method, what in (("register_buffer", "buffer"), ("register_parameter", "parameters"),
                             ("add_module", "module"), ("register_module", "module")):
            self._patch(nn.Module, method, _recording_register(getattr(nn.Module, method), what))
        # No GPU here: `.cuda()` in a constructor moves nothing and must not fail.
        self._patch(torch.Tensor, "cuda", lambda tensor, *args, **kwargs: tensor)
        self._patch(nn.Module, "cuda", lambda module, *args, **kwargs: module)
        # Where a misspelt `requires_grad` is set on a tensor (`w.require_grad = False`): the
        # runtime TL005 finding points at that line.
        self._patch(torch.Tensor, "__setattr__", _recording_tensor_setattr)
        # Nor `.to("cuda")` / `.to(device)` with a CUDA default: the dtype part still applies.
        if not torch.cuda.is_available():
            self._patch(nn.Module, "to", _without_cuda(nn.Module.to))
            self._patch(torch.Tensor, "to", _without_cuda(torch.Tensor.to))
        if self.watch:
            self._previous_trace = sys.gettrace()
            self._tracing = True
            sys.settrace(self._trace)

    def __exit__(self, *exc) -> None:
        Recorder.switching = True
        try:
            if getattr(self, "_tracing", False):
                sys.settrace(self._previous_trace)
                self._tracing = False
            for (owner, name), original in reversed(list(self._saved.items())):
                if original is _MISSING:
                    delattr(owner, name)  # it was inherited (Tensor.cuda lives on the C base)
                else:
                    setattr(owner, name, original)
            self._saved.clear()
            Recorder._active = None
        finally:
            Recorder.switching = False

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self._saved[(owner, name)] = owner.__dict__.get(name, _MISSING)
        setattr(owner, name, replacement)

    def _trace(self, frame, event, arg):
        lines = self.watch.get(realpath(frame.f_code.co_filename))
        if lines is None:
            return None
        filename = realpath(frame.f_code.co_filename)
        reached = self.reached

        def local(frame, event, arg):
            if event == "line" and frame.f_lineno in lines:
                reached.add((filename, frame.f_lineno))
            return local

        return local


def _without_cuda(to):
    """``to`` that leaves a CUDA device out (no GPU here) and keeps the rest of the move."""

    @functools.wraps(to)
    def patched(self, *args, **kwargs):
        try:
            device, dtype, non_blocking, memory_format = torch._C._nn._parse_to(*args, **kwargs)
        except Exception:
            return to(self, *args, **kwargs)
        if device is None or device.type != "cuda":
            return to(self, *args, **kwargs)
        if dtype is None:
            return self
        return to(self, dtype=dtype, non_blocking=non_blocking)

    return patched


_ORIGINAL_SETATTR = nn.Module.__setattr__
_ORIGINAL_TENSOR_SETATTR = torch.Tensor.__setattr__


def _recording_tensor_setattr(tensor: torch.Tensor, name: str, value: Any) -> None:
    _ORIGINAL_TENSOR_SETATTR(tensor, name, value)
    recorder = Recorder._active
    if recorder is not None and isinstance(name, str) and is_requires_grad_typo(name):
        recorder.note_typo(tensor, name, _caller(outside_torch=True))


def _recording_setattr(module: nn.Module, name: str, value: Any) -> None:
    recorder = Recorder._active
    if recorder is not None:
        where = _caller()
        recorder.note(module, name, where, value)
        if recorder.probe and not _initialised(module):
            what = _registration_kind(value)
            if what is not None:
                recorder.before_init(module, name, where, what)
                return
        if recorder.probe:
            try:
                _ORIGINAL_SETATTR(module, name, value)
            except TypeError as error:  # a plain tensor stored under a parameter's name (`p.double()`)
                if _AS_PARAMETER not in str(error):
                    raise
                recorder.events.append({"kind": "register_error", "code": "TL010", "name": name,
                                        "file": where[0] if where else None, "line": where[1] if where else None,
                                        "message": f"TypeError: {_text(error)}",
                                        "made_up": recorder.is_made_up(value)})
            return
    try:
        _ORIGINAL_SETATTR(module, name, value)
    except (TypeError, AttributeError) as error:
        _tag_registration(error, name)
        raise


_AS_PARAMETER = "' as parameter '"


def _tag_registration(error: BaseException, name: Any) -> None:
    """Mark an error raised by torch's own registration code (``Module.__setattr__``,
    ``register_buffer``, ...) for ``name``: only such an error confirms TL002/TL010/TL011.
    The same text raised by anything else is a build failure, not evidence."""
    if getattr(error, "_torchlint_registration", None) is None:
        try:
            error._torchlint_registration = name if isinstance(name, str) else ""
        except AttributeError:
            pass


def _registration_kind(value: Any) -> Optional[str]:
    if isinstance(value, nn.Parameter):
        return "parameters"
    if isinstance(value, nn.Module):
        return "module"
    if _BUFFER_TYPES and isinstance(value, _BUFFER_TYPES):
        return "buffer"
    return None


def _recording_register(original: Callable, what: str) -> Callable:
    def register(module: nn.Module, *args: Any, **kwargs: Any) -> Any:
        recorder = Recorder._active
        if recorder is None:
            return original(module, *args, **kwargs)
        name = args[0] if args else kwargs.get("name")
        value = args[1] if len(args) > 1 else next(iter(v for k, v in kwargs.items() if k != "name"), None)
        where = _caller()
        recorder.note(module, name, where, value)
        if not recorder.probe:
            try:
                return original(module, *args, **kwargs)
            except (KeyError, TypeError, AttributeError) as error:
                _tag_registration(error, name)
                if isinstance(error, TypeError) and recorder.is_made_up(value):
                    error._torchlint_made_up = True  # torch rejected a value we synthesised: no evidence
                raise
        if not _initialised(module):
            recorder.before_init(module, name, where, what)
            return None
        try:
            return original(module, *args, **kwargs)
        except (KeyError, TypeError) as error:
            recorder.events.append({"kind": "register_error", "code": "TL010", "name": name,
                                    "file": where[0] if where else None, "line": where[1] if where else None,
                                    "message": f"{type(error).__name__}: {_text(error)}",
                                    "made_up": isinstance(error, TypeError) and recorder.is_made_up(value)})
            return None

    register.__name__ = original.__name__
    return register


_IN_PLACE_OPERATORS = frozenset({"__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__",
                                 "__ipow__", "__imatmul__", "__iand__", "__ior__", "__ixor__", "__ilshift__",
                                 "__irshift__", "__setitem__"})
_NOT_DATA_WRITES = frozenset({"requires_grad_", "retain_grad", "share_memory_"})


def _writes_in_place(func: Any) -> bool:
    name = getattr(func, "__name__", "")
    return name in _IN_PLACE_OPERATORS or (
        name.endswith("_") and not name.startswith("_") and name not in _NOT_DATA_WRITES)


class _LeafInPlace(TorchFunctionMode):
    """In a probe build: an in-place write to a leaf tensor that requires grad, with grad
    enabled, raises in a real build (TL006). Note its line, and run it under no_grad, so
    that the build goes on and shows every such line, not only the first."""

    def __init__(self, recorder: Recorder):
        super().__init__()
        self.recorder = recorder

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        target = args[0] if args else None
        if isinstance(target, torch.Tensor) and target.is_leaf and target.requires_grad \
                and torch.is_grad_enabled() and _writes_in_place(func):
            where = _caller(outside_torch=True)
            self.recorder.events.append({"kind": "in_place", "code": "TL006", "name": None,
                                         "file": where[0] if where else None, "line": where[1] if where else None,
                                         "message": f"RuntimeError: {LEAF_INPLACE}."})
            with torch.no_grad():
                return func(*args, **kwargs)
        return func(*args, **kwargs)


# -- construction errors as evidence ---------------------------------------------------

_NO_INTERNALS = re.compile(r"has no attribute '_(parameters|buffers|modules|non_persistent_buffers_set|"
                           r"forward_hooks|forward_pre_hooks|backward_hooks|backward_pre_hooks|state_dict_hooks|"
                           r"load_state_dict_pre_hooks|is_full_backward_hook|state_dict_pre_hooks)'")
_REGISTER_REJECTED = re.compile(r"already exists|can't contain|can't be empty|cannot assign '.*' object to "
                                r"(buffer|parameter)|is not a Module subclass|required\)|"
                                r"cannot assign '.*' as parameter")
MEMORY_FAULT = "exceeded the worker's memory limit"
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation"


def evidence_of(error: BaseException, owned: Callable[[str], bool]) -> Optional[dict[str, Any]]:
    """The rule a construction error proves, with the user line that raised it."""
    text = _text(error)
    code = None
    registration = getattr(error, "_torchlint_registration", None)  # raised by torch's registration code
    if isinstance(error, AttributeError) and "before Module.__init__() call" in text and registration is not None:
        code = "TL002"
    elif isinstance(error, AttributeError) and _NO_INTERNALS.search(text):
        obj = getattr(error, "obj", None)
        if isinstance(obj, nn.Module):
            return {"kind": "error", "code": "TL003", "qualname": type(obj).__qualname__,
                    "class_file": class_file(type(obj)), "file": None, "line": None,
                    "message": f"AttributeError: {text}"}
        code = "TL003"
    elif isinstance(error, (KeyError, TypeError)) and registration is not None and _REGISTER_REJECTED.search(text):
        code = "TL010"
    elif isinstance(error, RuntimeError) and LEAF_INPLACE in text:
        code = "TL006"
    if code is None:
        return None
    where = raising_line(error, owned)
    return {"kind": "error", "code": code, "file": where[0] if where else None, "name": registration or None,
            "line": where[1] if where else None, "message": f"{type(error).__name__}: {text}"}


def _rejects_made_up_value(error: BaseException, made: list[Any]) -> bool:
    """Did a registration reject one of the values we made up (``nn.Identity`` passed
    where a module instance belongs, ``"gelu"`` where a module belongs)? Then the
    TypeError says nothing about the code: it is no evidence."""
    if not isinstance(error, TypeError) or not made:
        return False
    text = str(error)
    names = set()
    for value in made:
        if isinstance(value, type):
            names |= {value.__name__, f"{value.__module__}.{value.__qualname__}"}
        elif isinstance(value, str):
            names.add("str")
        elif not isinstance(value, (int, float, bool, tuple, list, type(None))):
            names.add(type(value).__name__)
    return any(name in text for name in names)


def raising_line(error: BaseException, owned: Callable[[str], bool]) -> Optional[tuple[str, int]]:
    """The deepest traceback frame in a linted file."""
    found = None
    tb = error.__traceback__
    while tb is not None:
        filename = realpath(tb.tb_frame.f_code.co_filename)
        if owned(filename):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def class_file(cls: type) -> Optional[str]:
    module = sys.modules.get(cls.__module__)
    filename = getattr(module, "__file__", None)
    return realpath(filename) if filename else None


def _text(error: BaseException) -> str:
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(error.args[0], str):
        text = error.args[0]
    else:
        text = str(error)
    lines = text.strip().splitlines()
    return (lines[0] if lines else "")[:300]


def describe_error(error: BaseException) -> str:
    if isinstance(error, TooLargeForCpu):
        return f"too large for a CPU build ({error})"
    if isinstance(error, OutOfTime):
        return str(error)
    if isinstance(error, SystemExit):
        return f"called sys.exit({error.code!r})"
    if isinstance(error, MemoryError) or "can't allocate memory" in str(error):
        return f"{MEMORY_FAULT} (MemoryError)"
    return f"{type(error).__name__}: {_text(error)}"


def is_fatal(error: BaseException) -> bool:
    """Faults after which trying other arguments is pointless."""
    return isinstance(error, (SystemExit, KeyboardInterrupt, MemoryError, OutOfTime)) \
        or "can't allocate memory" in str(error)


# -- building ---------------------------------------------------------------------------

@dataclass
class Attempt:
    instance: Optional[nn.Module]
    error: Optional[BaseException]
    recorder: Recorder
    device: str


@dataclass
class Outcome:
    """What became of one class: built (with an instance), failed or skipped."""

    status: str  # "built" | "failed" | "skipped"
    reason: Optional[str] = None
    instance: Optional[nn.Module] = None
    recorder: Optional[Recorder] = None
    device: Optional[str] = None
    arguments: Optional[str] = None
    attempts: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    reached: set[tuple[str, int]] = field(default_factory=set)
    how: Optional[str] = None  # the construction path that built it (defaults, a config factory, ...)
    error: Optional[str] = None  # a failed build: the exception of the first argument set ("Type: message")
    tried: Optional[str] = None  # ... and the arguments and device it was raised with
    log: list[dict[str, Any]] = field(default_factory=list)  # every attempt: arguments, device, result


def build_once(make: Callable[[], Any], device: str, probe: bool = False,
               watch: Optional[dict[str, set[int]]] = None, made_up: Optional[list] = None) -> Attempt:
    recorder = Recorder(probe=probe, watch=watch,
                        element_budget=CPU_FALLBACK_ELEMENTS if device != "meta" else None, made_up=made_up)
    instance, error = None, None
    with recorder:
        try:
            with torch.device(device) if device == "meta" else nullcontext(), \
                    _LeafInPlace(recorder) if probe else nullcontext():
                instance = make()
        except BaseException as raised:  # user code: anything, including sys.exit()
            error = raised  # its traceback tells the raising line
    if probe:
        recorder.settle()
    return Attempt(instance, error, recorder, device)


def _made_by(factory: Callable[[], Any], cls: type) -> Any:
    """A module factory's product, if it is an instance of that very class."""
    made = factory()
    if type(made) is not cls:
        raise TypeError(f"the factory returned {type(made).__name__}, not {cls.__name__}")
    return made


class _Run:
    """The attempts at building one class: the outcome so far and each argument set's
    last failure (the first set's is the reason shown)."""

    def __init__(self, builder: "Builder", cls: type, started: float):
        self.builder = builder
        self.started = started
        self.outcome = Outcome("failed")
        self.failures: dict[int, str] = {}
        self.errors: dict[int, tuple[str, str]] = {}  # argument set -> (its meta build's error, arguments; device)
        self.how: dict[int, str] = {}  # argument set -> its construction path
        self.watch = builder._watch_for(cls)
        self.too_large = False  # the last meta build: no CPU build for it

    @property
    def reason(self) -> Optional[str]:
        return self.failures[min(self.failures)] if self.failures else None

    def settle_error(self) -> None:
        """A failed class: the error of its first argument set, as the build failure shown."""
        if self.errors:
            self.outcome.error, self.outcome.tried = self.errors[min(self.errors)]

    def attempt(self, make: Callable[[], Any], device: str, shown: str, kwargs: Optional[dict], plan: int) -> Any:
        """One build. Returns the final Outcome (built, evidence, out of time, fatal), else
        the error, or None when the error says to go on to the next argument set."""
        outcome = self.outcome
        if time.monotonic() - self.started > self.builder.class_budget and outcome.attempts:
            outcome.reason = f"{self.reason} (gave up after {outcome.attempts} attempts: the class's " \
                             f"{self.builder.class_budget:g} s time budget ran out)"
            self.settle_error()
            return outcome
        began = time.monotonic()
        attempt = build_once(make, device, watch=self.watch, made_up=list(kwargs.values()) if kwargs else None)
        outcome.attempts += 1
        outcome.reached |= attempt.recorder.reached
        outcome.log.append({"arguments": shown, "device": device, "how": self.how.get(plan),
                            "result": "built" if attempt.error is None else describe_error(attempt.error),
                            "seconds": round(time.monotonic() - began, 4)})
        if attempt.error is None:
            outcome.how = self.how.get(plan)
            reads = [read for name, value in (kwargs or {}).items()
                     for read in namespace_reads(value, f"{name}.")]
            if reads:  # what the build read from the namespaces we made: reproduces it
                shown += "; read: " + ", ".join(reads[:8]) + (", ..." if len(reads) > 8 else "")
            return self.builder._built(outcome, attempt, shown)
        evidence = evidence_of(attempt.error, self.builder.owned)
        made_up = _rejects_made_up_value(attempt.error, list(kwargs.values()) if kwargs else []) \
            or getattr(attempt.error, "_torchlint_made_up", False)
        if evidence is not None and not made_up:
            return self.builder._probe(outcome, attempt, evidence, make, shown)
        if isinstance(attempt.error, OutOfTime):
            return self.out_of_time(attempt.error)
        if is_fatal(attempt.error):
            outcome.reason = outcome.error = describe_error(attempt.error)
            outcome.tried = f"{shown}; {device}"
            return outcome
        self.too_large = device == "meta" and attempt.recorder.elements > CPU_FALLBACK_ELEMENTS
        failure = f"{describe_error(attempt.error)} [{shown}; {device}]"
        if device == "meta":
            self.failures[plan] = f"{failure}; too large to retry on the CPU" if self.too_large else failure
            self.errors.setdefault(plan, (describe_error(attempt.error), f"{shown}; {device}"))
        elif isinstance(attempt.error, TooLargeForCpu):
            self.failures[plan] = f"{self.failures.get(plan)}; {describe_error(attempt.error)}"
        # (a registration that rejected a value we made up, `nn.Identity` where a module
        # instance belongs or an int where a tensor does, is never a finding: mending may
        # replace the value, else the next argument set is tried)
        return attempt.error

    def out_of_time(self, error: OutOfTime) -> Outcome:
        """The budget ran out during an attempt (or between them): a timeout, with the
        last error of the attempts before it."""
        outcome = self.outcome
        outcome.status, outcome.instance = "failed", None
        last = next((entry["result"] for entry in reversed(outcome.log) if entry["result"] not in ("built", str(error))),
                    None)
        outcome.reason = f"{error} ({outcome.attempts} attempts)" + (f"; the last error: {last}" if last else "")
        self.settle_error()
        if outcome.error is None:
            outcome.error = str(error)
        if outcome.tried is None and outcome.log:
            outcome.tried = f"{outcome.log[-1]['arguments']}; {outcome.log[-1]['device']}"
        return outcome


class Builder:
    """Builds classes of one imported module: factories first, else synthesised arguments."""

    def __init__(self, module_globals: dict[str, Any], owned: Callable[[str], bool],
                 factories: dict[str, Callable[[], Any]], watch: dict[str, set[int]], budget: float):
        self.owned = owned
        self.factories = factories
        self.watch = watch
        self.budget = budget  # seconds per class: the worker is ended past it
        self.class_budget = min(CLASS_BUDGET_S, budget * 0.8)  # the attempts' own limit, under it
        self._nested_depth = 0
        self.synthesiser = Synthesiser(torch, nn, module_globals, self._build_nested)

    def _build_nested(self, cls: type) -> nn.Module:
        """A Module-typed constructor parameter: build that class too (two levels deep at most)."""
        if self._nested_depth >= 2:
            raise CannotSynthesise(f"{cls.__name__}: nested too deeply")
        self._nested_depth += 1
        try:
            for scheme in range(SCHEMES):
                try:
                    plan = self.synthesiser.plan(cls, scheme)
                except CannotSynthesise:
                    raise
                except Exception:  # user-defined config classes may raise anything
                    continue
                repairer = Repairer(cls, plan.kwargs, self._config_maker(cls))
                while True:
                    try:
                        with torch.device("meta"):  # a default config may be a 7B-parameter model
                            return cls(**plan.kwargs)
                    except Exception as error:
                        if not repairer.repair(error):
                            break
            raise CannotSynthesise(f"{cls.__name__} could not be built as an argument")
        finally:
            self._nested_depth -= 1

    def build(self, cls: type, key: str) -> Outcome:
        if inspect.isabstract(cls):
            return Outcome("skipped", "abstract class (abstract methods not implemented)")
        run = _Run(self, cls, time.monotonic())
        try:
            with _Deadline(self.class_budget):
                return self._build(cls, key, run)
        except OutOfTime as error:  # while planning or mending, between attempts
            return run.out_of_time(error)

    def _build(self, cls: type, key: str, run: "_Run") -> Outcome:
        plans = self._plans(cls, key)
        if isinstance(plans, Outcome):
            return plans
        mendable = []
        # Each argument set as synthesised first; mending from errors is the last resort.
        for index, (described, make, kwargs, how) in enumerate(plans):
            run.how[index] = how
            for device in ("meta", "cpu"):
                result = run.attempt(make, device, described, kwargs, index)
                if isinstance(result, Outcome):
                    return result
                if device == "meta" and kwargs is not None and result is not None:
                    mendable.append((index, described, make, kwargs, result))
                if result is None or run.too_large:
                    break
        for index, described, make, kwargs, error in mendable:
            repairer = Repairer(cls, kwargs, self._config_maker(cls))
            while repairer.repair(error):  # the error named a value we made up: mended, again
                run.how[index] = f"{plans[index][3]}, mended from the error"
                result = run.attempt(make, "meta", repairer.describe(described), kwargs, index)
                if isinstance(result, Outcome):
                    return result
                if not isinstance(result, BaseException):
                    break
                error = result
        outcome = run.outcome
        run.settle_error()
        outcome.reason = run.reason if outcome.attempts <= 2 else \
            f"{run.reason} ({outcome.attempts} attempts with {len(plans)} argument sets failed)"
        return outcome

    def _config_maker(self, cls: type) -> Callable[[str], Any]:
        """For mending ``config=None``: the config synthesis would give a ``config`` parameter."""
        return lambda name: self.synthesiser.value(name, inspect.Parameter.empty, 0, cls)

    def _watch_for(self, cls: type) -> dict[str, set[int]]:
        """Lines with static findings in the files of the class and its bases: the only
        ones traced (tracing every build would slow all of them down)."""
        files = {class_file(base) for base in cls.__mro__}
        return {path: lines for path, lines in self.watch.items() if path in files}

    def _plans(self, cls: type, key: str):
        factory = self.factories.get(key)
        if isinstance(factory, str):  # it could not be loaded: the reason
            return Outcome("failed", factory)
        if factory is not None:
            return [(f"factory {getattr(factory, '__qualname__', factory)}", factory, None,
                     "the factory named in [tool.torchlint.runtime]")]
        plans, seen, problem = [], set(), None
        for scheme in range(SCHEMES):
            try:
                plan = self.synthesiser.plan(cls, scheme)
            except CannotSynthesise as error:
                problem = str(error)
                continue
            except Exception as error:  # user-defined config classes may raise anything
                problem = describe_error(error)
                continue
            if plan.described in seen:
                continue
            seen.add(plan.described)
            plans.append((plan.described, (lambda kwargs=plan.kwargs: cls(**kwargs)), plan.kwargs, plan.how))
        # a function the author wrote to build this class (timm's `resnet18() -> ResNet`): after
        # the signature's defaults, before made-up arguments
        made = [(f"factory {label}", functools.partial(_made_by, factory, cls), None,
                 f"the module's factory {label}") for label, factory in module_factories(cls, self.synthesiser.globals)]
        first = 1 if plans and plans[0][3] == "the signature's defaults" else 0
        plans[first:first] = made
        if not plans:
            return Outcome("failed", f"cannot synthesise the arguments: {problem}")
        return plans

    def _built(self, outcome: Outcome, attempt: Attempt, described: str) -> Outcome:
        outcome.instance, outcome.recorder, outcome.device = attempt.instance, attempt.recorder, attempt.device
        outcome.arguments = described
        if not isinstance(attempt.instance, nn.Module):
            outcome.status = "failed"
            outcome.reason = f"the factory returned {type(attempt.instance).__name__}, not an nn.Module"
            outcome.instance = None
            return outcome
        if not _initialised(attempt.instance):
            outcome.status = "failed"
            outcome.reason = "Module.__init__() never ran for the instance"
            outcome.events.append({"kind": "uninitialised", "code": "TL003",
                                   "qualname": type(attempt.instance).__qualname__,
                                   "class_file": class_file(type(attempt.instance)), "file": None, "line": None,
                                   "message": "Module.__init__() never ran: the instance has no '_parameters'"})
            outcome.instance = None
            return outcome
        outcome.status = "built"
        return outcome

    def _probe(self, outcome: Outcome, attempt: Attempt, evidence: dict, make, described: str) -> Outcome:
        """Construction raised an error a rule predicts: rebuild in probe mode to see every instance of it."""
        outcome.reason = f"construction raised {evidence['message']}"
        outcome.arguments = described
        # No line tracing here: in a probe an in-place line on a leaf runs (noted) without its error.
        probe = build_once(make, attempt.device, probe=True, made_up=attempt.recorder.made_up)
        outcome.attempts += 1
        events = list(probe.recorder.events)
        same_place = [e for e in events if (e.get("file"), e.get("line")) == (evidence["file"], evidence["line"])]
        if same_place:
            evidence["code"] = same_place[0]["code"]  # TL002 or, when __init__ never ran, TL003
            for key in ("qualname", "class_file"):
                if key in same_place[0]:
                    evidence[key] = same_place[0][key]
        outcome.events = [evidence, *events]
        if probe.error is None and isinstance(probe.instance, nn.Module) and _initialised(probe.instance):
            outcome.instance, outcome.recorder, outcome.device = probe.instance, probe.recorder, probe.device
        elif probe.error is None and isinstance(probe.instance, nn.Module):
            outcome.events.append({"kind": "uninitialised", "code": "TL003",
                                   "qualname": type(probe.instance).__qualname__,
                                   "class_file": class_file(type(probe.instance)), "file": None, "line": None,
                                   "message": "Module.__init__() never ran: the instance has no '_parameters'"})
        return outcome
