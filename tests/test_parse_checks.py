"""The parse switches libcst's per-node checks off while its parser runs, and always puts
libcst's own checks back, also when parses overlap in threads (the language server)."""

import threading

import libcst as cst

from torchlint import source


def test_node_checks_are_restored_after_overlapping_parses():
    own = cst.CSTNode.__dict__["__post_init__"]
    with open(source.__file__, encoding="utf-8") as handle:
        text = handle.read()

    def parse_many():
        for _ in range(5):
            source.parse(text)

    threads = [threading.Thread(target=parse_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cst.CSTNode.__dict__["__post_init__"] is own
    # and nodes built by hand (fixes) are checked again
    try:
        cst.Name("not a name")
    except cst.CSTValidationError:
        pass
    else:
        raise AssertionError("a hand-built invalid node was accepted")
