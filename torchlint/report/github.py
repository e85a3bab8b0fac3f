"""GitHub Actions workflow commands: one ``::error`` annotation a finding.

``::error file=PATH,line=R,col=C,endLine=R,endColumn=C,title=TL001 (unregistered-tensor)::MESSAGE``
GitHub shows each on the pull request's diff at that span. Values are escaped as
GitHub's own toolkit does (``@actions/core``, ``command.ts``): ``%``, CR and LF in the
message; those plus ``:`` and ``,`` in properties.
"""

from __future__ import annotations

from torchlint.report.paths import file_lines, in_cell, relative_path, report_root
from torchlint.report.summary import summary_line


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(properties: dict[str, object], message: str, kind: str = "error") -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{kind} {props}::{escape_data(message)}"


def render(result, quiet: bool = False) -> str:
    root = report_root(result)
    lines = []
    for d in result.diagnostics:
        if d.cell is None:
            properties = {
                "file": relative_path(d, root),
                "line": d.location.row,
                "col": d.location.column,
                "endLine": d.end_location.row,
                "endColumn": d.end_location.column,
                "title": f"{d.code} ({d.name})",
            }
        else:  # a notebook: the .ipynb file's lines of the cell's source, and the cell in the title
            first, last = file_lines(d)
            properties = {"file": relative_path(d, root), "line": first, "endLine": last,
                          "title": f"{d.code} ({d.name}) in {in_cell(d)}"}
        message = d.message if not d.help else f"{d.message}\nhelp: {d.help}"
        lines.append(command(properties, message))
    if not quiet:
        lines.append(summary_line(result))  # plain text: shown in the job's log
    return "\n".join(lines) + ("\n" if lines else "")
