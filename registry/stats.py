"""Statistics of a set of entries: pure functions on the frame that ``Registry.list`` returns.

They feed the dashboards and ``iap-registry stats``. Shares are of the entries counted;
an entry without a value is counted under ``None`` (shown as "(sin dato)"), never dropped.
Firm counts add only what entries report, and say how many entries reported one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from registry.i18n import tr
from registry.schema.codes import CODE_LISTS, label

if TYPE_CHECKING:  # pandas is loaded by the functions that count, not by ``BY_FIELDS``'s readers
    import pandas as pd

__all__ = ["BY_FIELDS", "Tally", "counts", "firms", "per_region", "summary", "tally"]

#: Fields that ``counts`` groups by: the field name and its code list (None: free codes).
BY_FIELDS: dict[str, str | None] = {
    "country": "country",
    "region_code": None,
    "comuna_code": None,
    "sector": "sector",
    "strategic_focus": "strategic_focus",
    "funding_source": "funding_source",
    "program": "program",
    "kind": "kind",
    "status": "status",
    "initiative_type": "initiative_type",
    "stage": "stage",
}
#: What ``summary`` reports when no field is chosen (the issue-3 list).
DEFAULT_BY = (
    "country",
    "region_code",
    "sector",
    "strategic_focus",
    "funding_source",
    "program",
    "kind",
    "status",
)


@dataclass(frozen=True)
class Tally:
    """The counts the statistics are made of, from a frame (``tally``) or from a database
    that counts them itself (``PostGISStore.tally``).

    ``values``: entries per value of each counted field (missing and empty values under
    None, values as text); ``firms``: as ``firms`` gives it; ``regions``: per region code,
    ``entries``, ``iap``, ``barrio`` and ``firms`` (reported member firms).
    """

    entries: int
    values: dict[str, dict[str | None, int]]
    firms: dict[str, int]
    regions: dict[str, dict[str, int]]


def tally(frame: pd.DataFrame, by: Sequence[str]) -> Tally:
    """Count ``frame``'s entries by each field in ``by``, their firms and their regions.

    ``frame`` needs the fields in ``by`` and ``region_code``, ``kind``, ``n_firms`` and
    ``n_businesses``."""
    return Tally(
        entries=len(frame),
        values={field: _tally(frame[field]) for field in by},
        firms=firms(frame),
        regions=_regions(frame),
    )


def counts(
    frame: pd.DataFrame | Tally,
    by: str,
    names: dict[str, str] | None = None,
    lang: str | None = None,
) -> list[dict[str, Any]]:
    """Count entries per value of ``by``, most frequent first.

    Parameters
    ----------
    frame : pandas.DataFrame or Tally
        Entries (one row each), as ``Registry.list`` returns them, or their ``Tally``.
    by : str
        A key of ``BY_FIELDS``.
    names : dict, optional
        Labels for values without a code list (e.g. region names by code).
    lang : str, optional
        Language of the labels.

    Returns
    -------
    list of dict
        ``value, label, count, share`` (share of ``len(frame)``, 0..1); ties by value.

    Examples
    --------
    >>> import pandas as pd
    >>> counts(pd.DataFrame({"kind": ["iap", "iap", None]}), "kind", lang="en")[0]
    {'value': 'iap', 'label': 'Productive-articulation initiative', 'count': 2, 'share': 0.6666666666666666}
    """
    if by not in BY_FIELDS:
        raise ValueError(by)
    if isinstance(frame, Tally):
        total, tallied = frame.entries, frame.values[by]
    else:
        total, tallied = len(frame), _tally(frame[by])
    code_list = BY_FIELDS[by]
    known = {c.code for c in CODE_LISTS[code_list]} if code_list is not None else set()
    out: list[dict[str, Any]] = []
    for value, n in tallied.items():
        if value is None:
            text = tr("no_value", lang=lang)
        elif value in known:
            text = label(code_list or "", value, lang)
        else:
            text = (names or {}).get(value, value)
        out.append({"value": value, "label": text, "count": int(n), "share": n / total})
    out.sort(key=lambda r: (-r["count"], r["value"] is None, r["value"] or ""))
    return out


def _key(value: Any) -> str | None:
    """A counted value as text; missing and empty values are None."""
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return None if value == "" else str(value)


def _tally(column: pd.Series) -> dict[str | None, int]:
    """Count the values of ``column`` (missing and empty ones under None): one grouped
    count over the column, then the few distinct values named as text (so ``5`` and
    ``"5"`` are one value, as in a file)."""
    out: dict[str | None, int] = {}
    for value, n in column.value_counts(dropna=False).items():
        key = _key(value)
        out[key] = out.get(key, 0) + int(n)
    return out


def firms(frame: pd.DataFrame) -> dict[str, int]:
    """Member firms reported by the entries.

    Returns
    -------
    dict
        ``firms`` (sum of ``n_firms``, IAPs), ``firms_reported_by`` (entries giving it),
        ``businesses`` (sum of ``n_businesses``, barrios), ``businesses_reported_by``.
    """
    import pandas as pd

    out: dict[str, int] = {}
    for field, key in (("n_firms", "firms"), ("n_businesses", "businesses")):
        column = pd.to_numeric(frame[field], errors="coerce") if len(frame) else pd.Series([])
        out[key] = int(column.sum(skipna=True)) if len(frame) else 0
        out[f"{key}_reported_by"] = int(column.notna().sum()) if len(frame) else 0
    return out


def per_region(
    frame: pd.DataFrame | Tally,
    employment: pd.DataFrame,
    names: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Entries per region, normalised by the region's employment.

    Parameters
    ----------
    frame : pandas.DataFrame or Tally
        Entries, or their ``Tally``.
    employment : pandas.DataFrame
        One indicator's rows for one year and period: ``region_code, value`` (thousand
        employed), ``year``, ``indicator``.
    names : dict, optional
        Region names by code.

    Returns
    -------
    list of dict
        For every region with entries or employment: ``region_code, region_name, entries,
        initiatives, barrios, firms, employed_thousands, entries_per_100k_employed``
        (None where the region has no employment value), with the ``indicator`` and
        ``year`` of the employment figure used.
    """
    emp = dict(zip(employment["region_code"], employment["value"], strict=True))
    indicator = str(employment["indicator"].iloc[0]) if len(employment) else None
    year = int(employment["year"].iloc[0]) if len(employment) else None
    tallies = frame.regions if isinstance(frame, Tally) else _regions(frame)
    regions = sorted(set(tallies) | (set(emp) - {"00"}))
    empty = {"entries": 0, "iap": 0, "barrio": 0, "firms": 0}
    out = []
    for code in regions:
        row = tallies.get(code, empty)
        n = row["entries"]
        employed = emp.get(code)
        out.append(
            {
                "region_code": code,
                "region_name": (names or {}).get(code, code),
                "entries": n,
                "initiatives": row["iap"],
                "barrios": row["barrio"],
                "firms": row["firms"],
                "employed_thousands": employed,
                "entries_per_100k_employed": (
                    None if employed is None else n / (employed * 1000.0) * 100_000.0
                ),
                "employment_indicator": indicator,
                "employment_year": year,
            }
        )
    return out


