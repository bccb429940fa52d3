"""The examples in docstrings are run, so they stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import registry

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(registry.__path__, "registry.")
    # the Streamlit script and its pages run when imported
    if not m.name.startswith("registry.ui.views") and m.name != "registry.ui.main"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_examples_exist() -> None:
    attempted = sum(
        doctest.testmod(importlib.import_module(n), report=False).attempted for n in MODULES
    )
    assert attempted >= 10
