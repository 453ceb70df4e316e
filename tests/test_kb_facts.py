"""`kb facts`: what a staff member reviewing a figure sees - its values, source, checks and every answer it changes."""

import json

from bot.cli import main

def test_kb_facts_lists_the_entries_using_a_fact_in_each_language(fee, kb_copy, add_fact, add_entry, capsys):
    add_fact("test_fee", fee)
    add_entry("The fee is {test_fee} from {test_fee.effective}.", "فیس {test_fee} ہے، {test_fee.effective} سے۔",
              "فيس {test_fee} آهي، {test_fee.effective} کان.", entry_id="test-fee-user")
    add_entry("The fee is Rs 1,250.", "فیس 1,250 روپے ہے۔", "فيس 1,250 رپيا آهي.", entry_id="test-fee-written-out")
    assert main(["--knowledge", str(kb_copy), "kb", "facts", "test_fee"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("test_fee (money)  knowledge/facts.yaml:")
    for shown in ["en: Rs 1,250", "ur: 1,250 روپے", "sd: 1,250 رپيا", "ur-Latn: Rs 1,250", "effective: 2025-03-01",
                  "checked: 2026-01-10 by content reviewer", "source: Test notification No. 1",
                  "used by 1 entry:", "test-fee-user (en, ur, sd, ur-Latn)  knowledge/entries/test-fee-user.yaml:3"]:
        assert shown in out, shown
    written_out = out.split("written out")[1]
    assert "test-fee-written-out (en, ur, sd, ur-Latn)" in written_out


def test_kb_facts_json_lists_every_fact_and_its_users(capsys):
    assert main(["kb", "facts", "--json"]) == 0
    facts = {f["id"]: f for f in json.loads(capsys.readouterr().out)}
    phone = facts["nowcommunities_phone"]
    assert phone["value"]["en"] and phone["source"]
    assert "help-nowcommunities" in {u["entry"] for u in phone["used_by"]}


def test_kb_facts_rejects_an_unknown_fact(capsys):
    assert main(["kb", "facts", "minimum_wage"]) == 1
    assert "no fact named minimum_wage" in capsys.readouterr().err
