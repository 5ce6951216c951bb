"""Buttons of the Party badges (Huy hiệu Đảng): the committee's list, a member's award and its confirmation."""
from models.callback_data import Choice, Codec, Id, Token

LIST = Codec("hhl", Id())  # the list of the next award day, from the panel (a new message); the page
PAGE = Codec("hhp", Id())  # another page of it, in place
ASK = Codec("hha", Id(), Id())  # member id, milestone: "record this award?"
YES = Codec("hhy", Id(), Id())  # member id, milestone: recorded
MONTH, DAY = Token(r"[0-9]{6}"), Token(r"[0-9]{8}")  # a calendar's yyyymm, yyyymmdd
# A member's badge screen (card.py): party age, gaps, the next badge; early, posthumous, the date of death
CARD = Codec("hhc", Id())  # the screen (the member), in place
CARD_NEW = Codec("hhs", Id())  # the same, as a new message (from the list or the member's card)
EARLY = Codec("hhe", Id(), Id())  # ⏩ Tặng sớm (bệnh nặng): proposed (the member, the milestone)
POSTHUMOUS = Codec("hht", Id(), Id())  # 🕯 Truy tặng: proposed (the member, the milestone)
GIVEN = Codec("hhr", Id(), Id())  # ✅ the proposed badge given: recorded in the awards (the member, the milestone)
DEATH = Codec("hhd", Id())  # the date of death: the calendar (the member)
DEATH_MONTH = Codec("hhx", Id(), MONTH)  # another month of it (the member, yyyymm)
DEATH_DAY = Codec("hhz", Id(), DAY)  # the day chosen (the member, yyyymmdd)
# A period out of the party (gaps.py): the kind, then from and until on calendars
KIND = Choice("expulsion", "lost_contact", "transfer")  # models.badge_awards.GapKind
GAP = Codec("hhg", Id())  # ➖ Ghi khoảng ra khỏi Đảng: the kinds (the member)
GAP_KIND = Codec("hhk", Id(), KIND)  # the kind chosen: the "from" calendar
GAP_FROM_MONTH = Codec("hhm", Id(), KIND, MONTH)  # another month of it
GAP_FROM = Codec("hhf", Id(), KIND, DAY)  # "from" chosen: the "until" calendar
GAP_UNTIL_MONTH = Codec("hhn", Id(), KIND, DAY, MONTH)  # another month of it
GAP_UNTIL = Codec("hhu", Id(), KIND, DAY, Token(r"[0-9]{8}|open"))  # recorded (until a day, or open: not back yet)
DOCX = Codec("hhw")  # 📄 the declaration list of the next award day (.docx)
