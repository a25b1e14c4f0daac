"""docs/vigil-apply.schema.json is the schema the API serves and apply checks with."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from shared import ascode_format

pytestmark = pytest.mark.unit

DOC = Path(__file__).parent.parent.parent / "docs" / "vigil-apply.schema.json"


def test_the_published_schema_is_the_one_in_use():
    # Regenerate: python -c "import json; from shared import ascode_format as f; ..." (see
    # docs/CONFIG-AS-CODE.md); the file is what editors point at.
    assert json.loads(DOC.read_text()) == ascode_format.json_schema()


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(ascode_format.json_schema())
