"""What every config model shares: strict keys, immutability, docstrings as documentation."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, use_attribute_docstrings=True
    )
