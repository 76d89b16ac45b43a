"""The board's voice: "Ticket A 0 4 2, counter 3", spoken in the language of the hall.

An announcement is put together from parts (the word for ticket, each letter and digit, the
words for the counter, the counter's number), each a short WAV made once and kept in
settings.HALL_VOICE_CACHE_DIR, keyed by its text and voice. A part comes from a recorded clip
when one is in settings.HALL_VOICE_CLIPS_DIR/<language>/<part>.wav (a native speaker's
recording wins over synthesis, in any language), else from espeak-ng, which runs here,
offline: no text leaves the machine. A language with neither (Pashto until its clips are
recorded; docs/decisions/0021-board-voice.md) is not announced by voice; the board still
chimes and shows the call.

Every WAV is brought to one format (mono, 16-bit, 11 025 Hz, silence trimmed) so parts join
by concatenation; a whole announcement is about 60 KB.
"""

from __future__ import annotations

import array
import functools
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from django.conf import settings

log = structlog.get_logger(__name__)

RATE = 11025
GAP_SECONDS = 0.12  # between parts: a listener hears "A, zero, four, two"
PAUSE_SECONDS = 0.35  # between the ticket and the counter
SILENCE_LEVEL = 400  # of 32 767: quieter samples at a part's ends are cut
SPEED_WPM = 140  # espeak-ng's words per minute (175 by default): slower carries in a hall
ESPEAK_TIMEOUT_SECONDS = 15
TICKET_NUMBER = re.compile(r"^([A-Z]{1,2})-([0-9]{3,4})$")
MAX_COUNTER = 999


class VoiceUnavailable(Exception):
    """A part can be neither read from a recording nor synthesised."""


@dataclass(frozen=True)
class Phrasebook:
    """The words of an announcement in one language, in the order they are spoken."""

    ticket: str
    to_counter: str
    after_counter: str = ""  # a verb that closes the sentence (Dari and Pashto put it last)
    letters: dict[str, str] = field(default_factory=dict)  # how a ticket's letter is said

    def letter(self, letter: str) -> str:
        return self.letters.get(letter, letter)


# Latin letters, as Dari and Pashto speakers name them.
_LETTERS_ARABIC_SCRIPT = dict(zip(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ["اِی", "بی", "سی", "دی", "ای", "اِف", "جی", "اِچ", "آی", "جِی", "کِی", "اِل", "اِم", "اِن", "او", "پی",
     "کیو", "آر", "اِس", "تی", "یو", "وی", "دابلیو", "اِکس", "وای", "زِد"], strict=True))

PHRASEBOOKS: dict[str, Phrasebook] = {
    "en": Phrasebook(ticket="Ticket", to_counter="please go to counter"),
    "fa": Phrasebook(ticket="شماره", to_counter="لطفاً به کلکین", after_counter="مراجعه کنید",
                     letters=_LETTERS_ARABIC_SCRIPT),
    # No espeak-ng voice: spoken only from recorded clips (docs/decisions/0021-board-voice.md).
    "ps": Phrasebook(ticket="نمبر", to_counter="مهرباني وکړئ کړکۍ", after_counter="ته ورشئ",
                     letters=_LETTERS_ARABIC_SCRIPT),
}


@dataclass(frozen=True)
class Part:
    """One piece of an announcement: `key` names its recorded clip, `text` is what is synthesised."""

    key: str
    text: str


def announcement_parts(language: str, number: str, counter: int) -> list[Part | None]:
    """The parts of "ticket `number`, counter `counter`" in `language`; None marks a pause."""
    book = PHRASEBOOKS[language]
    match = TICKET_NUMBER.match(number)
    if match is None or not 0 < counter <= MAX_COUNTER:
        raise ValueError(f"not a ticket and counter: {number!r} {counter!r}")
    letters, digits = match.groups()
    parts: list[Part | None] = [Part("ticket", book.ticket)]
    parts += [Part(f"letter-{letter.lower()}", book.letter(letter)) for letter in letters]
    parts += [Part(f"digit-{digit}", digit) for digit in digits]
    parts += [None, Part("to-counter", book.to_counter), Part(f"number-{counter}", str(counter))]
    if book.after_counter:
        parts.append(Part("after-counter", book.after_counter))
    return parts


# --- where a part's sound comes from ------------------------------------------------------------

@functools.cache
def _installed_espeak() -> str | None:
    return shutil.which("espeak-ng")


def espeak_binary() -> str | None:
    """espeak-ng's path (looked up once a process: the feed asks on every poll)."""
    return _installed_espeak()


def synthesis_voice(language: str) -> str | None:
    """espeak-ng's voice for `language`, if the settings name one and espeak-ng is installed."""
    voice = settings.HALL_VOICES.get(language)
    return voice if voice and espeak_binary() else None


def _clip_path(language: str, key: str) -> Path | None:
    path = Path(settings.HALL_VOICE_CLIPS_DIR) / language / f"{key}.wav"
    return path if path.is_file() else None


def _cache_path(kind: str, identity: str) -> Path:
    digest = hashlib.sha256(f"{kind}\0{identity}".encode()).hexdigest()[:32]
    return Path(settings.HALL_VOICE_CACHE_DIR) / f"{digest}.wav"


