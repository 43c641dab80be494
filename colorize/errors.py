"""User-facing errors: one line that names the input and what is wrong."""

import contextlib
import functools
import signal
import sys
import threading


class ColorizeError(Exception):
    """An error the user can fix; printed as one line, never a traceback."""


class ImageError(ColorizeError):
    """An image file that cannot be used, with its path and the reason."""

    def __init__(self, path, reason):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


EXIT_USAGE = 2
EXIT_FAILED = 1


@contextlib.contextmanager
def sigterm_interrupts():
    """Within it, SIGTERM (`kill`, a scheduler's stop) raises
    KeyboardInterrupt as Ctrl-C does, so that long work can save what it
    has done; the previous handler is put back after. Off the main thread
    (where Python sets no handler) it changes nothing."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cli(main):
    """Wraps a command-line `main(argv)`: a ColorizeError prints one line
    `error: ...` on stderr and exits with status 2; Ctrl-C exits with 130."""

    @functools.wraps(main)
    def wrapper(argv=None):
        try:
            return main(argv)
        except ColorizeError as e:
            print(f"error: {e}", file=sys.stderr)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            sys.exit(130)

    return wrapper


def parse_args(parser, argv):
    """`parser.parse_args(argv)`, but a bad flag raises a one-line
    ColorizeError (after the usage line) instead of argparse's SystemExit,
    so every command reports it the same way (`cli`: status 2)."""

    def error(message):
        parser.print_usage(sys.stderr)
        raise ColorizeError(message)

    parser.error = error
    return parser.parse_args(argv)


def one_line(error):
    """The reason of an exception on one line: for TensorFlow's multi-line
    errors ("Graph execution error: ... Detected at node ..."), the line that
    says what is wrong.

    Args:
        error: any exception.

    Returns:
        str, without newlines.
    """
    text = getattr(error, "message", None) or str(error) or type(error).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("assertion failed:") or "Invalid" in line:
            return line
    return lines[-1] if lines else type(error).__name__
