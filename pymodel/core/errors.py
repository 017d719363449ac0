"""The one exception type of the package.

Every user-facing failure (bad width, NaN tensor, overflowing scale, corrupt vector file,
checkpoint with missing keys) is raised as :class:`MBMError` with a message that names the
bad value and what is allowed. The CLI turns it into one line on stderr and exit code 2.
"""


class MBMError(ValueError):
    """A user input or file is outside what the model or the RTL supports."""
