"""The ``iap-registry`` command: its arguments (``registry.commands`` runs them).

Exit status: 0 ok, 1 invalid input (nothing written), 2 usage, 3 version conflict,
4 not found, 5 not allowed.

This module loads only what the parser needs (the code lists, field names, formats and
message catalogue), so ``iap-registry --help`` answers without the data stack.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence

from registry.errors import RegistryError, ValidationFailed
from registry.i18n import tr
from registry.io.formats import FORMATS
from registry.schema.codes import CODE_LISTS
from registry.stats import BY_FIELDS
from registry.store import FILTER_PARAMS, resolve_db

__all__ = ["main"]


def _add_filters(p: argparse.ArgumentParser) -> None:
    for name in FILTER_PARAMS:
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        from registry.commands import run

        return run(args)
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
