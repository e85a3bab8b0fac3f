"""Everything rules may ask about one file, computed at most once.

A ``FileContext`` holds the parsed libcst module and lazily derives the shared facts:
the file's classes and which of them are ``nn.Module`` subclasses (through the
project index), each Module class's construction walk, what module-level names and
functions evaluate to, and node positions (computed only when a finding is reported,
since position metadata costs as much as a second pass over the tree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterator, Optional

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from torchlint.analysis import walk
from torchlint.analysis.construction import BlockWalker, Construction, ConstructionFacts
from torchlint.analysis.project import ClassFacts, ClassRef, FileFacts, ProjectIndex, Resolved
from torchlint.analysis.tensors import Evaluator, Host, dotted
from torchlint.analysis.values import Kind, Value, unknown


@dataclass
class ClassInfo:
    node: cst.ClassDef
    ctx: "FileContext"
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name.value

    @cached_property
    def ref(self) -> ClassRef:
        return ClassRef(self.ctx.path, self.name)

    @cached_property
    def is_module(self) -> bool:
        return self.ctx.is_module_class(self)

    @cached_property
    def construction(self) -> ConstructionFacts:
        return Construction(self.ctx, self).run()

    @cached_property
    def index_facts(self) -> list[ClassFacts]:
        """Index facts of this class and its user base classes."""
        own = self.ctx.indexed_facts(self)
        return ([own] if own is not None else []) + self.ctx.index.ancestors(self.ref)

    @cached_property
    def base_parts(self) -> list[list[str]]:
        parts = []
        for base in self.node.bases:
            value = base.value.value if isinstance(base.value, cst.Subscript) else base.value
            found = dotted(value)
            if found:
                parts.append(found)
        return parts

    @cached_property
    def registered_anywhere(self) -> set[str]:
        """Names registered as parameter/buffer/module by any method of the class or its bases."""
        return set().union(*(f.registered_names for f in self.index_facts)) if self.index_facts else set()

    @cached_property
    def registered_by_bases(self) -> set[str]:
        """Names registered by a base class (not by this class's own methods)."""
        own = self.ctx.indexed_facts(self)
        return set().union(*(f.registered_names for f in self.index_facts if f is not own))

    @cached_property
    def attribute_usage(self) -> dict:
        """name -> ``usage.Usage``: how methods outside construction use ``self.<name>``."""
        from torchlint.analysis.usage import attribute_usage

        return attribute_usage(self)

    @cached_property
    def base_computed_buffers(self) -> tuple[str, ...]:
        """Patterns of the names a user base class registers as buffers under names the index
        cannot read (``for k in self._names: self.register_buffer(k, None)`` -> ``.*``): a
        later ``self.<x> = t`` with a matching name may go into ``_buffers``."""
        own = self.ctx.indexed_facts(self)
        return tuple(p for f in self.index_facts if f is not own for p in f.computed_buffer_names)

    @cached_property
    def handled_by_hand(self) -> set[str]:
        """Names that the class moves or saves itself (``_apply``/``to``/``state_dict``
        overrides) or that are properties."""
        names: set[str] = set()
        for facts in self.index_facts:
            names |= facts.manually_handled | facts.property_names
        return names

    @cached_property
    def custom_metaclass(self) -> bool:
        """A metaclass in the class's own hierarchy may run ``nn.Module.__init__`` itself
        (fastai's ``PrePostInitMeta``): construction order is then not ours to judge."""
        return any(f.custom_metaclass for f in self.index_facts) or self.ctx.index.self_initialising(self.ref)

    @cached_property
    def initialised_explicitly(self) -> bool:
        """Other code calls ``ThisClass.__init__(self, ...)``: a mixin whose ``__init__``
        runs after another base already ran ``nn.Module.__init__``."""
        return bool(self.ctx.facts and self.name in self.ctx.facts.explicit_inits)

    @cached_property
    def overrides_setattr(self) -> bool:
        return any(f.overrides_setattr for f in self.index_facts)

    @cached_property
    def class_attributes(self) -> set[str]:
        """Names bound in the class body (class variables, methods)."""
        names = set(self.methods)
        for statement in self.node.body.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign):
                        names.update(t.target.value for t in small.targets if isinstance(t.target, cst.Name))
                    elif isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
                        names.add(small.target.value)
        return names


