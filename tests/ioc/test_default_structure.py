"""Views of periods after the 2025 reform open on the structure in force: 2-level Đồng Nai
for December 2026, Bình Phước's 3 levels for January 2025 (tinhso.units.selectors)."""

from __future__ import annotations

from django.test import Client


def _get(user, query: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/ioc/?{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_current_period_opens_on_dong_nai(world) -> None:
    html = _get(world.admin, "from=2026-12-01&to=2026-12-31")
    assert "cơ cấu 2 cấp" in html and "Đồng Nai" in html
    assert "cơ cấu 3 cấp" not in html.split("<h1>")[1].split("</h1>")[0]


def test_period_before_the_reform_opens_on_binh_phuoc(world) -> None:
    html = _get(world.admin, "from=2025-01-01&to=2025-01-31")
    heading = html.split("<h1>")[1].split("</h1>")[0]
    assert "Bình Phước" in heading and "cơ cấu 3 cấp" in heading


def test_an_explicit_structure_wins(world) -> None:
    heading = _get(world.admin, "from=2026-12-01&to=2026-12-31&cau_truc=3"
                   ).split("<h1>")[1].split("</h1>")[0]
    assert "cơ cấu 3 cấp" in heading
