"""``torchlint server``: a Language Server Protocol server over stdio, so editors show
torchlint's findings while the code is written (``pip install 'torchlint[server]'``).

This package is a front end beside the CLI: ``session`` drives the engine (no LSP in
it), ``lsp`` speaks the protocol with pygls. Neither the CLI nor the pre-commit hook
imports it; pygls is imported only when the server starts.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence



def install_hint() -> str:
    """A command that works here: torchlint is not on PyPI, so not `torchlint[server]`."""
    return (f"`torchlint server` needs pygls 2 (the `server` extra), which this Python ({sys.executable}) "
            f"cannot import: `{sys.executable} -m pip install 'pygls>=2,<3'`")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="torchlint server",
        description="Run the torchlint language server on standard input and output (LSP). It lints the "
        "editor's text with the static rules only: it never imports or runs the linted code.")
    parser.add_argument("--log-file", help="write the server's log here (default: standard error)")
    parser.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    try:
        import pygls  # noqa: F401
        from pygls.lsp.server import LanguageServer  # noqa: F401  (pygls 2's layout)
    except ImportError:
        print(f"torchlint: error: {install_hint()}", file=sys.stderr)
        return 2
    logging.basicConfig(filename=args.log_file, level=getattr(logging, args.log_level),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from torchlint.server.lsp import build_server

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never corrupt the protocol stream
    build_server().start_io(stdin, stdout)
    return 0
