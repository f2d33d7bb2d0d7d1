"""The access rules: the role table of docs/server.md and the account rules."""

from __future__ import annotations

import pytest

from myotrial.errors import AccessDeniedError
from myotrial.services.access import (
    PASSWORD_MIN_LENGTH,
    ROLES,
    Caller,
    account_problems,
    password_problems,
    require_user_manager,
    site_of_role,
)

ADMIN = Caller("ann", "admin", None)
INVESTIGATOR_A = Caller("ivo", "investigator", "A")
MONITOR = Caller("mo", "monitor", None)
STATISTICIAN = Caller("stu", "statistician", None)


# docs/server.md, "Roles": (caller, sees site A, sees site B, changes A, changes B)
@pytest.mark.parametrize(
    ("caller", "sees_a", "sees_b", "writes_a", "writes_b"),
    [
        (ADMIN, True, True, True, True),
        (INVESTIGATOR_A, True, False, True, False),
        (MONITOR, True, True, False, False),
        (STATISTICIAN, False, False, False, False),
    ],
)
def test_role_table_decides_which_sites_are_seen_and_changed(
    caller: Caller, sees_a: bool, sees_b: bool, writes_a: bool, writes_b: bool
) -> None:
    assert (caller.sees_site("A"), caller.sees_site("B")) == (sees_a, sees_b)
    assert (caller.writes_site("A"), caller.writes_site("B")) == (writes_a, writes_b)


@pytest.mark.parametrize(
    ("caller", "raises", "reads_queries", "answers_a", "manages", "pseudonymised"),
    [
        (ADMIN, True, True, True, True, True),
        (INVESTIGATOR_A, False, True, True, False, False),
        (MONITOR, True, True, False, False, True),
        (STATISTICIAN, False, False, False, False, True),
    ],
)
def test_role_table_decides_queries_users_and_exports(
    caller: Caller,
    raises: bool,
    reads_queries: bool,
    answers_a: bool,
    manages: bool,
    pseudonymised: bool,
) -> None:
    assert caller.raises_queries is raises
    assert caller.reads_queries is reads_queries
    assert caller.answers_queries_of("A") is answers_a
    assert caller.manages_users is manages
    assert caller.reads_pseudonymised is pseudonymised


@pytest.mark.parametrize(
    ("role", "kept"),
    [("investigator", "A"), ("admin", None), ("monitor", None), ("statistician", None)],
)
def test_only_an_investigators_account_keeps_a_site(role: str, kept: str | None) -> None:
    assert site_of_role(role, "A") == kept


def test_only_an_investigator_is_limited_to_one_site() -> None:
    assert INVESTIGATOR_A.site_filter == "A"
    assert [c.site_filter for c in (ADMIN, MONITOR)] == [None, None]


def test_command_line_may_manage_users_but_a_monitor_may_not() -> None:
    require_user_manager(None, "add users")
    require_user_manager(ADMIN, "add users")
    with pytest.raises(AccessDeniedError, match="only an admin may add users"):
        require_user_manager(MONITOR, "add users")


def test_password_of_exactly_eight_characters_is_accepted() -> None:
    # NIST SP 800-63B 5.1.1.2: memorised secrets of at least 8 characters.
    assert PASSWORD_MIN_LENGTH == 8
    assert password_problems("x" * 8) == []
    assert [p.column for p in password_problems("x" * 7)] == ["password"]


def test_every_broken_account_rule_is_reported_at_once() -> None:
    problems = account_problems(" ", "short", "investigator", None)
    assert [p.column for p in problems] == ["site", "password", "username"]
    assert all(p.value != "short" for p in problems)  # the password is never echoed


def test_unknown_role_names_every_allowed_role() -> None:
    (problem,) = account_problems("eve", "long enough", "owner", None)
    assert problem.column == "role"
    assert all(role in problem.rule for role in ROLES)
