"""Demo data for the sandbox and the training mode: one ward of Huế, three cells, thirty members.

Deterministic (a fixed seed; ages and probation counted from the handbook's clock), and meant
for an empty database only. The caller commits. Telegram links are not made here: the trainer
links the personas by invite or by shared contact, as a real secretary would.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .dates import local_today
from .members import Award, Discipline, DisciplineForm, Gender, Member, WorkHistory
from .party_age import add_months, award_day_on_or_after, badge_title, milestone_of
from .probation import rules as probation_rules
from .roles import RoleKind, grant
from .units import Unit, UnitKind, add_unit
from .workdays import add_working_days

SEED = 1975
CITY = "Đảng bộ thành phố Huế"
WARD = "Đảng bộ phường Phú Hội"
CELLS = ("Chi bộ Tổ dân phố 1", "Chi bộ Tổ dân phố 2", "Chi bộ Tổ dân phố 5")
STREETS = ("Lê Lợi", "Hùng Vương", "Bến Nghé", "Đội Cung", "Nguyễn Công Trứ", "Phạm Ngũ Lão", "Chu Văn An",
           "Nguyễn Tri Phương", "Lý Thường Kiệt", "Trần Quang Khải", "Ngô Quyền", "Hà Nội")
JOBS = (
    "Giáo viên Trường Tiểu học Phú Hội", "Công nhân Nhà máy Dệt Huế", "Cán bộ Sở Giáo dục tỉnh Thừa Thiên Huế",
    "Bộ đội Quân khu 4", "Y sĩ Bệnh viện Trung ương Huế", "Cán bộ Ủy ban nhân dân phường Phú Hội",
    "Nhân viên Bưu điện Huế", "Kế toán Công ty Du lịch Hương Giang", "Giáo viên Trường THPT Quốc Học",
    "Cán bộ Hội Liên hiệp Phụ nữ thành phố Huế", "Kỹ sư Công ty Điện lực Thừa Thiên Huế",
    "Cán bộ Đoàn Thanh niên phường Phú Hội", "Hưu trí, Tổ trưởng tổ dân phố",
)

# Persona keys used below; everyone else is "member".
ELDERLY, YOUNG, SECRETARY, DEPUTY, OFFICER, NEWCOMER = "elderly", "young", "secretary", "deputy", "officer", "newcomer"


@dataclass(frozen=True)
class Person:
    name: str
    gender: Gender
    born: int | None  # None: counted from today (the persona's age must hold whenever the demo runs)
    cell: int  # index into CELLS
    persona: str | None = None
    position: str | None = None
    probationary: bool = False
    exempt: bool = False


P, M, F = Person, Gender.male, Gender.female
PEOPLE: tuple[Person, ...] = (
    # Chi bộ Tổ dân phố 1
    P("Nguyễn Thị Hồng Nhung", F, 1962, 0, SECRETARY, "Bí thư chi bộ"),
    P("Hoàng Văn Dũng", M, 1958, 0, DEPUTY, "Phó bí thư chi bộ"),
    P("Lê Văn Bảy", M, None, 0, ELDERLY, "Cán bộ hưu trí"),
    P("Phan Minh Khôi", M, None, 0, YOUNG, "Kỹ sư phần mềm", probationary=True),
    P("Tôn Nữ Thị Lài", F, 1940, 0, None, "Cán bộ hưu trí", exempt=True),
    P("Trần Văn Sáu", M, 1947, 0, None, "Cựu chiến binh"),
    P("Nguyễn Thị Mai", F, 1955, 0, None, "Tổ trưởng tổ dân phố"),
    P("Võ Đình Quang", M, 1968, 0, None, "Giáo viên"),
    P("Đặng Thị Hương", F, 1972, 0, None, "Y sĩ"),
    P("Bùi Văn Hòa", M, 1951, 0, None, "Cán bộ hưu trí"),
    P("Lê Thị Kim Oanh", F, 1981, 0, None, "Kế toán"),
    # Chi bộ Tổ dân phố 2
    P("Trần Văn Lâm", M, 1960, 1, SECRETARY, "Bí thư chi bộ"),
    P("Đặng Thị Thu Hà", F, 1985, 1, NEWCOMER, "Giáo viên"),
    P("Ngô Văn Tài", M, 1944, 1, None, "Cựu chiến binh"),
    P("Huỳnh Thị Lan", F, 1953, 1, None, "Cán bộ hưu trí"),
    P("Phạm Văn Hùng", M, 1966, 1, None, "Tổ phó tổ dân phố"),
    P("Dương Thị Ngọc", F, 1977, 1, None, "Nhân viên bưu điện"),
    P("Hồ Văn Thắng", M, 1949, 1, None, "Cán bộ hưu trí"),
    P("Nguyễn Văn Phước", M, 1990, 1, None, "Công an khu vực", probationary=True),
    P("Lý Thị Thanh", F, 1964, 1, None, "Buôn bán nhỏ"),
    P("Trương Công Minh", M, 1957, 1, None, "Cán bộ hưu trí"),
    # Chi bộ Tổ dân phố 5
    P("Võ Văn Tùng", M, 1963, 2, SECRETARY, "Bí thư chi bộ"),
    P("Huỳnh Thị Mai", F, 1975, 2, OFFICER, "Đảng ủy viên, Trưởng Ban Xây dựng Đảng Đảng ủy phường"),
    P("Nguyễn Đình Chiến", M, 1942, 2, None, "Cựu chiến binh"),
    P("Trần Thị Bích Liên", F, 1950, 2, None, "Cán bộ hưu trí"),
    P("Lê Quang Vinh", M, 1970, 2, None, "Kỹ sư điện"),
    P("Phan Thị Thu Trang", F, 1995, 2, None, "Cán bộ Đoàn phường", probationary=True),
    P("Tôn Thất Bình", M, 1946, 2, None, "Cán bộ hưu trí"),
    P("Đỗ Thị Hạnh", F, 1959, 2, None, "Tổ trưởng tổ dân phố"),
    P("Nguyễn Hữu Lộc", M, 1983, 2, None, "Giáo viên"),
)
ELDERLY_AGE = 82
YOUNG_AGE = 33
# The member who received the one reprimand (khiển trách) of the demo.
REPRIMANDED = "Phạm Văn Hùng"
# The member who reaches 50 years of party age shortly before the next award day: due that badge then.
BADGE_50 = "Trần Thị Bích Liên"
# The member whose birthday comes within the week (issue 17): the secretary's to-do lists it.
BIRTHDAY_SOON = "Bùi Văn Hòa"
BIRTHDAY_IN = 3  # days from today


class DemoNotEmpty(RuntimeError):
    """The demo only goes into an empty database."""


@dataclass(frozen=True)
class Persona:
    """Someone a trainer can play: who they are, in which cell, with which role."""

    member_id: int
    full_name: str
    phone: str | None
    cell: str
    role: str  # "member", or a RoleKind value: "secretary", "committee"


@dataclass(frozen=True)
class Demo:
    elderly_member: Persona  # over 75, cell 1
    young_member: Persona  # under 40, probationary, cell 1
    secretary: Persona  # of cell 1
    committee_officer: Persona  # of the ward
    newcomer: Persona  # cell 2, not linked yet: links by sharing the phone number in the list
    city: int
    ward: int
    cells: dict[str, int]  # cell name -> unit id, in the order of CELLS


async def load_demo(session: AsyncSession) -> Demo:
    """Create the demo ward; raises DemoNotEmpty when the database already has units."""
    if await session.scalar(select(Unit.id).limit(1)) is not None:
        raise DemoNotEmpty("the database already holds units")
    rng = random.Random(SEED)
    today = local_today()
    city = await add_unit(session, CITY, UnitKind.city)
    ward = await add_unit(session, WARD, UnitKind.ward, city)
    cells = [await add_unit(session, name, UnitKind.cell, ward) for name in CELLS]

    phones, cards = _unique_numbers(rng, len(PEOPLE))
    members = [_member(rng, person, cells[person.cell].id, phone, card, today)
               for person, phone, card in zip(PEOPLE, phones, cards, strict=True)]
    session.add_all(members)
    await session.flush()

    roles = {m.id: "member" for m in members}
    personas: dict[str, Member] = {}
    for person, member in zip(PEOPLE, members, strict=True):
        if person.persona:
            personas.setdefault(person.persona, member)  # the first secretary listed is cell 1's
        role = {SECRETARY: RoleKind.secretary, DEPUTY: RoleKind.deputy}.get(person.persona or "")
        if role is not None:
            await grant(session, member.id, member.cell_id, role)
            roles[member.id] = role.value
    officer = personas[OFFICER]
    await grant(session, officer.id, ward.id, RoleKind.committee)
    roles[officer.id] = RoleKind.committee.value
    cell_names = {c.id: c.name for c in cells}

    def persona(key: str) -> Persona:
        m = personas[key]
        return Persona(m.id, m.full_name, m.phone, cell_names[m.cell_id], roles[m.id])

    return Demo(
        elderly_member=persona(ELDERLY),
        young_member=persona(YOUNG),
        secretary=persona(SECRETARY),
        committee_officer=persona(OFFICER),
        newcomer=persona(NEWCOMER),
        city=city.id,
        ward=ward.id,
        cells={c.name: c.id for c in cells},
    )


def _unique_numbers(rng: random.Random, n: int) -> tuple[list[str], list[str]]:
    phones: list[str] = []
    cards: list[str] = []
    while len(phones) < n:
        phone = f"+849{rng.choice('01')}{rng.randrange(10**7):07d}"
        if phone not in phones:
            phones.append(phone)
    while len(cards) < n:
        card = f"07.{rng.randrange(10_000, 99_999):06d}"
        if card not in cards:
            cards.append(card)
    return phones, cards


def _member(rng: random.Random, person: Person, cell_id: int, phone: str, card: str, today: date) -> Member:
    born = _birth_date(rng, person, today)
    joined, official = _party_dates(rng, person, born, today)
    member = Member(
        full_name=person.name,
        birth_date=born,
        gender=person.gender,
        phone=phone,
        card_number=card,
        joined_on=joined,
        official_on=official,
        cell_id=cell_id,
        position=person.position,
        address=_address(rng),
        exempt=person.exempt,
        work_history=_work_history(rng, person, born, today),
        awards=_awards(rng, person, joined, today),
        disciplines=_discipline(person),
    )
    if person.name == BADGE_50:
        _due_fifty_years(member, today)
    if person.persona == YOUNG:
        _conversion_due_soon(member, today)
    if person.name == BIRTHDAY_SOON:
        _birthday_soon(member, born, today)
    return member


def _birthday_soon(member: Member, born: date, today: date) -> None:
    """Born in the year drawn, on the day BIRTHDAY_IN days from today (29/02 of a common year on 28/02): the
    secretary's to-do lists the birthday this week (issue 17). Draws nothing from the demo's random."""
    day = today + timedelta(days=BIRTHDAY_IN)
    member.birth_date = add_months(day, -12 * (day.year - born.year))


CONVERSION_DUE_IN = 20  # days: the young member's conversion meeting falls due within the to-do's window


def _conversion_due_soon(member: Member, today: date) -> None:
    """Admitted twelve months and a few weeks ago: month 12 has passed and the conversion meeting is due
    about CONVERSION_DUE_IN days from today, so the secretary's to-do and panel list him (issue 17). Draws
    nothing from the demo's random."""
    rules = probation_rules()
    month12 = add_working_days(today + timedelta(days=CONVERSION_DUE_IN), -rules.conversion_working_days)
    member.joined_on, member.official_on = add_months(month12, -rules.months), None


