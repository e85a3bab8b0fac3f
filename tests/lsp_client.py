"""A small LSP client for the tests: runs `python -m torchlint server` as a child
process and talks JSON-RPC to it over its standard input and output, as an editor
does (Content-Length framing, requests, notifications, answers to the server's own
requests)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

REPO = Path(__file__).resolve().parents[1]


def file_uri(path: Path) -> str:
    return Path(path).resolve().as_uri()


class LspClient:
    def __init__(self, cwd: Optional[Path] = None, configuration: Any = None, command: Optional[list[str]] = None):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self.process = subprocess.Popen(command or [sys.executable, "-m", "torchlint", "server"], cwd=cwd or REPO,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=env)
        self.configuration = configuration  # the answer to workspace/configuration
        self.messages: "queue.Queue[dict]" = queue.Queue()
        self.notifications: list[dict] = []
        self.server_requests: list[dict] = []
        self._backlog: list[dict] = []
        self._next_id = 0
        self._lock = threading.Lock()
        self.stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # -- wire --------------------------------------------------------------------

    def send_raw(self, body: bytes) -> None:
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _send(self, message: dict) -> None:
        self.send_raw(json.dumps(message).encode("utf-8"))

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = stream.read(length)
            message = json.loads(body)
            if "method" in message and "id" in message:  # a request from the server
                self.server_requests.append(message)
                result: Any = None
                if message["method"] == "workspace/configuration":
                    result = [self.configuration for _ in message["params"]["items"]]
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            elif "method" in message:
                with self._lock:
                    self.notifications.append(message)
            self.messages.put(message)

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line)

    # -- requests and notifications ---------------------------------------------------

    def request(self, method: str, params: Any, timeout: float = 60) -> Any:
        self._next_id += 1
        ident = self._next_id
        self._send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        message = self.wait(lambda m: m.get("id") == ident and "method" not in m, timeout, f"the answer to {method}")
        if "error" in message:
            raise LspError(message["error"])
        return message.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, predicate: Callable[[dict], bool], timeout: float = 60, what: str = "a message") -> dict:
        """The first message (seen before and not yet taken, or arriving) that matches."""
        for message in list(self._backlog):
            if predicate(message):
                self._backlog.remove(message)
                return message
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout}s; stderr: {b''.join(self.stderr)[-3000:]!r}")
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if predicate(message):
                return message
            self._backlog.append(message)

    def diagnostics(self, uri: str, timeout: float = 60, version: Optional[int] = None) -> list[dict]:
        """The next publishDiagnostics for ``uri`` (for ``version``, when given)."""
        def match(m: dict) -> bool:
            if m.get("method") != "textDocument/publishDiagnostics" or m["params"]["uri"] != uri:
                return False
            return version is None or m["params"].get("version") == version
        return self.wait(match, timeout, f"diagnostics for {uri}")["params"]["diagnostics"]

    # -- session -----------------------------------------------------------------

    def initialize(self, root: Path, capabilities: Optional[dict] = None, options: Any = None) -> dict:
        result = self.request("initialize", {
            "processId": os.getpid(), "rootUri": file_uri(root), "capabilities": capabilities or {},
            "initializationOptions": options, "workspaceFolders": [{"uri": file_uri(root), "name": root.name}],
        })
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: Optional[str] = None, version: int = 1) -> str:
        uri = file_uri(path)
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": version,
            "text": Path(path).read_text() if text is None else text}})
        return uri

    def change(self, uri: str, version: int, changes: list[dict]) -> None:
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                               "contentChanges": changes})

    def shutdown(self, timeout: float = 30) -> int:
        self.request("shutdown", None)
        self.notify("exit", None)
        try:
            return self.process.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except OSError:
                pass


class LspError(Exception):
    def __init__(self, error: dict):
        super().__init__(error.get("message"))
        self.error = error


def apply_edits(text: str, edits: list[dict]) -> str:
    """Apply LSP TextEdits (UTF-16 positions) to ``text``, as an editor does."""
    import re

    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def offset(position: dict) -> int:
        line = position["line"]
        if line >= len(starts):
            return len(text)
        start = starts[line]
        end = starts[line + 1] if line + 1 < len(starts) else len(text)
        units, index = 0, start
        while index < end and units < position["character"]:
            units += len(text[index].encode("utf-16-le")) // 2
            index += 1
        return index

    spans = sorted(((offset(e["range"]["start"]), offset(e["range"]["end"]), e["newText"]) for e in edits),
                   key=lambda s: (s[0], s[1]), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def workspace_edits(edit: dict, uri: str) -> list[dict]:
    """The TextEdits of ``uri`` in a WorkspaceEdit (``changes`` or ``documentChanges``)."""
    if edit.get("documentChanges"):
        return [e for change in edit["documentChanges"] if change["textDocument"]["uri"] == uri for e in change["edits"]]
    return (edit.get("changes") or {}).get(uri, [])
