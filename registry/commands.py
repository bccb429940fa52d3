"""What each ``iap-registry`` command does, once ``registry.cli`` has parsed its arguments.

A module apart from the parser so that ``--help`` and usage errors start without loading
pandas, SQLAlchemy, pydantic or a store (``registry.cli`` imports this module only when a
command runs).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import pandas as pd

from registry.api import Registry
from registry.auth import RESTRICTED_FIELDS, Actor, redacted, require
from registry.errors import NotFound, UsageError
from registry.i18n import current_language, date_text, number, timestamp_text, tr
from registry.io.formats import neutralise_formulas
from registry.layers.context import measure_text
from registry.schema.codes import CODE_LISTS, label
from registry.schema.display import field_label, field_text
from registry.schema.fields import FIELDS_BY_NAME
from registry.stats import DEFAULT_BY
from registry.store import FILTER_PARAMS, Filters, is_server_url
from registry.store.copy import copy_registry
from registry.store.tables import record_to_json

__all__ = ["run"]

_BY_ALIASES = {
    "region": "region_code",
    "comuna": "comuna_code",
    "focus": "strategic_focus",
    "funding": "funding_source",
}
_LIST_COLUMNS = ["id", "version", "kind", "name", "region_code", "comuna_code", "sector", "status"]


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
    values: dict[str, Any] = {name: tuple(getattr(args, name)) for name in FILTER_PARAMS}
    return Filters(
        **values,
        q=args.q,
        start_year_min=args.start_year_min,
        start_year_max=args.start_year_max,
    )


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _read_password() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\n")


def run(args: argparse.Namespace) -> int:
    """Run the parsed command ``args``; return the exit status (errors raised as
    ``RegistryError``, which ``registry.cli.main`` prints)."""
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
