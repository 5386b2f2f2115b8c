"""Settings for the child processes that tests interrupt with signals."""

import signal


def default_sigint() -> None:
    """Give a child process the default SIGINT handling, so Python turns SIGINT into KeyboardInterrupt.

    A test run started in the background of a non-interactive shell inherits SIGINT as ignored,
    and Python then never raises KeyboardInterrupt in the children the tests interrupt. Pass
    this function as ``preexec_fn`` to `subprocess.Popen`.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
