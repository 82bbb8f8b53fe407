"""Mapping semantics, supersets, conflicts and both kinds of shadowing."""

import re

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.impax.cluster_link.plugins.module_utils.estate import mapping
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.findings import Findings
from ansible_collections.impax.cluster_link.plugins.module_utils.estate.mapping import MappingTable, Row

TABLE = [
    {"pattern": "%HEAD%", "rule": 100, "label": "NEURO"},
    {"pattern": "CT%", "rule": 50, "label": "CT"},
    {"pattern": "%CH%ST%", "rule": 200, "label": "CHEST"},
    {"pattern": "XR", "rule": 10, "label": "PLAIN"},
    {"pattern": "%100%%", "rule": 300, "label": "PCT"},
    {"pattern": "%", "rule": 1000000, "label": "BODY"},
]

EVALUATOR_CASES = [
    ("CT HEAD", "CT"),              # lowest rule number wins
    ("MR HEAD", "NEURO"),
    ("mr head", "BODY"),            # case-sensitive
    ("XR CHEST", "CHEST"),          # %CH%ST% matches across words
    ("XR", "PLAIN"),                # literal pattern: whole string only
    ("XR ", "BODY"),
    ("HEAD", "NEURO"),              # % matches the empty run
    ("A 100% DOSE", "PCT"),         # %% is just two wildcards
    ("", "BODY"),
    ("CT", "CT"),
    ("multi\nline HEAD", "NEURO"),  # % crosses newlines
    ("H_AD", "BODY"),               # _ is literal, not a wildcard
]


@pytest.mark.parametrize("text,label", EVALUATOR_CASES)
def test_evaluator(text, label):
    assert mapping.evaluate(TABLE, [text], "specialty") == [label]


@pytest.mark.parametrize("table,default", [("body_part", "DEFAULT"), ("specialty", "BODY"), ("patient_location", "SITE")])
def test_default_labels(table, default):
    assert mapping.evaluate([{"pattern": "X", "rule": 1, "label": "L"}], ["nothing"], table) == [default]


def test_equal_rule_numbers_break_ties_by_pattern():
    rows = [{"pattern": "%B%", "rule": 5, "label": "B"}, {"pattern": "%A%", "rule": 5, "label": "A"}]
    assert mapping.evaluate(rows, ["AB"], "specialty") == ["A"]


def _analysed(tables, samples=None):
    findings = Findings()
    result = mapping.analyse({"specialty": tables}, {"specialty": samples or {}}, findings)
    return result["specialty"], findings


def _superset(tables, samples=None):
    return _analysed(tables, samples)[1]


def test_superset_is_union_with_sites():
    rows, findings = _analysed({
        "a": [{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}, {"pattern": "%", "rule": 1000000, "label": "BODY"}],
        "b": [{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}, {"pattern": "%LUNG%", "rule": 150, "label": "CHEST"},
              {"pattern": "%", "rule": 1000000, "label": "BODY"}],
    })
    assert [(r["pattern"], r["sites"]) for r in rows] == [("%HEAD%", ["a", "b"]), ("%LUNG%", ["b"]), ("%", ["a", "b"])]
    assert not findings.errors()


def test_conflict_same_pattern_different_label():
    findings = _superset({"a": [{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}],
                          "b": [{"pattern": "%HEAD%", "rule": 100, "label": "ENT"}]})
    assert [f.rule for f in findings.errors()] == ["ICL021"]
    assert "NEURO at a" in findings.errors()[0].message and "ENT at b" in findings.errors()[0].message


def test_conflict_same_pattern_different_rule_takes_lowest():
    rows, findings = _analysed({"a": [{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}],
                                "b": [{"pattern": "%HEAD%", "rule": 70, "label": "NEURO"}]})
    assert rows[0]["rule"] == 70
    assert "ICL022" in [f.rule for f in findings]


def test_sample_shadowing_names_description_labels_and_rows():
    findings = _superset(
        {"a": [{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}, {"pattern": "%", "rule": 1000000, "label": "BODY"}],
         "b": [{"pattern": "%CT%", "rule": 50, "label": "ABDO"}, {"pattern": "%", "rule": 1000000, "label": "BODY"}]},
        {"a": [{"description": "CT HEAD", "label": "NEURO"}]})
    shadow = [f for f in findings if f.rule == "ICL202"]
    assert len(shadow) == 1
    data = shadow[0].data
    assert (data["description"], data["local_label"], data["superset_label"]) == ("CT HEAD", "NEURO", "ABDO")
    assert data["local_row"]["pattern"] == "%HEAD%" and data["superset_row"]["pattern"] == "%CT%"
    assert data["superset_row_sites"] == ["b"]


