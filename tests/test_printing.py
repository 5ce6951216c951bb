"""handlers.printing: large-print A4 sheets for members without Telegram, checked the way a reader
would see them — rendered by poppler (pdftoppm, pdftotext, pdffonts, pdfinfo)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date

import pytest

from handlers import printing
from handlers.i18n import t
from handlers.printing import PrintUnavailable, Sheet, SheetMember, filename, render_sheet

POPPLER = ("pdftoppm", "pdftotext", "pdffonts", "pdfinfo")
pytestmark = pytest.mark.skipif(not all(shutil.which(tool) for tool in POPPLER),
                                reason="poppler-utils is not installed (./run.sh setup installs it)")

NAMES = ["Nguyễn Thị Hồng Nhung", "Trần Văn Đức", "Lê Thị Ánh", "Tôn Nữ Thị Lài"]


def sheet(**changes) -> Sheet:
    base = dict(
        language="vi", kind="meeting", unit="Chi bộ Tổ dân phố 1", title="Sinh hoạt thường kỳ tháng 12",
        printed_on=date(2026, 12, 1),
        body=["Kính mời các đồng chí đảng viên tới dự sinh hoạt chi bộ thường kỳ tháng 12."],
        facts=[("time", "19:30 thứ Bảy, 05/12/2026"), ("place", "Nhà văn hóa tổ 3")],
        members=[SheetMember(name) for name in NAMES],
    )
    return Sheet(**{**base, **changes})


def run(tool: str, pdf: bytes, *args: str) -> bytes:
    done = subprocess.run([tool, *args, "-", "-"] if tool == "pdftotext" else [tool, *args, "-"],
                          input=pdf, capture_output=True, timeout=60, check=True)
    return done.stdout


def text_of(pdf: bytes) -> str:
    return run("pdftotext", pdf, "-layout").decode()


def words_of(pdf: bytes) -> str:
    """The text with every run of spaces and line breaks as one space (pdftotext lays out columns)."""
    return " ".join(text_of(pdf).split())


def pages_of(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, timeout=60, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def fonts_of(pdf: bytes) -> str:
    done = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, timeout=60, check=True)
    return done.stdout.decode()


def dark_share(pdf: bytes, page: int = 1) -> float:
    """The share of dark pixels on a page rendered at 40 dpi (a blank page has none)."""
    from PIL import Image

    png = subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", str(page), "-l", str(page), "-"],
                         input=pdf, capture_output=True, timeout=60, check=True).stdout
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size[0] < image.size[1]  # portrait
    histogram = image.histogram()
    return sum(histogram[:128]) / sum(histogram)


def test_a_vietnamese_sheet_prints_its_words_with_their_diacritics():
    pdf = render_sheet(sheet())
    assert pdf.startswith(b"%PDF")
    assert 0.005 < dark_share(pdf) < 0.5
    words = words_of(pdf)
    for expected in ("Giấy mời họp", "Chi bộ Tổ dân phố 1", "Sinh hoạt thường kỳ tháng 12", "In ngày 01/12/2026",
                     "Thời gian: 19:30 thứ Bảy, 05/12/2026", "Địa điểm: Nhà văn hóa tổ 3",
                     "Kính mời các đồng chí đảng viên", "Đảng viên chưa dùng Telegram", "STT", "Họ và tên", "Ký tên",
                     "1 Nguyễn Thị Hồng Nhung", "2 Trần Văn Đức", "4 Tôn Nữ Thị Lài", "Trang 1/1"):
        assert expected in words, expected
    assert "NotoSans" in fonts_of(pdf)


def test_every_kind_has_its_heading():
    for kind, heading in (("notice", "Thông báo"), ("meeting", "Giấy mời họp"), ("vote", "Kết quả biểu quyết")):
        assert heading in words_of(render_sheet(sheet(kind=kind, facts=()))), kind


def test_a_bengali_sheet_is_shaped_in_noto_sans_bengali():
    pdf = render_sheet(sheet(language="bn", kind="notice", title="মাসিক সভার বিজ্ঞপ্তি",
                             body=["সকল সদস্যকে সভায় উপস্থিত থাকার অনুরোধ করা হচ্ছে।"]))
    assert dark_share(pdf) > 0.005
    assert "NotoSansBengali" in fonts_of(pdf)
    # Shaped Bengali draws a vowel sign before its consonant: pdftotext puts spaces inside words there.
    letters = "".join(text_of(pdf).split())
    for expected in ("বিজ্ঞপ্তি", "মাসিক সভার বিজ্ঞপ্তি", "সদস্যকে সভায় উপস্থিত", "পূর্ণ নাম", "স্বাক্ষর", "পৃষ্ঠা 1/1",
                     "Nguyễn Thị Hồng Nhung", "Chi bộ Tổ dân phố 1"):
        assert "".join(expected.split()) in letters, expected


def test_a_vietnamese_sheet_needs_no_bengali_font():
    assert "NotoSansBengali" not in fonts_of(render_sheet(sheet()))


def test_nothing_is_printed_smaller_than_16_pt():
    """pdftotext's boxes are the fonts' line heights: Noto Sans is 1.36 em tall, Noto Sans Bengali 1.32."""
    pdf = render_sheet(sheet(language="bn", body=["সকল সদস্যকে সভায় উপস্থিত থাকার অনুরোধ করা হচ্ছে।"]))
    boxes = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', run("pdftotext", pdf, "-bbox").decode())
    assert boxes
    assert min(float(y1) - float(y0) for y0, y1 in boxes) >= 16 * 1.3


def test_a_long_body_and_many_members_run_over_pages_with_the_header_repeated():
    short = render_sheet(sheet())
    long_body = render_sheet(sheet(body=["Nội dung thông báo rất dài của chi bộ. " * 260]))  # about 10,000 characters
    many = render_sheet(sheet(members=[SheetMember(f"{NAMES[i % 4]} {i}") for i in range(60)]))
    assert pages_of(short) == 1
    assert pages_of(long_body) >= 3 and pages_of(many) >= 3
    pages = pages_of(many)
    last = text_of(many).split("\f")[pages - 1]
    assert "Họ và tên" in last and "Ký tên" in last  # the table's header again on the last page
    assert f"Trang {pages}/{pages}" in " ".join(last.split())
    assert "Chi bộ Tổ dân phố 1" in last and "In ngày 01/12/2026" in " ".join(last.split())
    assert all(dark_share(many, page) > 0.005 for page in (1, pages))


def test_a_body_of_one_10000_character_word_wraps():
    pdf = render_sheet(sheet(body=["x" * 10_000]))
    assert pages_of(pdf) >= 3
    assert words_of(pdf).count("x") >= 10_000


@pytest.mark.parametrize("hostile", ["<b>đậm</b>", "**đậm**", "__nghiêng__", "{nb}", "{pages0}", "{page}",
                                     "$\\frac{1}{$", "&amp; &lt;", "%s %(x)s"])
def test_every_string_prints_as_typed(hostile):
    pdf = render_sheet(sheet(title=f"Tiêu đề {hostile}", unit=f"Chi bộ {hostile}", body=[f"Nội dung {hostile}"],
                             facts=[("place", f"Nơi {hostile}")],
                             members=[SheetMember(f"Tên {hostile}", hostile)], answer_column=True))
    words = words_of(pdf)
    for expected in ("Tiêu đề", "Chi bộ", "Nội dung", "Nơi", "Tên"):
        assert f"{expected} {hostile}" in words, expected
    # The answer column is narrow: a line may break inside; read without -layout, cell after cell.
    letters = "".join(run("pdftotext", pdf).decode().split())
    assert letters.count("".join(hostile.split())) == 6
    assert "Trang 1/1" in words


def test_control_characters_and_emoji_do_not_stop_a_sheet():
    pdf = render_sheet(sheet(title="📢 Họp\x00 chi bộ\x07", body=["một\thai\r\nba", "🗳"]))
    words = words_of(pdf)
    assert "Họp chi bộ" in words and "một hai ba" in words


def test_the_answer_column_is_filled_and_long_texts_are_clipped():
    pdf = render_sheet(sheet(answer_column=True, members=[SheetMember("Lê Thị Ánh", "Sẽ dự"),
                                                          SheetMember("Trần Văn Đức", "Vắng: ốm " * 400)]))
    words = words_of(pdf)
    assert "Trả lời" in words and "Sẽ dự" in words and "…" in words


def test_no_member_without_telegram_says_so():
    words = words_of(render_sheet(sheet(members=())))
    assert "Tất cả đảng viên của chi bộ đều đã dùng Telegram." in words and "Ký tên" not in words


def test_the_file_name_is_worded_and_safe():
    assert filename(sheet(kind="notice")) == "Bản in - Thông báo - 01-12-2026.pdf"
    assert filename(sheet(language="en", kind="vote")) == "Print - Result of the vote - 01-12-2026.pdf"
    assert "/" not in filename(sheet(language="bn"))


def test_a_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(printing, "NOTO", tmp_path)
    monkeypatch.setattr(printing, "_fontconfig_files", lambda: {"NotoSans-Regular.ttf": tmp_path / "NotoSans-Regular.ttf"})
    printing.font_files.cache_clear()
    try:
        with pytest.raises(PrintUnavailable, match="NotoSans-Bold.ttf, NotoSansBengali-Regular.ttf .*fonts-noto-core"):
            render_sheet(sheet())
    finally:
        printing.font_files.cache_clear()


def test_fonts_installed_elsewhere_are_found_by_name(monkeypatch, tmp_path):
    real = printing.font_files()
    monkeypatch.setattr(printing, "NOTO", tmp_path)
    monkeypatch.setattr(printing, "_fontconfig_files", lambda: {path.name: path for path in real.values()})
    printing.font_files.cache_clear()
    try:
        assert printing.font_files() == real
        assert words_of(render_sheet(sheet())).startswith("Chi bộ Tổ dân phố 1")
    finally:
        printing.font_files.cache_clear()


def test_every_label_is_in_the_catalogs():
    for lang in ("vi", "en", "bn"):
        for key in ("print.button", "print.caption", "print.failed"):
            assert t(lang, key, count=3) != key
