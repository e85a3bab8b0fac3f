"""``torchlint [paths]``: arguments -> Settings -> engine -> reporter -> exit code.

Exit codes: 0 no findings, 1 findings, 2 usage error or internal failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from torchlint import __version__
from torchlint.codes import FILE_NOT_LINTED

if TYPE_CHECKING:
    from typing import NoReturn

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_CODES_HELP = (
    "exit codes: 0 no findings (or --exit-zero), 1 findings, "
    "2 usage or configuration error, missing path, git error or internal error"
)


def _codes(text: str) -> list[str]:
    return [c for c in (part.strip() for part in text.split(",")) if c]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits with 2 too; keep the message short
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"torchlint: error: {message}\n")


def _shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K/N (e.g. 1/4), got {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"K/N needs 1 <= K <= N, got {text!r}")
    return k, n


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _add_speed_arguments(parser: argparse.ArgumentParser) -> None:
    """Cache, parallelism and sharding: they change how fast, never what is reported."""
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    parser.add_argument("--cache-dir", type=Path, help="where the cache lives (default: .torchlint_cache/ at the project root)")
    parser.add_argument("--jobs", "-j", type=_positive, help="worker processes (default: one per CPU)")
    parser.add_argument("--shard", type=_shard, metavar="K/N", help="lint only the K-th of N deterministic parts of the files (for CI matrices); the project index still sees every file")


def _speed_options(args: argparse.Namespace, settings) -> dict:
    from torchlint.cache import default_cache_dir

    cache_dir = None if args.no_cache else (args.cache_dir or default_cache_dir(settings))
    return {"jobs": args.jobs, "cache_dir": cache_dir, "shard": args.shard, "progress": True}


def build_parser() -> argparse.ArgumentParser:
    from torchlint.report import FORMAT_MODULES

    parser = _Parser(
        prog="torchlint",
        description="Find registration bugs in PyTorch nn.Module code. With no path, the current directory is "
        "linted. `torchlint server` starts the language server for editors (the server extra).",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("paths", nargs="*", default=["."],
                        help="files or directories to lint (default: the current directory; '-' for stdin)")
    parser.add_argument(
        "--output-format", choices=list(FORMAT_MODULES), default="text",
        help="text/full (default), concise, json, json-lines, github (workflow annotations), "
        "sarif (code scanning), gitlab (Code Quality), junit",
    )
    parser.add_argument(
        "--output-file", "-o", type=Path, metavar="PATH", help="write the report to this file instead of stdout"
    )
    changes = parser.add_mutually_exclusive_group()
    changes.add_argument(
        "--diff-against", metavar="REF",
        help="lint only the .py files changed since the merge base of REF and HEAD (committed, staged, "
        "unstaged or untracked); base classes still resolve across the whole project",
    )
    changes.add_argument(
        "--changed-only", action="store_true",
        help="lint only the .py files changed relative to HEAD (staged, unstaged or untracked)",
    )
    parser.add_argument("--select", type=_codes, help="comma-separated rule codes or prefixes to enable (replaces the default)")
    parser.add_argument("--ignore", type=_codes, help="comma-separated rule codes or prefixes to disable")
    parser.add_argument("--extend-select", type=_codes, help="comma-separated rule codes or prefixes to enable in addition")
    parser.add_argument("--config", type=Path, help="pyproject.toml to read [tool.torchlint] from")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("-q", "--quiet", action="store_true", help="print the findings and nothing else")
    parser.add_argument("--statistics", action="store_true", help="print the number of findings per rule")
    _add_speed_arguments(parser)
    fixing = parser.add_argument_group("fixes")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, apply unsafe fixes too")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff and write nothing "
                        "(exit 1 if something would change); not with --output-format other than text: the JSON "
                        "formats carry each finding's fix as edits")
    fixing.add_argument("--show-fixes", action="store_true", help="list the fixes applied, per file and rule")
    fixing.add_argument("--add-noqa", action="store_true",
                        help="write `# noqa: CODE` on the line of every current finding (merged with an existing "
                        "noqa comment) and print how many were added; for turning the gate on in a codebase "
                        "that already has findings")
    parser.add_argument("--stdin-filename", help="the file name to report for '-' (standard input)")
    parser.add_argument("--list-rules", action="store_true", help="print every rule: code, name, fixable, origin")
    parser.add_argument("--explain", metavar="CODE", help="print a rule's documentation (e.g. TL001)")
    parser.add_argument("--docs-url", metavar="URL",
                        help="where the rule pages are served: findings' `url` is URL/CODE.md (or URL with {code} "
                        "replaced); default none (`torchlint --explain CODE` prints a rule's page)")
    parser.add_argument("--version", action="version", version=f"torchlint {__version__}")
    # The runtime checker imports and runs the linted code (in worker processes): opt-in.
    parser.add_argument("--runtime", action="store_true", default=None,
                        help="also run the runtime checker: it IMPORTS AND RUNS YOUR CODE (module-level code and "
                        "every constructor, in worker processes), builds each Module on the meta device and checks "
                        "the findings against torch; use it only on code you would run (needs torch)")
    parser.add_argument("--show-refuted", action="store_true", help="with --runtime, also show refuted findings")
    parser.add_argument("--runtime-report", type=Path, metavar="FILE",
                        help="with --runtime, write a JSON report of every Module class: built or not, why, how it "
                        "was built (defaults, a config factory, ...), its attempts and time")
    parser.add_argument("--explain-runtime", metavar="CLASS",
                        help="with --runtime, print how one class (`Net`, `pkg.models:Net`, `models.py:Net`) was "
                        "built or why it was not, its attempts and its findings, instead of the report")
    return parser


def _error(message: str) -> int:
    print(f"torchlint: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _rule_docs(args) -> Optional[int]:
    """``--list-rules`` / ``--explain``: print and exit, no linting."""
    if not args.list_rules and args.explain is None:
        return None
    from torchlint import rule_docs  # the rules themselves: loaded only when asked
    from torchlint.config import ConfigError, load_settings
    from torchlint.diagnostics import set_docs_url

    try:  # the page's URL, when `docs-url` (or --docs-url) says where pages are served
        set_docs_url(load_settings(Path.cwd(), config_path=args.config, docs_url=args.docs_url).docs_url)
    except ConfigError as error:
        if args.docs_url is not None:
            return _error(str(error))
        # a broken [tool.torchlint] here does not stop the rule docs (the link is left out)
    if args.list_rules:
        sys.stdout.write(rule_docs.rules_table())
        return EXIT_CLEAN
    if args.explain is not None:
        rule = rule_docs.find_rule(args.explain)
        if rule is None:
            return _error(f"unknown rule {args.explain!r}; `torchlint --list-rules` lists them")
        sys.stdout.write(rule_docs.explain(rule))
        return EXIT_CLEAN
    return None


def _add_noqa(result, quiet: bool) -> int:
    """``--add-noqa``: write the directives, say how many; exit 1 if a finding is left
    without one (a line that cannot take a comment, a file that could not be written)."""
    from torchlint.noqa_add import add_noqa

    done = add_noqa(result.diagnostics)
    for skipped in done.skipped:
        _error(skipped)
    for error in done.errors:
        _error(error)
    for error in result.internal_errors:
        print(f"torchlint: internal error: {error}", file=sys.stderr)
    not_linted = sorted({d.path for d in result.diagnostics if d.code == FILE_NOT_LINTED})
    if not quiet:
        if done.added:
            count = f"{done.added} noqa directive{'' if done.added == 1 else 's'}"
            print(f"Added {count} to {len(done.files)} file{'' if len(done.files) == 1 else 's'}.")
        else:
            print("No noqa directive added.")
        if not_linted:
            print(f"{len(not_linted)} file{'' if len(not_linted) == 1 else 's'} not linted (TL000, cannot be "
                  f"suppressed) left untouched: {', '.join(not_linted)}")
    if result.missing_paths or result.internal_errors or done.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if done.skipped or not_linted else EXIT_CLEAN


def run() -> "NoReturn":
    """The ``torchlint`` command: ``main``, then leave without tearing the interpreter
    down. Freeing the syntax trees and the project index object by object at exit was a
    sixth of a one-file run; by then the output is written and only needs flushing (and
    every child process, cache write and temporary directory of the run is done)."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader left (`torchlint . | head`): as Python's own exit says it
        sys.exit(code)
    os._exit(code)


