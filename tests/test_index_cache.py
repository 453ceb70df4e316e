"""The trained index is built once and loaded on later starts: same decisions, never a stale or broken file."""

import copy
import dataclasses
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.indexcache import IndexCache, read_arrays, write_arrays
from bot.knowledge.loader import load_with_problems
from bot.knowledge.store import DEFAULT_ROOT, KnowledgeStore, Loaded
from bot.research import evaluation
from bot.research.danger_eval import load_danger_items
from bot.understanding.danger import DangerDetector
from bot.understanding.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "eval" / "questions.yaml"


def decisions(matcher: Matcher, texts: list[str]) -> list[tuple]:
    out = []
    for text in texts:
        m = matcher.match(text)
        out.append((m.outcome, m.group, [(c.entry_id, c.confidence) for c in m.candidates]))
    return out


def question_texts(store: KnowledgeStore) -> list[str]:
    texts = [item.text for item in evaluation.load_items(QUESTIONS)]
    return texts + [q for e in store.kb.entries for qs in e.examples.values() for q in qs][::5]


def no_build(*args, **kwargs):
    raise AssertionError("the index was trained again instead of loaded from the cache")


def danger_texts(store: KnowledgeStore) -> list[str]:
    """Every message of the danger question sets (development and held-out: only decisions are compared) and of
    knowledge/danger-messages.yaml."""
    kinds = {k.id for k in store.kb.danger.kinds}
    return [item.text for path in sorted((ROOT / "tests" / "eval").glob("danger*.yaml"))
            for item in load_danger_items(path, kinds)] + [m.text for m in store.kb.danger.messages]


def alarms(detector: DangerDetector, texts: list[str]) -> list[tuple]:
    return [(detector.check(text), detector.score(text)) for text in texts]


@pytest.fixture(scope="module")
def trained(store) -> dict[str, dict[str, np.ndarray]]:
    """The matcher's index and the danger detector's models, trained afresh once for this module's tests."""
    return {"matcher": Matcher(store.kb).index, "danger": DangerDetector(store.kb).models}


def rebuilt_as_trained(monkeypatch, trained) -> list[str]:
    """Training (of either component) gives ``trained``'s arrays, as a fresh training would; returns the list of
    components trained, for the test to check what was rebuilt."""
    calls: list[str] = []
    monkeypatch.setattr(Matcher, "_build", lambda self, texts: calls.append("matcher") or dict(trained["matcher"]))
    monkeypatch.setattr(DangerDetector, "_train", lambda self, kb: calls.append("danger") or dict(trained["danger"]))
    return calls


@pytest.mark.slow
def test_a_cached_index_gives_exactly_the_fresh_builds_decisions(tmp_path, store, trained):
    fresh = Matcher(store.kb, index=trained["matcher"])  # as trained
    cache = IndexCache(tmp_path)
    cache.load_or_build("matcher", b"kb", b"code", build=lambda: fresh.index, use=lambda index: None)  # saved
    cached = cache.load_or_build("matcher", b"kb", b"code", build=no_build,
                                 use=lambda index: Matcher(store.kb, index=index))  # loaded from the file
    texts = question_texts(store)
    assert decisions(cached, texts) == decisions(fresh, texts)
    # and the question sets score the same (held-out: only the summary is compared)
    fresh_store, cached_store = copy.copy(store), copy.copy(store)
    fresh_store.current = Loaded(store.kb, fresh, store.danger)
    cached_store.current = Loaded(store.kb, cached, store.danger)
    for items in (evaluation.load_items(QUESTIONS), evaluation.load_items(ROOT / "tests" / "eval" / "heldout.yaml")):
        assert evaluation.summary(evaluation.run(cached_store, items)) == \
            evaluation.summary(evaluation.run(fresh_store, items))


@pytest.mark.slow
def test_a_cached_danger_detector_decides_exactly_as_a_freshly_trained_one(tmp_path, store, trained):
    fresh = DangerDetector(store.kb, models=trained["danger"])  # as trained
    cache = IndexCache(tmp_path)
    cache.load_or_build("danger", b"kb", b"code", build=lambda: fresh.models, use=lambda models: None)  # saved
    cached = cache.load_or_build("danger", b"kb", b"code", build=no_build,
                                 use=lambda models: DangerDetector(store.kb, models=models))  # loaded from the file
    texts = danger_texts(store)
    assert len(texts) >= 700 and any(alarm for alarm, _ in alarms(fresh, texts[:40]))
    assert alarms(cached, texts) == alarms(fresh, texts)


