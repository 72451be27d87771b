"""Moved to ``tinhso.core.ratelimit`` (shared by the pages and the API); kept as an alias."""

from tinhso.core.ratelimit import (  # noqa: F401
    FailureLimit,
    Limit,
    RateLimit,
    RateLimited,
    client_address,
    login_account_limit,
    login_address_limit,
    tracking_limit,
)
