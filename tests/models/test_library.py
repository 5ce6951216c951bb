"""The library without Telegram: passages, diacritics-blind ranked search within the member's scope, hostile
queries, attachments' text (PDF, DOCX, and files that are neither)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select, text

from models import library, notices
from models.accounts import Account
from models.library import LibraryDocument, LibraryPassage, NotReadable, extract_text
from models.members import Member
from models.notices import NoticeKind
from models.permissions import load_actor
from models.roles import RoleKind, grant
from tests.models.two_wards import two_wards

OFFICER, SECRETARY2, MEMBER1, FAR = 21, 22, 23, 24
NOTO_SANS = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"

RESOLUTION = """Số: 57-NQ/TW
NGHỊ QUYẾT về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia
Chương I. NHỮNG QUY ĐỊNH CHUNG
Điều 1. Mục tiêu
Đến năm 2030, khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia trở thành động lực chính.
Điều 2. Nhiệm vụ của chi bộ
Mỗi chi bộ tổ chức học tập, quán triệt nghị quyết đến từng đảng viên."""
DUES = """Điều 5. Đảng phí
Đảng viên đóng đảng phí hằng tháng; đảng viên đã nghỉ hưu đóng 0,5% lương hưu.
Điều 6. Sinh hoạt chi bộ
Chi bộ sinh hoạt thường kỳ mỗi tháng một lần."""


@pytest.fixture
async def tree(session):
    t = await two_wards(session)
    people = {
        "officer": Member(full_name="Huỳnh Thị Mai", cell_id=t.cell1.id),
        "secretary2": Member(full_name="Trần Văn Lâm", cell_id=t.cell2.id),
        "member1": Member(full_name="Lê Văn Bảy", cell_id=t.cell1.id),
        "far": Member(full_name="Võ Văn Tùng", cell_id=t.far.id),
    }
    session.add_all(people.values())
    await session.flush()
    await grant(session, people["officer"].id, t.ward.id, RoleKind.committee)
    await grant(session, people["secretary2"].id, t.cell2.id, RoleKind.secretary)
    for tid, key in ((OFFICER, "officer"), (SECRETARY2, "secretary2"), (MEMBER1, "member1"), (FAR, "far")):
        session.add(Account(telegram_user_id=tid, member_id=people[key].id, language="vi"))
    await session.commit()
    return t, people


async def send(session, telegram_id, units, **kw):
    actor = await load_actor(session, telegram_id)
    kw.setdefault("kind", NoticeKind.resolution)
    notice = await notices.create_notice(session, actor, audience_unit_ids=[u.id for u in units], **kw)
    await session.commit()
    return notice


@pytest.fixture
async def corpus(session, tree):
    t, people = tree
    nq57 = await send(session, OFFICER, [t.ward], title="Nghị quyết 57-NQ/TW về khoa học, công nghệ", body=RESOLUTION)
    dues = await send(session, OFFICER, [t.ward], kind=NoticeKind.document, title="Quy định về đảng phí", body=DUES)
    cell2 = await send(session, SECRETARY2, [t.cell2], kind=NoticeKind.document,
                       title="Kế hoạch đảng phí của chi bộ 2", body="Chi bộ 2 thu đảng phí vào ngày mùng 5.")
    await send(session, OFFICER, [t.ward], kind=NoticeKind.notice, title="Thông báo họp về đảng phí", body="Họp.")
    return people, nq57, dues, cell2


async def ask(session, people, who, query, **kw):
    return await library.search(session, people[who].id, query, **kw)


async def test_diacritics_and_d_are_ignored_and_the_number_is_found(session, corpus):
    people, nq57, dues, _ = corpus
    hits = await ask(session, people, "member1", "nghi quyet 57")
    assert hits and {h.notice.id for h in hits} == {nq57.id}
    assert hits[0].number == "57-NQ/TW" and hits[0].notice.unit.name == "Đảng bộ phường Phú Hội"
    for query in ("57-NQ/TW", "57 nq tw", "NGHỊ QUYẾT 57-nq/tw"):
        assert {h.notice.id for h in await ask(session, people, "member1", query)} == {nq57.id}, query
    hits = await ask(session, people, "member1", "dang phi")
    assert hits[0].notice.id == dues.id and hits[0].section == "Điều 5. Đảng phí"
    assert ("đảng", True) in hits[0].excerpt and ("phí", True) in hits[0].excerpt
    assert "".join(piece for piece, _ in hits[0].excerpt).startswith("Điều 5. Đảng phí")
    assert (await ask(session, people, "member1", "ĐẢNG PHÍ"))[0].passage_id == hits[0].passage_id


async def test_a_question_ranks_the_passage_that_answers_it_first(session, corpus):
    people, nq57, dues, _ = corpus
    hits = await ask(session, people, "member1", "Đảng viên nghỉ hưu đóng đảng phí bao nhiêu?", any_word=True)
    assert hits[0].notice.id == dues.id and "lương hưu" in hits[0].text
    # A passage sharing only "đảng phí" (its document's title) with the question is no answer to it.
    assert [h.section for h in hits] == ["Điều 5. Đảng phí"]
    assert len(await ask(session, people, "member1", "đảng là gì", any_word=True)) == 3  # the best three
    hits = await ask(session, people, "member1", "chi bộ học tập nghị quyết thế nào", any_word=True)
    assert hits[0].notice.id == nq57.id and hits[0].section == "Điều 2. Nhiệm vụ của chi bộ"
    # Every word: a passage without "hưu" is no result.
    assert {h.section for h in await ask(session, people, "member1", "đảng phí hưu")} == {"Điều 5. Đảng phí"}


async def test_a_document_outside_the_members_scope_never_appears(session, corpus):
    people, nq57, dues, cell2 = corpus
    assert cell2.id not in {h.notice.id for h in await ask(session, people, "member1", "dang phi", limit=50)}
    assert cell2.id in {h.notice.id for h in await ask(session, people, "secretary2", "dang phi", limit=50)}
    # A far ward's member sees none of the ward's documents; plain notices are never in the library.
    assert await ask(session, people, "far", "dang phi", limit=50) == []
    assert await ask(session, people, "member1", "hop", limit=50) == []


@pytest.mark.parametrize("query", ['"" * NEAR( -- \' OR 1=1', "", "   ", "***", "NEAR(a b)", "a:b", "-đảng",
                                   "\"đảng", "AND OR NOT", "x" * 10_000, "đảng phí " * 2_000, "\x00đảng"])
async def test_hostile_queries_never_fail(session, corpus, query):
    people, *_ = corpus
    for any_word in (False, True):
        hits = await ask(session, people, "member1", query, any_word=any_word)
        assert isinstance(hits, list)
    assert await ask(session, people, "member1", "") == []


async def test_documents_sent_before_the_library_are_indexed_on_first_need(session, corpus):
    people, nq57, *_ = corpus
    await session.execute(LibraryPassage.__table__.delete())
    await session.execute(LibraryDocument.__table__.delete())
    await session.commit()
    assert {h.notice.id for h in await ask(session, people, "member1", "nghi quyet 57")} == {nq57.id}
    assert await session.scalar(select(func.count()).select_from(LibraryDocument)) == 3  # documents only


async def test_an_attachments_text_is_searchable_and_reindexing_replaces(session, corpus):
    people, _, dues, _ = corpus
    await library.index_notice(session, dues.id, "Phụ lục\nĐiều 9. Miễn đảng phí\nĐảng viên tuổi cao được miễn.")
    await library.index_notice(session, dues.id, "Phụ lục\nĐiều 9. Miễn đảng phí\nĐảng viên tuổi cao được miễn.")
    await session.commit()
    hits = await ask(session, people, "member1", "tuoi cao mien")
    assert [h.section for h in hits] == ["Điều 9. Miễn đảng phí"]
    assert (await session.get(LibraryDocument, dues.id)).attachment == "read"
    await library.index_notice(session, dues.id)  # the attachment gone: its passages too
    await session.commit()
    assert await ask(session, people, "member1", "tuoi cao mien") == []


def test_passages_follow_articles_and_stay_short():
    parts = library.passages(RESOLUTION + "\n" + "Đoạn văn dài về chuyển đổi số. " * 200)
    assert [p.section for p in parts[:4]] == [None, "Chương I. NHỮNG QUY ĐỊNH CHUNG", "Điều 1. Mục tiêu",
                                              "Điều 2. Nhiệm vụ của chi bộ"]
    assert all(len(p.text) <= 1000 for p in parts) and len(parts) > 8
    assert library.document_number("Nghị quyết 57-NQ/TW", "") == "57-NQ/TW"
    assert library.document_number("Quyết định", "ĐẢNG BỘ\nSố: 123/QĐ-UBND\n") == "123/QĐ-UBND"
    assert library.document_number("Kế hoạch tháng 12/2026", "") is None


# --- attachments -----------------------------------------------------------------------------------------------
def _pdf(text: str, pages: int = 1) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("body", fname=NOTO_SANS)  # what the printed sheets use (fonts-noto-core): Vietnamese in full
    pdf.set_font("body", size=12)
    for _ in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def _docx(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Mức đóng", "1% thu nhập"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_text_of_a_pdf_and_a_docx():
    text = extract_text(_pdf("Điều 3. Đảng phí\nĐảng viên đóng đảng phí hằng tháng."), "nq.pdf")
    assert "đảng phí" in text.lower() or "dang phi" in library.search_key(text)
    text = extract_text(_docx("Điều 4. Kết nạp", "Người được kết nạp phải qua thời gian dự bị."), "hd.DOCX")
    assert "Điều 4. Kết nạp" in text and "1% thu nhập" in text


def test_a_pdf_beyond_the_page_limit_is_read_to_it(monkeypatch):
    monkeypatch.setattr(library.extract, "MAX_PAGES", 2)
    text = extract_text(_pdf("Trang", pages=5), "dai.pdf")
    assert text.count("Trang") == 2


@pytest.mark.parametrize("data, name, code", [
    (b"%PDF-1.4 not really", "x.pdf", "unreadable"),
    (b"PK\x03\x04 broken zip", "x.docx", "unreadable"),
    (b"hello", "x.txt", "not_supported"),
    (b"", "x.pdf", "unreadable"),
])
def test_files_that_are_not_what_they_say(data, name, code):
    with pytest.raises(NotReadable) as err:
        extract_text(data, name)
    assert err.value.code == code


def test_a_pdf_named_docx_and_a_docx_bomb(monkeypatch):
    with pytest.raises(NotReadable):
        extract_text(_pdf("x"), "x.docx")
    monkeypatch.setattr(library.extract.filelimits, "MAX_INFLATED_BYTES", 10_000)
    with pytest.raises(NotReadable) as err:
        extract_text(_docx("Đảng phí " * 5000), "big.docx")
    assert err.value.code == "too_inflated"


async def test_a_first_search_and_the_attachments_follow_up_take_turns(sessionmaker, corpus):
    """The follow-up (attachment read) holds the document while a first search would index it too: the
    search waits, then leaves it as the follow-up made it — no duplicate row, no attachment lost."""
    import asyncio

    people, _, dues, _ = corpus
    async with sessionmaker() as s:
        await s.execute(LibraryPassage.__table__.delete().where(LibraryPassage.notice_id == dues.id))
        await s.execute(LibraryDocument.__table__.delete().where(LibraryDocument.notice_id == dues.id))
        await s.commit()
    async with sessionmaker() as follow_up, sessionmaker() as search:
        await library.index_notice(follow_up, dues.id, "Điều 9. Miễn đảng phí\nĐảng viên tuổi cao được miễn.", "read")
        second = asyncio.create_task(library.index_notice(search, dues.id, unless_indexed=True))
        await asyncio.sleep(0.3)
        assert not second.done()  # waiting for the follow-up's transaction
        await follow_up.commit()
        assert await second == 0
        await search.commit()
    async with sessionmaker() as s:
        assert (await s.get(LibraryDocument, dues.id)).attachment == "read"
        hits = await library.search(s, people["member1"].id, "tuoi cao mien")
        assert [h.section for h in hits] == ["Điều 9. Miễn đảng phí"]


async def test_when_the_best_matches_are_out_of_scope_every_match_is_ranked_within_it(session, corpus, monkeypatch):
    people, *_ = corpus
    for who in ("member1", "secretary2", "far"):
        for query, any_word in (("dang phi", False), ("chi bộ đảng phí là gì", True)):
            whole = [h.passage_id for h in await ask(session, people, who, query, any_word=any_word, limit=50)]
            monkeypatch.setattr(library.search_module, "CANDIDATES", 1)  # the index's best one only, then the rest
            assert [h.passage_id for h in await ask(session, people, who, query, any_word=any_word, limit=50)] == whole
            monkeypatch.undo()


async def test_a_word_in_too_many_passages_ranks_the_newest_and_leaves_a_question_to_its_other_words(
        session, corpus, monkeypatch):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL ranks every match (its index answers the probes slower than it ranks)")
    people, nq57, dues, cell2 = corpus
    question = "Đảng viên nghỉ hưu đóng đảng phí bao nhiêu?"
    answer = [h.passage_id for h in await ask(session, people, "member1", question, any_word=True)]
    everything = {h.passage_id for h in await ask(session, people, "secretary2", "dang phi", limit=50)}
    assert len(everything) > 2
    monkeypatch.setattr(library.search_module, "MOST_RANKED", 2)  # "đảng" and "phí" are now in too many
    monkeypatch.setattr(library.search_module, "FEW", 0)  # and too many to be ranked by the search itself
    # A word (or words) in too many passages: only the newest matches are ranked, within the member's scope.
    newest = {h.passage_id for h in await ask(session, people, "secretary2", "dang phi", limit=50)}
    assert newest == set(sorted(everything)[-2:])
    assert {h.notice.id for h in await ask(session, people, "member1", "dang phi", limit=50)} <= {dues.id}
    # A question: its rarer words find the passages, which must still hold more than half of its words.
    assert [h.passage_id for h in await ask(session, people, "member1", question, any_word=True)] == answer


@pytest.mark.parametrize("query, any_word", [("dang phi", False), ("đảng viên", False), ("chi bộ", False),
                                             ("Đảng viên nghỉ hưu đóng đảng phí bao nhiêu?", True),
                                             ("chi bộ học tập nghị quyết thế nào", True), ("đảng là gì", True)])
async def test_few_matches_are_ranked_by_the_search_as_the_index_ranks_them(session, corpus, monkeypatch, query, any_word):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's: PostgreSQL's index ranks every match")
    people, *_ = corpus
    few = [h.passage_id for h in await ask(session, people, "secretary2", query, any_word=any_word, limit=50)]
    monkeypatch.setattr(library.search_module, "FEW", 0)
    assert few and [h.passage_id for h in await ask(session, people, "secretary2", query, any_word=any_word,
                                                     limit=50)] == few


async def test_words_in_nearly_every_passage_still_find_the_answer(session, corpus, monkeypatch):
    """SQLite at scale: words in too many passages are checked in the candidates, not walked in the index, and when
    every word is such a word the newest matches are ranked by the search itself."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's: PostgreSQL's index ranks every match")
    people, nq57, dues, _ = corpus
    question = "Đảng viên nghỉ hưu đóng đảng phí bao nhiêu?"
    for limits in ({"FEW": 0}, {"FEW": 0, "MOST_WEIGHED": 0}, {"FEW": 0, "MOST_WEIGHED": 0, "NEWEST": 1}):
        for name, value in limits.items():
            monkeypatch.setattr(library.search_module, name, value)
        hits = await ask(session, people, "member1", question, any_word=True)
        assert [h.section for h in hits] == ["Điều 5. Đảng phí"], limits
        assert (await ask(session, people, "member1", "dang phi"))[0].section == "Điều 5. Đảng phí", limits
        hits = await ask(session, people, "member1", "chi bộ học tập nghị quyết thế nào", any_word=True)
        assert hits[0].notice.id == nq57.id and hits[0].section == "Điều 2. Nhiệm vụ của chi bộ", limits
        assert await ask(session, people, "far", "dang phi", limit=50) == []  # the scope as ever
        monkeypatch.undo()


