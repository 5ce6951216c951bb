"""How feedback looks: an item's button and card, its content in a line, what it is about."""
from __future__ import annotations

from telegram import InlineKeyboardButton

from models import feedback as fb
from models.callback_data import Codec
from models.dates import VIETNAM
from models.feedback import FeedbackKind, FeedbackStatus

from ..i18n import fmt_date, t
from ..steps import refuse
from ..turn import Turn, esc

EXCERPT = 40
STATUS_ICON = {FeedbackStatus.new: "🆕", FeedbackStatus.seen: "👁", FeedbackStatus.answered: "✅",
               FeedbackStatus.closed: "🔒"}


def tz(turn: Turn):
    return turn.services.timezone or VIETNAM


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def minutes_seconds(seconds: int | None) -> str:
    seconds = seconds or 0
    return f"{seconds // 60}:{seconds % 60:02d}"


def content_label(lang: str, kind: FeedbackKind, body: str | None, duration: int | None, limit: int = EXCERPT) -> str:
    """Plain text (buttons are not parsed): "🎤 0:45", "🖼 caption…", or the text itself."""
    if kind is FeedbackKind.voice:
        return f"🎤 {t(lang, 'feedback.voice')} {minutes_seconds(duration)}"
    if kind is FeedbackKind.photo:
        return f"🖼 {excerpt(body, limit) if body else t(lang, 'feedback.photo')}"
    return excerpt(body, limit)


def item_button(turn: Turn, item: fb.FeedbackItem, codec: Codec, cell_name: str | None = None) -> list[InlineKeyboardButton]:
    when = item.created_at.astimezone(tz(turn)).strftime("%d/%m")
    parts = [f"{STATUS_ICON[item.status]} {when}"]
    if cell_name:
        parts.append(cell_name)
    if item.anonymous:
        parts.append("🕶")
    parts.append(content_label(turn.lang, item.kind, item.body, item.duration))
    return [InlineKeyboardButton(" · ".join(parts)[:60], callback_data=codec.data(item.id))]


def about_label(lang: str, about: fb.About) -> str:
    if about.kind == fb.GENERAL:
        return t(lang, "feedback.about.general")
    title = about.title or f"#{about.id}"
    return t(lang, f"feedback.about.{about.kind}", title=title)


def status_label(lang: str, status: FeedbackStatus) -> str:
    return t(lang, f"feedback.status.{status.value}")


def render_item(turn: Turn, view: fb.ItemView, *, officer: bool) -> str:
    item = view.item
    lines = [turn.t("feedback.item.title", id=item.id, when=fmt_date(item.created_at, tz(turn)))]
    if officer:
        author = turn.t("feedback.item.anonymous") if item.anonymous else esc(view.author or "—")
        lines.append(turn.t("feedback.item.from", author=author, cell=esc(view.cell.name)))
    lines.append(turn.t("feedback.item.about", about=esc(about_label(turn.lang, fb.About(item.about_kind, item.about_id,
                                                                                           view.about_title)))))
    lines.append(turn.t("feedback.item.status", status=status_label(turn.lang, item.status)))
    if item.kind is FeedbackKind.voice:
        lines.append(turn.t("feedback.item.voice", length=minutes_seconds(item.duration)))
    elif item.kind is FeedbackKind.photo:
        lines.append(turn.t("feedback.item.photo"))
    text = "\n".join(lines)
    if item.body:
        text += f"\n\n{esc(item.body)}"
    for reply in view.replies:
        text += "\n\n" + turn.t("feedback.item.reply", when=fmt_date(reply.created_at, tz(turn)), text=esc(reply.body))
    return text


async def opened(turn: Turn, codec: Codec, *, as_officer: bool, what: str) -> fb.ItemView | None:
    """The item a button names, opened for its author (or, `as_officer`, for one who handles it);
    None when it is not theirs or the data is forged, refused and recorded as `what`."""
    ids = codec.parse(turn.update.callback_query.data)
    try:
        view = await fb.open_item(turn.session, turn.actor, ids[0], as_officer=as_officer) if ids else None
    except fb.NotAllowed:
        view = None
    if view is None:
        await refuse(turn, what)
    return view
