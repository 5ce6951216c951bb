"""/profile: a member's own record, laid out for a phone."""
from __future__ import annotations

from collections.abc import Sequence

import phonenumbers
from telegram.ext import CommandHandler, MessageHandler, filters

from models import party_age, probation, review, transfers
from models.dates import local_today
from models.members import Award, Discipline, ProfileView, WorkHistory, load_profile
from models.party_age import Standing
from models.probation import Deadlines

from ..badges.views import standing_lines
from ..feature import Command, Feature, MenuButton
from ..i18n import fmt_date
from ..keyboards import correction_button, menu_pattern
from ..probation.views import profile_line
from ..transfers.views import profile_lines
from ..turn import Turn, esc, member_view


def display_phone(e164: str | None) -> str | None:
    if not e164:
        return None
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "VN"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


async def profile_text(turn: Turn, view: ProfileView) -> str:
    """The whole profile of `view`'s member, with what the year's rules say of them (party age and badge,
    probation and its helper, transfers). All but an open transfer's details come with the view (load_profile)."""
    member = view.member
    today = local_today()
    standing = party_age.standing_of(view, today)
    deadlines = probation.deadlines_of(member.joined_on, member.official_on, member.ceremony_on, today)
    if view.open_transfer:
        moves = await transfers.history(turn.session, member.id)
    else:
        moves = transfers.History(list(view.past_cells), None, "")
    return render_profile(turn, view, standing, deadlines, moves,
                          helper=view.helper if deadlines is not None else None, helped=view.helped,
                          levels=view.levels)


def render_profile(turn: Turn, view: ProfileView, standing: Standing | None = None,
                   deadlines: Deadlines | None = None, moves: transfers.History | None = None, *,
                   helper: str | None = None, helped: Sequence[str] = (),
                   levels: Sequence[tuple[int, review.Level]] = ()) -> str:
    """The whole profile as HTML; every value from the database is escaped. `standing`: the party age and
    next badge (models/party_age.py), under the admission dates; `deadlines`, a probationary member's next
    deadline (models/probation.py), under "Ngày chính thức"; `moves`: the cells left and the transfer under way
    (models/transfers.py), under the cell; `levels`: the last years' review results (models/review), newest first."""
    t = turn.t
    member = view.member

    def line(key: str, value) -> str | None:
        return f"{t(key)}: {esc(value)}" if value not in (None, "") else None

    personal = [
        f"👤 <b>{t('profile.comrade', name=esc(member.full_name))}</b>",
        line("profile.birth_date", fmt_date(member.birth_date) if member.birth_date else None),
        line("profile.gender", t(f"gender.{member.gender.value}") if member.gender else None),
        line("profile.phone", display_phone(member.phone)),
        line("profile.address", member.address),
    ]
    official = fmt_date(member.official_on) if member.official_on else t("profile.probationary")
    party = [
        f"🏛 <b>{t('profile.party_section')}</b>",
        line("profile.card_number", member.card_number),
        line("profile.joined_on", fmt_date(member.joined_on) if member.joined_on else None),
        line("profile.official_on", official),
        profile_line(turn.lang, deadlines) if deadlines is not None else None,
        t("probation.profile_helper", name=esc(helper)) if helper else None,
        t("probation.profile_helps", names=", ".join(esc(n) for n in helped)) if helped else None,
        *(standing_lines(turn, standing) if standing is not None else ()),
        line("profile.cell", member.cell.name),
        *(profile_lines(turn, moves) if moves is not None else ()),
        line("profile.committee", " › ".join(reversed(view.units[:-1])) if len(view.units) > 1 else None),
        line("profile.position", member.position),
    ]
    if member.suspended_on is not None:
        party.append(t("profile.suspended", day=fmt_date(member.suspended_on)))
    if member.exempt:
        party.append(t("profile.exempt"))
    for kind, unit_name in view.roles:
        party.append(t("profile.role", role=t(f"role.{kind.value}"), unit=esc(unit_name)))
    sections = ["\n".join(x for x in personal if x), "\n".join(x for x in party if x)]
    if levels:
        sections.append("\n".join([f"📋 <b>{t('profile.review_levels')}</b>",
                                    *(t("profile.review_level", year=year, level=t(f"review.level.{level.value}"))
                                      for year, level in levels)]))
    for icon, key, entries, bullet in (("📜", "profile.work_history", view.work_history, _work),
                                       ("🏅", "profile.awards", view.awards, _award),
                                       ("⚖️", "profile.discipline", view.disciplines, _discipline)):
        if entries:
            sections.append("\n".join([f"{icon} <b>{t(key)}</b>", *(bullet(turn, e) for e in entries)]))
    return "\n\n".join(sections)


def _work(turn: Turn, w: WorkHistory) -> str:
    period = "–".join(p for p in (w.period_from, w.period_to) if p) or "…"
    return f"• {esc(period)}: {esc(w.description)}"


def _award(turn: Turn, a: Award) -> str:
    when = f"{fmt_date(a.awarded_on)}: " if a.awarded_on else ""
    decision = f" ({esc(a.decision)})" if a.decision else ""
    return f"• {when}{esc(a.title)}{decision}"


def _discipline(turn: Turn, d: Discipline) -> str:
    when = f"{fmt_date(d.decided_on)}: " if d.decided_on else ""
    reason = f" — {esc(d.reason)}" if d.reason else ""
    return f"• {when}{turn.t(f'discipline.{d.form.value}')}{reason}"


@member_view
async def my_profile(turn: Turn):
    view = await load_profile(turn.session, turn.actor.member_id)
    turn.reply(await profile_text(turn, view), correction_button(turn.lang))


def register(app) -> None:
    app.add_handler(CommandHandler("profile", my_profile))
    app.add_handler(MessageHandler(filters.Regex(menu_pattern("menu.profile")), my_profile))


FEATURE = Feature("profile", register=register, commands=(Command("profile", 20),),
                  menu=(MenuButton("menu.profile", 10),))
