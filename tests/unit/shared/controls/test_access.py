"""Admins always; then ACCESS and the operator's list decide."""

from __future__ import annotations

import pytest

from easel.controls import Access, Standing, may_use

ADMINS = frozenset({1})


@pytest.mark.parametrize(
    ("access", "user", "standing", "expected"),
    [
        (Access.OPEN, 2, None, True),
        (Access.OPEN, 2, Standing.ALLOWED, True),
        (Access.OPEN, 2, Standing.DENIED, False),
        (Access.ALLOWLIST, 2, None, False),
        (Access.ALLOWLIST, 2, Standing.ALLOWED, True),
        (Access.ALLOWLIST, 2, Standing.DENIED, False),
        (Access.ALLOWLIST, 1, None, True),  # an admin needs no entry
        (Access.OPEN, 1, Standing.DENIED, True),  # nor can one be locked out by one
    ],
)
def test_who_may_use_the_bot(
    access: Access, user: int, standing: Standing | None, expected: bool
) -> None:
    assert may_use(access, ADMINS, user, standing) is expected
