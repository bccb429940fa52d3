"""The placeholder Streamlit page renders the registry's entries (Streamlit's AppTest)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from registry.api import Registry
from tests.conftest import ADMIN, iap_values

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_home_page_lists_entries(tmp_path: Path, monkeypatch) -> None:
    db = tmp_path / "registry.gpkg"
    reg = Registry(str(db))
    reg.init()
    reg.create(iap_values(name="Clúster visible"), ADMIN)
    monkeypatch.setenv("IAP_REGISTRY_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.metric[0].value == "1"
    assert "Clúster visible" in at.dataframe[1].value["name"].tolist()
