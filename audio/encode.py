"""espeak-ng piped into opusenc, and the duration of the files Telegram plays.

Telegram shows an OGG/Opus file as a voice note; opusenc makes one from espeak-ng's WAV
without a temporary WAV on disk (the two processes are joined by a pipe, like a shell).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import struct
from pathlib import Path

from audio.normalize import AudioError

__all__ = [
    "SynthesisFailed",
    "AudioUnavailable",
    "DEBIAN_PACKAGES",
    "OGG_MIME",
    "MP3_MIME",
    "missing_packages",
    "available",
    "espeak_to_opus",
    "ogg_opus_duration",
    "mp3_duration",
    "duration_of",
]

OGG_MIME = "audio/ogg"
MP3_MIME = "audio/mpeg"
OPUS_RATE = 48000  # Ogg Opus granule positions always count 48 kHz samples

# The binary each offline engine needs, and the Debian package that ships it.
DEBIAN_PACKAGES = {"espeak-ng": "espeak-ng", "opusenc": "opus-tools"}


class SynthesisFailed(AudioError):
    """An engine could not turn the text into audio."""

    def __init__(self, engine: str, reason: str, status: int | None = None):
        super().__init__(f"{engine}: {reason}")
        self.engine = engine
        self.reason = reason
        self.status = status  # the HTTP status when an online engine was refused


class AudioUnavailable(SynthesisFailed):
    """A program the engine needs is not installed; `package` names the Debian package."""

    def __init__(self, package: str):
        super().__init__("espeak", f"not installed: apt-get install {package}")
        self.package = package


def missing_packages() -> list[str]:
    """The Debian packages to install before offline speech works (empty when all is there)."""
    return [package for binary, package in DEBIAN_PACKAGES.items() if shutil.which(binary) is None]


def available() -> bool:
    """Whether offline speech (espeak-ng and opusenc) can run on this machine."""
    return not missing_packages()


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AudioUnavailable(DEBIAN_PACKAGES[name])
    return path


async def _stop(*processes: asyncio.subprocess.Process | None) -> None:
    for process in processes:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()


async def espeak_to_opus(text: str, out: Path, *, voice: str, rate: int, pitch: int = 50,
                         bitrate: int = 24) -> None:
    """Speaks text with espeak-ng and encodes it to OGG/Opus at `out` (`espeak-ng | opusenc`).

    Raises AudioUnavailable when a program is missing and SynthesisFailed when one fails;
    `out` may then hold a partial file, which the caller removes.
    """
    espeak, opusenc = _binary("espeak-ng"), _binary("opusenc")
    read_end, write_end = os.pipe()
    speaker = encoder = None
    try:
        # Text goes through stdin: no argument-length limit, and a leading "-" is not an option.
        speaker = await asyncio.create_subprocess_exec(
            espeak, "-b", "1", "-v", voice, "-s", str(rate), "-p", str(pitch), "--stdin", "--stdout",
            stdin=asyncio.subprocess.PIPE, stdout=write_end, stderr=asyncio.subprocess.PIPE)
        encoder = await asyncio.create_subprocess_exec(
            opusenc, "--quiet", "--bitrate", str(bitrate), "-", str(out),
            stdin=read_end, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    except BaseException as error:
        await _stop(speaker)
        if isinstance(error, FileNotFoundError):  # removed between the check and the start
            name = Path(error.filename or "").name
            raise AudioUnavailable(DEBIAN_PACKAGES.get(name, "espeak-ng")) from error
        raise
    finally:
        os.close(read_end)  # only the children hold the pipe now, so opusenc sees the end of it
        os.close(write_end)
    try:
        (_, speaker_errors), (_, encoder_errors) = await asyncio.gather(
            speaker.communicate(text.encode("utf-8")), encoder.communicate())
    except BaseException:  # cancelled (the bot is stopping) or a broken pipe: leave no process behind
        await _stop(speaker, encoder)
        raise
    if speaker.returncode != 0:
        raise SynthesisFailed("espeak", f"espeak-ng exited {speaker.returncode}: {_tail(speaker_errors)}")
    if encoder.returncode != 0:
        raise SynthesisFailed("espeak", f"opusenc exited {encoder.returncode}: {_tail(encoder_errors)}")


def _tail(errors: bytes) -> str:
    return errors.decode("utf-8", "replace").strip()[-200:]


# ---------------------------------------------------------------- durations

def _ogg_page_at(data: bytes, offset: int) -> tuple[int, int] | None:
    """(granule position, page length) of a well-formed Ogg page starting at offset, else None."""
    if data[offset:offset + 4] != b"OggS" or len(data) < offset + 27 or data[offset + 4] != 0:
        return None
    granule = struct.unpack_from("<q", data, offset + 6)[0]
    segments = data[offset + 26]
    table = data[offset + 27:offset + 27 + segments]
    if len(table) < segments:
        return None
    return granule, 27 + segments + sum(table)


def ogg_opus_duration(data: bytes) -> float:
    """Seconds of audio in an Ogg Opus file: last granule position minus pre-skip, at 48 kHz."""
    first = _ogg_page_at(data, 0)
    if first is None:
        raise ValueError("not an Ogg file")
    head_at = 27 + data[26]
    if data[head_at:head_at + 8] != b"OpusHead":
        raise ValueError("not an Ogg Opus file")
    pre_skip = struct.unpack_from("<H", data, head_at + 10)[0]
    offset = len(data)
    while (offset := data.rfind(b"OggS", 0, offset)) > 0:
        page = _ogg_page_at(data, offset)
        # A page is the last one only if it ends exactly at the end of the file.
        if page and offset + page[1] == len(data) and page[0] >= 0:
            return max(0, page[0] - int(pre_skip)) / OPUS_RATE
    return 0.0


# MPEG audio Layer III: bitrates in kbit/s by version and index, sample rates by version.
_MP3_BITRATES = {
    "1": (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    "2": (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_frame(data: bytes, offset: int) -> tuple[int, int, int] | None:
    """(frame length, samples, sample rate) of a Layer III frame header at offset, else None."""
    if offset + 4 > len(data) or data[offset] != 0xFF or data[offset + 1] & 0xE0 != 0xE0:
        return None
    version = (data[offset + 1] >> 3) & 0b11
    layer = (data[offset + 1] >> 1) & 0b11
    bitrate_index = data[offset + 2] >> 4
    rate_index = (data[offset + 2] >> 2) & 0b11
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = _MP3_BITRATES["1" if version == 3 else "2"][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    padding = (data[offset + 2] >> 1) & 1
    samples = 1152 if version == 3 else 576
    return samples // 8 * bitrate // rate + padding, samples, rate


def _skip_id3(data: bytes) -> int:
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = 0
    for byte in data[6:10]:  # a "syncsafe" integer: seven bits per byte
        size = (size << 7) | (byte & 0x7F)
    return 10 + size


def mp3_duration(data: bytes) -> float:
    """Seconds of audio in an MP3 (gTTS's output: concatenated Layer III frames)."""
    offset, seconds = _skip_id3(data), 0.0
    while offset < len(data):
        frame = _mp3_frame(data, offset)
        if frame is None:
            offset += 1  # resynchronise past junk between frames
            continue
        length, samples, rate = frame
        seconds += samples / rate
        offset += length
    return seconds


def duration_of(path: Path, mime: str) -> float:
    data = Path(path).read_bytes()
    return ogg_opus_duration(data) if mime == OGG_MIME else mp3_duration(data)
