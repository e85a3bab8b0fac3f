"""The rule codes, without the rules: configuration validates selectors against these
without importing the rules (and libcst), so a run answered from the cache stays light.
tests/test_rule_docs.py checks that they match the rule registry."""

FILE_NOT_LINTED = "TL000"
STATIC_CODES = ("TL000", "TL001", "TL002", "TL003", "TL004", "TL005", "TL006", "TL007", "TL008", "TL009", "TL010", "TL011", "TL012")
RUNTIME_CODES = ("TL101",)  # reported only by the runtime checker (`--runtime`)
ALL_CODES = STATIC_CODES + RUNTIME_CODES
