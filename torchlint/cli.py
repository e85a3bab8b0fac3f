"""``torchlint [paths]``: arguments -> Settings -> engine -> reporter -> exit code.

Exit codes: 0 no findings, 1 findings, 2 usage error or internal failure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from torchlint import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(text: str) -> list[str]:
    return [c for c in (part.strip() for part in text.split(",")) if c]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits with 2 too; keep the message short
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"torchlint: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="torchlint",
        description="Find registration bugs in PyTorch nn.Module code.",
    )
    parser.add_argument("paths", nargs="*", default=["."], help="files or directories to lint ('-' for stdin)")
    parser.add_argument("--output-format", choices=["text", "full", "concise", "json"], default="text")
    parser.add_argument("--select", type=_codes, help="comma-separated rule codes or prefixes to enable (replaces the default)")
    parser.add_argument("--ignore", type=_codes, help="comma-separated rule codes or prefixes to disable")
    parser.add_argument("--extend-select", type=_codes, help="comma-separated rule codes or prefixes to enable in addition")
    parser.add_argument("--config", type=Path, help="pyproject.toml to read [tool.torchlint] from")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("-q", "--quiet", action="store_true", help="print the findings and nothing else")
    parser.add_argument("--statistics", action="store_true", help="print the number of findings per rule")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    parser.add_argument("--jobs", "-j", type=int, help="worker processes (default: one per CPU)")
    parser.add_argument("--stdin-filename", help="the file name to report for '-' (standard input)")
    parser.add_argument("--version", action="version", version=f"torchlint {__version__}")
    # The runtime checker imports and runs the linted code (in worker processes): opt-in.
    parser.add_argument("--runtime", action="store_true", default=None,
                        help="import the code, build each Module on the meta device and check findings against torch")
    parser.add_argument("--show-refuted", action="store_true", help="with --runtime, also show refuted findings")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    from torchlint import engine
    from torchlint.config import ConfigError, load_settings
    from torchlint.report import FORMATTERS
    from torchlint.report.summary import statistics

    args = build_parser().parse_args(argv)
    first = next((p for p in args.paths if p != "-"), args.stdin_filename or ".")
    try:
        settings = load_settings(
            Path(first) if Path(first).exists() else Path.cwd(),
            config_path=args.config,
            select=args.select,
            ignore=args.ignore,
            extend_select=args.extend_select,
            runtime=args.runtime,
        )
    except ConfigError as error:
        print(f"torchlint: error: {error}", file=sys.stderr)
        return EXIT_ERROR

    stdin = sys.stdin.buffer.read() if "-" in args.paths else None
    result = engine.run(args.paths, settings, stdin=stdin, stdin_filename=args.stdin_filename, jobs=args.jobs)
    if settings.runtime.enabled:
        from torchlint.runtime import apply_runtime
        from torchlint.runtime.runner import RuntimeUnavailable

        try:
            apply_runtime(result, settings, args.paths, show_refuted=args.show_refuted, jobs=args.jobs)
        except RuntimeUnavailable as error:
            print(f"torchlint: error: {error}", file=sys.stderr)
            return EXIT_ERROR

    if args.statistics:
        output = statistics(result)
        sys.stdout.write(output + ("\n" if output else ""))
    else:
        sys.stdout.write(FORMATTERS[args.output_format](result, quiet=args.quiet))
    sys.stdout.flush()
    for missing in result.missing_paths:
        print(f"torchlint: error: {missing}: no such file or directory", file=sys.stderr)
    for error in result.internal_errors:
        print(f"torchlint: internal error: {error}", file=sys.stderr)
    if result.missing_paths or result.internal_errors:
        return EXIT_ERROR
    if any((d.runtime or {}).get("verdict") != "refuted" for d in result.diagnostics) and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN
