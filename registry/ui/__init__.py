"""The Streamlit app: the only package that imports streamlit, folium and streamlit_folium.

Pages (``registry.ui.pages``) talk only to ``registry.api``; session keys live in
``state``, caches in ``resources``, map building in ``mapview``, the map widget adapter in
``components``.
"""
