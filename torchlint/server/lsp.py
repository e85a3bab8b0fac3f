"""``torchlint server``: the Language Server Protocol front end (pygls 2 + lsprotocol).

One event loop handles the protocol; every call into the engine runs on one worker
thread, in order (``Session`` is not thread-safe, and one file at a time is all an
editor needs). A change is linted after a short pause in typing (the debounce); its
result is published only if the document has not changed again meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import types as pytypes
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from torchlint import __version__
from torchlint.codes import FILE_NOT_LINTED
from torchlint.config import ConfigError
from torchlint.diagnostics import Diagnostic
from torchlint.server import convert
from torchlint.server.session import LintOutcome, Overrides, Session

log = logging.getLogger("torchlint.server")

FIX_ALL_KIND = "source.fixAll.torchlint"
DEFAULT_DEBOUNCE_MS = 50
SOURCE = "torchlint"


@dataclass
class DocState:
    uri: str
    path: Path
    version: int = 0
    linted_version: Optional[int] = None
    linted_text: Optional[str] = None
    outcome: Optional[LintOutcome] = None
    pending: Optional[asyncio.Task] = None
    inflight: Optional[tuple] = None  # (text, future) of the lint running now
    fix_parses: dict = field(default_factory=dict)  # does a fix's result parse? per lint


class TorchlintProtocol(LanguageServerProtocol):
    """pygls' protocol, answering a request whose parameters cannot be read with an
    error instead of leaving the client waiting for an answer that never comes."""

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" in data and "method" in data:
                self._send_response(data["id"], None, error.to_response_error())
            log.warning("ignored a message that could not be read: %.200s", data)
            return pytypes.SimpleNamespace(jsonrpc="unreadable")  # handle_message skips it


class TorchlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("torchlint", __version__, protocol_cls=TorchlintProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.session = Session()
        self.engine = ThreadPoolExecutor(1, thread_name_prefix="torchlint-server")
        self.docs: dict[str, DocState] = {}
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self.push = True  # publishDiagnostics, unless the client pulls them
        self.shown_errors: set[str] = set()
        self.refresh_pending = False

    # -- helpers ------------------------------------------------------------------

    def units(self):
        try:
            encoding = self.workspace.position_encoding
        except Exception:  # before initialize: LSP's default
            encoding = None
        if encoding == types.PositionEncodingKind.Utf8:
            return lambda s: len(s.encode("utf-8", errors="surrogatepass"))
        if encoding == types.PositionEncodingKind.Utf32:
            return len
        return convert.utf16_units

    def path_of(self, uri: str) -> Path:
        parsed = urlparse(uri)
        if parsed.scheme == "file":
            return Path(to_fs_path(uri) or unquote(parsed.path))
        # an unsaved buffer: linted as a file of the workspace root with its name
        name = Path(unquote(parsed.path)).name or "untitled"
        root = self.session.default_root
        return root / (name if name.endswith(".py") else f"{name}.py")

    def text_of(self, uri: str) -> Optional[str]:
        """The editor's text of an open document (never read from disk)."""
        documents = self.workspace.text_documents
        document = documents.get(uri) or documents.get(unquote(uri))
        return None if document is None else document.source

    async def run(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.engine, function, *args)

    def run_then_release(self, function, *args, stale=None) -> asyncio.Future:
        """Run ``function`` on the engine's thread; its answer goes to the event loop
        at once, then the thread gives the memory the lint freed back to the system
        (off the latency path, before the next job). A job whose ``stale()`` is true
        when its turn comes (its document changed again meanwhile) answers None unrun."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def deliver(result, error) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        def job() -> None:
            if stale is not None and stale():
                loop.call_soon_threadsafe(deliver, None, None)
                return
            try:
                result, error = function(*args), None
            except Exception as problem:
                result, error = None, problem
            loop.call_soon_threadsafe(deliver, result, error)
            self.session.release_memory()

        self.engine.submit(job)
        return future

    def show_error(self, message: str) -> None:
        if message in self.shown_errors:
            return
        self.shown_errors.add(message)
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))

    # -- linting ---------------------------------------------------------------------

    async def lint(self, state: DocState) -> Optional[LintOutcome]:
        """Lint the document's current text (or return the result for it, when the
        text has not changed since); None when it was closed meanwhile."""
        text = self.text_of(state.uri)
        if text is None:
            return None
        if state.outcome is not None and state.linted_text == text:
            return state.outcome
        if state.inflight is not None and state.inflight[0] == text:  # the same text is being linted: share it
            return await asyncio.shield(state.inflight[1])
        version = state.version
        future = self.run_then_release(self.session.lint, state.path, text,
                                       stale=lambda: self.docs.get(state.uri) is not state or state.version != version)
        state.inflight = (text, future)
        try:
            outcome = await asyncio.shield(future)
        except Exception as error:  # a bug in torchlint: say it once, keep the last findings
            log.exception("linting %s failed", state.path)
            self.show_error(f"torchlint: internal error while linting {state.path.name}: {error!r}")
            return None
        finally:
            if state.inflight is not None and state.inflight[1] is future:
                state.inflight = None
        if outcome is None:  # the document changed (or closed) before its turn came
            return None
        if outcome.config_error:
            where = outcome.settings.project_root if outcome.settings else ""
            self.show_error(f"torchlint: {outcome.config_error}; linting with the default settings until "
                            f"it is fixed ({where})")
        for error in outcome.internal_errors:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error,
                                                           message=f"torchlint internal error: {error}"))
        if state.uri in self.docs and self.text_of(state.uri) == text:
            state.outcome, state.linted_text, state.linted_version = outcome, text, version
        return outcome

    async def lint_and_publish(self, state: DocState, refresh: bool = False) -> None:
        version = state.version
        outcome = await self.lint(state)
        if outcome is None or state.uri not in self.docs or state.version != version:
            return  # closed, or changed again: a newer lint publishes
        if self.push:
            self.publish(state, self.to_lsp(state, outcome))
        elif refresh:  # a client that pulls asks again for documents another file changed
            self.refresh_pulled()

    def publish(self, state: DocState, diagnostics: list, version: Optional[int] = -1) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=state.uri, diagnostics=diagnostics, version=state.version if version == -1 else version))

    def refresh_pulled(self) -> None:
        """Ask the client to pull again (once for a burst of re-lints)."""
        workspace = self.client_capabilities.workspace
        diagnostics = workspace.diagnostics if workspace is not None else None
        if diagnostics is None or not diagnostics.refresh_support or self.refresh_pending:
            return
        self.refresh_pending = True

        def send() -> None:
            self.refresh_pending = False
            self.workspace_diagnostic_refresh(None)

        asyncio.get_running_loop().call_later(0.05, send)

    def schedule(self, state: DocState, delay: float, refresh: bool = False) -> None:
        if state.pending is not None and not state.pending.done():
            state.pending.cancel()

        async def later() -> None:
            if delay:
                await asyncio.sleep(delay)
            await self.lint_and_publish(state, refresh)

        state.pending = asyncio.ensure_future(later())

    def relint(self, only: Optional[set[str]] = None) -> None:
        """Lint the open documents again (those that depend on ``only``, when given)."""
        for state in list(self.docs.values()):
            if only is not None and (state.outcome is None or not (state.outcome.dependencies & only)):
                continue
            state.outcome, state.linted_text = None, None
            self.schedule(state, 0, refresh=True)

    def to_lsp(self, state: DocState, outcome: LintOutcome) -> list[types.Diagnostic]:
        lines = convert.split_lines(state.linted_text or "")
        units = self.units()
        docs_url = outcome.settings.docs_url if outcome.settings else None
        return [self.diagnostic(d, lines, units, docs_url) for d in outcome.diagnostics]

    def diagnostic(self, d: Diagnostic, lines: list[str], units, docs_url: Optional[str]) -> types.Diagnostic:
        start, end = convert.location_range(lines, d.location, d.end_location, units)
        href = convert.documentation_href(d.code, docs_url)
        message = d.message + (f"\nhelp: {d.help}" if d.help else "")
        return types.Diagnostic(
            range=_range(start, end),
            message=message,
            severity=types.DiagnosticSeverity.Error if d.code in convert.ERROR_CODES else types.DiagnosticSeverity.Warning,
            code=d.code,
            code_description=types.CodeDescription(href=href) if href else None,
            source=SOURCE,
            data={"name": d.name, "fixable": d.fix is not None,
                  "applicability": d.fix.applicability if d.fix else None},
        )

    async def current(self, uri: str) -> tuple[Optional[DocState], Optional[LintOutcome]]:
        state = self.docs.get(uri) or self.docs.get(unquote(uri))
        if state is None:
            return None, None
        outcome = None
        for _ in range(10):  # a document that changed while it was linted is linted again
            outcome = await self.lint(state)
            if outcome is not None or self.docs.get(state.uri) is not state:
                break
        return state, outcome

    # -- edits ---------------------------------------------------------------------

    def workspace_edit(self, state: DocState, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        capabilities = self.client_capabilities.workspace
        versioned = (capabilities is not None and capabilities.workspace_edit is not None
                     and capabilities.workspace_edit.document_changes)
        if versioned:  # the client refuses the edit if the document changed since
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=state.uri, version=state.linted_version),
                edits=edits)])
        return types.WorkspaceEdit(changes={state.uri: edits})

    def text_edit(self, lines: list[str], start, end, content: str) -> types.TextEdit:
        units = self.units()
        first = convert.to_client(lines, start.row, start.column, units)
        last = convert.to_client(lines, end.row, end.column, units)
        return types.TextEdit(range=_range(first, last), new_text=content)

    def replacement_edit(self, old: str, new: str) -> types.TextEdit:
        start, end, content = convert.minimal_replacement(old, new)
        starts = convert.line_starts(old)
        lines = convert.split_lines(old)
        return self.text_edit(lines, convert.offset_to_location(starts, start),
                              convert.offset_to_location(starts, end), content)

    def fix_action(self, state: DocState, d: Diagnostic, lsp: types.Diagnostic, lines: list[str]) -> Optional[types.CodeAction]:
        fix = d.fix
        if fix is None:
            return None
        key = (id(state.outcome), d.code, d.location, fix)
        if key not in state.fix_parses:  # asked again on every cursor move: checked once per lint
            state.fix_parses = {k: v for k, v in state.fix_parses.items() if k[0] == key[0]}
            state.fix_parses[key] = _fix_parses(state.linted_text or "", fix)
        if not state.fix_parses[key]:
            return None
        unsafe = fix.applicability != "safe"
        title = f"Fix {d.code}: {fix.message}" + (" (unsafe fix: review it)" if unsafe else "")
        edits = [self.text_edit(lines, e.location, e.end_location, e.content) for e in fix.edits]
        return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[lsp],
                                is_preferred=not unsafe, edit=self.workspace_edit(state, edits))

    def noqa_action(self, state: DocState, d: Diagnostic, lsp: types.Diagnostic, lines: list[str]) -> Optional[types.CodeAction]:
        from torchlint.noqa_add import line_with_noqa

        if d.code == FILE_NOT_LINTED or d.noqa_row is None:
            return None
        text = state.linted_text or ""
        new_line, why = line_with_noqa(text, d.noqa_row, [d.code])
        title = f"Disable {d.code} for this line"
        if new_line is None:
            return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[lsp],
                                    disabled=types.CodeActionDisabled(reason=why or "the line cannot take a comment"))
        old_line = lines[d.noqa_row - 1]
        if new_line == old_line:
            return None
        start, end, content = convert.minimal_replacement(old_line, new_line)
        from torchlint.diagnostics import Location

        edit = self.text_edit(lines, Location(d.noqa_row, start + 1), Location(d.noqa_row, end + 1), content)
        return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[lsp],
                                edit=self.workspace_edit(state, [edit]))

    async def fix_all_action(self, state: DocState, outcome: LintOutcome, resolve: bool) -> Optional[types.CodeAction]:
        title = "Fix all torchlint problems (safe fixes)"
        if not any(d.fix is not None and d.fix.applicability == "safe" for d in outcome.diagnostics):
            return None
        action = types.CodeAction(title=title, kind=FIX_ALL_KIND, data={"uri": state.uri, "version": state.linted_version})
        if resolve:
            return action  # the edit is computed by codeAction/resolve, when it is chosen
        return await self.resolve_fix_all(action)

    async def resolve_fix_all(self, action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        state, outcome = await self.current(str(data.get("uri", "")))
        if state is None or outcome is None:
            return action
        text = state.linted_text or ""
        fixed = await self.run_then_release(self.session.fix_all, state.path, text)
        if fixed == text or self.text_of(state.uri) != text:
            action.edit = types.WorkspaceEdit(changes={})
            return action
        action.edit = self.workspace_edit(state, [self.replacement_edit(text, fixed)])
        return action


def _range(start: tuple[int, int], end: tuple[int, int]) -> types.Range:
    return types.Range(start=types.Position(line=start[0], character=start[1]),
                       end=types.Position(line=end[0], character=end[1]))


def _fix_parses(text: str, fix) -> bool:
    """Offer a fix only when the text it gives still parses (``--fix`` re-parses too)."""
    import ast

    from torchlint.fixes.apply import apply_fixes

    new_text, applied = apply_fixes(text, [fix])
    if not applied:
        return False
    try:
        ast.parse(new_text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _touches(d: types.Diagnostic, wanted: types.Range) -> bool:
    return d.range.start.line <= wanted.end.line and wanted.start.line <= d.range.end.line


def lintable(uri: str, path: Path, language_id: str) -> bool:
    """Python source the CLI would lint: a ``.py`` file, or an unsaved buffer in Python
    (not a stub, a notebook or a ``pyproject.toml`` the client also syncs)."""
    if urlparse(uri).scheme == "file":
        return path.suffix == ".py"
    return language_id == "python"


async def _client_settings(server: TorchlintServer, settings: Any) -> None:
    """Apply the client's settings (initializationOptions, didChangeConfiguration)."""
    if isinstance(settings, dict):
        own = settings.get("torchlint") if isinstance(settings.get("torchlint"), dict) else settings
        debounce = own.get("debounceMs", own.get("debounce"))
        if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and 0 <= debounce <= 10_000:
            server.debounce = debounce / 1000
    try:
        overrides = Overrides.parse(settings)
    except ConfigError as error:
        server.show_error(f"torchlint: {error}; the client's settings are ignored")
        return
    await server.run(server.session.set_overrides, overrides)  # on the engine's thread, between lints


