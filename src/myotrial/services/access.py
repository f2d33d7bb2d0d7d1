"""Who may do what: the roles, site isolation and the account rules, in one place.

| role                   | patients seen | enter, correct | enrol, randomise | queries             |
|------------------------|---------------|----------------|------------------|---------------------|
| admin                  | all           | all            | all              | open, answer, close |
| investigator           | own site      | own site       | own site         | answer (own site)   |
| assessor               | own site      | own site       | no               | answer (own site)   |
| monitor                | all           | no             | no               | open, close         |
| statistician           | pseudonymised | no             | no               | no                  |
| unblinded_statistician | pseudonymised | no             | no               | no                  |
| release                | none          | no             | no               | no                  |

Only an admin manages users.

An assessor is the blinded outcome assessor of a site: they enter the visits they
assess (MMT-8, physician global) and never see the arm. The unblinded statistician
holds the sealed randomisation list: the only role that may set it up or read it, and
the one alerted when a patient is unblinded in an emergency. Which other roles are
blinded is the trial's choice (``[blinding]`` of ``trial.toml``, applied by
:mod:`myotrial.services.blinding`); an unblinded statistician never is.

Lots: only the release role records a release (the qualified person's sign-off); the
release role, monitors and admins may trace a lot to its patients.

Results by arm (the closed interim report) are for the unblinded roles only: admin,
statistician and unblinded statistician, and of those only the ones the trial does not
blind; the open (pooled) report also for monitors.

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

ROLES: tuple[str, ...] = (
    "admin",
    "investigator",
    "assessor",
    "monitor",
    "statistician",
    "unblinded_statistician",
    "release",
)
"""Every role an account can have (see the table above)."""

LIST_HOLDER = "unblinded_statistician"
"""The role that holds the sealed randomisation list (never blinded)."""
SITE_ROLES: tuple[str, ...] = ("investigator", "assessor")
"""Roles bound to one site."""

PASSWORD_MIN_LENGTH = 8
"""Shortest password accepted (NIST SP 800-63B: memorised secrets of at least 8)."""

_ALL_SITES = ("admin", "monitor")
_IDENTIFIED = ("admin", "monitor", *SITE_ROLES)
_PSEUDONYMISED = ("admin", "statistician", "monitor", LIST_HOLDER)
# the data monitoring committee's closed session, unless the trial blinds the role
_UNBLINDED = ("admin", "statistician", LIST_HOLDER)
_ENROLS = ("admin", "investigator")


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
        return self.role in SITE_ROLES and self.site == site

    def writes_site(self, site: str) -> bool:
        """Whether this caller may enter or correct data of ``site``."""
        if self.role == "admin":
            return True
        return self.role in SITE_ROLES and self.site == site

    def enrols_at(self, site: str) -> bool:
        """Whether this caller may enrol and randomise patients of ``site``."""
        return self.role == "admin" or (self.role in _ENROLS and self.site == site)

    @property
    def holds_list(self) -> bool:
        """Whether the caller may set up and read the randomisation list."""
        return self.role == LIST_HOLDER

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
        """Whether the role may read results by arm (the closed interim report), unless
        the trial blinds it (:func:`myotrial.services.blinding.sees_arm`)."""
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
    return site if role in SITE_ROLES else None


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
    if role in SITE_ROLES and not site:
        problems.append(
            Problem(
                "user",
                None,
                "site",
                site,
                f"is required for an {role}",
                "investigators and assessors see only their own site",
            )
        )
    return problems


def blinded_role_problems(roles: tuple[str, ...], source: str = "trial.toml") -> list[Problem]:
    """What is wrong with blinding ``roles`` (empty when acceptable).

    Every name must be a role, and the unblinded statistician, who holds the sealed
    list, cannot be blinded.
    """
    problems = [
        Problem(source, None, "blinding.blinded_roles", r, f"must be one of {', '.join(ROLES)}")
        for r in roles
        if r not in ROLES
    ]
    if LIST_HOLDER in roles:
        problems.append(
            Problem(
                source,
                None,
                "blinding.blinded_roles",
                LIST_HOLDER,
                "cannot be blinded",
                "the unblinded statistician holds the sealed randomisation list",
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
