"""The ``iap-registry`` command.

Exit status: 0 ok, 1 invalid input (nothing written), 2 usage, 3 version conflict,
4 not found, 5 not allowed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd

from registry.api import Registry
from registry.auth import RESTRICTED_FIELDS, Actor, redacted, require
from registry.errors import NotFound, RegistryError, UsageError, ValidationFailed
from registry.i18n import current_language, date_text, number, timestamp_text, tr
from registry.io.export import FORMATS, neutralise_formulas
from registry.layers.context import measure_text
from registry.schema.codes import CODE_LISTS, label
from registry.schema.display import field_label, field_text
from registry.schema.fields import FIELDS_BY_NAME
from registry.stats import BY_FIELDS, DEFAULT_BY
from registry.store import Filters, is_server_url, resolve_db
from registry.store.copy import copy_registry
from registry.store.tables import record_to_json

__all__ = ["main"]

_FILTERS = (
    "country",
    "region",
    "comuna",
    "kind",
    "initiative_type",
    "sector",
    "focus",
    "funding",
    "program",
    "stage",
    "status",
)
_BY_ALIASES = {
    "region": "region_code",
    "comuna": "comuna_code",
    "focus": "strategic_focus",
    "funding": "funding_source",
}
_LIST_COLUMNS = ["id", "version", "kind", "name", "region_code", "comuna_code", "sector", "status"]


def _add_filters(p: argparse.ArgumentParser) -> None:
    for name in _FILTERS:
        p.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            action="append",
            default=[],
            metavar="CODE",
            help=f"filter by {name} (repeatable)",
        )
    p.add_argument("--q", help="free-text search (names, organisations, places, texts)")
    p.add_argument("--start-year-min", type=int, metavar="YEAR")
    p.add_argument("--start-year-max", type=int, metavar="YEAR")


def _add_reader(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as",
        dest="as_user",
        metavar="USERNAME",
        help="read as this user: what they may see, restricted fields included when they "
        "may read them (without it: every entry, restricted fields left out)",
    )


def _reader(reg: Registry, args: argparse.Namespace) -> Actor | None:
    """The user a read is for (``--as``), or None: the local operator, who sees every entry
    but, as in exports, not the restricted fields."""
    name = getattr(args, "as_user", None)
    return reg.actor(name) if name else None


def _shown(record: dict[str, Any], reader: Actor | None) -> dict[str, Any]:
    """A record as a read prints it: restricted fields left out unless a user is named (the
    registry then leaves out what that user may not read)."""
    return redacted(record) if reader is None else record


def _shown_history(versions: list[dict[str, Any]], reader: Actor | None) -> list[dict[str, Any]]:
    if reader is not None:
        return versions
    return [
        {
            **v,
            "actor": None,
            "before": None if v["before"] is None else redacted(v["before"]),
            "after": None if v["after"] is None else redacted(v["after"]),
        }
        for v in versions
    ]


def _check_location(location: str | None) -> None:
    """Refuse a database URL with its password in the arguments (readable in the process
    list by any user of the machine)."""
    if location and is_server_url(location):
        from sqlalchemy.engine import make_url

        try:
            password = make_url(location).password
        except Exception:  # an unparsable URL: the store says what is wrong with it
            return
        if password:
            raise UsageError(tr("password_in_url"))


def _filters(args: argparse.Namespace) -> Filters:
    values: dict[str, Any] = {name: tuple(getattr(args, name)) for name in _FILTERS}
    return Filters(
        **values,
        q=args.q,
        start_year_min=args.start_year_min,
        start_year_max=args.start_year_max,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iap-registry",
        description="Registro de iniciativas de articulación productiva (IAP) y barrios comerciales.",
    )
    parser.add_argument(
        "--db", help="GeoPackage path (default: $IAP_REGISTRY_DB or ./data/registry.gpkg)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def cmd(name: str, help_: str, write: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--db", help=argparse.SUPPRESS, default=argparse.SUPPRESS)
        if write:
            p.add_argument("--as", dest="as_user", metavar="USERNAME", help="acting user")
        return p

    cmd("init", "create the registry file")
    cmd("seed", "load the bundled, sourced sample data (idempotent)", write=True)
    p = cmd("import", "import a CSV, GeoJSON or GeoPackage file (all or nothing)", write=True)
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    p = cmd("export", "export entries (GeoJSON RFC 7946, GeoPackage, CSV or Excel)", write=True)
    p.add_argument("file")
    p.add_argument("--format", choices=FORMATS)
    p.add_argument("--include-restricted", action="store_true", help="admins: contact fields too")
    _add_filters(p)
    p = cmd("list", "list entries")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    _add_reader(p)
    _add_filters(p)
    p = cmd("show", "show one entry and its regional context")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    _add_reader(p)
    p = cmd("stats", "counts and shares of the entries (same filters as list)")
    p.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="FIELD",
        help="group by this field (repeatable): " + ", ".join(sorted(BY_FIELDS)),
    )
    p.add_argument("--json", action="store_true")
    _add_filters(p)
    p = cmd("indicators", "regional indicator series (productivity, GDP, employment)")
    isub = p.add_subparsers(dest="ind_command", required=True)
    i = isub.add_parser("list", help="series, years, coverage and sources")
    i.add_argument("--json", action="store_true")
    i = isub.add_parser("import", help="add or replace series from a CSV (all or nothing)")
    i.add_argument("file")
    i.add_argument("--as", dest="as_user", metavar="USERNAME")
    i = isub.add_parser("remove", help="remove an imported series")
    i.add_argument("name")
    i.add_argument("--as", dest="as_user", metavar="USERNAME")
    i = isub.add_parser("values", help="the values of one series")
    i.add_argument("name")
    i.add_argument("--json", action="store_true")
    i = isub.add_parser("convergence", help="initial level vs change, per region")
    i.add_argument("--indicator", required=True)
    i.add_argument("--from", dest="start", type=int, required=True, metavar="YEAR")
    i.add_argument("--to", dest="end", type=int, required=True, metavar="YEAR")
    i.add_argument("--period", help="period, when the series has several per year (e.g. OND)")
    i.add_argument(
        "--group-biobio-nuble",
        action="store_true",
        help="Biobío and Ñuble as one region (08+16), as they were before 2018",
    )
    i.add_argument("--json", action="store_true")
    p = cmd("boundaries", "administrative boundaries installed, by country")
    bsub = p.add_subparsers(dest="bnd_command", required=True)
    b = bsub.add_parser("list", help="each country's admin-1 units: how many, from which source")
    b.add_argument("--json", action="store_true")
    b = bsub.add_parser(
        "import",
        help="a country's official units in place of the bundled ones (entries re-assigned)",
    )
    b.add_argument("country", help="ISO 3166-1 alpha-2 code (CO, BR, MX, CL...)")
    b.add_argument("file", help="any vector file GDAL reads (GeoPackage, Shapefile, GeoJSON...)")
    b.add_argument(
        "--level",
        type=int,
        choices=(1, 2),
        required=True,
        help="1: regions, departments, states; 2: Chile's comunas",
    )
    b.add_argument(
        "--code-field",
        required=True,
        help="field with each unit's code: Chile's CUT, elsewhere ISO 3166-2 (CO-ANT)",
    )
    b.add_argument("--name-field", required=True, help="field with each unit's name")
    b.add_argument("--as", dest="as_user", metavar="USERNAME")
    p = cmd("monitoring", "goals, indicators and values over time; programme view")
    msub = p.add_subparsers(dest="mon_command", required=True)
    m = msub.add_parser("show", help="an entry's goals, indicators (with progress) and values")
    m.add_argument("id")
    m.add_argument("--json", action="store_true")
    _add_reader(m)
    m = msub.add_parser("history", help="every version of a goal, indicator, value or review")
    m.add_argument("kind", choices=("goal", "indicator", "value", "review"))
    m.add_argument("id")
    m.add_argument("--json", action="store_true")
    _add_reader(m)
    m = msub.add_parser("export", help="indicator values as CSV (the import's format)")
    m.add_argument("file")
    _add_filters(m)
    m = msub.add_parser("import", help="indicator values from CSV (all or nothing)")
    m.add_argument("file")
    m.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    m.add_argument("--as", dest="as_user", metavar="USERNAME")
    m = msub.add_parser("programme", help="latest progress and freshness of each entry")
    m.add_argument("--program", choices=[c.code for c in CODE_LISTS["program"]])
    m.add_argument("--months", type=int, help="out of date after this many months")
    m.add_argument("--stale", action="store_true", help="only the out-of-date entries")
    m.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p = cmd("update", "change fields of an entry", write=True)
    p.add_argument("id")
    p.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="FIELD=VALUE", required=True
    )
    p.add_argument("--expected-version", type=int, required=True)
    p = cmd("delete", "delete an entry (soft delete; can be reverted)", write=True)
    p.add_argument("id")
    p.add_argument("--expected-version", type=int, required=True)
    p = cmd("history", "every version of an entry")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    _add_reader(p)
    p = cmd("revert", "restore an earlier version (as a new version)", write=True)
    p.add_argument("id")
    p.add_argument("--to-version", type=int, required=True)
    p.add_argument(
        "--expected-version",
        type=int,
        required=True,
        help="the entry's current version, as you read it (refused if it changed since)",
    )
    p = cmd("codes", "print every code list")
    p.add_argument("--json", action="store_true")
    p = cmd("backup", "write a consistent snapshot of the registry")
    p.add_argument("dest")
    p = cmd("serve-api", "serve the published entries as OGC API - Features (read-only)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument(
        "--proxy-headers", action="store_true", help="trust X-Forwarded-* from a reverse proxy"
    )
    p.add_argument(
        "--workers", type=int, default=1, help="processes (each reads its own snapshots)"
    )
    p.add_argument(
        "--threads", type=int, default=None, help="request threads per process (default 4)"
    )
    p = cmd(
        "copy",
        "copy a whole registry, history and users included, between a GeoPackage file and "
        "PostGIS (either way)",
        write=True,
    )
    p.add_argument("--from", dest="source", required=True, help="GeoPackage path or URL")
    p.add_argument("--to", dest="target", required=True, help="GeoPackage path or URL")
    p.add_argument(
        "--replace", action="store_true", help="replace a target that is not empty (admins)"
    )
    p = cmd("user", "manage users")
    usub = p.add_subparsers(dest="user_command", required=True)
    u = usub.add_parser("add")
    u.add_argument("username")
    u.add_argument("--role", required=True, choices=[c.code for c in CODE_LISTS["role"]])
    u.add_argument("--password-stdin", action="store_true")
    u.add_argument("--as", dest="as_user", metavar="USERNAME")
    u = usub.add_parser("passwd")
    u.add_argument("username")
    u.add_argument("--as", dest="as_user", metavar="USERNAME")
    usub.add_parser("list")
    p = cmd("mail", "e-mail notifications waiting to be sent (administrators)")
    msub = p.add_subparsers(dest="mail_command", required=True)
    m = msub.add_parser("list", help="messages not sent yet, with their last error")
    m.add_argument("--as", dest="as_user", metavar="USERNAME")
    m = msub.add_parser("send", help="send the messages that are due now (IAP_REGISTRY_SMTP_*)")
    m.add_argument("--as", dest="as_user", metavar="USERNAME")
    return parser


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _read_password() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\n")


def _run(args: argparse.Namespace) -> int:
    _check_location(getattr(args, "db", None))
    for name in ("source", "target"):
        _check_location(getattr(args, name, None))
    c = args.command
    if c == "copy":
        return _copy(args)
    if c == "boundaries":
        return _boundaries(args)
    reg = Registry(getattr(args, "db", None))
    if c == "init":
        reg.init()
        print(f"{reg.store.url}")
        return 0
    if c == "seed":
        from registry.seed import seed

        reg.init()
        print(seed(reg, reg.actor(args.as_user)).message())
        return 0
    if c == "import":
        report = reg.import_file(
            args.file,
            reg.actor(args.as_user),
            dry_run=args.dry_run,
            progress=_terminal_progress if sys.stderr.isatty() else None,
        )
        print(report.message())
        return 0
    if c == "export":
        actor = reg.actor(args.as_user) if args.include_restricted else None
        for path in reg.export(
            args.file, args.format, _filters(args), actor, args.include_restricted
        ):
            print(path)
        return 0
    if c == "list":
        reader = _reader(reg, args)
        frame = reg.list(_filters(args), viewer=reader)
        if reader is None:
            frame = frame.drop(columns=[c for c in RESTRICTED_FIELDS if c in frame.columns])
        if args.format == "json":
            _print_json([record_to_json(r) for r in _frame_records(frame)])
        elif args.format == "csv":
            frame.drop(columns="geometry").to_csv(sys.stdout, index=False)
        else:
            print(_human_table(reg, frame, _LIST_COLUMNS) if len(frame) else "(0)")
            print(f"\n{len(frame)}")
        return 0
    if c == "show":
        reader = _reader(reg, args)
        record = record_to_json(_shown(reg.get(args.id, viewer=reader), reader))
        context = reg.context(args.id, viewer=reader)
        if args.json:
            _print_json({**record, "regional_context": context})
        else:
            lang, places = current_language(), _places(reg)
            for key, value in record.items():
                text = (
                    json.dumps(value, ensure_ascii=False)
                    if key == "geometry"
                    else field_text(key, value, lang, places)
                )
                print(f"{field_label(key, lang)[:34]:34} [{key}] {text}")
            print()
            _print_context(context)
        return 0
    if c == "stats":
        by = tuple(_BY_ALIASES.get(b, b) for b in args.by) or DEFAULT_BY
        result = reg.stats(_filters(args), by)
        if args.json:
            _print_json(result)
        else:
            _print_stats(result)
        return 0
    if c == "indicators":
        return _indicators(reg, args)
    if c == "monitoring":
        return _monitoring(reg, args)
    if c == "update":
        changes = {}
        for item in args.sets:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise UsageError(tr("bad_set", value=item))
            if name.strip() not in FIELDS_BY_NAME:
                raise UsageError(tr("unknown_field", field=name.strip()))
            changes[name.strip()] = value
        record = reg.update(args.id, changes, args.expected_version, reg.actor(args.as_user))
        print(f"{record['id']} version {record['version']}")
        return 0
    if c == "delete":
        record = reg.delete(args.id, args.expected_version, reg.actor(args.as_user))
        print(f"{record['id']} version {record['version']} (deleted)")
        return 0
    if c == "history":
        reader = _reader(reg, args)
        versions = _shown_history(reg.history(args.id, viewer=reader), reader)
        if args.json:
            _print_json(versions)
        else:
            lang = current_language()
            for v in versions:
                changed = [field_label(f, lang) for f in _changed_fields(v["before"], v["after"])]
                print(
                    f"v{v['version']:<4} {timestamp_text(v['at'], lang)}  "
                    f"{tr('ui_op_' + v['operation']):10} {v['actor'] or '-':16} "
                    f"{', '.join(changed)}"
                )
        return 0
    if c == "revert":
        record = reg.revert(
            args.id, args.to_version, reg.actor(args.as_user), args.expected_version
        )
        print(f"{record['id']} version {record['version']} (= v{args.to_version})")
        return 0
    if c == "codes":
        lists = {
            name: [
                {"code": x.code, "es": x.es, "en": x.en}
                | ({"applies_to": x.applies_to} if x.applies_to else {})
                for x in codes
            ]
            for name, codes in CODE_LISTS.items()
        }
        if args.json:
            _print_json(lists)
        else:
            for name, items in lists.items():
                print(f"[{name}]")
                for item in items:
                    print(f"  {item['code']:32} {item['es']} / {item['en']}")
        return 0
    if c == "backup":
        reg.backup(args.dest)
        print(args.dest)
        return 0
    if c == "serve-api":
        from registry.features.http import serve

        serve(
            getattr(args, "db", None),
            args.host,
            args.port,
            args.proxy_headers,
            workers=max(args.workers, 1),
            threads=args.threads,
        )
        return 0
    if c == "mail":
        return _mail(reg, args)
    if c == "user":
        if args.user_command == "list":
            for user in reg.list_users():
                state = f" ({tr('ui_disabled')})" if user["disabled"] else ""
                state += f" ({tr('ui_locked')})" if user["locked"] else ""
                last = user.get("last_login_at")
                state += f" · {tr('ui_last_login')}: {timestamp_text(last)}" if last else ""
                print(f"{user['username']:24} {label('role', user['role'])}{state}")
            return 0
        actor = reg.actor(args.as_user)
        if args.user_command == "add":
            password = _read_password() if args.password_stdin else None
            reg.add_user(args.username, args.role, password, actor)
        else:
            reg.set_password(args.username, _read_password(), actor)
        print(args.username)
        return 0
    raise UsageError(c)


def _mail(reg: Registry, args: argparse.Namespace) -> int:
    """``mail list`` and ``mail send`` (administrators): the outbox the app's sender works
    through, for a registry changed from the command line while no app runs."""
    from registry.notify import MailSender, smtp_settings

    require(reg.actor(args.as_user), "manage_users")
    if args.mail_command == "list":
        for row in reg.store.mail_rows(unsent_only=True):
            retry = "-" if row["next_try_at"] == "~" else timestamp_text(row["next_try_at"])
            error = row["last_error"] or ""
            print(f"{row['recipient']}\t{row['subject']}\t{row['attempts']}\t{retry}\t{error}")
        return 0
    settings = smtp_settings()
    if settings is None:
        raise UsageError(tr("mail_not_configured"))
    sent, failed = MailSender(reg.store, settings).send_due()
    print(tr("mail_sent", sent=sent, failed=failed))
    return 0 if not failed else 1


def _copy(args: argparse.Namespace) -> int:
    source = Registry(args.source)
    source.check()  # a registry, not damaged: a mistyped path is not created
    target = Registry(args.target)
    if args.replace and target.store.is_initialized():
        require(target.actor(args.as_user), "manage_users")  # its users are replaced
    counts = copy_registry(source.store, target.store, replace=args.replace)
    counts["monitoring"] = sum(v for k, v in counts.items() if k.startswith("monitoring_"))
    print(tr("copy_done", **{k: number(v) for k, v in counts.items()}, to=target.store.url))
    return 0


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _print_context(ctx: dict[str, Any]) -> None:
    print(f"[{tr('ctx_title')}]")
    where = [
        f"{ctx['region_name']} ({ctx['region_code']})" if ctx["region_code"] else None,
        f"{ctx['comuna_name']} ({ctx['comuna_code']})" if ctx["comuna_code"] else None,
    ]
    print("  " + " / ".join(w for w in where if w) if any(where) else "  -")
    if ctx["note"]:
        print(f"  {ctx['note']}")
    for fig in ctx["productivity"]:
        line = f"  {fig['indicator']} {fig['year']}: {_fmt(fig['value'])} {fig['unit']}"
        if fig["ratio_to_national"] is not None:
            line += f"; {tr('ctx_vs_national')} {_fmt(fig['ratio_to_national'])}x"
        if fig["change_pct"] is not None:
            line += f"; {fig['previous_year']}→{fig['year']} {fig['change_pct']:+.1f} %"
        if fig["origin"] == "derived":
            line += f" [{tr('ctx_derived')}]"
        print(line)
    if ctx.get("measure"):
        print(
            f"  {ctx['measure']['indicator']} " + measure_text(ctx["measure"], ctx["region_name"])
        )
    for key in ("in_region", "in_comuna"):
        tally = ctx[key]
        if tally:
            print(
                "  "
                + tr(
                    "ctx_counts",
                    where=tr(f"ctx_{key}"),
                    entries=tally["entries"],
                    initiatives=tally["initiatives"],
                    barrios=tally["barrios"],
                    firms=tally["firms"],
                    reported=tally["firms_reported_by"],
                )
            )


def _print_stats(result: dict[str, Any]) -> None:
    print(
        tr(
            "stats_total",
            entries=result["entries"],
            firms=result["firms"],
            reported=result["firms_reported_by"],
            businesses=result["businesses"],
            breported=result["businesses_reported_by"],
        )
    )
    for field, rows in result["by"].items():
        print(f"\n[{field}]")
        for row in rows:
            print(f"  {row['count']:6d}  {row['share'] * 100:5.1f} %  {row['label']}")


def _boundaries(args: argparse.Namespace) -> int:
    """``boundaries list``: for each country of the code list, its admin-1 units (and
    comunas) and their source, or that none are installed (the registry's own, official
    units included, where there is one). ``boundaries import``: see
    ``Registry.import_boundaries``."""
    reg = Registry(getattr(args, "db", None))
    if args.bnd_command == "import":
        report = reg.import_boundaries(
            args.country.upper(),
            args.file,
            args.level,
            args.code_field,
            args.name_field,
            reg.actor(args.as_user),
        )
        print(report.message())
        return 0
    bset = reg.boundary_set()
    rows = [bset.status(c.code) for c in CODE_LISTS["country"]]
    if args.json:
        _print_json(rows)
        return 0
    for row in rows:
        code = str(row["country"])
        if not row["installed"]:
            print(f"{code}  {label('country', code)}: {tr('bnd_none')}")
            continue
        parts = [tr("bnd_units", n=number(row["regions"]))]
        if "comunas" in row:
            parts.append(tr("bnd_comunas", n=number(row["comunas"])))
        print(f"{code}  {label('country', code)}: {', '.join(parts)}; {row['source']}")
    return 0


def _indicators(reg: Registry, args: argparse.Namespace) -> int:
    sub = args.ind_command
    if sub == "list":
        series = reg.indicator_series()
        if args.json:
            _print_json(series)
            return 0
        for s in series:
            origin = " + ".join(tr(f"ind_origin_{o}") for o in s["origins"] or [s["origin"]])
            print(f"{s['indicator']}  [{origin}]  {tr('ind_rows', n=s['rows'])}")
            periods = ", ".join(p or "-" for p in s["periods"])
            print(f"    {tr('ind_years')}: {s['years'] or '-'}  {tr('ind_periods')}: {periods}")
            print(f"    {tr('ind_regions')}: {', '.join(s['regions'])}")
            missing = "; ".join(f"{r}: {y}" for r, y in s["missing"].items()) or "-"
            print(f"    {tr('ind_missing')}: {missing}")
            if s["estimated"]:
                by_years: dict[str, list[str]] = {}
                for region, years in s["estimated"].items():
                    by_years.setdefault(years, []).append(region)
                marks = "; ".join(f"{y} ({', '.join(r)})" for y, r in by_years.items())
                print(f"    {tr('ind_estimated')}: {marks}")
            if s.get("formula"):
                print(f"    = {s['formula']}")
            if s.get("estimation_method"):
                print(f"    ~ {s['estimation_method']}")
            print(f"    {tr('ind_unit')}: {' | '.join(s['units'])}")
            print(
                f"    {tr('ind_source')}: {' '.join(s['sources'][:3])}{' …' if len(s['sources']) > 3 else ''}"
            )
        return 0
    if sub == "import":
        print(reg.import_indicators(args.file, reg.actor(args.as_user)))
        return 0
    if sub == "remove":
        print(reg.remove_indicators(args.name, reg.actor(args.as_user)))
        return 0
    if sub == "values":
        table = reg.indicators()
        rows = table[table["indicator"] == args.name]
        if rows.empty:
            raise NotFound(tr("ind_unknown", name=args.name))
        rows = rows.sort_values(["year", "period", "region_code"], na_position="first")
        if args.json:
            records = rows.astype(object).where(rows.notna(), None).to_dict("records")
            _print_json(records)
        else:
            cols = ["region_code", "year", "period", "value", "origin"]
            print(rows[cols].astype(object).where(rows[cols].notna(), "").to_string(index=False))
            print(f"\n{rows['unit'].iloc[0]}")
        return 0
    view = reg.convergence(
        args.indicator, args.start, args.end, args.period, group=args.group_biobio_nuble
    )
    if args.json:
        _print_json(view)
        return 0
    nat = view["national"]

    def flagged(row: dict[str, Any], key: str) -> str:
        return _fmt(row[key]) + ("*" if row[f"{key}_estimated"] else " ")

    print(f"{view['indicator']} {view['from']}→{view['to']}  ({' | '.join(view['units'])})")
    print(
        f"Chile (00): {flagged(nat, 'initial')} → {flagged(nat, 'final')} "
        f"({nat['change_pct']:+.2f} %)"
    )
    for r in view["regions"]:
        print(
            f"  {r['region_code']:5} {r['region_name'][:34]:34} {flagged(r, 'initial'):>11} → "
            f"{flagged(r, 'final'):>11} {r['change_pct']:+7.2f} %  {r['quadrant']}"
        )
    falling = sum(r["change_pct"] < 0 for r in view["regions"])
    print(tr("ind_falling", n=falling, total=len(view["regions"])))
    if view["missing"]:
        print(f"{tr('ind_missing')}: {', '.join(view['missing'])}")
    if view["estimated"]:
        print(f"* {tr('ind_origin_estimated')}: " + " | ".join(view["estimated"]))
    if view["formula"]:
        print(f"= {view['formula']}")
    print(tr("ind_rule"))
    return 0


def _monitoring(reg: Registry, args: argparse.Namespace) -> int:
    sub = args.mon_command
    if sub == "show":
        seen = reg.monitoring(args.id, viewer=_reader(reg, args))
        charts = seen.charts()
        if args.json:
            _print_json(
                {
                    "goals": seen.goals,
                    "indicators": seen.indicators,
                    "values": seen.values,
                    "reviews": seen.reviews,
                    "charts": charts,
                }
            )
            return 0
        for goal in seen.goals:
            status = label("goal_status", goal["status"])
            print(f"[{status}] {goal['title']}  {date_text(goal['target_date']) or ''}")
        for chart in charts:
            share = "-" if chart["progress"] is None else f"{100 * chart['progress']:.0f} %"
            print(f"{chart['name']} ({chart['unit']}): {share} [{chart['badge']}]")
            print(f"    {tr('ind_target')}: {chart['target']} {chart['target_period'] or ''}")
            for period, value, source in zip(
                chart["periods"], chart["values"], chart["sources"], strict=True
            ):
                print(f"    {period:8} {_fmt(value):>12}  {source}")
        print(f"\n{len(seen.reviews or [])} {tr('mon_reviews')}")
        return 0
    if sub == "history":
        reader = _reader(reg, args)
        versions = reg.monitoring_history(args.kind, args.id, viewer=reader)
        if reader is None:
            versions = [
                {
                    **v,
                    "actor": None,
                    "before": v["before"]
                    and {**v["before"], "created_by": None, "updated_by": None},
                    "after": v["after"] and {**v["after"], "created_by": None, "updated_by": None},
                }
                for v in versions
            ]
        if args.json:
            _print_json(versions)
            return 0
        for h in versions:
            changed = ", ".join(_changed_fields(h["before"], h["after"]))
            print(
                f"v{h['version']}  {h['at']}  {h['actor'] or '-':12} {h['operation']:7} {changed}"
            )
        return 0
    if sub == "export":
        print(reg.export_monitoring_values(args.file, _filters(args)))
        return 0
    if sub == "import":
        actor = reg.actor(args.as_user)
        print(reg.import_monitoring_values(args.file, actor, dry_run=args.dry_run).message())
        return 0
    view = reg.programme_view(args.program, args.months)
    if args.stale:
        view = view[view["freshness"] == "stale"]
    if args.format == "json":
        _print_json(view.astype(object).where(view.notna(), None).to_dict("records"))
    elif args.format == "csv":
        view.map(neutralise_formulas).to_csv(sys.stdout, index=False)
    else:
        cols = ["name", "indicators", "mean_progress", "latest_period", "freshness"]
        table = view[cols].astype(object).where(view[cols].notna(), "")
        table["name"] = table["name"].map(lambda n: n if len(n) <= 48 else n[:47] + "…")
        print(table.to_string(index=False) if len(view) else "(0)")
        print(f"\n{len(view)}")
    return 0


def _frame_records(frame: Any) -> list[dict[str, Any]]:
    from registry.store.tables import LIST_SEP

    records = []
    for raw in frame.to_dict("records"):
        row = {k: (None if isinstance(v, float) and v != v else v) for k, v in raw.items()}
        for name, spec in FIELDS_BY_NAME.items():
            if spec.is_list:
                row[name] = str(row[name]).split(LIST_SEP) if row.get(name) else []
        records.append(row)
    return records


def _terminal_progress(share: float, text: str) -> None:
    """An import's progress on one line of a terminal (stderr), cleared when done."""
    end = "\n" if share >= 1.0 else ""
    sys.stderr.write(f"\r\033[K{share * 100:3.0f} %  {text if share < 1.0 else ''}{end}")
    sys.stderr.flush()


