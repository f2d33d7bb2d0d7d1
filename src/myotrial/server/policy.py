"""Who may do what: roles and site isolation, in one place.

| role          | patients seen    | enter / correct data | queries              | users  |
|---------------|------------------|----------------------|----------------------|--------|
| admin         | all              | all                  | open, answer, close  | manage |
| investigator  | own site only    | own site only        | answer (own site)    |        |
| monitor       | all              | no                   | open, close          |        |
| statistician  | pseudonymised    | no                   | no                   |        |

A patient of another site is reported as not found (404), never as forbidden, so that
its existence does not leak across sites.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """The authenticated user of a request."""

    username: str
    role: str
    site: str | None

    def sees_site(self, site: str) -> bool:
        """Whether identified patient data of ``site`` may be shown to this caller."""
        if self.role in ("admin", "monitor"):
            return True
        return self.role == "investigator" and self.site == site

    def writes_site(self, site: str) -> bool:
        """Whether this caller may enter or correct data of ``site``."""
        if self.role == "admin":
            return True
        return self.role == "investigator" and self.site == site

    @property
    def reads_identified(self) -> bool:
        return self.role in ("admin", "monitor", "investigator")

    @property
    def raises_queries(self) -> bool:
        return self.role in ("admin", "monitor")

    def answers_queries_of(self, site: str) -> bool:
        return self.writes_site(site)

    @property
    def manages_users(self) -> bool:
        return self.role == "admin"

    @property
    def reads_pseudonymised(self) -> bool:
        return self.role in ("admin", "statistician", "monitor")