def test_structural_shadowing_gives_a_proven_example():
    findings = _superset(
        {"a": [{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}],
         "b": [{"pattern": "%CT%", "rule": 50, "label": "ABDO"}]})
    found = [f for f in findings if f.rule == "ICL203"]
    assert len(found) == 1
    example = found[0].data["example"]
    assert mapping.evaluate([{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}], [example], "specialty") == ["NEURO"]
    both = [{"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}, {"pattern": "%CT%", "rule": 50, "label": "ABDO"}]
    assert mapping.evaluate(both, [example], "specialty") == ["ABDO"]


def test_structural_shadowing_respects_the_sites_own_earlier_rows():
    # a already sends CT studies to its own CT row before HEAD: b's %CT% changes nothing a labels via %HEAD%... except
    # strings without CT; those cannot match b's row, so no finding.
    findings = _superset(
        {"a": [{"pattern": "%CT%", "rule": 10, "label": "ABDO"}, {"pattern": "%HEAD%", "rule": 100, "label": "NEURO"}],
         "b": [{"pattern": "%CT%", "rule": 50, "label": "ABDO"}]})
    assert not [f for f in findings if f.rule == "ICL203"]


def test_structural_shadowing_prefix_suffix_incompatible():
    findings = _superset({"a": [{"pattern": "MR%", "rule": 100, "label": "NEURO"}],
                          "b": [{"pattern": "CT%", "rule": 50, "label": "ABDO"}]})
    assert not [f for f in findings if f.rule == "ICL203"]


# -- properties -----------------------------------------------------------------------------
ALPHABET = "ABC %"
patterns = st.text(alphabet=ALPHABET, min_size=1, max_size=6)
texts = st.text(alphabet="ABC ", max_size=8)


def brute_label(rows, text, default):
    best = None
    for row in rows:
        regex = "^" + ".*".join(re.escape(s) for s in row["pattern"].split("%")) + r"\Z"
        if re.match(regex, text, re.DOTALL) and (best is None or (row["rule"], row["pattern"]) < (best["rule"], best["pattern"])):
            best = row
    return best["label"] if best else default


rows_strategy = st.lists(st.fixed_dictionaries({"pattern": patterns, "rule": st.integers(1, 20),
                                                "label": st.sampled_from(["X", "Y", "Z"])}), max_size=12)


@settings(max_examples=300, deadline=None)
@given(rows_strategy, st.lists(texts, max_size=10))
def test_indexed_lookup_equals_linear_scan(rows, samples):
    table = MappingTable([Row(r["pattern"], r["rule"], r["label"]) for r in rows], "D")
    for text in samples:
        assert table.label(text) == brute_label(rows, text, "D")


def brute_matches(pattern, text):
    return re.match("^" + ".*".join(re.escape(s) for s in pattern.split("%")) + r"\Z", text, re.DOTALL) is not None


@settings(max_examples=300, deadline=None)
@given(rows_strategy, st.lists(st.text(alphabet="ABC ", max_size=12), max_size=10))
def test_every_match_is_found_through_the_index(rows, samples):
    # the index (inner parts read at every position, prefixes and suffixes at the ends, a part set test before
    # each row's own matcher) finds exactly the rows a linear scan finds
    built = [Row(r["pattern"], r["rule"], r["label"]) for r in rows]
    table = MappingTable(built, "D")
    for text in samples:
        found = sorted(row.order for row in table.all_matches(text))
        assert found == sorted(row.order for row in table.rows if brute_matches(row.pattern, text))
        for row in built:
            assert row.matches(text) == brute_matches(row.pattern, text), (row.pattern, text)


@settings(max_examples=300, deadline=None)
@given(patterns, patterns)
def test_intersection_agrees_with_witness(p, q):
    rp, rq = Row(p, 1, "X"), Row(q, 2, "Y")
    found = mapping.witnesses(rp, rq)
    for text in found:
        assert rp.matches(text) and rq.matches(text)
    if mapping.patterns_intersect(rp, rq):
        assert found
    else:
        # no string over a small alphabet matches both (exhaustive up to length 6)
        import itertools
        for n in range(7):
            for chars in itertools.product("ABC ", repeat=n):
                text = "".join(chars)
                assert not (rp.matches(text) and rq.matches(text)), (p, q, text)
                if n > 4:
                    break


site_tables = st.dictionaries(st.sampled_from(["s1", "s2", "s3"]), rows_strategy, min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(site_tables, st.lists(texts, max_size=6))
def test_superset_keeps_site_labels_when_no_finding(tables, descriptions):
    # samples expect exactly what each site's own table says, so only shadowing can break them
    samples = {}
    for site, rows in tables.items():
        own = MappingTable(mapping.site_rows(rows, site), "BODY")
        samples[site] = [{"description": d, "label": own.label(d)} for d in descriptions]
    findings = Findings()
    result = mapping.analyse({"specialty": tables}, {"specialty": samples}, findings, structural=False)
    superset = MappingTable([Row(r["pattern"], r["rule"], r["label"], r["sites"]) for r in result["specialty"]], "BODY")
    for site in tables:
        flagged = set(f.obj for f in findings if f.rule in ("ICL202", "ICL021") and f.cluster == site)
        conflicts = any(f.rule == "ICL021" for f in findings)
        for sample in samples[site]:
            if sample["description"] not in flagged and not conflicts:
                assert superset.label(sample["description"]) == sample["label"]