def _places(reg: Registry) -> dict[str, dict[str, str]]:
    return {"region_code": reg.region_names(), "comuna_code": reg.comuna_names()}


def _human_table(reg: Registry, frame: Any, columns: list[str]) -> str:
    """``frame``'s ``columns`` for a person: labels as headers, codes as labels, names cut."""
    lang, places = current_language(), _places(reg)
    table = {}
    for name in columns:
        values = [field_text(name, v, lang, places) for v in frame[name].astype(object)]
        if name == "name":
            values = [v if len(v) <= 48 else v[:47] + "…" for v in values]
        table[field_label(name, lang) if name != "id" else "id"] = values
    return pd.DataFrame(table).to_string(index=False)


def _changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    if before is None or after is None:
        return []
    skip = {"version", "updated_at", "updated_by"}
    return [k for k in after if k not in skip and before.get(k) != after.get(k)]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return _run(args)
    except ValidationFailed as exc:
        print(exc.report(), file=sys.stderr)
        return exc.exit_code
    except RegistryError as exc:
        print(exc.user_msg, file=sys.stderr)
        return exc.exit_code
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # damage the checks missed
        if os.environ.get("IAP_REGISTRY_DEBUG"):
            raise
        logging.getLogger(__name__).debug("storage error", exc_info=True)
        location = resolve_db(getattr(args, "db", None))
        print(tr("db_damaged", path=location, reason=str(exc)[:200]), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
