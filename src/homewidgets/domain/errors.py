"""The one exception tree of the project; HTTP status codes are mapped once, at the edge.

    HomewidgetsError
    ├── InvalidInput           (422; 413 when too_large; 400 malformed JSON) bad request data
    │   └── InvalidWidget      the same, for a pushed widget or SDUI content
    ├── InvalidUserId          (422) a user id that is not a UUID
    ├── UnknownProduct         (404) the product is not in the registry
    ├── Unauthorized           (401) no or malformed bearer token
    ├── Forbidden              (403) a token of another product, or another user's JWT
    ├── StaleVersion           (409) a push older than the stored version
    ├── RateLimited            (429) a product pushes faster than its limit
    ├── StoreUnavailable       (503 on the push path) L2 could not be reached in time
    └── ProductUnavailable     (worker only) a product backend failed, timed out or is shed
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self


class HomewidgetsError(Exception):
    """Root of every error the service raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (a JSON pointer, RFC 6901) and why."""

    pointer: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "reason": self.reason}


class InvalidInput(HomewidgetsError):
    """Request data breaks its schema; `problems` says where (JSON pointer) and why."""

    def __init__(self, problems: list[Problem], *, too_large: bool = False) -> None:
        self.problems = problems
        self.too_large = too_large
        super().__init__("; ".join(f"{p.pointer or '/'}: {p.reason}" for p in problems))

    def under(self, prefix: str) -> Self:
        """The same problems with every pointer moved below `prefix` (e.g. `/items/3`)."""
        return type(self)(
            [Problem(prefix + p.pointer, p.reason) for p in self.problems],
            too_large=self.too_large,
        )


class InvalidWidget(InvalidInput):
    """The pushed body or SDUI content breaks the schema."""


class InvalidUserId(HomewidgetsError):
    """A user id that is not a UUID."""


class UnknownProduct(HomewidgetsError):
    """The product id is not in the registry."""


class Unauthorized(HomewidgetsError):
    """No bearer token, or one that no product owns."""


class Forbidden(HomewidgetsError):
    """A valid credential that does not grant this action."""


class StaleVersion(HomewidgetsError):
    """A push whose version is older than the one stored; nothing was changed."""

    def __init__(self, stored_version: int) -> None:
        self.stored_version = stored_version
        super().__init__(f"a newer version is stored: {stored_version}")


class StoreUnavailable(HomewidgetsError):
    """L2 (Redis/Valkey) did not answer in time or refused the connection."""


class ProductUnavailable(HomewidgetsError):
    """A product backend did not answer usefully, or its circuit breaker is open."""


class RateLimited(HomewidgetsError):
    """A product exceeded its push rate; retry after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"push rate limit exceeded; retry after {retry_after:.1f} s")
