"""Working days in Vietnam (issue 17): the `holidays` package's Vietnamese calendar checked against the
official public holidays of 2025–2027 (Tết and Giỗ Tổ by the lunar calendar), and the counting of working
days across Tết, a swapped Saturday and a weekend. ⚠ marks days not yet confirmed by an announcement."""
from __future__ import annotations

from datetime import date

import holidays
import pytest

from models import workdays
from models.workdays import add_working_days, is_working_day, working_days_between

D = date
# The statutory days (Labour Code 2019 art. 112; 2/9 with one adjacent day since 2025) as announced:
OFFICIAL = {
    2025: {  # Tết Ất Tỵ: mùng 1 = 29/01/2025; Giỗ Tổ 10/3 Ất Tỵ = 07/04/2025
        D(2025, 1, 1), D(2025, 1, 27), D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31),
        D(2025, 4, 7), D(2025, 4, 30), D(2025, 5, 1), D(2025, 5, 2), D(2025, 9, 1), D(2025, 9, 2),
    },
    2026: {  # Tết Bính Ngọ: mùng 1 = 17/02/2026, off Monday 16/2 to Friday 20/2; Giỗ Tổ = 26/04 (Sunday) → 27/4
        D(2026, 1, 1), D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20),
        D(2026, 4, 27), D(2026, 4, 30), D(2026, 5, 1), D(2026, 9, 1), D(2026, 9, 2),
    },
    2027: {  # ⚠ not announced yet: Tết Đinh Mùi mùng 1 = 06/02/2027 (a Saturday); Giỗ Tổ = 16/04/2027;
        # 1/5 a Saturday → Monday 3/5; 2/9 Thursday with Friday 3/9
        D(2027, 1, 1), D(2027, 2, 4), D(2027, 2, 5), D(2027, 2, 8), D(2027, 2, 9), D(2027, 2, 10),
        D(2027, 4, 16), D(2027, 4, 30), D(2027, 5, 3), D(2027, 9, 2), D(2027, 9, 3),
    },
}
# ⚠ in the package, not confirmed here: 31/8/2026 (swapped with 22/8) and 24/11 Ngày Văn hoá Việt Nam.
UNCONFIRMED = {D(2026, 8, 31), D(2026, 11, 24), D(2027, 11, 24)}


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_the_package_has_the_official_weekday_holidays(year):
    package = {d for d in holidays.country_holidays("VN", years=year) if d.weekday() < 5}
    assert OFFICIAL[year] <= package, sorted(OFFICIAL[year] - package)
    assert package - OFFICIAL[year] <= UNCONFIRMED, sorted(package - OFFICIAL[year] - UNCONFIRMED)
    assert {d for d in workdays.public_holidays(year) if d.weekday() < 5} >= OFFICIAL[year]


def test_tet_by_the_lunar_calendar():
    tet = {year: next(d for d, name in holidays.country_holidays("VN", years=year).items()
                      if name == "Lunar New Year") for year in OFFICIAL}
    assert tet == {2025: D(2025, 1, 29), 2026: D(2026, 2, 17), 2027: D(2027, 2, 6)}


def test_working_days():
    assert not is_working_day(D(2026, 2, 17))  # mùng 1 Tết
    assert not is_working_day(D(2026, 2, 14))  # a Saturday
    assert is_working_day(D(2025, 4, 26))  # the Saturday worked for 2/5/2025 (rules file)
    assert is_working_day(D(2026, 2, 23))
    assert add_working_days(D(2026, 2, 12), 1) == D(2026, 2, 13)
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)  # over the weekends and Tết
    assert add_working_days(D(2026, 2, 13), 0) == D(2026, 2, 13)
    # 30 working days from Monday 02/02/2026: six weeks (16/3) and the week of Tết → 23/03/2026
    assert add_working_days(D(2026, 2, 2), 30) == D(2026, 3, 23)
    assert add_working_days(D(2026, 3, 23), -30) == D(2026, 2, 2)
    assert working_days_between(D(2026, 2, 2), D(2026, 3, 23)) == 30
    assert working_days_between(D(2026, 3, 23), D(2026, 2, 2)) == -30
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 22)) == 0
    for a, n in ((D(2025, 1, 20), 10), (D(2026, 4, 24), 7), (D(2027, 2, 1), 30), (D(2025, 4, 25), 3)):
        assert working_days_between(a, add_working_days(a, n)) == n


def test_rules_file(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text('version = 2\nname = "x"\nextra_days_off = ["2027-02-11"]\n', encoding="utf-8")
    loaded = workdays.load_rules(path)
    assert loaded.extra_days_off == frozenset({D(2027, 2, 11)}) and loaded.working_saturdays == frozenset()
    assert workdays.rules().version == 1
