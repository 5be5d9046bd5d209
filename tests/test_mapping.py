"""The mapping spec: SPEC's simplest form works; every problem is located, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadkit.errors import MappingError
from leadkit.mapping import load_mapping, parse_mapping

ROOT = Path(__file__).parent.parent


def test_specs_simplest_form() -> None:
    m = parse_mapping(
        """
target: salesforce
columns:
  email: "E-mail Address"
  first_name: First
  last_name: Last
  company: [Company, Organization]
  phone: "Phone #"
  country: Country/Region
"""
    )
    assert m.target == "salesforce"
    assert m.columns["company"] == ["Company", "Organization"]
    assert m.source_headers()[0] == "E-mail Address"


def test_every_bundled_mapping_loads() -> None:
    for path in sorted((ROOT / "mappings").glob("*.yaml")):
        loaded = load_mapping(path)
        assert loaded.name
        assert len(loaded.sha256) == 64


def problems(text: str) -> list[str]:
    with pytest.raises(MappingError) as e:
        parse_mapping(text, source="m.yaml")
    return e.value.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "columns:\n  emial: E-mail\n",
            "m.yaml:2:3: columns.emial: unknown field 'emial' - did you mean 'email'?",
        ),
        (
            "columns:\n  email: E\nconstants:\n  campain: Q4\n",
            "m.yaml:4:3: constants.campain: unknown field 'campain' - did you mean 'campaign'?",
        ),
        (
            "columns:\n  email: E\ndefualt_country: US\n",
            "m.yaml:3:1: defualt_country: unknown setting 'defualt_country' - did you mean 'default_country'?",
        ),
        (
            "columns:\n  email: E\ninvalid:\n  phone: drop\n",
            "m.yaml:4:10: invalid.phone: unknown value 'drop' (expected keep, blank, reject)",
        ),
        (
            "columns:\n  phone: 12\n",
            "m.yaml:2:10: columns.phone: expected a header name or a list of header names",
        ),
        ("target: salesforce\n", "m.yaml:1:1: columns: required setting missing"),
        (
            "columns:\n  email: E\nmatching:\n  auto: 0.5\n  review: 0.8\n",
            "m.yaml:4:3: matching: value error, 'review' must not be above 'auto'",
        ),
        (
            "columns:\n  email: E\ncustom:\n  X__c: {}\n",
            "m.yaml:4:9: custom.X__c: value error, give exactly one of 'column' or 'value'",
        ),
        (
            "columns: [email\n",
            "m.yaml:2:1: malformed YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "- just\n- a list\n",
            "m.yaml:1: a mapping is a YAML dictionary with 'columns:' (got list)",
        ),
    ],
)
def test_problem_is_located(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_all_problems_reported_at_once_in_file_order() -> None:
    found = problems("columns:\n  emial: E\n  phon: P\nconstants:\n  campain: Q\n")
    assert [p.split(":")[1] for p in found] == ["2", "3", "5"]


def test_missing_mapping_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="mapping file not found"):
        load_mapping(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "columns:\n  email: E\ncustom:\n  X:\n    colum: A\n",
            "m.yaml:5:5: custom.X.colum: unknown setting 'colum' - did you mean 'column'?",
        ),
        (
            "columns:\n  email: E\ninput:\n  delimeter: ';'\n",
            "m.yaml:4:3: input.delimeter: unknown setting 'delimeter' - did you mean 'delimiter'?",
        ),
    ],
)
def test_did_you_mean_inside_nested_settings(text: str, expected: str) -> None:
    assert problems(text) == [expected]


# --- the fast YAML loader reads every bundled file as the pure-Python one does ---------------
@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "mappings").glob("*.yaml"))
    + sorted((ROOT / "leadkit" / "targets").glob("*.yaml")),
    ids=lambda p: p.name,
)
def test_yaml_loaders_agree(path: Path) -> None:
    import yaml

    from leadkit.mapping import yaml_data, yaml_nodes

    text = path.read_text(encoding="utf-8")
    assert yaml_data(text) == yaml.safe_load(text)

    def marks(node: yaml.Node | None) -> list[tuple[str, int, int]]:
        if node is None:
            return []
        found = [(node.tag, node.start_mark.line, node.start_mark.column)]
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                found += marks(key) + marks(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                found += marks(item)
        return found

    assert marks(yaml_nodes(text)) == marks(yaml.compose(text, Loader=yaml.SafeLoader))
