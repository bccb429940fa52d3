"""The ``iap-registry`` command.

Exit status: 0 ok, 1 invalid input (nothing written), 2 usage, 3 version conflict,
4 not found, 5 not allowed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from registry.api import Registry
from registry.errors import RegistryError, UsageError, ValidationFailed
from registry.i18n import tr
from registry.io.export import FORMATS
from registry.schema.codes import CODE_LISTS
from registry.schema.fields import FIELDS_BY_NAME
from registry.store import Filters
from registry.store.tables import record_to_json

__all__ = ["main"]

_FILTERS = (
    "country",
    "region",
    "comuna",
    "kind",
    "sector",
    "focus",
    "funding",
    "program",
    "status",
)
_LIST_COLUMNS = ["id", "version", "kind", "name", "region_code", "comuna_code", "sector", "status"]


def _add_filters(p: argparse.ArgumentParser) -> None:
    for name in _FILTERS:
        p.add_argument(
            f"--{name}",
            action="append",
            default=[],
            metavar="CODE",
            help=f"filter by {name} (repeatable)",
        )
    p.add_argument("--q", help="free-text search (names, organisations, places, texts)")


def _filters(args: argparse.Namespace) -> Filters:
    values = {name: tuple(getattr(args, name)) for name in _FILTERS}
    return Filters(**values, q=args.q)


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
    p = cmd("export", "export entries (GeoJSON RFC 7946, GeoPackage or CSV)", write=True)
    p.add_argument("file")
    p.add_argument("--format", choices=FORMATS)
    p.add_argument("--include-restricted", action="store_true", help="admins: contact fields too")
    _add_filters(p)
    p = cmd("list", "list entries")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    _add_filters(p)
    p = cmd("show", "show one entry")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
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
    p = cmd("revert", "restore an earlier version (as a new version)", write=True)
    p.add_argument("id")
    p.add_argument("--to-version", type=int, required=True)
    p.add_argument("--expected-version", type=int)
    p = cmd("codes", "print every code list")
    p.add_argument("--json", action="store_true")
    p = cmd("backup", "write a consistent snapshot of the registry")
    p.add_argument("dest")
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
    return parser


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _read_password() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\n")


def _run(args: argparse.Namespace) -> int:
    reg = Registry(getattr(args, "db", None))
    c = args.command
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
        report = reg.import_file(args.file, reg.actor(args.as_user), dry_run=args.dry_run)
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
        frame = reg.list(_filters(args))
        if args.format == "json":
            _print_json([record_to_json(r) for r in _frame_records(frame)])
        elif args.format == "csv":
            frame.drop(columns="geometry").to_csv(sys.stdout, index=False)
        else:
            table = frame[_LIST_COLUMNS].astype(object).where(frame[_LIST_COLUMNS].notna(), "")
            table["name"] = table["name"].map(lambda n: n if len(n) <= 48 else n[:47] + "…")
            print(table.to_string(index=False) if len(frame) else "(0)")
            print(f"\n{len(frame)}")
        return 0
    if c == "show":
        record = record_to_json(reg.get(args.id))
        if args.json:
            _print_json(record)
        else:
            for key, value in record.items():
                print(
                    f"{key:24} {json.dumps(value, ensure_ascii=False) if key == 'geometry' else value}"
                )
        return 0
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
        versions = reg.history(args.id)
        if args.json:
            _print_json(versions)
        else:
            for v in versions:
                changed = _changed_fields(v["before"], v["after"])
                print(
                    f"v{v['version']:<4} {v['at']}  {v['operation']:7} {v['actor']:16} {', '.join(changed)}"
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
        reg.store.backup(args.dest)
        print(args.dest)
        return 0
    if c == "user":
        if args.user_command == "list":
            for user in reg.list_users():
                state = " (disabled)" if user["disabled"] else ""
                print(f"{user['username']:24} {user['role']}{state}")
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


def _frame_records(frame: Any) -> list[dict[str, Any]]:
    from registry.store.tables import LIST_SEP

    records = []
    for raw in frame.to_dict("records"):
        row = {k: (None if isinstance(v, float) and v != v else v) for k, v in raw.items()}
        for name, spec in FIELDS_BY_NAME.items():
            if spec.type == "codes":
                row[name] = row[name].split(LIST_SEP) if row.get(name) else []
        records.append(row)
    return records


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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
