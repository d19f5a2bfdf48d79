"""`ankigen` and `python -m ankigen`: the command line, stoppable cleanly from its start.

Ctrl-C, SIGTERM (a service manager, `kill`, a CI runner's timeout) and, where they exist,
SIGHUP (the terminal closed) and SIGBREAK (Ctrl-Break on Windows) unwind the program as an
exception does, so every temporary folder and temp file is removed on the way out. Nothing
heavy is imported before that is so: importing the command line (typer, click) takes a
tenth of a second, and a Ctrl-C in it showed a traceback (this module imports only what
Python has imported already).
"""

import signal
import sys


class Terminated(BaseException):
    """The program was asked to stop (SIGTERM, SIGHUP): it unwinds as on Ctrl-C's
    KeyboardInterrupt, so every temporary file goes, and no `except Exception` stops it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, _frame: object) -> None:
    raise Terminated(signum)


def main() -> None:
    # Windows delivers SIGTERM to no process (a kill there is TerminateProcess, which no
    # program outlives), but Python accepts the handler: one code path on every system.
    for name in ("SIGTERM", "SIGHUP", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _stop)
    try:
        from ankigen.cli import main as command_line

        command_line()
    except KeyboardInterrupt:  # before the command ran: end as typer ends it during one
        sys.exit(130)
    except Terminated as e:
        sys.stderr.write(f"stopped by {signal.Signals(e.signum).name}\n")
        sys.exit(128 + e.signum)


if __name__ == "__main__":
    main()