def _iter_classes(body) -> Iterator[cst.ClassDef]:
    """Class definitions anywhere in the statement tree (not inside expressions)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.ClassDef):
            yield node
        if isinstance(node, cst.SimpleStatementLine):
            continue
        children = []
        for attr in ("body", "orelse", "handlers", "finalbody", "cases"):
            child = getattr(node, attr, None)
            if child is None:
                continue
            if isinstance(child, (list, tuple)):
                children.extend(child)
            elif isinstance(child, cst.BaseSuite):
                children.extend(child.body) if isinstance(child, cst.IndentedBlock) else None
            elif isinstance(child, (cst.CSTNode,)):
                children.append(child)
        stack.extend(reversed(children))


class FileContext:
    def __init__(self, path: Path, display_path: str, source: str, module: cst.Module,
                 facts: Optional[FileFacts], index: ProjectIndex, settings=None):
        self.settings = settings  # config.Settings: fixes depend on the fix mode and torch version
        self.path = path.resolve()
        self.display_path = display_path
        self.source = source
        self.module = module
        self.facts = facts
        self.index = index
        self._globals: dict[str, Value] = {}
        self._registries: dict[str, Optional[list[Resolved]]] = {}
        self._returns: dict[str, Value] = {}
        self._resolved: dict[tuple, tuple] = {}  # dotted name -> (what it resolves to, files observed)
        self._line_starts: Optional[list[int]] = None

    def release(self) -> None:
        """Drop what was computed for the file (class infos point back at the context):
        without these cycles the file's syntax tree is freed as soon as it is done."""
        self.__dict__.clear()

    # -- classes --------------------------------------------------------------------------

    @cached_property
    def classes(self) -> list[ClassInfo]:
        infos = []
        for node in _iter_classes(self.module.body):
            info = ClassInfo(node, self)
            if isinstance(node.body, cst.IndentedBlock):
                for statement in node.body.body:
                    if isinstance(statement, cst.FunctionDef):
                        info.methods[statement.name.value] = statement
            infos.append(info)
        return infos

    @cached_property
    def module_classes(self) -> list[ClassInfo]:
        return [info for info in self.classes if info.is_module]

    def is_module_class(self, info: ClassInfo) -> bool:
        return self.index.class_is_module(self.facts, info.name, info.base_parts)

    def indexed_facts(self, info: ClassInfo) -> Optional[ClassFacts]:
        """The index's facts for this very class (not another class of the same name)."""
        own = self.facts.classes.get(info.name) if self.facts else None
        return own if own is not None and own.bases == info.base_parts else None

    @cached_property
    def functions(self) -> dict[str, cst.FunctionDef]:
        return {s.name.value: s for s in self.module.body if isinstance(s, cst.FunctionDef)}

    @cached_property
    def module_factories(self) -> frozenset[tuple[str, ...]]:
        """Callees (dotted) whose results this file hands to ``add_module``/``register_module``,
        directly or through a name, attribute or item bound in the same function
        (``self.cnns[i] = Catalog.get_model(...)``; ``self.add_module(n, self.cnns[i])``): the
        file's own code says they make Modules."""
        if "add_module(" not in self.source and "register_module(" not in self.source:
            return frozenset()
        found: set[tuple[str, ...]] = set()

        def key(node: cst.BaseExpression):
            if isinstance(node, cst.Subscript):
                inner = dotted(node.value)
                return (*inner, "[]") if inner else None
            parts = dotted(node)
            return tuple(parts) if parts else None

        class Factories(walk.Visitor):
            def __init__(self):
                self.bound: list[dict] = [{}]

            def visit_FunctionDef(self, node):
                self.bound.append({})

            def leave_FunctionDef(self, node):
                self.bound.pop()

            def visit_Assign(self, node):
                if len(node.targets) == 1 and isinstance(node.value, cst.Call):
                    target, callee = key(node.targets[0].target), dotted(node.value.func)
                    if target and callee:
                        self.bound[-1][target] = tuple(callee)

            def visit_Call(self, node):
                func = node.func
                if not (isinstance(func, cst.Attribute) and func.attr.value in ("add_module", "register_module")) \
                        or len(node.args) < 2:
                    return
                given = node.args[1].value
                callee = dotted(given.func) if isinstance(given, cst.Call) else None
                if callee:
                    found.add(tuple(callee))
                elif key(given) in self.bound[-1]:
                    found.add(self.bound[-1][key(given)])

        walk.visit(self.module, Factories())
        return frozenset(found)

    @cached_property
    def key_helpers(self) -> dict[str, dict[int, str]]:
        """Module-level functions that compare an argument only as a cache key (``usage.key_helpers``)."""
        from torchlint.analysis.usage import key_helpers

        return key_helpers(self.functions)

    # -- names and values -----------------------------------------------------------------

    def resolve(self, node: cst.BaseExpression) -> Optional[Resolved]:
        """What a (dotted) name written in this file refers to. Memoised per name, with
        the files the answer observed: a repeated question replays them, so the cache
        still records the dependency wherever it is asked."""
        parts = dotted(node)
        if not parts or self.facts is None:
            return None
        key = tuple(parts)
        known = self._resolved.get(key)
        if known is None:
            with self.index.recording() as observed:
                answer = self.index.resolve(self.facts, parts)
            known = self._resolved[key] = (answer, frozenset(observed))
        else:
            self.index.replay(known[1])
        return known[0]

    def _module_level_binding(self, name: str, annotated: bool = False) -> Optional[cst.BaseExpression]:
        """The expression of the last module-level ``name = <expr>`` (with ``annotated``,
        ``name: T = <expr>`` too), or None."""
        tables = self.__dict__.get("_module_bindings")
        if tables is None:  # one pass over the module for every name asked about
            plain: dict[str, cst.BaseExpression] = {}
            with_annotated: dict[str, cst.BaseExpression] = {}
            for statement in self.module.body:
                if isinstance(statement, cst.SimpleStatementLine):
                    for small in statement.body:
                        if isinstance(small, cst.Assign):
                            for target in small.targets:
                                if isinstance(target.target, cst.Name):
                                    plain[target.target.value] = with_annotated[target.target.value] = small.value
                        elif isinstance(small, cst.AnnAssign) and small.value is not None \
                                and isinstance(small.target, cst.Name):
                            with_annotated[small.target.value] = small.value
            tables = self.__dict__["_module_bindings"] = (plain, with_annotated)
        return tables[1 if annotated else 0].get(name)

    def global_value(self, name: str) -> Value:
        """The value of a module-level ``name = <expr>`` (the last such binding)."""
        if name not in self._globals:
            self._globals[name] = unknown()  # cycle guard
            value = self._module_level_binding(name)
            self._globals[name] = Evaluator(self, Host()).eval(value) if value is not None else unknown()
        return self._globals[name]

    def module_class_registry(self, name: str) -> Optional[list[Resolved]]:
        """``MODELS = {"a": ModA, "b": ModB}`` at module level, every value a Module class:
        the classes (so ``MODELS[key](...)`` builds a Module); None otherwise."""
        if name not in self._registries:
            self._registries[name] = None
            literal = self._module_level_binding(name, annotated=True)
            if isinstance(literal, cst.Dict) and literal.elements and all(
                    isinstance(e, cst.DictElement) for e in literal.elements):
                classes = [self.resolve(e.value) for e in literal.elements]
                if all(self.index.resolves_to_module(c) for c in classes):
                    self._registries[name] = classes
        return self._registries[name]

    def method_return_value(self, info: ClassInfo, name: str) -> Value:
        """What a class's static/class method returns (``Cls.build(n)``, ``type(self).build(n)``)."""
        key = f"{info.name}.{name}"
        if key not in self._returns:
            self._returns[key] = unknown()  # recursion guard
            walker = BlockWalker(Evaluator(self, Host()))
            walker.walk(info.methods[name].body)
            self._returns[key] = _fresh(walker.returns)
        return self._returns[key]

    def class_info(self, name: str) -> Optional[ClassInfo]:
        return next((info for info in self.classes if info.name == name), None)

    def function_return_value(self, name: str) -> Value:
        """What a module-level function of this file returns."""
        if name not in self._returns:
            self._returns[name] = unknown()  # recursion guard
            function = self.functions.get(name)
            if self.facts is not None and name in self.facts.tensor_functions:
                self._returns[name] = Value(Kind.TENSOR, function)  # also "Class.method", a static method
            elif function is None:
                return self._returns[name]
            else:
                walker = BlockWalker(Evaluator(self, Host()))
                walker.walk(function.body)
                self._returns[name] = _fresh(walker.returns)
        return self._returns[name]

    _argument_depth = 0

    def function_return_value_for(self, name: str, call: cst.Call, args: list[Value]) -> Value:
        """What a module-level function of this file returns for these arguments (a tensor
        argument reshaped or concatenated comes back a tensor). Not memoised: a few
        nested calls deep at most."""
        function = self.functions.get(name)
        if function is None or self._argument_depth >= 3:
            return unknown()
        from torchlint.analysis.construction import parameter_values

        params = list(function.params.posonly_params) + list(function.params.params)
        self._argument_depth += 1
        try:
            walker = BlockWalker(Evaluator(self, Host(), parameter_values(self, function, params, call, args)))
            walker.walk(function.body)
            return _fresh(walker.returns)
        finally:
            self._argument_depth -= 1

    @cached_property
    def attribute_stores(self) -> dict[str, list[cst.BaseExpression]]:
        """Every ``<anything>.<name> = value`` in the file: name -> assigned values.
        Computed only when a fix needs it (one extra tree walk, for files with findings)."""
        stores: dict[str, list[cst.BaseExpression]] = {}

        class Stores(walk.Visitor):
            def _add(self, target, value):
                if isinstance(target, cst.Attribute):
                    stores.setdefault(target.attr.value, []).append(value)
                elif isinstance(target, (cst.Tuple, cst.List)):
                    for element in target.elements:
                        self._add(element.value, None)

            def visit_Assign(self, node):
                for target in node.targets:
                    self._add(target.target, node.value)

            def visit_AnnAssign(self, node):
                self._add(node.target, node.value)

            def visit_AugAssign(self, node):
                self._add(node.target, None)

        walk.visit(self.module, Stores())
        return stores

    @cached_property
    def attribute_calls(self) -> dict[str, set[str]]:
        """``x.<name>.<method>(...)`` anywhere in the file: name -> methods called on it."""
        calls: dict[str, set[str]] = {}
        for match in re.finditer(r"\.([A-Za-z_]\w*)\s*\.\s*([A-Za-z_]\w*)\s*\(", self.source):
            calls.setdefault(match.group(1), set()).add(match.group(2))
        return calls

    def source_of(self, node: cst.CSTNode) -> str:
        """The node's original text, exactly as written (multi-line layout included)."""
        span = self.position(node)
        lines = self.lines
        if span.start.line == span.end.line:
            return lines[span.start.line - 1][span.start.column: span.end.column]
        first = lines[span.start.line - 1][span.start.column:]
        middle = lines[span.start.line: span.end.line - 1]
        last = lines[span.end.line - 1][: span.end.column]
        return self.module.default_newline.join([first, *middle, last])

    # -- positions ------------------------------------------------------------------------

    @cached_property
    def lines(self) -> list[str]:
        """Source lines as libcst counts them (only \\n, \\r\\n and \\r end a line)."""
        return re.split(r"\r\n|\r|\n", self.source)

    @cached_property
    def _positions(self):
        return MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)

    def position(self, node: cst.CSTNode) -> CodeRange:
        return self._positions[node]


def _fresh(returns: list[Value]) -> Value:
    from torchlint.analysis.values import join

    value = join(returns, tensor_wins=True)
    # every call of the function makes a new object
    if value.kind in (Kind.TENSOR, Kind.MODULE, Kind.PARAMETER, Kind.BUFFER) and value.registered:
        copy = Value(value.kind, value.node)
        return copy
    return value
