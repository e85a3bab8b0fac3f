"""A fast read-only walk over a libcst tree.

libcst's ``node.visit(visitor)`` rebuilds every node it passes (it is shared with the
transformer machinery), which made whole-body scans the largest cost of a lint run.
Rules only read the tree, so :func:`visit` drives the same ``visit_<Node>`` /
``leave_<Node>`` methods of a :class:`Visitor` over the dataclass fields directly.

It walks syntax, not trivia: whitespace, comments, parentheses and commas are skipped.
Order is pre-order in field order, which is source order for every node a rule looks at
(targets before values in ``Assign``, ``func`` before ``args`` in ``Call``).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator, Optional

import libcst as cst

# Fields that hold trivia: no rule looks inside them.
_TRIVIA_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "semicolon", "header", "footer", "leading_lines",
        "lines_after_decorators", "trailing_whitespace", "leading_whitespace", "equal", "colon", "dot", "star",
        "lbracket", "rbracket", "lbrace", "rbrace", "arrow", "asynchronous", "first_colon", "second_colon",
    }
)

# Nodes whose fields are not declared in source order (libcst visits them in this one).
_SOURCE_ORDER = {
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.Arg: ("keyword", "value"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.ImportFrom: ("relative", "module", "names"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.TypeAlias: ("name", "type_parameters", "value"),
}

_fields_of: dict[type, tuple[str, ...]] = {}


def _child_fields(node_type: type) -> tuple[str, ...]:
    names = _fields_of.get(node_type)
    if names is None:
        names = _SOURCE_ORDER.get(node_type) or tuple(
            field.name
            for field in dataclasses.fields(node_type)
            if field.name not in _TRIVIA_FIELDS and not field.name.startswith("whitespace")
        )
        _fields_of[node_type] = names
    return names


class Visitor:
    """Same hooks as ``cst.CSTVisitor``: ``visit_<Node>(node)`` (return False to skip the
    children) and ``leave_<Node>(node)``."""


_Plan = tuple[Optional[Callable], Optional[Callable], tuple[str, ...]]


def _plan(visitor_type: type, node_type: type) -> _Plan:
    name = node_type.__name__
    return (getattr(visitor_type, f"visit_{name}", None), getattr(visitor_type, f"leave_{name}", None),
            _child_fields(node_type))


_is_node: dict[type, bool] = {}


def _node_type(value_type: type) -> bool:
    # `isinstance(x, cst.CSTNode)` goes through ABCMeta: a dict lookup is much cheaper
    known = _is_node.get(value_type)
    if known is None:
        known = _is_node[value_type] = issubclass(value_type, cst.CSTNode)
    return known


def visit(node: cst.CSTNode, visitor: Visitor) -> None:
    """Call the visitor's hooks on ``node`` and every syntax node below it."""
    # The plans (hooks and child fields per node type) are kept on the visitor class itself,
    # so that a class made inside a function takes its table with it when it goes (a global
    # table keyed by class grew without bound).
    visitor_type = type(visitor)
    plans = visitor_type.__dict__.get("_walk_plans")
    if plans is None:
        plans = {}
        visitor_type._walk_plans = plans
    _visit(node, visitor, visitor_type, plans)


def _visit(node: cst.CSTNode, visitor: Visitor, visitor_type: type, plans: dict) -> None:
    node_type = type(node)
    plan = plans.get(node_type)
    if plan is None:
        plan = plans[node_type] = _plan(visitor_type, node_type)
    enter, leave, fields = plan
    if enter is None or enter(visitor, node) is not False:
        is_node = _is_node
        for name in fields:
            value = getattr(node, name)
            value_type = type(value)
            if value_type is tuple or value_type is list:
                for item in value:
                    item_type = type(item)
                    known = is_node.get(item_type)
                    if known or (known is None and _node_type(item_type)):
                        _visit(item, visitor, visitor_type, plans)
            else:
                known = is_node.get(value_type)
                if known or (known is None and _node_type(value_type)):
                    _visit(value, visitor, visitor_type, plans)
    if leave is not None:
        leave(visitor, node)


def nodes(node: cst.CSTNode, skip: tuple[type, ...] = ()) -> "Iterator[cst.CSTNode]":
    """``node`` and every syntax node below it, in pre-order; the children of a node of a
    ``skip`` type (a nested function, say) are not entered, the node itself is yielded."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if skip and isinstance(current, skip) and current is not node:
            continue
        children = []
        for name in _child_fields(type(current)):
            value = getattr(current, name)
            if type(value) is tuple or type(value) is list:
                children.extend(item for item in value if _node_type(type(item)))
            elif _node_type(type(value)):
                children.append(value)
        stack.extend(reversed(children))
