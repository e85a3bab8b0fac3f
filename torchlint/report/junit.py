"""JUnit XML: one ``<testsuite>`` a file, one failing ``<testcase>`` a finding.

CI systems that show test reports (GitLab's ``artifacts:reports:junit``, Jenkins,
Azure DevOps, GitHub test-report actions) list each finding as a failed test named
after the rule and the position. A file that could not be linted (TL000) is an
``<error>`` rather than a ``<failure>``. A clean run is one passing test case.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from torchlint.report.paths import file_lines, in_cell, relative_path, report_root
from torchlint.codes import FILE_NOT_LINTED
from torchlint.diagnostics import more_about

# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _counts(element: ET.Element, tests: int, failures: int, errors: int) -> None:
    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("errors", str(errors))


def render(result, quiet: bool = False) -> str:
    root = report_root(result)
    suites = ET.Element("testsuites", name="torchlint")
    located = [(relative_path(d, root), d) for d in result.diagnostics]
    failures = errors = 0
    for path, group in groupby(located, key=lambda item: item[0]):
        findings = [d for _, d in group]
        suite = ET.SubElement(suites, "testsuite", name=path)
        suite_errors = 0
        for d in findings:
            where = in_cell(d) or f"line {d.location.row}, column {d.location.column}"
            case = ET.SubElement(
                suite, "testcase",
                classname=path,
                name=f"{d.code} ({d.name}) at {where}",
                file=path,
                line=str(file_lines(d)[0]),
            )
            kind = "error" if d.code == FILE_NOT_LINTED else "failure"
            suite_errors += kind == "error"
            problem = ET.SubElement(case, kind, type=d.code, message=_xml_text(d.message))
            shown = path if d.cell is None else f"{path}:cell {d.cell}"
            text = f"{shown}:{d.location.row}:{d.location.column}: {d.code} {d.message}"
            problem.text = _xml_text(text + (f"\nhelp: {d.help}" if d.help else "") + f"\n{more_about(d.code)}")
        _counts(suite, len(findings), len(findings) - suite_errors, suite_errors)
        failures += len(findings) - suite_errors
        errors += suite_errors
    if not result.diagnostics:
        suite = ET.SubElement(suites, "testsuite", name="torchlint")
        files = f"{result.files_checked} file{'' if result.files_checked == 1 else 's'}"
        ET.SubElement(suite, "testcase", classname="torchlint", name=f"no findings in {files}")
        _counts(suite, 1, 0, 0)
    total = max(1, len(result.diagnostics))
    _counts(suites, total, failures, errors)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
