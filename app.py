"""Streamlit entry point (router). The map, filters and forms arrive with issue 4; until
then this page shows what the registry holds, read through ``registry.api``."""

from __future__ import annotations

import streamlit as st

from registry.api import Registry
from registry.schema.codes import label

st.set_page_config(page_title="Registro IAP", layout="wide")


@st.cache_resource
def _registry() -> Registry:
    reg = Registry()
    reg.init()
    return reg


def _home() -> None:
    reg = _registry()
    st.title("Registro de iniciativas de articulación productiva")
    st.caption("Registry of productive-articulation initiatives (IAPs) and barrios comerciales")
    frame = reg.list()
    st.metric("Entradas / entries", len(frame))
    if len(frame):
        counts = frame.groupby("kind").size().rename(index=lambda k: label("kind", k)).rename("n")
        st.dataframe(counts)
        st.dataframe(
            frame[["name", "kind", "region_code", "comuna_code", "sector", "status"]],
            hide_index=True,
        )
    st.info(
        "El mapa y los formularios llegan en la próxima versión. / The map and forms come next."
    )


st.navigation([st.Page(_home, title="Inicio", default=True)]).run()