def _due_fifty_years(member: Member, today: date) -> None:
    """Admitted 50 years and 20 days before the next award day, with the badges below 50 given: the
    committee's list shows her due the 50-year badge (issue 17). Draws nothing from the demo's random."""
    award_day = award_day_on_or_after(today)
    joined = add_months(award_day, -600) - timedelta(days=20)
    member.joined_on, member.official_on = joined, joined + timedelta(days=365)
    others = [(a.awarded_on, a.title, a.decision) for a in member.awards if milestone_of(a.title) is None]
    badges = [(award_day_on_or_after(add_months(joined, 12 * years)), badge_title(years), f"{100 + years}-QĐ/TU")
              for years in (30, 40, 45)]
    member.awards = [Award(position_no=n, awarded_on=on, title=title, decision=decision)
                     for n, (on, title, decision) in enumerate(sorted(badges + others, key=lambda a: a[0] or today))]


def _birth_date(rng: random.Random, person: Person, today: date) -> date:
    age = {ELDERLY: ELDERLY_AGE, YOUNG: YOUNG_AGE}.get(person.persona or "")
    if age is not None:
        year = today.year - age - 1
    elif person.born is not None:
        year = person.born
    else:
        raise ValueError(f"demo person {person.name!r} has neither a birth year nor a persona's age")
    return date(year, rng.randint(1, 12), rng.randint(1, 28))


