"""Benchmark: our espeak-ng synthesis and Opus encoding against the same pipeline run by hand.

    python bench/audio.py [--repeat N]

Prints figures only. Target: ours / by hand ≤ 1.2 (the facade adds normalisation, hashing,
the cache's rename and the duration reading to the same two processes).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The repository first: this script is itself named audio.py and its folder is on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audio import EspeakEngine, Speech, available, missing_packages, normalize  # noqa: E402
from audio.encode import ogg_opus_duration  # noqa: E402

BULLETIN = """BẢN TIN SINH HOẠT CHI BỘ THÁNG 12/2026
Đảng ủy phường Hòa Cường Bắc — Chi bộ khu phố 3

Thực hiện Kế hoạch số 125-KH/ĐU ngày 05/11/2026 của Đảng ủy phường, chi bộ tổ chức sinh hoạt thường kỳ vào lúc 19:30 ngày 05/12/2026 tại nhà văn hóa khu phố. Nội dung chính là quán triệt Nghị quyết số 57-NQ/TW của Bộ Chính trị về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia, cùng Chỉ thị số 50-CT/TW của BCH TW.

I. KẾT QUẢ THÁNG 11
Chi bộ hiện có 42 đảng viên, trong đó 38 đảng viên chính thức và 4 đảng viên dự bị. Tỷ lệ đảng viên dự sinh hoạt đạt 92,5%; 3 đồng chí vắng có lý do vì lý do sức khỏe. Quỹ khuyến học của khu phố đã vận động được 12.500.000 đồng, trao 15 suất học bổng cho học sinh nghèo vượt khó.

II. NHIỆM VỤ THÁNG 12
1. Phối hợp với UBND phường và MTTQ phường tuyên truyền Đại hội XIV của Đảng.
2. Hoàn thành kiểm điểm, xếp loại chất lượng đảng viên năm 2026 trước ngày 20/12.
3. Tổ chức lần thứ 3 chương trình "Ngày Chủ nhật xanh" lúc 7h ngày 14/12.
4. Vận động 100% hộ gia đình đóng góp Quỹ "Vì người nghèo" năm 2026, phấn đấu đạt 25.000.000 đồng.

III. Ý KIẾN CỦA ĐẢNG ỦY PHƯỜNG
Theo Thông báo số 18-TB/ĐU ngày 28/11/2026, chi bộ được biểu dương vì có 2 năm liền hoàn thành xuất sắc nhiệm vụ; các đồng chí cao tuổi được miễn sinh hoạt vẫn được gửi tài liệu tận nhà.

Đề nghị các đồng chí đảng viên tham dự đầy đủ, đúng giờ. Đồng chí nào vắng mặt báo cáo với đồng chí Bí thư chi bộ trước 17h ngày 04/12/2026. Mọi ý kiến đóng góp xin gửi về Ban Chi ủy qua số điện thoại 0905111222."""


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kilobytes


async def ours_once(text: str) -> tuple[float, float]:
    """Seconds to synthesise through the facade with an empty cache, and the audio's length."""
    with tempfile.TemporaryDirectory() as cache_dir:
        speech = Speech(cache_dir, EspeakEngine(), max_cache_bytes=None)
        started = time.perf_counter()
        parts = await speech.synthesize(text, "vi")
        elapsed = time.perf_counter() - started
        assert speech.syntheses == len(parts) and speech.cache_hits == 0
        return elapsed, sum(p.duration for p in parts)


def by_hand_once(spoken: str, rate: int) -> tuple[float, float]:
    """Seconds for `espeak-ng -v vi -s RATE --stdout | opusenc --bitrate 24 - out.ogg`, and the audio's length."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "out.ogg"
        command = f"espeak-ng -v vi -s {rate} --stdin --stdout | opusenc --quiet --bitrate 24 - {out}"
        started = time.perf_counter()
        subprocess.run(command, shell=True, input=spoken.encode("utf-8"), check=True)
        elapsed = time.perf_counter() - started
        return elapsed, ogg_opus_duration(out.read_bytes())


async def main(repeat: int) -> None:
    if not available() or not shutil.which("sh"):
        print(f"cannot run: install {' '.join(missing_packages())}")
        return
    rate = EspeakEngine().rates["vi"]
    spoken = normalize(BULLETIN, "vi")
    print(f"bulletin: {len(BULLETIN)} characters, {len(spoken)} after normalisation; espeak-ng vi at {rate} wpm")
    rss_before = peak_rss_mib()

    await ours_once(BULLETIN)  # warm-up: imports, page cache, espeak-ng's data files
    by_hand_once(spoken, rate)
    ours, by_hand, audio_seconds = [], [], 0.0
    for _ in range(repeat):  # interleaved, so both see the same machine load
        elapsed, audio_seconds = await ours_once(BULLETIN)
        ours.append(elapsed)
        by_hand.append(by_hand_once(spoken, rate)[0])

    ours_median, hand_median = statistics.median(ours), statistics.median(by_hand)
    print(f"audio: {audio_seconds:.1f} s of speech")
    print(f"ours (normalise + espeak-ng | opusenc + cache), median of {repeat}: {ours_median * 1000:.0f} ms")
    print(f"by hand (espeak-ng | opusenc in a shell), median of {repeat}:    {hand_median * 1000:.0f} ms")
    print(f"ratio ours / by hand: {ours_median / hand_median:.2f} (target ≤ 1.2)")
    print(f"real-time factor (ours): {audio_seconds / ours_median:.0f}× faster than listening")
    print(f"peak RSS of this process: {rss_before:.1f} MiB before synthesis, {peak_rss_mib():.1f} MiB after")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    asyncio.run(main(parser.parse_args().repeat))
