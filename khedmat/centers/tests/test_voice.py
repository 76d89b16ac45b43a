"""The board's spoken calls (khedmat.centers.voice): made offline by espeak-ng or from recorded
clips, kept on disk and reused, fetched by the board from the URL its feed gives.

Tests that synthesise skip without espeak-ng (apt-get install espeak-ng); under CI they fail.
"""

from __future__ import annotations

import array
import io
import math
import socket
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from khedmat.centers import voice
from khedmat.centers.services import ticket_call_next, ticket_issue
from khedmat.centers.tests.conftest import Hall
from tests.availability import unavailable


@pytest.fixture(autouse=True)
def voice_folders(settings: Any, tmp_path: Path) -> Path:
    """A cache and a clips folder of the test's own."""
    settings.HALL_VOICE_CACHE_DIR = tmp_path / "cache"
    settings.HALL_VOICE_CLIPS_DIR = tmp_path / "clips"
    return tmp_path


@pytest.fixture
def espeak() -> str:
    binary = voice.espeak_binary()
    if binary is None:
        unavailable("espeak-ng is not installed", install="sudo apt-get install espeak-ng")
    return binary


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt of this process to open a network connection fails the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the voice tried to reach the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


def _read(data: bytes) -> tuple[int, int, int, float]:
    with wave.open(io.BytesIO(data)) as sound:
        return (sound.getnchannels(), sound.getsampwidth(), sound.getframerate(),
                sound.getnframes() / sound.getframerate())


def _tone(seconds: float = 0.3, rate: int = 16000, channels: int = 2) -> bytes:
    """A recording as a person would make one: a tone, stereo, at another sample rate."""
    samples = array.array("h")
    for index in range(int(seconds * rate)):
        value = int(8000 * math.sin(2 * math.pi * 440 * index / rate))
        samples.extend([value] * channels)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_call_is_spoken_as_a_valid_wav_in_english_and_dari(espeak: str, offline: None, language: str) -> None:
    sound = voice.announcement(language, "A-042", 12)
    channels, width, rate, seconds = _read(sound)
    assert (channels, width, rate) == (1, 2, voice.RATE)
    assert 2 < seconds < 12 and len(sound) < 300_000
    assert max(abs(sample) for sample in array.array("h", sound[44:])) > 3000  # not silence


def test_parts_are_made_once_and_reused(espeak: str, voice_folders: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = voice.announcement("en", "B-007", 3)
    cached = sorted((voice_folders / "cache").glob("*.wav"))
    # "ticket", B, 0, 7, "please go to counter", 3: six distinct parts (0 is said twice, made once).
    assert len(cached) == 6
    stamps = [path.stat().st_mtime_ns for path in cached]

    def no_synthesis(*args: object, **kwargs: object) -> None:
        raise AssertionError("espeak-ng ran again for a part already made")
    monkeypatch.setattr(subprocess, "run", no_synthesis)
    assert voice.announcement("en", "B-007", 3) == first
    assert [path.stat().st_mtime_ns for path in sorted((voice_folders / "cache").glob("*.wav"))] == stamps


def test_a_recorded_clip_wins_and_voices_a_language_espeak_has_not(voice_folders: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voice, "espeak_binary", lambda: None)  # no synthesis at all
    assert not voice.can_announce("ps")
    clips = voice_folders / "clips" / "ps"
    clips.mkdir(parents=True)
    for part in voice.announcement_parts("ps", "A-001", 2):
        if part is not None:
            (clips / f"{part.key}.wav").write_bytes(_tone())
    assert voice.can_announce("ps")
    channels, _width, rate, seconds = _read(voice.announcement("ps", "A-001", 2))
    assert (channels, rate) == (1, voice.RATE) and seconds > 7 * 0.25
    with pytest.raises(voice.VoiceUnavailable):  # letter B and counter 9 were never recorded
        voice.announcement("ps", "B-001", 9)


def test_a_recording_that_is_not_a_wav_is_refused(voice_folders: Path) -> None:
    clips = voice_folders / "clips" / "fa"
    clips.mkdir(parents=True)
    (clips / "ticket.wav").write_bytes(b"ID3 not a wav")
    with pytest.raises(voice.VoiceUnavailable):
        voice.part_file("fa", voice.Part("ticket", "شماره"))


def test_only_ticket_numbers_and_counters_are_spoken() -> None:
    for number, counter in (("A-42", 1), ("a-042", 1), ("A-042", 0), ("A-042", 1000), ("ABC-001", 1), ("../x", 1)):
        with pytest.raises(ValueError):
            voice.announcement_parts("en", number, counter)


# --- the board ----------------------------------------------------------------------------------

@pytest.fixture
def called(hall: Hall) -> Hall:
    ticket_issue(center=hall.center, service=hall.passport)
    ticket_call_next(counter=hall.open(3))
    return hall


def test_the_feed_gives_each_call_its_sound_in_the_halls_language(espeak: str, client: Client, called: Hall) -> None:
    for language in ("en", "fa"):
        call = client.get(f"/{language}/centers/kabul/board/feed/").json()["calls"][0]
        assert call["audio"] == f"/{language}/centers/kabul/board/calls/P-001/3.wav"
        response = client.get(call["audio"])
        assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
        assert _read(response.content)[2] == voice.RATE
    # No Pashto voice and no recordings: the call is shown and chimed, not spoken.
    assert client.get("/ps/centers/kabul/board/feed/").json()["calls"][0]["audio"] is None
    assert client.get("/ps/centers/kabul/board/calls/P-001/3.wav").status_code == 404
    board = client.get("/en/centers/kabul/board/").content.decode()
    assert '<audio id="board-voice"' in board


def test_the_sound_url_speaks_only_real_counters_and_numbers(espeak: str, client: Client, called: Hall) -> None:
    assert client.get("/en/centers/kabul/board/calls/P-001/99.wav").status_code == 404  # no counter 99
    assert client.get("/en/centers/kabul/board/calls/P-1/3.wav").status_code == 404
    assert client.get("/en/centers/kabul/board/calls/%3Cb%3E-001/3.wav").status_code == 404
    assert client.get("/en/centers/nowhere/board/calls/P-001/3.wav").status_code == 404
    assert client.post("/en/centers/kabul/board/calls/P-001/3.wav").status_code == 405


def test_the_build_command_prepares_a_centers_parts(espeak: str, offline: None, voice_folders: Path,
                                                    hall: Hall) -> None:
    out = io.StringIO()
    call_command("board_voice_prepare", "kabul", stdout=out)
    # en and fa: "ticket", "to counter", ten digits, letters D and P, counters 1 to 20; fa ends with a verb.
    assert "kabul (en): 34 parts ready." in out.getvalue() and "kabul (fa): 35 parts ready." in out.getvalue()
    assert "ps" in out.getvalue().splitlines()[0]
    made = len(list((voice_folders / "cache").glob("*.wav")))
    call_command("board_voice_prepare", "kabul", stdout=io.StringIO())
    assert len(list((voice_folders / "cache").glob("*.wav"))) == made
