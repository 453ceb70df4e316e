"""Recorded answers: kb check refuses a recording Telegram could not play, and answers offer the ones that work."""

from __future__ import annotations

import pytest

from bot.knowledge.check import check
from bot.knowledge.recordings import MAX_BYTES, inspect
from bot.knowledge.store import KnowledgeStore
from tests.helpers import FIXTURES


def _messages(result, severity="error"):
    return [str(p) for p in (result.errors if severity == "error" else result.warnings)]


@pytest.mark.parametrize("fixture", ["overtime.ur-Latn.ogg", "minimum-wage.en.ogg"])
def test_the_shipped_recordings_are_short_ogg_opus_files(fixture):
    path = FIXTURES / "audio" / fixture
    assert path.read_bytes()[:4] == b"OggS" and b"OpusHead" in path.read_bytes()[:200]
    assert inspect(path) == []


def test_a_good_recording_loads_and_the_answer_offers_it(kb_copy, add_recording):
    add_recording("overtime", "ur-Latn", recorded="2026-11-28")
    result = check(kb_copy, self_test=False)
    assert result.ok, _messages(result)
    entry = result.kb.entry("overtime")
    assert entry.audio["ur-Latn"].path == "audio/overtime.ur-Latn.ogg"
    assert not any("recording" in w for w in _messages(result, "warning"))  # recorded on the day it was reviewed


def test_a_missing_recording_is_an_error_naming_the_file(kb_copy, add_recording):
    path = add_recording("overtime", "ur")
    path.unlink()
    errors = _messages(check(kb_copy, self_test=False))
    assert any("entries/wages.yaml" in e and "'overtime'" in e and "audio/overtime.ur.ogg" in e and "missing" in e
               for e in errors), errors


def test_an_oversized_recording_is_an_error(kb_copy, add_recording):
    good = (FIXTURES / "audio" / "overtime.ur-Latn.ogg").read_bytes()
    add_recording("overtime", "ur", content=good * (MAX_BYTES // len(good) + 2))
    errors = _messages(check(kb_copy, self_test=False))
    assert any("audio/overtime.ur.ogg" in e and "under 1 MB" in e for e in errors), errors


def test_a_recording_whatsapp_would_show_as_a_download_is_a_warning(kb_copy, add_recording, monkeypatch):
    from bot.knowledge import recordings

    path = add_recording("overtime", "ur")
    assert inspect(path) == []
    monkeypatch.setattr(recordings, "WHATSAPP_PLAY_BYTES", path.stat().st_size - 1)  # as if it were over 512 KB
    result = check(kb_copy, self_test=False)
    assert result.ok and any("audio/overtime.ur.ogg" in w and "WhatsApp plays a voice note only up to" in w
                             for w in _messages(result, "warning")), _messages(result, "warning")


@pytest.mark.parametrize("content, name", [
    (b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(200), "overtime.ur.ogg"),  # a WAV named .ogg
    (b"\x00\x00\x00\x20ftypM4A " + bytes(200), "overtime.ur.m4a"),    # a phone's M4A, not converted
    (b"OggS\x00\x02" + bytes(200), "overtime.ur.ogg"),                   # an Ogg page that is not Opus
])
def test_a_recording_in_another_format_is_an_error_with_the_command_to_convert_it(kb_copy, add_recording, content, name):
    add_recording("overtime", "ur", content=content, name=name)
    errors = _messages(check(kb_copy, self_test=False))
    assert any(name in e and "not an OGG/Opus file" in e and "ffmpeg -i" in e and "libopus" in e for e in errors), errors


def test_a_broken_recording_is_refused_by_a_reload_too(kb_copy, add_recording):
    store = KnowledgeStore(kb_copy)
    add_recording("overtime", "ur", content=b"not audio")
    assert [p for p in store.reload() if p.severity == "error"]
    assert not store.kb.entry("overtime").audio  # the last good knowledge base stays


def test_an_answer_reviewed_after_its_recording_is_a_warning(kb_copy, add_recording):
    add_recording("overtime", "ur-Latn", recorded="2026-01-05")  # overtime was reviewed on 2026-11-28
    result = check(kb_copy, self_test=False)
    assert result.ok
    assert any("'overtime'" in w and "after its ur-Latn recording (2026-01-05)" in w for w in _messages(result, "warning"))


@pytest.mark.parametrize("spec", ["ur: ../secret.ogg", "xx: audio/a.ogg", "ur: {file: audio/a.ogg, recorded: soon}"])
def test_a_malformed_audio_line_is_an_error(kb_copy, spec):
    path = kb_copy / "entries" / "wages.yaml"
    text = path.read_text(encoding="utf-8")
    at = text.index("    sources:", text.index("- id: overtime\n"))
    path.write_text(text[:at] + f"    audio:\n      {spec}\n" + text[at:], encoding="utf-8")
    errors = _messages(check(kb_copy, self_test=False))
    assert any("'overtime'" in e and ("recording" in e or "audio language" in e) for e in errors), errors


async def test_only_an_answer_with_a_recording_in_its_language_has_a_listen_button(kb_copy, add_recording, prefs):
    from bot.conversation.dialogue import Conversation

    add_recording("overtime", "ur-Latn")
    conversation = Conversation(KnowledgeStore(kb_copy), prefs)
    [roman] = await conversation.action(1, 1, "entry:overtime~ur-Latn")
    [english] = await conversation.action(1, 1, "entry:overtime~en")
    listen = [b for row in roman.buttons for b in row if b.action.startswith("listen:")]
    assert [(b.label, b.action) for b in listen] == [("Sunein", "listen:overtime~ur-Latn+")]
    assert not any(b.action.startswith("listen:") for row in english.buttons for b in row)
    [voice] = await conversation.action(1, 1, listen[0].action)
    assert voice.voice == kb_copy / "audio" / "overtime.ur-Latn.ogg" and voice.text == roman.title
    (kb_copy / "audio" / "overtime.ur-Latn.ogg").unlink()  # removed after loading: said, not crashed
    [gone] = await conversation.action(1, 1, listen[0].action)
    assert gone.voice is None and "recording" in gone.text


def test_kb_audio_lists_entries_without_recordings_per_language(kb_copy, add_recording, capsys):
    from bot import cli

    add_recording("overtime", "ur-Latn")
    assert cli.main(["--knowledge", str(kb_copy), "kb", "audio"]) == 0
    out = capsys.readouterr().out
    sections = {line.split(":")[0]: line for line in out.splitlines() if not line.startswith(" ")}
    assert set(sections) == {"en", "ur", "sd", "ur-Latn"}
    assert "ur-Latn: 1 of 45 entries recorded; 44 without" in sections["ur-Latn"]
    assert "en: 0 of 45 entries recorded; 45 without" in sections["en"]
    roman = out[out.index("ur-Latn:"):]
    assert "overtime " not in roman and "minimum-wage-amount" in roman


def test_the_terminal_chat_names_the_file_it_cannot_play(tmp_path):
    import io

    from bot.channels.terminal import render
    from bot.conversation.dialogue import Message

    out = io.StringIO()
    render([Message("Overtime ki had aur paise", voice=tmp_path / "overtime.ur-Latn.ogg")], out)
    assert f"(voice note: {tmp_path / 'overtime.ur-Latn.ogg'})" in out.getvalue()
