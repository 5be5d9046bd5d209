from __future__ import annotations

from pathlib import Path

import pytest

from leadkit.errors import MappingError
from leadkit.targets import BUILTIN, load_target


@pytest.mark.parametrize(
    ("name", "id_column", "required", "inverse"),
    [
        ("salesforce", "Id", ["last_name", "company"], True),
        ("hubspot", "Record ID", ["email"], True),
        ("marketo", "Id", ["email"], True),
        ("generic", "id", ["email"], False),
    ],
)
def test_builtin_targets_declare_specs_contract(
    name: str, id_column: str, required: list[str], inverse: bool
) -> None:
    t = load_target(name)
    assert (t.id_column, t.required, t.opt_in_inverse) == (id_column, required, inverse)


def test_salesforce_length_limits() -> None:
    t = load_target("salesforce")
    limits = {f: s.max_length for f, s in t.fields.items()}
    assert (
        limits["first_name"],
        limits["last_name"],
        limits["company"],
        limits["postal_code"],
        limits["city"],
    ) == (
        40,
        80,
        255,
        20,
        40,
    )


def test_custom_target_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "pipedrive.yaml"
    path.write_text(
        "name: pipedrive\nid_column: ID\nrequired: [email]\nfields:\n  email: {column: Email}\n"
    )
    t = load_target("pipedrive.yaml", relative_to=tmp_path)
    assert t.name == "pipedrive"
    assert t.column("email") == "Email"


def test_custom_target_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nid_column: ID\nfields:\n  emial: {column: Email}\n")
    with pytest.raises(MappingError) as e:
        load_target(str(path))
    assert e.value.problems == [
        f"{path}:4:3: fields.emial: unknown field 'emial' - did you mean 'email'?"
    ]


def test_unknown_target_names_the_choices() -> None:
    with pytest.raises(MappingError, match="use one of " + ", ".join(BUILTIN)):
        load_target("dynamics")