def part_file(language: str, part: Part) -> Path:
    """The part's WAV in the common format, made on first use; a recorded clip wins."""
    clip = _clip_path(language, part.key)
    if clip is not None:
        stat = clip.stat()
        cached = _cache_path("clip", f"{clip}\0{stat.st_mtime_ns}\0{stat.st_size}")
        if not cached.is_file():
            _store(cached, normalise(clip.read_bytes()))
        return cached
    voice = synthesis_voice(language)
    if voice is None:
        raise VoiceUnavailable(f"no recording of {part.key!r} and no voice for {language!r}")
    cached = _cache_path("espeak", f"{voice}\0{SPEED_WPM}\0{part.text}")
    if not cached.is_file():
        _store(cached, normalise(_synthesise(voice, part.text)))
    return cached


def _synthesise(voice: str, text: str) -> bytes:
    """espeak-ng, run locally: a WAV of `text` (it has no network access to ask for)."""
    binary = espeak_binary()
    if binary is None:
        raise VoiceUnavailable("espeak-ng is not installed")
    with tempfile.TemporaryDirectory(prefix="khedmat-voice-") as folder:
        out = Path(folder, "part.wav")
        try:
            # An argument list, no shell; the text is the phrasebook's words, a letter or a number.
            subprocess.run([binary, "-v", voice, "-s", str(SPEED_WPM), "-w", str(out), "--", text],  # noqa: S603
                           check=True, capture_output=True, timeout=ESPEAK_TIMEOUT_SECONDS)
        except (OSError, subprocess.SubprocessError) as error:
            log.warning("hall_voice.synthesis_failed", voice=voice, error=str(error))
            raise VoiceUnavailable(f"espeak-ng failed for voice {voice!r}") from error
        return out.read_bytes()


def _store(path: Path, data: bytes) -> None:
    """Write whole or not at all: a board asking at the same moment never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


# --- the common format ------------------------------------------------------------------------

def _samples(data: bytes) -> tuple[array.array[int], int]:
    """Mono 16-bit samples of a PCM WAV, and its rate."""
    with wave.open(io.BytesIO(data)) as source:
        channels, width, rate = source.getnchannels(), source.getsampwidth(), source.getframerate()
        frames = source.readframes(source.getnframes())
    if width == 1:
        samples = array.array("h", ((byte - 128) << 8 for byte in frames))
    elif width == 2:
        samples = array.array("h", frames)
        if sys.byteorder == "big":
            samples.byteswap()
    else:
        raise VoiceUnavailable(f"a {width * 8}-bit WAV: record clips as 16-bit PCM")
    if channels > 1:
        samples = array.array("h", (sum(samples[i:i + channels]) // channels
                                    for i in range(0, len(samples), channels)))
    return samples, rate


def _resample(samples: array.array[int], rate: int) -> array.array[int]:
    """To RATE; halving (espeak-ng's 22 050 Hz) averages pairs, anything else interpolates."""
    if rate == RATE:
        return samples
    if rate == 2 * RATE:
        return array.array("h", ((samples[i] + samples[i + 1]) // 2 for i in range(0, len(samples) - 1, 2)))
    step, count = rate / RATE, int(len(samples) * RATE / rate)
    out = array.array("h")
    for index in range(count):
        position = index * step
        low = int(position)
        high = min(low + 1, len(samples) - 1)
        fraction = position - low
        out.append(int(samples[low] * (1 - fraction) + samples[high] * fraction))
    return out


def _trim(samples: array.array[int]) -> array.array[int]:
    start, end = 0, len(samples)
    while start < end and abs(samples[start]) < SILENCE_LEVEL:
        start += 1
    while end > start and abs(samples[end - 1]) < SILENCE_LEVEL:
        end -= 1
    return samples[start:end]


def _wav(samples: array.array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def normalise(data: bytes) -> bytes:
    """Any PCM WAV (a recording, espeak-ng's output) as mono 16-bit at RATE, ends trimmed."""
    try:
        samples, rate = _samples(data)
    except (wave.Error, EOFError) as error:
        raise VoiceUnavailable(f"not a PCM WAV file: {error}") from error
    return _wav(_trim(_resample(samples, rate)))


# --- an announcement --------------------------------------------------------------------------

def can_announce(language: str) -> bool:
    """Whether calls in `language` can be voiced (a voice, or its clips of the fixed words)."""
    if language not in PHRASEBOOKS:
        return False
    return synthesis_voice(language) is not None or all(
        _clip_path(language, key) is not None for key in ("ticket", "to-counter"))


def announcement(language: str, number: str, counter: int) -> bytes:
    """The WAV of one call, joined from its parts' files (each made at most once)."""
    silence = {seconds: array.array("h", bytes(2 * int(RATE * seconds))) for seconds in (GAP_SECONDS,
                                                                                          PAUSE_SECONDS)}
    joined = array.array("h")
    for index, part in enumerate(announcement_parts(language, number, counter)):
        if part is None:
            joined.extend(silence[PAUSE_SECONDS])
            continue
        if index:
            joined.extend(silence[GAP_SECONDS])
        samples, _rate = _samples(part_file(language, part).read_bytes())
        joined.extend(samples)
    return _wav(joined)


def pregenerate(language: str, *, letters: set[str], counters: set[int]) -> int:
    """Make every part a center's calls can need in `language` (at build); the number made."""
    book = PHRASEBOOKS[language]
    parts = [Part("ticket", book.ticket), Part("to-counter", book.to_counter)]
    parts += [Part(f"digit-{digit}", str(digit)) for digit in range(10)]
    parts += [Part(f"letter-{letter.lower()}", book.letter(letter)) for letter in sorted(letters)]
    parts += [Part(f"number-{counter}", str(counter)) for counter in sorted(counters)]
    if book.after_counter:
        parts.append(Part("after-counter", book.after_counter))
    for part in parts:
        part_file(language, part)
    return len(parts)
