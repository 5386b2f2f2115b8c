"""Exceptions whose messages are shown to analysts, and the check of an output location.

Every message is Simplified Chinese and names the file, row, column or value involved and
what to do next. The CLI prints the message of a ``GreenmatchError`` without a traceback.
"""

import errno
import tempfile
from pathlib import Path


class GreenmatchError(Exception):
    """Base class of errors caused by user input or the environment, not by a bug."""


class CatalogueError(GreenmatchError, ValueError):
    """A catalogue file is missing, unreadable or invalid."""


class LabelledDataError(GreenmatchError, ValueError):
    """A labelled data file (texts with entry codes) is missing, unreadable or invalid."""


class ModelNotFoundError(GreenmatchError, OSError):
    """A base model or a trained greenmatch model cannot be found or loaded."""


class InputFileError(GreenmatchError, ValueError):
    """An input or output file of batch matching is unusable."""


class HubError(GreenmatchError):
    """Pushing to or pulling from the Hugging Face Hub failed."""


class ConfigError(GreenmatchError, ValueError):
    """A setting (a command-line option or a field of a training configuration) is out of range or not an allowed value."""


class OutputLocationError(GreenmatchError, OSError):
    """An output file or folder cannot be written at the path the user gave."""


# Chinese reasons for the errno values a user can fix. Other values show the system's own text.
OS_ERROR_REASONS = {
    errno.ENOENT: "路径不存在",
    errno.EACCES: "没有权限",
    errno.EPERM: "操作不被允许",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统是只读的",
    errno.EISDIR: "这是一个文件夹",
    errno.ENOTDIR: "路径中有一部分是文件而不是文件夹",
    errno.EEXIST: "已存在同名的文件或文件夹",
    errno.ENAMETOOLONG: "文件名太长",
    errno.EDQUOT: "超出了磁盘配额",
}


def os_error_reason(error: OSError) -> str:
    """Return the reason of an OSError in Chinese where it is a common one, else the system's text."""
    return OS_ERROR_REASONS.get(error.errno, error.strerror or str(error))


def check_writable_folder(folder, option: str, target=None) -> None:
    """Check that ``folder`` is a writable folder, or can be created as one, without creating it.

    The nearest existing folder on the path is tested by creating and deleting a temporary
    file in it, because permission bits miss cases. Root passes ``os.access`` everywhere, and
    /proc or a read-only mount reject writes whatever the permission bits allow.

    Args:
        folder: the folder that will receive output files.
        option: the command-line option that named it, for the message (e.g. ``--output-dir``).
        target: the path the user gave, when it is a file inside ``folder``; default ``folder``.

    Raises:
        OutputLocationError: a part of the path is a file, or the folder cannot be written.
    """
    folder = Path(folder)
    target = folder if target is None else target
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent

    if existing.exists() and not existing.is_dir():
        raise OutputLocationError(f"无法写入 {target}：{existing} 是一个文件，不是文件夹。请用 {option} 换一个位置。")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise OutputLocationError(
            f"无法写入 {target}：不能在文件夹 {existing} 中创建文件（{os_error_reason(error)}）。请用 {option} 换一个有写入权限的位置。"
        ) from error
