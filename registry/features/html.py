"""The HTML encoding of the OGC API - Features answers (Part 1, requirements class HTML).

Each page is built from the same dict the JSON answer carries, so both always agree. Plain
HTML with no script and no external resource (the server sends a Content-Security-Policy
that forbids both), headings and tables a screen reader can follow, and every value that
comes from the data escaped. Hand-written rather than templated: the pages are a few
tables, and a template engine would be one more dependency to keep for them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

__all__ = ["CSP", "error", "page"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'"
_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:80rem;color:#1a1a1a}
table{border-collapse:collapse;font-size:.9rem}th,td{border:1px solid #bbb;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#eee}.wide{overflow-x:auto}
.items td{white-space:nowrap}nav a{margin-right:1rem}a{color:#0b57a4}code{background:#f3f3f3}
"""


def _e(value: Any) -> str:
    """A value as escaped text (null as an em dash)."""
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    return html.escape(str(value), quote=True)


def _as_html(href: str) -> str:
    """The same URL asking for HTML (``f=html``)."""
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "f"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("f", "html")])))


def _a(href: str, text: str, html_link: bool = True) -> str:
    target = _as_html(href) if html_link else href
    return f'<a href="{_e(target)}">{_e(text)}</a>'


def _links(links: Iterable[Mapping[str, str]]) -> str:
    rows = []
    for link in links:
        media = link.get("type", "")
        to_html = "json" in media and "openapi" not in media or media == "application/schema+json"
        label = link.get("title") or link.get("rel", "")
        rows.append(
            f"<li>{_a(link['href'], label, to_html)} <small>({_e(link.get('rel'))})</small></li>"
        )
    return "<ul>" + "".join(rows) + "</ul>" if rows else ""


def _document(title: str, body: str, url: str, base: str) -> str:
    return (
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f'<nav aria-label="API">{_a(base + "/", "Inicio / Home")}'
        f"{_a(base + '/collections', 'Colecciones / Collections')}"
        f'<a href="{_e(_json(url))}">JSON</a></nav>'
        f"<main><h1>{_e(title)}</h1>{body}</main></body></html>"
    )


def _json(href: str) -> str:
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "f"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("f", "json")])))


def _table(header: list[str], rows: list[list[str]], caption: str, css: str = "") -> str:
    head = "".join(f'<th scope="col">{h}</th>' for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<div class="wide"><table class="{css}"><caption>{_e(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def page(kind: str, body: Mapping[str, Any], url: str, base: str) -> str:
    """The HTML page of one answer.

    Parameters
    ----------
    kind : str
        The resource: landing, conformance, collections, collection, queryables, items,
        item or api.
    body : mapping
        The JSON answer of that resource.
    url : str
        The URL asked for (its JSON twin is linked from the page).
    base : str
        The API's root URL.

    Returns
    -------
    str
        A whole HTML document.
    """
    if kind == "landing":
        text = f"<p>{_e(body.get('description'))}</p>{_links(body['links'])}"
        return _document(str(body.get("title", "OGC API")), text, url, base)
    if kind == "conformance":
        items = "".join(f"<li><code>{_e(c)}</code></li>" for c in body["conformsTo"])
        return _document(
            "Clases de conformidad / Conformance classes", f"<ul>{items}</ul>", url, base
        )
    if kind == "collections":
        rows = [
            [
                _a(_self(c), c["id"]),
                _e(c.get("title")),
                _e(c.get("description")),
                _a(_self(c) + "/items", "features"),
            ]
            for c in body["collections"]
        ]
        table = _table(
            ["Id", "Título / Title", "Descripción / Description", "Elementos / Items"],
            rows,
            "Colecciones / Collections",
        )
        return _document("Colecciones / Collections", table, url, base)
    if kind == "collection":
        bbox = body["extent"]["spatial"]["bbox"][0]
        text = (
            f"<p>{_e(body.get('description'))}</p>"
            f"<p>Extensión / Extent (CRS84): <code>{_e(', '.join(map(str, bbox)))}</code></p>"
            f"{_links(body['links'])}"
        )
        return _document(str(body.get("title", body["id"])), text, url, base)
    if kind == "queryables":
        rows = [
            [
                f"<code>{_e(name)}</code>",
                _e(spec.get("type", spec.get("format"))),
                _e(spec.get("title")),
                _e(", ".join(spec.get("enum", [])) or spec.get("description", "")),
            ]
            for name, spec in body["properties"].items()
        ]
        header = ["Propiedad / Property", "Tipo / Type", "Título / Title", "Valores / Values"]
        return _document(
            str(body.get("title", "")), _table(header, rows, str(body["$id"])), url, base
        )
    if kind == "items":
        return _document("Elementos / Features", _items(body, url), url, base)
    if kind == "item":
        rows = [[f"<code>{_e(k)}</code>", _e(v)] for k, v in body["properties"].items()]
        geometry = body.get("geometry")
        shape = _e(geometry["type"]) if geometry else "—"
        text = (
            f"<p>Id: <code>{_e(body['id'])}</code> · Geometría / Geometry: {shape}</p>"
            + _table(["Propiedad / Property", "Valor / Value"], rows, str(body["id"]))
            + _links(body.get("links", []))
        )
        name = body["properties"].get("name") or body["properties"].get("region_name")
        return _document(str(name or body["id"]), text, url, base)
    return _document(
        kind, f"<pre>{_e(json.dumps(body, indent=1, ensure_ascii=False))}</pre>", url, base
    )


def _self(collection: Mapping[str, Any]) -> str:
    return next(link["href"] for link in collection["links"] if link["rel"] == "self")


def _items(body: Mapping[str, Any], url: str) -> str:
    features = body["features"]
    names: list[str] = []
    for feature in features:
        names += [k for k in feature["properties"] if k not in names]
    rows = []
    items = urlsplit(url)._replace(query="").geturl()
    for feature in features:
        props = feature["properties"]
        label = props.get("name") or props.get("region_name") or feature["id"]
        fid = _a(f"{items}/{quote(str(feature['id']), safe='')}", str(label))
        shape = feature["geometry"]["type"] if feature["geometry"] else None
        rows.append([fid, _e(shape), *(_e(_short(props.get(n))) for n in names)])
    titles = {"prev": "Página anterior / Previous page", "next": "Página siguiente / Next page"}
    pager = [{**ln, "title": titles[ln["rel"]]} for ln in body["links"] if ln["rel"] in titles]
    counts = (
        f"<p>{_e(body['numberReturned'])} de / of {_e(body['numberMatched'])}</p>"
        if "numberMatched" in body
        else ""
    )
    header = [
        "Elemento / Feature",
        "Geometría / Geometry",
        *(f"<code>{_e(n)}</code>" for n in names),
    ]
    caption = "Elementos de esta página / Features on this page"
    return counts + _table(header, rows, caption, "items") + _links(pager)


def _short(value: Any, width: int = 80) -> Any:
    """Long text cut for a table cell (the feature's own page shows it whole)."""
    if isinstance(value, str) and len(value) > width:
        return value[: width - 1] + "…"
    return value


def error(status: int, body: Mapping[str, Any]) -> str:
    """An error answer as an HTML page."""
    text = f"<p><code>{_e(body.get('code'))}</code>: {_e(body.get('description'))}</p>"
    return (
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8">'
        f"<title>{status}</title><style>{_STYLE}</style></head><body><main>"
        f"<h1>Error {status}</h1>{text}</main></body></html>"
    )
