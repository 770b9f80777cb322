"""What waits for each role on the home page, read through each app's own selectors.

Every block is built only for the roles it concerns and starts from the app's selector, so the
access rule narrows it as it narrows the app's own pages; each block links to the page where the
work is done. A block counts with one query and lists a few rows, so the home stays fast
whatever the size of the data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts import access, selectors
from nrm.accounts.choices import Role
from nrm.accounts.models import User

ROWS = 10  # rows listed in a block; the count tells how many there are


@dataclass
class Block:
    """One thing waiting for the user: a count, a few rows, and the page where the work is done."""

    key: str
    title: str
    count: int | None
    url: str
    link: str
    rows: list[dict] = field(default_factory=list)
    warn: bool = False
    empty: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# What waits for each role comes from the apps, each from its own ``home.py``, registered when it
# starts: where its blocks stand on the page, whom they concern (the user and the roles held) and
# how they are built. web, a toolkit below the apps, imports none of them.
@dataclass(frozen=True)
class HomeBlocks:
    order: int
    concerns: Callable[[User, set[str]], bool]
    build: Callable[[User, dt.date], list[Block]]


_HOME: dict[Callable, HomeBlocks] = {}


def register_home_blocks(
    order: int, concerns: Callable[[User, set[str]], bool], build: Callable[[User, dt.date], list[Block]]
) -> None:
    """Show ``build(user, today)``'s blocks at ``order`` on the home page where ``concerns(user, roles)`` holds."""
    _HOME[build] = HomeBlocks(order, concerns, build)


def blocks_for(user: User, *, today: dt.date | None = None) -> list[Block]:
    """Return the blocks of work waiting for ``user``, for each role they hold, in a fixed order."""
    today = today or timezone.localdate()
    held = access.roles(user)
    out: list[Block] = []
    for entry in sorted(_HOME.values(), key=lambda e: e.order):
        if entry.concerns(user, held):
            out += entry.build(user, today)
    return out


# What else the home page shows beside the blocks (a case worker's inbox, open cases...): each
# app registers a function giving its part of the page's context.
_CONTEXT: list[Callable[[User], dict]] = []


def register_home_context(context: Callable[[User], dict]) -> None:
    """Add ``context(user)`` to the home page's context."""
    if context not in _CONTEXT:
        _CONTEXT.append(context)


def home_context(user: User) -> dict:
    """Return what the registered apps add to the home page's context for ``user``."""
    found: dict = {}
    for context in _CONTEXT:
        found |= context(user)
    return found


# --- Administration: users and accounts (accounts is below web: its blocks are web's own) -------


def admin_blocks(user: User, today: dt.date) -> list[Block]:
    """Users, locked accounts, inactive memberships: the administration's overview."""
    overview = selectors.administration_overview(user)
    locked = overview["locked"]
    return [
        Block(
            "users",
            _("Active users"),
            overview["users"],
            reverse("administration:user_list"),
            _("Users"),
            empty="",
        ),
        Block(
            "locked",
            _("Locked accounts"),
            len(locked),
            reverse("administration:user_list") + "?locked=1",
            _("Locked accounts"),
            rows=[
                {"label": name, "url": reverse("administration:user_detail", args=[pk]) if pk else ""}
                for name, pk in locked[:ROWS]
            ],
            warn=bool(locked),
            empty=_("No account is locked."),
        ),
        Block(
            "inactive_memberships",
            _("Inactive memberships"),
            overview["inactive_memberships"],
            reverse("administration:user_list") + "?inactive=1",
            _("Users"),
            empty=_("No membership is inactive."),
        ),
    ]


register_home_blocks(100, lambda user, held: Role.ADMIN in held, admin_blocks)