async def test_postgres_words_in_many_passages_rank_the_newest_within_the_scope(session, corpus, monkeypatch):
    """PostgreSQL at scale (ANALYZE's most common words): words in many passages rank only the matches among the
    newest passages, and words in most of them the newest matches in the member's documents."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's: SQLite's are above")
    people, nq57, dues, _ = corpus
    await session.execute(text("ANALYZE library_passages"))
    assert all((await library.search_module._counts(session, ["dang", "phi"])).values())  # both words counted
    question = "Đảng viên nghỉ hưu đóng đảng phí bao nhiêu?"
    for common in (1.0, 0.0):  # the newest passages' span; the newest matches she may see
        monkeypatch.setattr(library.search_module, "PG_MOST_RANKED", 0)
        monkeypatch.setattr(library.search_module, "PG_COMMON", common)
        hits = await ask(session, people, "member1", question, any_word=True)
        assert [h.section for h in hits] == ["Điều 5. Đảng phí"], common
        assert (await ask(session, people, "member1", "dang phi"))[0].section == "Điều 5. Đảng phí", common
        assert {h.notice.id for h in await ask(session, people, "member1", "dang phi", limit=50)} <= {dues.id}
        assert await ask(session, people, "far", "dang phi", limit=50) == []  # the scope as ever
        monkeypatch.undo()


async def test_a_number_written_as_one_is_one_word_not_an_article_of_that_number(session, tree, corpus):
    people, nq57, *_ = corpus
    assert library.query_terms("Nghị quyết 57-NQ/TW, điều 3") == ["nghi", "quyet", "57nqtw", "dieu", "3"]
    assert library.query_terms("57/NQ-TW") == library.query_terms("(57-nq/tw)") == ["57nqtw"]
    assert library.query_terms("57-NQ/TW", glue=False) == ["57 nq tw"]
    assert library.query_terms("15/12/2026") == ["15 12 2026"]  # digits alone stay a phrase: "1/5" is not "15"
    assert library.query_terms("57 nq tw") == ["57", "nq", "tw"]
    assert library.search_key("Số: 57-NQ/TW", "ngày 15/12/2026") == "so 57 nq tw ngay 15 12 2026 57nqtw"
    other = await send(session, OFFICER, [tree[0].ward],
                       title="Nghị quyết 12-NQ/TW về đảng phí", body="Điều 57. Thu nộp\nĐảng viên đóng đúng hạn.")
    typed = {h.notice.id for h in await ask(session, people, "member1", "57 nq tw", limit=50)}
    assert typed == {nq57.id, other.id}  # every word somewhere: the article 57 of 12-NQ/TW too
    for query in ("57-NQ/TW", "57/NQ-TW", "57-nq/tw", "(57-NQ/TW)", "số 57-NQ/TW", "nghị quyết 57/NQ-TW"):
        assert {h.notice.id for h in await ask(session, people, "member1", query, limit=50)} == {nq57.id}, query
    assert {h.notice.id for h in await ask(session, people, "member1", "57-NQ/TW thu nộp", any_word=True)} >= {nq57.id}
    # Written otherwise in the text ("99-KL/TW-BCH" is one longer word): the number's words in that order.
    odd = await send(session, OFFICER, [tree[0].ward], kind=NoticeKind.document, title="Kết luận của Bộ Chính trị",
                     body="Thực hiện Kết luận 99-KL/TW-BCH về sinh hoạt chi bộ.")
    assert {h.notice.id for h in await ask(session, people, "member1", "99-KL/TW", limit=50)} == {odd.id}
    assert await ask(session, people, "member1", "98-KL/TW", limit=50) == []


async def test_a_document_not_sent_yet_is_in_no_result(session, corpus):
    people, nq57, dues, _ = corpus
    dues.dispatched_at = None  # scheduled for later
    await session.commit()
    assert await ask(session, people, "member1", "dang phi", limit=50) == []  # found first before (dues)
    assert dues.id not in {h.notice.id for h in await ask(session, people, "member1", "đảng phí là gì", any_word=True)}
