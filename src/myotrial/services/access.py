"""Who may do what: the roles, site isolation and the account rules, in one place.

| role          | patients seen    | enter / correct data | queries              | users  |
|---------------|------------------|----------------------|----------------------|--------|
| admin         | all              | all                  | open, answer, close  | manage |
| investigator  | own site only    | own site only        | answer (own site)    |        |
| monitor       | all              | no                   | open, close          |        |
| statistician  | pseudonymised    | no                   | no                   |        |
| release       | none             | no                   | no                   |        |

Lots: only the release role records a release (the qualified person's sign-off); the
release role, monitors and admins may trace a lot to its patients.

Results by arm (the closed interim report) are for the unblinded roles only: admin
and statistician; the open (pooled) report also for monitors.

A patient of another site is reported as not found (404), never as forbidden, so that
its existence does not leak across sites.

An account needs a non-empty user name, one of :data:`ROLES`, a site when it is an
investigator's, and a password of at least :data:`PASSWORD_MIN_LENGTH` characters
(NIST SP 800-63B, section 5.1.1.2: at least 8 characters, no composition rules).

This module is plain Python: the web layer, the command line and the use cases all ask
it, and it imports neither the web framework nor the password hasher.
"""

from __future__ import annotations

from dataclasses import dataclass

from myotrial.errors import AccessDeniedError, Problem

ROLES: tuple[str, ...] = ("admin", "investigator", "monitor", "statistician", "release")
"""Every role an account can have (see the table above)."""

PASSWORD_MIN_LENGTH = 8
"""Shortest password accepted (NIST SP 800-63B: memorised secrets of at least 8)."""

_ALL_SITES = ("admin", "monitor")
_IDENTIFIED = ("admin", "monitor", "investigator")
_PSEUDONYMISED = ("admin", "statistician", "monitor")
_UNBLINDED = ("admin", "statistician")  # the data monitoring committee's closed session


@dataclass(frozen=True)
class Caller:
    """The authenticated user a use case acts for.

    Parameters
    ----------
    username : str
        The account name, written to the audit trail.
    role : str
        One of :data:`ROLES`.
    site : str or None
        The investigator's site; ``None`` for the other roles.
    """

    username: str
    role: str
    site: str | None

    @property
    def sees_all_sites(self) -> bool:
        """Whether identified data of every site may be shown (admins and monitors)."""
        return self.role in _ALL_SITES

    @property
    def site_filter(self) -> str | None:
        """The one site whose patients are listed; ``None`` means every site."""
        return site_of_role(self.role, self.site)

    def sees_site(self, site: str) -> bool:
        """Whether identified patient data of ``site`` may be shown to this caller."""
        if self.sees_all_sites:
            return True
        return self.role == "investigator" and self.site == site

    def writes_site(self, site: str) -> bool:
        """Whether this caller may enter or correct data of ``site``."""
        if self.role == "admin":
            return True
        return self.role == "investigator" and self.site == site

    @property
    def reads_identified(self) -> bool:
        """Whether the caller may read patients by their codes (not statisticians)."""
        return self.role in _IDENTIFIED

    @property
    def reads_queries(self) -> bool:
        """Whether the caller takes part in data queries (everyone but statisticians)."""
        return self.role in _IDENTIFIED

    @property
    def raises_queries(self) -> bool:
        """Whether the caller may open and close data queries."""
        return self.role in _ALL_SITES

    def answers_queries_of(self, site: str) -> bool:
        """Whether the caller may answer a query about a patient of ``site``."""
        return self.writes_site(site)

    @property
    def manages_users(self) -> bool:
        """Whether the caller may add, disable and list users."""
        return self.role == "admin"

    @property
    def reads_unblinded(self) -> bool:
        """Whether the caller may read results by arm (the closed interim report)."""
        return self.role in _UNBLINDED

    @property
    def releases_lots(self) -> bool:
        """Whether the caller may record the release of a lot (the release role only)."""
        return self.role == "release"

    @property
    def traces_lots(self) -> bool:
        """Whether the caller may trace a lot to its patients and recall it."""
        return self.role in ("release", *_ALL_SITES)

    @property
    def reads_pseudonymised(self) -> bool:
        """Whether the caller may read the pseudonymised export."""
        return self.role in _PSEUDONYMISED


def site_of_role(role: str, site: str | None) -> str | None:
    """The site an account of ``role`` is bound to: an investigator's own, else none.

    The other roles see every site (admin, monitor) or no identified data (statistician),
    so a site given for them means nothing.
    """
    return site if role == "investigator" else None


def require(allowed: bool, action: str) -> None:
    """Refuse an action the caller's role does not allow.

    Parameters
    ----------
    allowed : bool
        The answer of one of the :class:`Caller` rules.
    action : str
        What was refused, as the message ends: ``"only an admin may add users"``.

    Raises
    ------
    AccessDeniedError
        When ``allowed`` is false.
    """
    if not allowed:
        raise AccessDeniedError(action)


def require_user_manager(caller: Caller | None, action: str) -> None:
    """Refuse account management to anyone but an admin.

    ``caller`` ``None`` is the command line, run by whoever administers the machine.

    Raises
    ------
    AccessDeniedError
        When the caller is not an admin.
    """
    if caller is not None:
        require(caller.manages_users, f"only an admin may {action}")


def password_problems(password: str, file: str = "user") -> list[Problem]:
    """What is wrong with a new password (empty when it is acceptable)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        rule = f"needs at least {PASSWORD_MIN_LENGTH} characters"
        return [Problem(file, None, "password", None, rule)]
    return []


def role_problems(role: str, site: str | None) -> list[Problem]:
    """What is wrong with giving an account ``role`` at ``site`` (empty when acceptable)."""
    problems: list[Problem] = []
    if role not in ROLES:
        problems.append(Problem("user", None, "role", role, f"must be one of {', '.join(ROLES)}"))
    if role == "investigator" and not site:
        problems.append(
            Problem(
                "user",
                None,
                "site",
                site,
                "is required for an investigator",
                "investigators see only their own site",
            )
        )
    return problems


def account_problems(username: str, password: str, role: str, site: str | None) -> list[Problem]:
    """Every problem with a new account (empty when it may be created).

    Parameters
    ----------
    username, password, role, site : str
        The account asked for; ``site`` may be ``None`` except for an investigator.

    Returns
    -------
    list of Problem
        One per broken rule: role not in :data:`ROLES`, investigator without a site,
        password too short, empty user name. The password itself is never repeated.
    """
    problems = role_problems(role, site)
    problems.extend(password_problems(password))
    if not username.strip():
        problems.append(Problem("user", None, "username", username, "cannot be empty"))
    return problems
