"""User-facing errors: one line that names the input and what is wrong."""

import functools
import sys


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
