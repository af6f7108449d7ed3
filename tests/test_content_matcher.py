"""The keyword matcher, YAML positions, bundles and the library's version switching, as units."""
from __future__ import annotations

import pytest

from library.bundle import changed_paths, pack, summarize_changes, unpack
from library.matcher import AhoCorasick, Matcher, Target, exact_form, normalize
from library.yamlpos import YamlProblem, load_yaml


def test_normalize_folds_case_width_and_space():
    assert normalize("ＫＯＬ　营销") == "kol 营销"
    assert exact_form("「KOL」？") == "kol"
    assert exact_form("B2B!!") == "b2b"


def test_aho_corasick_finds_every_occurrence_including_overlaps():
    automaton = AhoCorasick(["he", "she", "his", "hers"])
    found = sorted((automaton.words[i], end) for i, end in automaton.find("ushers"))
    assert found == [("he", 4), ("hers", 6), ("she", 4)]


def _targets() -> list[Target]:
    return [Target("exact-kol", "E", "exact", "KOL"),
            Target("regex-b2b", "R", "regex", r"^b2b\s*营销"),
            Target("low", "L", "contains", "营销", priority=0, order=1),
            Target("high", "H", "contains", "品牌营销", priority=5, order=2),
            Target("menu", "M", "exact", "kol", tier=1),
            Target("latin", "A", "contains", "amx", order=3)]


@pytest.mark.parametrize("text, rule, kind", [
    ("kol", "exact-kol", "exact"),            # explicit rule beats the menu name with the same text
    ("B2B 营销方案", "regex-b2b", "regex"),     # regex before contains although "营销" is in it
    ("做品牌营销", "high", "contains"),          # priority among contains rules
    ("营销", "low", "contains"),
    ("AMX yogurt", "latin", "contains"),
    ("examx", None, None),                     # a Latin keyword must be a whole word
    ("", None, None),
])
def test_match_order(text, rule, kind):
    hit = Matcher(_targets()).match(text)
    assert (hit.target.rule if hit else None, hit.kind if hit else None) == (rule, kind)


def test_matching_many_rules_is_linear_in_the_text():
    targets = [Target(f"r{i}", i, "contains", f"keyword{i}x", order=i) for i in range(2000)]
    matcher = Matcher(targets)
    assert matcher.match("please tell me about keyword1999x today").target.rule == "r1999"
    assert matcher.match("nothing here " * 100) is None


def test_yaml_positions_and_duplicate_keys():
    doc = load_yaml("a: 1\nlist:\n  - x\n  - {k: v}\na: 2\n")
    assert doc.line(("list", 1, "k")) == 4
    assert doc.line(("list", 1, "missing")) == 4
    assert doc.duplicates == [(("a",), 5)]
    with pytest.raises(YamlProblem) as problem:
        load_yaml("a: [1, 2\nb: 3\n", first_line=2)
    assert problem.value.line >= 2 and problem.value.hint


def test_bundle_round_trip_and_change_summary():
    old = {"rules.yaml": "a", "menu.yaml": "m", "articles/en/x.md": "x"}
    new = {"rules.yaml": "b", "menu.yaml": "m", "articles/en/y.md": "y"}
    assert unpack(pack(new)) == new
    assert changed_paths(old, new) == (["articles/en/y.md"], ["articles/en/x.md"], ["rules.yaml"])
    assert summarize_changes(old, new) == "added articles/en/y.md; changed rules.yaml; removed articles/en/x.md"
    assert summarize_changes(old, old) == "no changes"


def test_regex_gate_keeps_rank_order_across_many_regexes():
    targets = [Target(f"anchored-{i}", i, "regex", rf"^(rx{i}|正则{i})\s*\d*$", order=i) for i in range(60)]
    targets += [Target("floating-low", "F", "regex", r"price\s*list", priority=0, order=100),
                Target("floating-high", "G", "regex", r"list", priority=9, order=101)]
    matcher = Matcher(targets)
    assert matcher._regex_gate is not None
    assert matcher.match("rx42 7").target.rule == "anchored-42"
    assert matcher.match("正则7").target.rule == "anchored-7"
    assert matcher.match("send the price list").target.rule == "floating-high"     # priority 9 wins
    assert matcher.match("say rx42") is None                                      # anchored: not mid-text


def test_regexes_with_backreferences_are_checked_one_by_one():
    matcher = Matcher([Target("double", "D", "regex", r"(ha)\1"), Target("other", "O", "regex", r"(zz)\1")])
    assert matcher._regex_gate is None                  # combined, \1 would point at the wrong group
    assert matcher.match("hahaha").target.rule == "double"


def test_aho_corasick_finds_every_overlapping_keyword_by_end_then_longest():
    from library.matcher import AhoCorasick

    automaton = AhoCorasick(["he", "she", "hers", "his", "小红书", "红书"])
    assert [(automaton.words[i], end) for i, end in automaton.find("ushers 小红书")] == [
        ("she", 4), ("he", 4), ("hers", 6), ("小红书", 10), ("红书", 10)]
    assert AhoCorasick([]).find("anything") == [] and automaton.find("") == []
    assert automaton.find("x" * 100_000) == []          # a pasted essay costs one C pass, no state grows
