"""Staff mistakes on the command line get one clear line, never a traceback."""

from __future__ import annotations

import pytest

from bot import cli


def run(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_eval_names_an_expected_id_that_does_not_exist(tmp_path, capsys):
    questions = tmp_path / "q.yaml"
    questions.write_text("- {text: overtime kitna, lang: ur-Latn, expect: [overtim]}\n"
                         "- {text: how is overtime paid, lang: en, expect: [overtime]}\n", encoding="utf-8")
    code, out = run(capsys, "eval", str(questions))
    assert code == 1
    assert "overtim" in out and "overtime kitna" in out and "top1" not in out


@pytest.mark.parametrize("content", [None, "- [unclosed\n", "just text\n"])
def test_eval_with_a_missing_or_bad_file(tmp_path, capsys, content):
    questions = tmp_path / "q.yaml"
    if content is not None:
        questions.write_text(content, encoding="utf-8")
    code, out = run(capsys, "eval", str(questions))
    assert code == 1 and str(questions) in out and "Traceback" not in out


def test_non_numeric_setting_names_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("BOT_RETENTION_DAYS", "six months")
    code, out = run(capsys, "purge")
    assert code == 2 and "BOT_RETENTION_DAYS" in out and "six months" in out


def test_purge_without_a_log_says_so_and_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "wrong"))
    with pytest.raises(SystemExit, match="No query log at"):
        cli.main(["purge"])
    assert not (tmp_path / "wrong").exists()


def test_export_to_a_path_that_cannot_be_written(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    import asyncio
    import sqlite3

    from bot.stores.querylog import QueryLog

    async def make() -> None:
        log = QueryLog(data / "queries.sqlite3")
        await log.start()
        await log.close()

    asyncio.run(make())
    monkeypatch.setenv("BOT_DATA_DIR", str(data))
    code, out = run(capsys, "export", "--out", str(tmp_path / "missing" / "dir" / "rows.csv"))
    assert code == 1 and "rows.csv" in out and "Traceback" not in out
    code, out = run(capsys, "report", "--out", str(tmp_path))  # a directory, not a file
    assert code == 1 and str(tmp_path) in out
    assert sqlite3.connect(data / "queries.sqlite3").execute("SELECT COUNT(*) FROM queries").fetchone() == (0,)

