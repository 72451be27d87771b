"""Keyset pagination: walking forwards or backwards visits every row exactly once, in order,
whatever the sort values (NULLs included)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinhso.accounts.models import User
from tinhso.portal.paging import BadCursor, _encode, keyset_paginate

pytestmark = pytest.mark.django_db
BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _expected(rows: list[User], descending: bool) -> list[int]:
    present = sorted((r for r in rows if r.last_login is not None),
                     key=lambda r: (r.last_login, r.pk), reverse=descending)
    nulls = sorted((r for r in rows if r.last_login is None), key=lambda r: r.pk,
                   reverse=descending)
    return [r.pk for r in present + nulls]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offsets=st.lists(st.one_of(st.none(), st.integers(0, 5)), min_size=0, max_size=14),
       per_page=st.integers(1, 5), descending=st.booleans())
def test_walks_cover_every_row_once_in_order(offsets, per_page, descending):
    User.objects.all().delete()
    rows = [User.objects.create(username=f"u{i}",
                                last_login=None if o is None else BASE + dt.timedelta(hours=o))
            for i, o in enumerate(offsets)]
    sort = "-last_login" if descending else "last_login"
    expected = _expected(rows, descending)

    seen: list[int] = []
    page = keyset_paginate(User.objects.all(), sort=sort, per_page=per_page)
    assert not page.has_previous
    seen += [r.pk for r in page.rows]
    last = page
    while page.has_next:
        page = keyset_paginate(User.objects.all(), sort=sort, per_page=per_page,
                               after=page.next_cursor)
        assert page.has_previous
        seen += [r.pk for r in page.rows]
        last = page
    assert seen == expected

    # And back again from the last page to the first.
    back: list[int] = [r.pk for r in last.rows]
    page = last
    while page.has_previous:
        page = keyset_paginate(User.objects.all(), sort=sort, per_page=per_page,
                               before=page.previous_cursor)
        back = [r.pk for r in page.rows] + back
    assert back == expected


def test_bad_cursors_are_refused(db):
    with pytest.raises(BadCursor):
        keyset_paginate(User.objects.all(), sort="last_login", after="not-base64!")
    other_sort = _encode(None, 1, "-last_login")
    with pytest.raises(BadCursor):
        keyset_paginate(User.objects.all(), sort="last_login", after=other_sort)
