"""Ctrl-C for the long commands (summarize, run): stop at once, close the run row honestly.

The first Ctrl-C raises KeyboardInterrupt as usual; the engine abandons its requests instead of
waiting for them, and the run row is closed as "interrupted" with what was done so far. Should
that cleanup itself hang, a second Ctrl-C leaves at once with exit code 130 and says so.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from agent.cli.common import err

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from store.tables import Run

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


@contextmanager
def stopped_by_ctrl_c(
    store: Engine, run: Run, counts: Callable[[], dict[str, Any]]
) -> Iterator[Run]:
    """Run the block; on Ctrl-C close `run` as interrupted with `counts()`, say what was kept,
    and exit 130 (typer would otherwise print "Aborted!" and exit 1)."""
    from store.runs import closed_on_error

    pressed = False
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        nonlocal pressed
        if pressed:
            sys.stderr.write(
                "\nInterrupted again: exiting now; the run may be left open "
                "(the next run closes it).\n"
            )
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        pressed = True
        raise KeyboardInterrupt

    installed = _install(on_sigint)
    try:
        with closed_on_error(store, run, counts):
            yield run
    except KeyboardInterrupt:
        done = counts()
        err.print(
            f"\n[yellow]Interrupted:[/] stopped run {run.id}; "
            f"{done.get('summarized', 0)} summarized and {done.get('failed', 0)} failed were "
            "stored, requests still waiting for an answer were abandoned. Run the command again "
            "to continue where it stopped."
        )
        raise typer.Exit(code=EXIT_INTERRUPTED) from None
    finally:
        if installed and previous is not None:
            signal.signal(signal.SIGINT, previous)


def _install(handler: Callable[[int, FrameType | None], None]) -> bool:
    # Signal handlers can only be set from the main thread (tests may call commands elsewhere).
    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:
        return False
    return True