def main(argv: Optional[Sequence[str]] = None) -> int:
    from torchlint import engine
    from torchlint.config import ConfigError, load_settings
    from torchlint.diagnostics import set_docs_url
    from torchlint.report import formatter
    from torchlint.report.summary import fix_summary, statistics

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["server"]:  # `torchlint server`: the language server (a directory named server: ./server)
        from torchlint.server import main as server_main

        return server_main(argv[1:])
    args = build_parser().parse_args(argv)
    done = _rule_docs(args)
    if done is not None:
        return done
    if args.add_noqa and (args.fix or args.diff or "-" in args.paths):
        return _error("--add-noqa writes comments into the linted files: not with --fix, --diff or standard input")
    if args.diff and args.output_format not in ("text", "full"):
        return _error(f"--diff prints a unified diff, not a {args.output_format} report; for the fixes as JSON, "
                      "use --output-format json without --diff: each finding's `fix` lists its edits")
    only_changes = args.changed_only or args.diff_against is not None
    runtime_only_flags = [flag for flag, given in (("--runtime-report", args.runtime_report),
                                                    ("--explain-runtime", args.explain_runtime)) if given]
    if only_changes and "-" in args.paths:
        return _error("--changed-only and --diff-against read git, not standard input")
    first = next((p for p in args.paths if p != "-"), args.stdin_filename or ".")
    try:
        settings = load_settings(
            Path(first) if Path(first).exists() else Path.cwd(),
            config_path=args.config,
            select=args.select,
            ignore=args.ignore,
            extend_select=args.extend_select,
            runtime=args.runtime,
            docs_url=args.docs_url,
        )
    except ConfigError as error:
        return _error(str(error))

    if runtime_only_flags and not settings.runtime.enabled:  # user code runs only with --runtime
        return _error(f"{runtime_only_flags[0]} needs --runtime (or `runtime = true` in [tool.torchlint]): "
                      "it reports on the runtime checker, which imports and runs your code")
    set_docs_url(settings.docs_url)
    settings.fix, settings.unsafe_fixes, settings.diff = args.fix, args.unsafe_fixes, args.diff
    paths = args.paths
    if only_changes:
        from torchlint.discovery import select_changed
        from torchlint.vcs import GitError, changed_files

        try:
            changed = changed_files(args.diff_against or "HEAD", settings.project_root)
        except GitError as error:
            return _error(str(error))
        paths = select_changed(changed, args.paths, settings)

    # A path that does not exist is reported first, before any finding (and the
    # summary says it too): the run failed to read what it was given.
    reported_missing = [p for p in paths if p != "-" and not os.path.lexists(p)]
    for missing in reported_missing:
        _error(f"{missing}: no such file or directory")
    sys.stderr.flush()
    stdin = sys.stdin.buffer.read() if "-" in paths else None
    result = engine.run(paths, settings, stdin=stdin, stdin_filename=args.stdin_filename,
                        **_speed_options(args, settings))
    # Paths that exist but hold nothing to lint: saying "All checks passed!" would tell
    # the user their code is fine when none was read.
    result.found_nothing = not only_changes and result.files_checked == 0 and not result.missing_paths
    if result.found_nothing:
        kinds = ".py files or Jupyter notebooks" if settings.notebooks else ".py files (notebooks are off)"
        print(f"torchlint: No Python files found under {', '.join(paths)} (looked for {kinds}, skipping excluded "
              f"and git-ignored paths)", file=sys.stderr)
    if settings.runtime.enabled:
        from torchlint.runtime import apply_runtime
        from torchlint.runtime.runner import RuntimeUnavailable, explain_class

        settings.runtime.report = args.runtime_report
        try:
            stats = apply_runtime(result, settings, paths, show_refuted=args.show_refuted, jobs=args.jobs)
        except RuntimeUnavailable as error:
            print(f"torchlint: error: {error}", file=sys.stderr)
            return EXIT_ERROR
        except OSError as error:  # the report could not be written
            return _error(f"cannot write {args.runtime_report}: {error.strerror or error}")
        if args.explain_runtime:
            text = explain_class(stats, result.diagnostics, args.explain_runtime)
            if text is None:
                return _error(f"--explain-runtime: no Module class named `{args.explain_runtime}` in the linted files")
            sys.stdout.write(text)
            return EXIT_CLEAN

    if args.add_noqa:
        return _add_noqa(result, quiet=args.quiet)
    if args.diff:
        output = "".join(result.diffs)
        if not args.quiet:
            print(fix_summary(result, would=True), file=sys.stderr)
    elif args.statistics:
        output = statistics(result)
        output += "\n" if output else ""
    else:
        output = formatter(args.output_format)(result, quiet=args.quiet)
        if args.show_fixes and result.fixed:
            output += fix_summary(result, would=False) + "\n"
    if args.output_file is not None:
        try:
            args.output_file.parent.mkdir(parents=True, exist_ok=True)
            args.output_file.write_text(output, encoding="utf-8")
        except OSError as error:
            return _error(f"cannot write {args.output_file}: {error.strerror or error}")
    else:
        sys.stdout.write(output)
        sys.stdout.flush()
    for error in result.fix_errors:
        print(f"torchlint: error: {error}", file=sys.stderr)
    for missing in result.missing_paths:
        if missing not in reported_missing:
            _error(f"{missing}: no such file or directory")
    for error in result.internal_errors:
        print(f"torchlint: internal error: {error}", file=sys.stderr)
    if result.missing_paths or result.internal_errors or result.fix_errors:
        return EXIT_ERROR
    if result.found_nothing:
        return EXIT_CLEAN if args.exit_zero else EXIT_ERROR
    if args.diff:
        return EXIT_FINDINGS if result.diffs else EXIT_CLEAN
    if any((d.runtime or {}).get("verdict") != "refuted" for d in result.diagnostics) and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN
