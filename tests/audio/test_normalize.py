import unicodedata

import pytest

from audio.normalize import (
    NothingToSay,
    UnsupportedLanguage,
    normalize,
    roman_to_int,
    split_into_parts,
)
from audio.spoken import vi_cardinal

VIETNAMESE = [
    # dates
    ("05/12/2026", "ngày năm tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    ("Họp ngày 05/12/2026.", "Họp ngày năm tháng mười hai năm hai nghìn không trăm hai mươi sáu."),
    ("5/12", "ngày năm tháng mười hai"),
    ("mùng 5/12", "mùng năm tháng mười hai"),
    ("tháng 12/2026", "tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    ("ngày 30/4", "ngày ba mươi tháng tư"),
    ("05-12-2026", "ngày năm tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    ("32/13", "ba mươi hai / mười ba"),  # not a date: numbers only
    # times
    ("19:30", "mười chín giờ ba mươi"),
    ("19h30", "mười chín giờ ba mươi"),
    ("lúc 7h", "lúc bảy giờ"),
    ("19:00", "mười chín giờ"),
    # numbers
    ("1.500 đảng viên", "một nghìn năm trăm đảng viên"),
    ("1.000.000", "một triệu"),
    ("2,5", "hai phẩy năm"),
    ("2,05 tỷ", "hai phẩy không năm tỷ"),
    ("2026", "hai nghìn không trăm hai mươi sáu"),
    ("1005", "một nghìn không trăm lẻ năm"),
    ("105", "một trăm lẻ năm"),
    ("21", "hai mươi mốt"),
    ("15", "mười lăm"),
    ("1, 2, 3", "một, hai, ba"),
    ("gọi 0905111222", "gọi không chín không năm một một một hai hai hai"),
    ("nhiệm kỳ 2020-2025", "nhiệm kỳ hai nghìn không trăm hai mươi đến hai nghìn không trăm hai mươi lăm"),
    # percentages
    ("75%", "bảy mươi lăm phần trăm"),
    ("đạt 98,5 %", "đạt chín mươi tám phẩy năm phần trăm"),
    # Roman numerals and ordinals
    ("Đại hội XIV", "Đại hội mười bốn"),
    ("Đại hội Đảng toàn quốc lần thứ XIII", "Đại hội Đảng toàn quốc lần thứ mười ba"),
    ("ĐẠI HỘI XIV", "ĐẠI HỘI mười bốn"),
    ("Ban Chấp hành Trung ương khóa XIII", "Ban Chấp hành Trung ương khóa mười ba"),
    ("Hội nghị IV", "Hội nghị bốn"),
    ("lần thứ 3", "lần thứ ba"),
    ("lần thứ I", "lần thứ nhất"),
    ("thứ 4", "thứ tư"),
    ("I. TÌNH HÌNH\nII. NHIỆM VỤ", "một. TÌNH HÌNH\nhai. NHIỆM VỤ"),
    ("C. Ý kiến khác", "C. Ý kiến khác"),  # a lettered option, not one hundred
    ("VIỆT NAM", "VIỆT NAM"),
    # abbreviations
    ("TW", "Trung ương"),
    ("UBND phường", "Ủy ban nhân dân phường"),
    ("HĐND", "Hội đồng nhân dân"),
    ("MTTQ", "Mặt trận Tổ quốc"),
    ("BCH", "Ban Chấp hành"),
    ("BTV", "Ban Thường vụ"),
    ("QĐ, NQ, CT, KH, TB", "quyết định, nghị quyết, chỉ thị, kế hoạch, thông báo"),
    ("ĐU phường", "Đảng ủy phường"),
    ("CB khu phố 3", "chi bộ khu phố ba"),
    ("Đ/c Hồng", "đồng chí Hồng"),
    ("TP.HCM", "Thành phố Hồ Chí Minh"),
    ("TWO", "TWO"),  # only whole words
    ("NQ/TW", "nghị quyết Trung ương"),
    # document numbers
    ("Nghị quyết số 57-NQ/TW", "Nghị quyết số năm mươi bảy nghị quyết Trung ương"),
    ("số 57-NQ/TW", "số năm mươi bảy nghị quyết Trung ương"),
    ("Chỉ thị số 50-CT/TW", "Chỉ thị số năm mươi chỉ thị Trung ương"),
    ("Quyết định 123/QĐ-UBND", "Quyết định một trăm hai mươi ba quyết định Ủy ban nhân dân"),
    # mixed, as in a notice
    ("Chi bộ họp lúc 19:30 ngày 05/12/2026 quán triệt NQ 57-NQ/TW; 75% đảng viên dự.",
     "Chi bộ họp lúc mười chín giờ ba mươi ngày năm tháng mười hai năm hai nghìn không trăm hai mươi sáu "
     "quán triệt nghị quyết năm mươi bảy nghị quyết Trung ương; bảy mươi lăm phần trăm đảng viên dự."),
    ("Kính gửi   đồng chí\n\n\n\nNguyễn Văn A", "Kính gửi đồng chí\n\nNguyễn Văn A"),
]


@pytest.mark.parametrize("text, spoken", VIETNAMESE)
def test_vietnamese(text, spoken):
    assert normalize(text, "vi") == spoken


ENGLISH = [
    ("05/12/2026", "the fifth of December, twenty twenty-six"),
    ("5/12", "the fifth of December"),
    ("19:30", "nineteen thirty"),
    ("7:05", "seven oh five"),
    ("1,500 members", "one thousand five hundred members"),
    ("2.5", "two point five"),
    ("75%", "seventy-five percent"),
    ("the 3rd plenum", "the third plenum"),
    ("World War II", "World War two"),
    ("Part IV", "Part four"),
    ("I think I can.", "I think I can."),
    ("Yesterday I met the secretary", "Yesterday I met the secretary"),
    ("In 2026.", "In two thousand and twenty-six."),
]


@pytest.mark.parametrize("text, spoken", ENGLISH)
def test_english(text, spoken):
    assert normalize(text, "en") == spoken


BENGALI = [
    ("05/12/2026", "পাঁচ ডিসেম্বর দুই হাজার ছাব্বিশ"),
    ("০৫/১২/২০২৬", "পাঁচ ডিসেম্বর দুই হাজার ছাব্বিশ"),  # Bengali digits too
    ("১৯:৩০", "উনিশটা ত্রিশ মিনিট"),
    ("75%", "পঁচাত্তর শতাংশ"),
    ("1,500", "এক হাজার পাঁচশত"),
    ("2.5", "দুই দশমিক পাঁচ"),
]


@pytest.mark.parametrize("text, spoken", BENGALI)
def test_bengali(text, spoken):
    assert normalize(text, "bn") == spoken


def test_decomposed_unicode_is_read_like_composed():
    decomposed = unicodedata.normalize("NFD", "Đại hội XIV")
    assert normalize(decomposed, "vi") == "Đại hội mười bốn"


@pytest.mark.parametrize("number, words", [
    (1_000_021, "một triệu không trăm hai mươi mốt"),
    (10_500, "mười nghìn năm trăm"),
    (2_000_000_000, "hai tỷ"),
    (1_000_000_500, "một tỷ năm trăm"),
    (1_005_000, "một triệu không trăm lẻ năm nghìn"),
])
def test_vietnamese_large_numbers(number, words):
    assert vi_cardinal(number) == words


@pytest.mark.parametrize("numeral, value", [("I", 1), ("IV", 4), ("XIV", 14), ("XIII", 13), ("MMXXVI", 2026),
                                            ("IIII", None), ("IC", None), ("", None), ("ABC", None)])
def test_roman_to_int(numeral, value):
    assert roman_to_int(numeral) == value


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "!!! ???", "---", "%", "…", "• • •"])
def test_nothing_to_say(text):
    with pytest.raises(NothingToSay):
        normalize(text, "vi")


def test_none_is_nothing_to_say():
    with pytest.raises(NothingToSay):
        normalize(None, "vi")


@pytest.mark.parametrize("lang", ["fr", "", "VI", None, "vi-VN"])
def test_unsupported_language(lang):
    with pytest.raises(UnsupportedLanguage):
        normalize("Xin chào", lang)


# ---------------------------------------------------------------- splitting

SENTENCE = "Chi bộ quán triệt nghị quyết và đề ra kế hoạch thực hiện trong năm."  # 67 characters


def test_short_text_is_one_part():
    assert split_into_parts(SENTENCE, 100) == [SENTENCE]


def test_split_at_sentence_ends_within_the_limit():
    text = " ".join([SENTENCE] * 10)
    parts = split_into_parts(text, 150)
    assert all(len(p) <= 150 for p in parts)
    assert all(p.endswith(".") for p in parts)  # never cut inside a sentence when sentences fit
    assert " ".join(parts) == text
    assert len(parts) == 5


def test_split_prefers_paragraphs_and_keeps_them():
    text = f"{SENTENCE}\n\n{SENTENCE}\n\n{SENTENCE}"
    parts = split_into_parts(text, 140)
    assert parts == [f"{SENTENCE}\n\n{SENTENCE}", SENTENCE]


def test_long_sentence_is_cut_at_commas_then_spaces():
    sentence = ", ".join(["đảng viên tham gia đầy đủ"] * 12) + "."
    parts = split_into_parts(sentence, 60)
    assert all(len(p) <= 60 for p in parts)
    assert all(p.endswith((",", ".")) for p in parts)
    assert " ".join(parts) == sentence
    words = split_into_parts("một hai ba bốn năm sáu bảy tám chín mười", 12)
    assert all(len(p) <= 12 for p in words) and " ".join(words) == "một hai ba bốn năm sáu bảy tám chín mười"


def test_a_word_longer_than_the_limit_is_cut_anyway():
    assert split_into_parts("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]
