"""A progress bar on stderr, for long runs in a terminal only.

Nothing is drawn when stderr is not a terminal (CI logs, pipes, editors), nor for runs
that end within a second: tqdm's ``delay`` keeps short runs silent.
"""

from __future__ import annotations

import sys
SHOW_AFTER_SECONDS = 1.0


def progress_bar(total: int, stream=None):
    """A tqdm bar over ``total`` files, or None when none should be shown."""
    stream = stream if stream is not None else sys.stderr
    try:
        is_terminal = stream.isatty()
    except (AttributeError, ValueError):
        is_terminal = False
    if not is_terminal or total == 0:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - a declared dependency, but never fail a lint for it
        return None
    return tqdm(total=total, file=stream, unit="file", delay=SHOW_AFTER_SECONDS, leave=False, dynamic_ncols=True)