def _regions(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Entries, IAPs, barrios and reported firms per region code, in one grouped pass over
    the entries (the few groups then merged under their codes as text)."""
    import pandas as pd

    tallies: dict[str, dict[str, int]] = {}
    if len(frame):
        grouped = pd.DataFrame(
            {
                "region": frame["region_code"].to_numpy(dtype=object),
                "iap": (frame["kind"] == "iap").to_numpy(dtype=bool, na_value=False),
                "barrio": (frame["kind"] == "barrio_comercial").to_numpy(
                    dtype=bool, na_value=False
                ),
                "firms": pd.to_numeric(frame["n_firms"], errors="coerce").to_numpy(),
            }
        ).groupby("region", dropna=True, sort=False)
        sums = grouped.agg(
            entries=("iap", "size"),
            iap=("iap", "sum"),
            barrio=("barrio", "sum"),
            firms=("firms", "sum"),
        )
        for value, row in sums.iterrows():
            code = _key(value)
            if code is None:
                continue
            into = tallies.setdefault(code, {"entries": 0, "iap": 0, "barrio": 0, "firms": 0})
            for name in into:
                into[name] += int(row[name])
    return tallies


def summary(
    frame: pd.DataFrame | Tally,
    by: tuple[str, ...] = DEFAULT_BY,
    names: dict[str, dict[str, str]] | None = None,
    lang: str | None = None,
) -> dict[str, Any]:
    """Counts and shares by each field in ``by``, with totals.

    Returns
    -------
    dict
        ``entries``, firm totals (see ``firms``) and ``by``: ``{field: counts(...)}``.
    """
    if not isinstance(frame, Tally):
        frame = tally(frame, by)
    return {
        "entries": frame.entries,
        **frame.firms,
        "by": {f: counts(frame, f, (names or {}).get(f), lang) for f in by},
    }