def session_cache_copy(into: Path) -> Path:
    """The indexes trained so far in this run, copied (a test that spoils or prunes them must not spoil the run's).
    Another worker process may prune one of them meanwhile: it is not copied."""
    into.mkdir(parents=True, exist_ok=True)
    for path in Path(os.environ["BOT_CACHE_DIR"]).glob("*.arrays"):
        try:
            (into / path.name).write_bytes(path.read_bytes())
        except FileNotFoundError:
            continue
    return into


def test_the_cache_file_holds_plain_arrays_only(store, tmp_path):
    """A cache file can never run code when loaded: no pickled objects in it."""
    session_cache_copy(tmp_path)
    for component in ("matcher", "danger"):
        files = list(tmp_path.glob(f"{component}-*.arrays"))
        assert files, f"the session's store saved its {component} index"
        for name, array in read_arrays(files[0])[1].items():
            assert array.dtype.kind in "biuf", name
    with pytest.raises(TypeError), (tmp_path / "objects.arrays").open("wb") as f:
        write_arrays(f, "key", {"objects": np.array([print], dtype=object)})


@pytest.mark.slow
@pytest.mark.parametrize("spoil", ["cut off", "one byte changed"])
def test_a_corrupt_cache_file_is_rebuilt_not_trusted(tmp_path, store, monkeypatch, trained, spoil):
    for path in session_cache_copy(tmp_path).glob("*.arrays"):
        whole = bytearray(path.read_bytes())
        if spoil == "cut off":  # as by a full disk
            whole = whole[: len(whole) // 2]
        else:  # as by a bad disk: a weight the matcher or detector reads, not the header
            whole[len(whole) * 2 // 3] ^= 0x10
        path.write_bytes(bytes(whole))
    with monkeypatch.context() as m:
        built = rebuilt_as_trained(m, trained)
        rebuilt = KnowledgeStore(DEFAULT_ROOT, tmp_path)
    assert built == ["matcher", "danger"]
    texts, dangers = question_texts(store)[:40], danger_texts(store)[::8]
    assert decisions(rebuilt.matcher, texts) == decisions(store.matcher, texts)
    assert alarms(rebuilt.danger, dangers) == alarms(store.danger, dangers)
    monkeypatch.setattr(Matcher, "_build", no_build)  # and the files written again are whole
    monkeypatch.setattr(DangerDetector, "_train", no_build)
    again = KnowledgeStore(DEFAULT_ROOT, tmp_path)
    assert decisions(again.matcher, texts) == decisions(store.matcher, texts)
    assert alarms(again.danger, dangers) == alarms(store.danger, dangers)


@pytest.mark.slow
def test_arrays_that_do_not_fit_the_knowledge_base_are_rebuilt(tmp_path, store, monkeypatch, trained):
    """A file whose arrays belong to another knowledge base (renamed by hand) is never used."""
    spoil = {"matcher": ("doc_class", lambda a: a[:10]), "danger": ("char_idf", lambda a: a[:10])}
    session = session_cache_copy(tmp_path / "session")
    for component, (name, cut) in spoil.items():
        for source in session.glob(f"{component}-*.arrays"):
            key, arrays = read_arrays(source)
            arrays[name] = cut(arrays[name])
            with (tmp_path / source.name).open("wb") as f:
                write_arrays(f, key, arrays)
    built = rebuilt_as_trained(monkeypatch, trained)
    rebuilt = KnowledgeStore(DEFAULT_ROOT, tmp_path)
    assert built == ["matcher", "danger"]
    texts, dangers = question_texts(store)[:40], danger_texts(store)[::8]
    assert decisions(rebuilt.matcher, texts) == decisions(store.matcher, texts)
    assert alarms(rebuilt.danger, dangers) == alarms(store.danger, dangers)


def test_an_edited_knowledge_base_trains_a_new_index(kb_copy, tmp_path, line_of):
    """The key is the knowledge content: after an edit the old index is not used (the bot would answer from
    examples that are gone)."""
    before = KnowledgeStore(kb_copy, session_cache_copy(tmp_path))
    files = set(tmp_path.glob("matcher-*.arrays"))
    assert before.matcher.match("zqx vorpal blorb quux").outcome == "declined"
    wages = kb_copy / "entries" / "wages.yaml"
    text = wages.read_text(encoding="utf-8")
    wages.write_text(text.replace("examples:\n      en:\n", "examples:\n      en:\n        - zqx vorpal blorb quux\n", 1),
                     encoding="utf-8")
    after = KnowledgeStore(kb_copy, tmp_path)
    assert len(set(tmp_path.glob("matcher-*.arrays")) - files) == 1
    assert after.matcher.match("zqx vorpal blorb quux").outcome != "declined"


@pytest.mark.slow
def test_a_cached_start_imports_no_scikit_learn(store):
    """scikit-learn (2.5 s of imports) is for training only."""
    code = ("import sys; from bot.knowledge.store import KnowledgeStore; KnowledgeStore(); "
            "print('sklearn' in sys.modules, 'scipy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=os.environ.copy())
    assert done.stdout.split() == ["False", "False"], done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command, imported", [(["purge"], "MATCHER False NUMPY False"),
                                               (["export"], "MATCHER False NUMPY False"),
                                               (["kb", "history"], "MATCHER False NUMPY False"),
                                               (["report", "--out", "REPORT"], "MATCHER False")])
def test_commands_that_match_no_text_import_no_matcher(command, imported, tmp_path):
    """Nor numpy (a third of a bare start), but for the report, which reads the knowledge base's cached checks."""
    command = [str(tmp_path / "r.html") if part == "REPORT" else part for part in command]
    code = ("import sys\nfrom bot.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('MATCHER', 'bot.understanding.matcher' in sys.modules, 'NUMPY', 'numpy' in sys.modules)")
    env = os.environ | {"BOT_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code, *command], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=env)
    assert imported in done.stdout, done.stdout + done.stderr


def test_translation_findings_read_from_the_cache_are_the_checks_own(kb_copy, add_entry, tmp_path, monkeypatch):
    """The translation check's findings are cached by the files' text: a second load reads them, the same ones."""
    from bot.knowledge import translation
    from bot.knowledge.check import check
    from bot.knowledge.indexcache import IndexCache

    add_entry("Complain within 7 days.", "شکایت کریں۔", "7 ڏينهن ۾ شڪايت ڪريو.")
    first = [str(p) for p in check(kb_copy, self_test=False, cache=IndexCache(tmp_path)).problems]
    assert any("does not say the same as the English" in p for p in first)
    monkeypatch.setattr(translation, "compare", lambda entry: pytest.fail("compared again"))
    assert [str(p) for p in check(kb_copy, self_test=False, cache=IndexCache(tmp_path)).problems] == first


def same_values(a: object, b: object, where: str = "kb") -> None:
    """``a`` and ``b`` equal, and of the same types all the way down (a tuple is not a list, a read-only mapping
    not a dict): code that relies on either behaves the same."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same_values(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, Mapping) and isinstance(b, Mapping):
        assert list(a) == list(b), where
        for key in a:
            same_values(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same_values(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_a_cached_knowledge_base_is_exactly_the_one_its_files_give(kb_copy, tmp_path, monkeypatch):
    """A start with unchanged files reads the loaded knowledge base and its findings instead of the YAML: the
    same values, of the same types; an edit is read from the files again."""
    from bot.knowledge import loader

    loaded = load_with_problems(kb_copy)
    load_with_problems(kb_copy, IndexCache(tmp_path))  # saved
    with monkeypatch.context() as m:
        m.setattr(loader, "_read", no_build)
        cached = load_with_problems(kb_copy, IndexCache(tmp_path))
    same_values(cached, loaded)
    facts = kb_copy / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("value: 40000", "value: 41000", 1), encoding="utf-8")
    kb, _ = load_with_problems(kb_copy, IndexCache(tmp_path))
    assert kb is not None and kb.facts["minimum_wage_unskilled"].value == 41000


def test_phrases_read_from_the_cache_are_the_ones_tokenised_afresh(store, tmp_path, monkeypatch):
    """The matcher's and the detector's cues, guards and vocabulary words, as tokens: the cached ones are exactly
    what tokenising the lists gives, and a changed list is tokenised again."""
    import hashlib
    import json

    from bot.knowledge.store import phrase_tokens
    from bot.understanding import danger, matcher, phrases

    def digest(lists):
        return hashlib.sha256(json.dumps(lists, ensure_ascii=False).encode("utf-8")).digest()

    for component, module in (("matcher", matcher), ("danger", danger)):
        lists = module.phrase_lists(store.kb)
        fresh = phrases.tokenise(lists)
        assert phrase_tokens(component, lambda lists=lists: lists, digest(lists), IndexCache(tmp_path)) == fresh  # saved
        with monkeypatch.context() as m:
            m.setattr(phrases, "tokenise", no_build)
            assert phrase_tokens(component, lambda lists=lists: lists, digest(lists), IndexCache(tmp_path)) == fresh
        changed = {**lists, "filler": [*lists["filler"], ("zebra blorb", "")]}
        tokenised = phrase_tokens(component, lambda changed=changed: changed, digest(changed), IndexCache(tmp_path))
        assert tokenised["filler"][-1] == (("zebra", "blorb"), "")


def test_the_components_inputs_are_read_from_the_cache_while_the_files_are_unchanged(kb_copy, tmp_path, monkeypatch):
    """The digests the matcher's and detector's keys are made of are kept under the knowledge files: the same ones
    a fresh computation gives, not computed again on a start with the same files, and computed again after an edit."""
    from bot.knowledge.loader import knowledge_source
    from bot.knowledge.store import component_inputs
    from bot.understanding import matcher

    kb, _ = load_with_problems(kb_copy)
    fresh = component_inputs(kb, IndexCache(tmp_path))
    assert component_inputs(kb, IndexCache(tmp_path), knowledge_source(kb_copy)) == fresh  # saved
    with monkeypatch.context() as m:
        m.setattr(matcher, "index_inputs", no_build)
        assert component_inputs(kb, IndexCache(tmp_path), knowledge_source(kb_copy)) == fresh
    wages = kb_copy / "entries" / "wages.yaml"
    wages.write_text(wages.read_text(encoding="utf-8").replace("examples:\n      en:\n",
                                                               "examples:\n      en:\n        - zebra blorb\n", 1),
                     encoding="utf-8")
    edited, _ = load_with_problems(kb_copy)
    inputs = component_inputs(edited, IndexCache(tmp_path), knowledge_source(kb_copy))
    assert inputs == component_inputs(edited, IndexCache(tmp_path)) and inputs["matcher"] != fresh["matcher"]


def test_a_start_from_the_snapshot_shows_every_figure_as_babel_does_without_loading_it(kb_copy, tmp_path, monkeypatch):
    """The facts' figures ("Rs 40,000", "1 جولائی 2025") are kept in the snapshot as Babel shows them: a start that
    reads it shows the same ones, without importing Babel's formatting or loading a locale (10 ms)."""
    import json

    from bot.knowledge import facts

    load_with_problems(kb_copy, IndexCache(tmp_path))  # saved
    code = ("import json, sys\nfrom pathlib import Path\nfrom bot.knowledge.indexcache import IndexCache\n"
            "from bot.knowledge.loader import load_with_problems\nfrom bot.knowledge.facts import format_fact\n"
            "kb, _ = load_with_problems(Path(sys.argv[1]), IndexCache(Path(sys.argv[2])))\n"
            "shown = [format_fact(f, lang, a) for f in kb.facts.values() for lang in ('en', 'ur', 'sd', 'ur-Latn') "
            "for a in (None, 'effective')]\n"
            "print(json.dumps([shown, 'babel.dates' in sys.modules or 'babel.numbers' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code, str(kb_copy), str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=os.environ.copy())
    shown, babel_formatting = json.loads(done.stdout or done.stderr)
    monkeypatch.setattr(facts, "_SHOWN", {})  # formatted by Babel afresh
    kb, _ = load_with_problems(kb_copy)
    assert kb is not None and "Rs 40,000" in shown
    assert shown == [facts.format_fact(f, lang, a) for f in kb.facts.values() for lang in ("en", "ur", "sd", "ur-Latn")
                     for a in (None, "effective")]
    assert not babel_formatting