def _party_dates(rng: random.Random, person: Person, born: date, today: date) -> tuple[date, date | None]:
    if person.probationary:
        # Admitted some months ago: still within the twelve months of probation.
        return today - timedelta(days=rng.randint(60, 300)), None
    joined = date(born.year + rng.randint(20, 30), rng.randint(1, 12), rng.randint(1, 28))
    joined = min(joined, today - timedelta(days=800))
    return joined, joined + timedelta(days=365 + rng.randint(0, 20))


def _address(rng: random.Random) -> str:
    street = rng.choice(STREETS)
    if rng.random() < 0.3:
        return f"Kiệt {rng.randint(2, 60)} {street}, phường Phú Hội, thành phố Huế"
    return f"{rng.randint(1, 180)} {street}, phường Phú Hội, thành phố Huế"


def _work_history(rng: random.Random, person: Person, born: date, today: date) -> list[WorkHistory]:
    if person.persona != ELDERLY and rng.random() < 0.15:
        return []  # a few members never filled it in
    count = rng.randint(2, 4)
    start = born.year + rng.randint(18, 23)
    end = min(today.year, born.year + 60)
    years = sorted(rng.sample(range(start + 1, max(end, start + count + 1)), count - 1))
    bounds = [start, *years, end]
    jobs = rng.sample(JOBS, count)
    entries = []
    for n, (job, begin, finish) in enumerate(zip(jobs, bounds[:-1], bounds[1:], strict=True)):
        last = n == count - 1 and born.year + 60 > today.year
        entries.append(WorkHistory(position_no=n, period_from=str(begin), period_to="nay" if last else str(finish),
                                   description=job))
    return entries


