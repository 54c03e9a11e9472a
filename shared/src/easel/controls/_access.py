"""Who may ask for images (pure): the admins always; then the operator's list decides.

`ACCESS=open`: everyone but the users an admin denied. `ACCESS=allowlist`: only the
users an admin allowed.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum


class Access(StrEnum):
    OPEN = "open"
    ALLOWLIST = "allowlist"


class Standing(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


def may_use(
    access: Access, admins: Collection[int], user_id: int, standing: Standing | None
) -> bool:
    if user_id in admins:
        return True
    if standing is Standing.DENIED:
        return False
    return access is Access.OPEN or standing is Standing.ALLOWED
