"""What each form was last filled in with, kept from one run of the console to the next.

One small JSON file, ``forms.json``, in the console's state folder
(``platformdirs.user_state_dir("awsconsole")``, where the transfer locks live too;
XDG_STATE_HOME moves it): ``{form name: {field: text}}``. The folder is made 0700 and the file
0600 (a command line may hold a path or a host the user keeps to themselves), written whole
under a temporary name and renamed, so a crash never leaves half a file.

Remembering is a convenience: a file that cannot be read or written is as good as none and
never stops a form from opening or a job from starting. A form decides what it hands over:
the new-job form keeps no environment values (tokens live in the job's env.json only). The
train form, the Files panels and the launch wizard keep the demo's values apart from an
account's (``form_name``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import platformdirs

FILE_NAME = "forms.json"
#: no form has more fields than this, nor a field longer than this: a bigger file is not ours
MAX_FIELDS = 64
MAX_TEXT = 16 * 1024


def form_name(form: str, services: Any) -> str:
    """The name ``form`` is remembered under with ``services``: the demo's forms apart
    (``"train (demo)"``), so that its sandboxed hosts and folders never fill in a form of an
    account, nor an account's those of the demo."""
    return f"{form} (demo)" if getattr(services, "demo", None) is not None else form


def state_folder() -> str:
    """The console's state folder (not created here)."""
    return platformdirs.user_state_dir("awsconsole")


class FormMemory:
    """The last values of every form, in ``folder/forms.json`` (default: the state folder)."""

    def __init__(self, folder: str | None = None):
        self._folder = folder

    @property
    def path(self) -> str:
        return os.path.join(self._folder or state_folder(), FILE_NAME)

    def _read_all(self) -> dict[str, dict[str, str]]:
        try:
            with open(self.path, encoding="utf-8") as file:
                document = json.load(file)
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict):
            return {}
        return {
            str(form): _clean(values)
            for form, values in document.items()
            if isinstance(values, dict)
        }

    def recall(self, form: str) -> dict[str, str]:
        """The fields ``form`` was last left with ({} when never, or unreadable)."""
        return self._read_all().get(form, {})

    def remember(self, form: str, values: Mapping[str, str]) -> None:
        """Keep ``values`` as ``form``'s last ones (replacing what it had). Never raises: a
        state folder that cannot be written leaves the form as forgetful as before."""
        document = self._read_all()
        document[form] = _clean(values)
        folder = os.path.dirname(self.path)
        tmp = os.path.join(folder, f".{FILE_NAME}.{os.getpid()}.tmp")
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(document, file, indent=1, ensure_ascii=False)
            os.replace(tmp, self.path)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _clean(values: Mapping[object, object]) -> dict[str, str]:
    """Text fields only, within bounds: the file is read back into input fields."""
    kept: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(key, str) and isinstance(value, str) and len(value) <= MAX_TEXT:
            kept[key] = value
        if len(kept) >= MAX_FIELDS:
            break
    return kept
