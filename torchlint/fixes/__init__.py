"""Autofix: rules build fixes (text edits from libcst node positions) with ``edits``;
``apply`` applies them safely (all-or-nothing per fix, re-parse, passes, atomic write)."""
