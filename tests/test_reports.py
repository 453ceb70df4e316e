"""What researchers and staff get from the query log: report, gaps, export and purge on the command line."""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest

from bot import cli

UTC = dt.timezone.utc


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_report_is_one_offline_file_with_charts_and_csv_beside_it(data_dir, tmp_path, capsys):
    out = tmp_path / "out" / "report.html"
    assert cli.main(["report", "--from", "2026-01-01", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "http" not in page.lower(), "must work offline, with nothing fetched"
    assert page.count("<svg") >= 4 and page.count('class="bar"') >= 6
    for heading in ("Questions per week by topic", "Questions per week by language", "Most asked answers",
                    "What the bot could not answer", "Answers rated helpful"):
        assert heading in page

    summary = {r["measure"]: r["value"] for r in read_csv(out.parent / "report-summary.csv")}
    assert summary["questions"] == str(7 + 3 + 6 + 5 + 6 + 2 + 5 + 4)  # the December questions are before --from
    assert summary["declined (no answer)"] == "13"
    assert summary["rated helpful"] == "7" and summary["rated not helpful"] == "6"

    by_topic = {(r["week"], r["topic"]): r["questions"] for r in read_csv(out.parent / "report-weekly_by_topic.csv")}
    assert by_topic[("2026-03-02", "Wages and pay")] == "13"
    assert by_topic[("2026-03-02", "Harassment at work")] == "<5", "a group of three must not be shown"
    assert by_topic[("2026-03-09", "(not answered)")] == "13"
    by_lang = {(r["week"], r["language"]): r["questions"] for r in read_csv(out.parent / "report-weekly_by_language.csv")}
    assert by_lang[("2026-03-02", "Sindhi")] == "6" and by_lang[("2026-03-09", "(menu)")] == "5"
    assert "&lt;5" in page and "<td>3</td>" not in page and ": 3</title>" not in page
    assert "wrote" in capsys.readouterr().out


def test_report_filters_by_language_and_topic(data_dir, tmp_path):
    out = tmp_path / "sd.html"
    assert cli.main(["report", "--lang", "sd", "--out", str(out)]) == 0
    assert {r["measure"]: r["value"] for r in read_csv(tmp_path / "sd-summary.csv")}["questions"] == "6"
    assert cli.main(["report", "--topic", "women-and-maternity", "--to", "2026-03-31", "--out", str(tmp_path / "m.html")]) == 0
    assert [(r["entry"], r["questions"]) for r in read_csv(tmp_path / "m-top_entries.csv")] == [("maternity-leave", "5")]


def test_report_threshold_can_be_raised(data_dir, tmp_path):
    assert cli.main(["report", "--threshold", "10", "--out", str(tmp_path / "r.html")]) == 0
    rows = read_csv(tmp_path / "r-top_entries.csv")
    assert {r["entry"]: r["questions"] for r in rows}["minimum-wage-amount"] == "13"
    assert {r["entry"]: r["questions"] for r in rows}["maternity-leave"] == "<10"


def test_gaps_groups_similar_unanswered_questions(data_dir, capsys):
    assert cli.main(["gaps", "--from", "2026-03-01"]) == 0
    out = capsys.readouterr().out
    groups = re.findall(r"^\d+\. (\d+) ×", out, re.M)
    assert groups[:2] == ["8", "5"], out  # both cricket questions in one group, then the bank loan
    assert "6 × cricket score kya hai" in out and "2 × cricket match kab hai" in out
    assert "closest entry: overtime" in out  # the unsure answers are gaps too
    assert "tankhwa" not in out  # confident answers are not


def test_export_gives_anonymised_rows(data_dir, tmp_path):
    out = tmp_path / "rows.csv"
    assert cli.main(["export", "--format", "csv", "--from", "2026-03-01", "--out", str(out)]) == 0
    rows = read_csv(out)
    assert len(rows) == 38
    assert set(rows[0]) == {"hour", "channel", "kind", "lang_form", "reply_lang", "entry_id", "topic", "confidence",
                            "outcome", "helpful", "text", "user_key"}
    assert rows[0]["hour"] == "2026-03-03 09:00"


def test_purge_clears_old_text_and_keeps_counts(data_dir, capsys, monkeypatch):
    keep_since = dt.date(2026, 2, 1)
    monkeypatch.setenv("BOT_RETENTION_DAYS", str((dt.datetime.now(UTC).date() - keep_since).days))
    assert cli.main(["purge"]) == 0
    assert "cleared the text of 6 questions" in capsys.readouterr().out
    db = sqlite3.connect(data_dir / "queries.sqlite3")
    assert db.execute("SELECT COUNT(*), COUNT(text) FROM queries WHERE day < '2026-01-01'").fetchone() == (6, 0)
    assert db.execute("SELECT COUNT(text) FROM queries WHERE day >= '2026-03-01' AND kind = 'text'").fetchone() == (33,)


def test_report_without_a_log_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(SystemExit, match="No query log"):
        cli.main(["report", "--out", str(tmp_path / "r.html")])


def test_gaps_counts_the_rarest_texts_beyond_its_limit(data_dir, capsys, monkeypatch):
    from bot.research import gaps

    monkeypatch.setattr(gaps, "MAX_TEXTS", 2)
    assert cli.main(["gaps", "--from", "2026-03-01"]) == 0
    out = capsys.readouterr().out
    assert "17 questions the bot declined or was unsure of" in out
    assert "and 6 questions with 2 rarer texts, not grouped" in out  # "overtime ka rate" 4, "cricket match" 2


def _plant(data_dir: Path, texts: dict[str, str]) -> None:
    """Rows written before the scrubber removed control characters, or text a spreadsheet would run."""
    with sqlite3.connect(data_dir / "queries.sqlite3") as db:
        for old, new in texts.items():
            db.execute("UPDATE queries SET text = ? WHERE text = ?", (new, old))


def test_export_neutralises_spreadsheet_formulas(data_dir, tmp_path):
    formulas = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil","Click for your wages")', "+1+1", "-2+3", "@SUM(A1)",
                "\t=1+1", "\r=1+1"]
    _plant(data_dir, dict(zip(["cricket score kya hai", "cricket match kab hai", "bank loan chahiye", "overtime ka rate",
                               "harassment complaint", "kam se kam tankhwa", "پگهار ڪيتري آهي"], formulas)))
    out = tmp_path / "rows.csv"
    assert cli.main(["export", "--from", "2026-03-01", "--out", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as f:
        texts = {r["text"] for r in csv.DictReader(f)}
    assert {"'" + f for f in formulas} <= texts
    assert not any(t[:1] in ("=", "+", "-", "@", "\t", "\r") for t in texts)


def test_gaps_shows_control_characters_as_escapes(data_dir, capsys):
    _plant(data_dir, {"cricket score kya hai": "\x1b]0;pwned\x07\x1b[2J\x1b[31mFAKE: all rows deleted\x1b[0m\x9b\u202e"})
    assert cli.main(["gaps", "--from", "2026-03-01"]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert "\\x1b[31mFAKE: all rows deleted" in out


def test_terminal_chats_are_not_counted_as_workers_unless_asked_for(data_dir, tmp_path, capsys):
    with sqlite3.connect(data_dir / "queries.sqlite3") as db:
        db.execute("UPDATE queries SET channel = 'terminal' WHERE text = 'bank loan chahiye'")  # staff trying the bot
    assert cli.main(["gaps", "--from", "2026-03-01"]) == 0
    assert "bank loan" not in capsys.readouterr().out
    out = tmp_path / "rows.csv"
    assert cli.main(["export", "--from", "2026-03-01", "--out", str(out)]) == 0
    assert len(read_csv(out)) == 33
    assert cli.main(["export", "--from", "2026-03-01", "--channel", "all", "--out", str(out)]) == 0
    assert len(read_csv(out)) == 38


@pytest.mark.parametrize("argv, message", [
    (["report", "--topic", "wagez"], "No topic 'wagez'"),
    (["gaps", "--from", "2026-03-10", "--to", "2026-03-01"], "is after --to"),
    (["report", "--threshold", "0"], "threshold must be 2 or more"),
    (["report", "--threshold", "-1"], "threshold must be 2 or more"),
])
def test_report_options_that_would_silently_mislead_are_refused(data_dir, tmp_path, argv, message):
    with pytest.raises(SystemExit, match=message):
        cli.main(argv + (["--out", str(tmp_path / "r.html")] if argv[0] == "report" else []))
    assert not (tmp_path / "r.html").exists()


def test_report_counts_both_worker_channels_with_a_channel_split(data_dir, tmp_path):
    with sqlite3.connect(data_dir / "queries.sqlite3") as db:
        moved = db.execute("UPDATE queries SET channel = 'whatsapp' WHERE day >= '2026-03-09'").rowcount
        db.execute("UPDATE queries SET channel = 'terminal' WHERE text = 'bank loan chahiye'")
    out = tmp_path / "report.html"
    assert cli.main(["report", "--from", "2026-03-01", "--out", str(out)]) == 0
    assert "Questions per week by channel" in out.read_text(encoding="utf-8")
    split = {(r["week"], r["channel"]): r["questions"] for r in read_csv(tmp_path / "report-weekly_by_channel.csv")}
    assert {c for _, c in split} == {"telegram", "whatsapp"}  # the terminal is staff, not workers
    assert split[("2026-03-02", "telegram")] != "0" and ("2026-03-09", "whatsapp") in split and moved > 5
    summary = {r["measure"]: r["value"] for r in read_csv(tmp_path / "report-summary.csv")}
    assert cli.main(["report", "--from", "2026-03-01", "--channel", "whatsapp", "--out", str(tmp_path / "w.html")]) == 0
    only = {r["measure"]: r["value"] for r in read_csv(tmp_path / "w-summary.csv")}
    assert int(only["questions"]) < int(summary["questions"])
    assert {r["channel"] for r in read_csv(tmp_path / "w-weekly_by_channel.csv")} == {"whatsapp"}
