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


ASSESSOR_A = Caller("asa", "assessor", "A")
LIST_HOLDER = Caller("uma", "unblinded_statistician", None)


# docs/server.md, "Roles": the assessor enters own-site data but never enrols or
# randomises; only the unblinded statistician holds the list
@pytest.mark.parametrize(
    ("caller", "writes_a", "enrols_a", "enrols_b", "holds_list"),
    [
        (ADMIN, True, True, True, False),
        (INVESTIGATOR_A, True, True, False, False),
        (ASSESSOR_A, True, False, False, False),
        (MONITOR, False, False, False, False),
        (STATISTICIAN, False, False, False, False),
        (LIST_HOLDER, False, False, False, True),
    ],
)
def test_role_table_decides_enrolment_and_the_sealed_list(
    caller: Caller, writes_a: bool, enrols_a: bool, enrols_b: bool, holds_list: bool
) -> None:
    assert caller.writes_site("A") is writes_a
    assert (caller.enrols_at("A"), caller.enrols_at("B")) == (enrols_a, enrols_b)
    assert caller.holds_list is holds_list


def test_an_assessor_needs_a_site_and_the_list_holder_cannot_be_blinded() -> None:
    from myotrial.services.access import blinded_role_problems, role_problems

    assert [p.column for p in role_problems("assessor", None)] == ["site"]
    assert role_problems("unblinded_statistician", None) == []
    assert [p.value for p in blinded_role_problems(("assessor", "unblinded_statistician"))] == [
        "unblinded_statistician"
    ]
    assert [p.value for p in blinded_role_problems(("asessor",))] == ["asessor"]