def _awards(rng: random.Random, person: Person, joined: date, today: date) -> list[Award]:
    awards = []
    for years in (30, 40, 45, 50, 55, 60, 65, 70, 75):
        # Badges are presented on the Party's founding day, 3 February.
        on = date(joined.year + years, 2, 3)
        if on <= today:
            # Only the 30, 40, 50 and 60 years' decisions draw from the random (the rest of the demo stays as it was).
            number = rng.randint(100, 999) if years in (30, 40, 50, 60) else (joined.toordinal() + years) % 900 + 100
            awards.append((on, badge_title(years), f"{number}-QĐ/TU"))
    if not person.probationary and rng.random() < 0.4:
        year = rng.randint(max(joined.year + 2, 2010), today.year - 1)
        awards.append((date(year, 12, rng.randint(10, 28)), "Giấy khen của Đảng ủy phường",
                       f"{rng.randint(10, 99)}-QĐ/ĐU"))
    awards.sort()
    return [Award(position_no=n, awarded_on=on, title=title, decision=decision)
            for n, (on, title, decision) in enumerate(awards)]


def _discipline(person: Person) -> list[Discipline]:
    if person.name != REPRIMANDED:
        return []
    return [Discipline(position_no=0, decided_on=date(2023, 6, 15), form=DisciplineForm.reprimand,
                       reason="Vắng sinh hoạt chi bộ ba kỳ liên tiếp không có lý do")]