def build_server() -> TorchlintServer:
    server = TorchlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: TorchlintServer, params: types.InitializeParams) -> None:
        root = params.root_uri or (params.workspace_folders[0].uri if params.workspace_folders else None)
        if root and urlparse(root).scheme == "file":
            ls.session.default_root = Path(to_fs_path(root) or os.getcwd())
        elif params.root_path:
            ls.session.default_root = Path(params.root_path)
        text_document = params.capabilities.text_document
        ls.push = not (text_document is not None and text_document.diagnostic is not None)
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("diagnosticMode"), str):
            ls.push = options["diagnosticMode"] != "pull"
        ls.pending_options = options

    @server.feature(types.INITIALIZED)
    async def initialized(ls: TorchlintServer, params: types.InitializedParams) -> None:
        await _client_settings(ls, getattr(ls, "pending_options", None))
        workspace = ls.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is not None and watched.dynamic_registration:
            watchers = [types.FileSystemWatcher(glob_pattern=pattern) for pattern in ("**/*.py", "**/pyproject.toml")]
            registration = types.Registration(
                id="torchlint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
            except Exception as error:  # the client refused: saves still update the index
                log.warning("could not register file watchers: %s", error)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: TorchlintServer, params: types.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        state = DocState(document.uri, ls.path_of(document.uri), document.version)
        if not lintable(document.uri, state.path, document.language_id):
            return
        ls.docs[document.uri] = state
        await ls.run(ls.session.opened, state.path, document.text)
        ls.schedule(state, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: TorchlintServer, params: types.DidChangeTextDocumentParams) -> None:
        state = ls.docs.get(params.text_document.uri)
        if state is None:
            return
        state.version = params.text_document.version
        text = ls.text_of(state.uri)
        if text is not None:
            ls.engine.submit(ls.session.changed, state.path, text)
        ls.schedule(state, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: TorchlintServer, params: types.DidSaveTextDocumentParams) -> None:
        state = ls.docs.get(params.text_document.uri)
        path = state.path if state is not None else ls.path_of(params.text_document.uri)
        if path.name == "pyproject.toml":
            ls.shown_errors.clear()
            ls.relint()
            return
        await ls.run(ls.session.disk_changed, [path])
        if state is not None:
            ls.schedule(state, 0)
        ls.relint(only={str(Path(os.path.abspath(path)).resolve())})

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: TorchlintServer, params: types.DidCloseTextDocumentParams) -> None:
        state = ls.docs.pop(params.text_document.uri, None)
        if state is None:
            return
        if state.pending is not None:
            state.pending.cancel()
        ls.publish(state, [], version=None)  # a closed file's findings are cleared
        await ls.run(ls.session.closed, state.path)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: TorchlintServer, params: types.DidChangeWatchedFilesParams) -> None:
        paths = [ls.path_of(change.uri) for change in params.changes]
        if any(path.name == "pyproject.toml" for path in paths):
            ls.shown_errors.clear()  # a configuration error is shown again if it is still there
        # a file or directory created or deleted (a module, a package, a pyproject.toml that
        # marks a project root) changes where imports resolve: the index starts again
        created_or_deleted = any(change.type != types.FileChangeType.Changed for change in params.changes)
        python = [path for path in paths if path.suffix == ".py"]
        if python or created_or_deleted:
            await ls.run(ls.session.disk_changed, python, created_or_deleted)
        if created_or_deleted or len(python) != len(paths):
            ls.relint()  # new or removed modules, or a configuration: every open document
        elif python:
            ls.relint(only={str(Path(os.path.abspath(p)).resolve()) for p in python})

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: TorchlintServer, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        workspace = ls.client_capabilities.workspace
        if not (isinstance(settings, dict) and settings) and workspace is not None and workspace.configuration:
            try:  # the pull model: ask for the `torchlint` section
                answer = await ls.workspace_configuration_async(types.ConfigurationParams(
                    items=[types.ConfigurationItem(section="torchlint")]))
                settings = answer[0] if answer else None
            except Exception as error:
                log.warning("workspace/configuration failed: %s", error)
        await _client_settings(ls, settings)
        ls.relint()

    @server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                    types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=True, workspace_diagnostics=False))
    async def pull_diagnostics(ls: TorchlintServer, params: types.DocumentDiagnosticParams):
        state, outcome = await ls.current(params.text_document.uri)
        if state is None or outcome is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        items = ls.to_lsp(state, outcome)
        # the same findings at the same places: "unchanged"
        result_id = hashlib.blake2b(repr([(d.code, d.range, d.message) for d in items]).encode(),
                                    digest_size=12).hexdigest()
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL_KIND],
        resolve_provider=True))
    async def code_action(ls: TorchlintServer, params: types.CodeActionParams):
        state, outcome = await ls.current(params.text_document.uri)
        if state is None or outcome is None:
            return []
        only = params.context.only

        def wanted(kind: str) -> bool:
            return only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)

        actions: list[types.CodeAction] = []
        lines = convert.split_lines(state.linted_text or "")
        units = ls.units()
        docs_url = outcome.settings.docs_url if outcome.settings else None
        if wanted(types.CodeActionKind.QuickFix):
            for d in outcome.diagnostics:
                lsp = ls.diagnostic(d, lines, units, docs_url)
                if not _touches(lsp, params.range):
                    continue
                for make in (ls.fix_action, ls.noqa_action):
                    action = make(state, d, lsp, lines)
                    if action is not None:
                        actions.append(action)
        if wanted(FIX_ALL_KIND):
            action = await ls.fix_all_action(state, outcome, resolve=only is None)
            if action is not None:
                actions.append(action)
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: TorchlintServer, action: types.CodeAction) -> types.CodeAction:
        if action.kind == FIX_ALL_KIND and action.edit is None:
            return await ls.resolve_fix_all(action)
        return action

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: TorchlintServer, params: types.HoverParams) -> Optional[types.Hover]:
        state, outcome = await ls.current(params.text_document.uri)
        if state is None or outcome is None:
            return None
        from torchlint import rule_docs

        lines = convert.split_lines(state.linted_text or "")
        units = ls.units()
        position = (params.position.line, params.position.character)
        parts, ranges = [], []
        for d in outcome.diagnostics:
            start, end = convert.location_range(lines, d.location, d.end_location, units)
            if not start <= position <= end:
                continue
            rule = rule_docs.find_rule(d.code)
            text = f"**{d.code}** `{d.name}`: {d.message}"
            if d.help:
                text += f"\n\nhelp: {d.help}"
            if rule is not None:
                text += "\n\n---\n\n" + rule_docs.explain(rule)
                href = convert.documentation_href(d.code, outcome.settings.docs_url if outcome.settings else None)
                if href and "Documentation:" not in text:
                    text += f"\nDocumentation: {href}\n"
            parts.append(text)
            ranges.append((start, end))
        if not parts:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
                           range=_range(min(r[0] for r in ranges), max(r[1] for r in ranges)))

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: TorchlintServer, params: Any) -> None:
        for state in ls.docs.values():
            if state.pending is not None:
                state.pending.cancel()
        ls.engine.submit(ls.session.close)

    return server
