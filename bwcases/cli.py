"""The bwcases command: parses arguments and calls the same functions the notebooks call."""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import gc
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bwcases import __version__
from bwcases.core.errors import BwcasesError, NotFoundError, OutputError, UsageError
from bwcases.web.limits import KERNEL_GRACE, MAX_PAGES, PAGES_PER_PERSON

if TYPE_CHECKING:  # pandas takes longer to import than --help and --version take to answer
    import pandas as pd

    from bwcases.analysis.methods import Window
    from bwcases.store.rates import RateStore
    from bwcases.store.sqlite_rates import SqliteRates

F = TypeVar("F", bound=Callable[..., Any])

# Registered first, so run last: what the command made is left to the end of the process, not
# collected once more as Python finalizes (0.5 s of a brief's end, for objects about to vanish).
# Files and kernels are closed by the exit handlers that run before this one.
atexit.register(gc.freeze)


def for_terminal(text: str) -> str:
    """Text a terminal shows as it is, without the escape codes it would obey."""
    from bwcases.core.safe_text import for_terminal as shown  # it imports pandas: when needed

    return shown(text)


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _store(ctx: click.Context) -> Any:
    from bwcases.store import Store

    obj = ctx.ensure_object(dict)
    if "store" not in obj:
        obj["store"] = Store(obj.get("db"))
    return obj["store"]


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(dict)["db"] = value


def db_option(fn: F) -> F:
    """--db URL, accepted by the group and by every command."""
    return click.option(
        "--db",
        metavar="URL",
        expose_value=False,
        callback=_set_db,
        help="SQLAlchemy URL of the store (default: BWCASES_DB, else the SQLite file)",
    )(fn)


def friendly(fn: F) -> F:
    """Turn bwcases errors into one clear line per problem and the contract's exit status."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BwcasesError as exc:
            for line in str(exc).splitlines():
                click.echo(for_terminal(f"bwcases: {line}"), err=True)
            sys.exit(exc.exit_status)
        except OSError as exc:  # a file that could not be read or written, said in one line
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(for_terminal(f"bwcases: {where}{exc.strerror or exc}"), err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def emit(frame: pd.DataFrame, fmt: str | None, out: Path | None = None) -> None:
    """Print or write a frame as csv, json or an aligned table."""
    from bwcases.core.safe_text import spreadsheet_frame

    terminal = sys.stdout.isatty() and out is None
    fmt = fmt or ("table" if terminal else "csv")
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype == bool:
            frame[col] = frame[col].map({True: "yes", False: "no"})
    if fmt == "csv":
        text = spreadsheet_frame(frame).to_csv(index=False, lineterminator="\n")
    elif fmt == "json":
        text = frame.to_json(orient="records", date_format="iso", force_ascii=False, indent=1)
        text += "\n"
    else:  # for a person: texts without escape codes, so that the columns line up
        frame = frame.map(lambda v: for_terminal(v) if isinstance(v, str) else v)
        frame.columns = [for_terminal(str(c)) for c in frame.columns]
        text = frame.to_string(index=False) + "\n" if len(frame) else "(nothing)\n"
    if terminal:
        text = for_terminal(text)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


FORMAT = click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]))


@click.group()
@db_option
@click.version_option(__version__)  # not importlib.metadata: importing it is most of the wait
def main() -> None:
    """Case management for Better Work factory cases."""


@main.command()
@db_option
@click.pass_context
@friendly
def init(ctx: click.Context) -> None:
    """Create or upgrade the store."""
    from bwcases.store import Store

    store = Store(ctx.ensure_object(dict).get("db"), create=False)
    before = store.schema_revision()
    store.upgrade()
    after = store.schema_revision()
    state = "created" if before is None else "up to date" if before == after else "upgraded"
    click.echo(f"store {state} at schema {after}: {store.engine.url.render_as_string()}")


@main.command("demo-data")
@db_option
@click.option("--factories", default=200, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.pass_context
@friendly
def demo_data(ctx: click.Context, factories: int, seed: int) -> None:
    """Fill the store with a realistic synthetic portfolio."""
    from bwcases.io.demo import fill_demo

    click.echo(fill_demo(_store(ctx), factories=factories, seed=seed))


@main.command("import")
@db_option
@click.argument("kind", type=click.Choice(["assessments", "improvement-plan", "partners"]))
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--overwrite",
    is_flag=True,
    help="improvement-plan: the file's values win over fields changed in the app since",
)
@click.option(
    "--as",
    "as_person",
    metavar="NAME",
    help="improvement-plan: import as this person; a factory's person's workbook is proposed",
)
@click.pass_context
@friendly
def import_(
    ctx: click.Context, kind: str, file: Path, overwrite: bool, as_person: str | None
) -> None:
    """Import a file of assessments, Improvement Plan items or partners (CSV or XLSX)."""
    from bwcases.io.importers import import_file

    store = _store(ctx)
    actor = _actor()
    if as_person is not None:
        if kind != "improvement-plan":
            raise UsageError(f"--as is for improvement-plan files, not {kind}")
        record = store.user(as_person)
        if record is None:
            raise UsageError(f"no person {as_person!r}: add her with bwcases users add")
        if not record["active"] or record["role"] == "readonly":
            # the audit trail would name someone who may not change a plan
            raise UsageError(
                f"--as {as_person!r}: she may not change plans (read-only or inactive)"
            )
        actor = as_person
    click.echo(import_file(store, kind, file, actor=actor, overwrite=overwrite))


@main.command("export")
@db_option
@click.argument("kind", type=click.Choice(["assessments", "improvement-plan", "findings", "facts"]))
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="file to write (default: stdout)"
)
@click.option("--factory", help="improvement-plan: the factory whose plan to write (XLSX)")
@click.option("--lang", default="en", show_default=True, help="improvement-plan: its language")
@click.option("--wide", is_flag=True, help="findings: one row per assessment, a column a question")
@click.option("--country", help="findings, facts: a country's name or ISO code, in any case")
@click.pass_context
@friendly
def export(
    ctx: click.Context,
    kind: str,
    fmt: str,
    output: Path | None,
    factory: str | None,
    lang: str,
    wide: bool,
    country: str | None,
) -> None:
    """Write the store's assessments in the programme's export format, or a factory's
    Improvement Plan as a workbook to edit offline and import again; findings wide (one row
    per assessment) or FGW facts as numbers with their unit."""
    if kind in ("findings", "facts"):
        _export_table(ctx, kind, wide, country, output)
        return
    if wide or country is not None:
        raise UsageError(f"--{'wide' if wide else 'country'} does not apply to export {kind}")
    if kind == "improvement-plan":
        _export_plan(ctx, factory, output, lang)
        return
    from bwcases.io.exporters import export_assessments

    store = _store(ctx)
    if output is None:
        export_assessments(store, sys.stdout)
        return
    tmp = output.with_name(output.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            count = export_assessments(store, fh)
        tmp.replace(output)
    except OSError as exc:  # a full disk, no permission: no half-written file is left
        tmp.unlink(missing_ok=True)
        raise OutputError(str(output), exc.strerror or str(exc)) from exc
    click.echo(f"{count} rows written to {output}", err=True)


def _export_table(
    ctx: click.Context, kind: str, wide: bool, country: str | None, output: Path | None
) -> None:
    from bwcases.analysis import synthesis

    if kind == "findings" and not wide:
        raise UsageError("export findings needs --wide (the long rows are export assessments)")
    if kind == "facts" and wide:
        raise UsageError("--wide does not apply to export facts")
    store = _store(ctx)
    if kind == "findings":
        frame = synthesis.findings_wide(store, country=country)
    else:
        frame = synthesis.facts(store, country=country)
    if output is None:
        emit(frame, "csv")
        return
    tmp = output.with_name(output.name + ".part")
    try:
        emit(frame, "csv", tmp)
        tmp.replace(output)
    except OSError as exc:  # a full disk, no permission: no half-written file is left
        tmp.unlink(missing_ok=True)
        raise OutputError(str(output), exc.strerror or str(exc)) from exc
    click.echo(f"{len(frame)} rows written to {output}", err=True)


def _export_plan(ctx: click.Context, factory: str | None, output: Path | None, lang: str) -> None:
    from bwcases.core.i18n import LANGUAGES
    from bwcases.reports.plan_workbook import write_plan_workbook

    if not factory or output is None:
        raise UsageError("export improvement-plan needs --factory ID and -o FILE.xlsx")
    if lang not in LANGUAGES:
        raise UsageError(f"--lang {lang!r} is not one of {', '.join(LANGUAGES)}")
    tmp = output.with_name(output.name + ".part")
    try:
        count = write_plan_workbook(_store(ctx), factory, tmp, lang=lang)
        tmp.replace(output)
    except OSError as exc:  # a full disk, no permission: no half-written file is left
        tmp.unlink(missing_ok=True)
        raise OutputError(str(output), exc.strerror or str(exc)) from exc
    finally:
        tmp.unlink(missing_ok=True)
    click.echo(f"{count} items of {factory} written to {output}", err=True)


COUNTRY_HELP = "a country's name or ISO code, in any case (Vietnam, vn)"


@main.command()
@db_option
@click.option("--country", help=COUNTRY_HELP)
@FORMAT
@click.pass_context
@friendly
def factories(ctx: click.Context, country: str | None, fmt: str | None) -> None:
    """The factory register."""
    from bwcases.analysis.queries import country_named

    store = _store(ctx)
    if country is not None:
        country = country_named(store, country)
    emit(store.factories_frame(country=country), fmt)


@main.command()
@db_option
@click.option("--cluster", help="only this cluster's questions (any case; Systems is OSH)")
@click.option("--type", "question_type", type=click.Choice(["NCQ", "FGW"], case_sensitive=False))
@FORMAT
@click.pass_context
@friendly
def questions(
    ctx: click.Context, cluster: str | None, question_type: str | None, fmt: str | None
) -> None:
    """The CAT's questions with their tags, merged across CAT versions by the question map."""
    from bwcases.analysis import synthesis
    from bwcases.core.question_map import question_map

    frame = synthesis.questions(_store(ctx), cluster=cluster, question_type=question_type)
    click.echo(f"question map {question_map().version}", err=True)
    emit(frame, fmt)


@main.command()
@db_option
@FORMAT
@click.pass_context
@friendly
def partners(ctx: click.Context, fmt: str | None) -> None:
    """Partners with their factory links, one row per link."""
    frame = _store(ctx).partners_frame()
    frame["consent"] = frame["consent"].map({True: "yes", False: "no"})
    emit(frame, fmt)


@main.command()
@db_option
@click.option(
    "--method", type=click.Choice(["latest", "cycle", "panel"]), default="latest", show_default=True
)
@click.option(
    "--from",
    "first",
    metavar="YYYY-MM",
    help="first month of the window (latest method; cycle method: assessments starting in it)",
)
@click.option("--to", "last", metavar="YYYY-MM", help="last month of the window (included)")
@click.option("--cycle", type=int, help="the cycle (cycle and panel methods)")
@click.option(
    "--by-cycle",
    is_flag=True,
    help="latest method: rates by the cycle each factory's latest assessment belongs to",
)
@click.option("--country", help=f"{COUNTRY_HELP}; 'all' pools every country")
@click.option(
    "--level",
    type=click.Choice(["cp", "cluster", "question", "factory"]),
    default="cp",
    show_default=True,
)
@FORMAT
@click.pass_context
@friendly
def rates(
    ctx: click.Context,
    method: str,
    first: str | None,
    last: str | None,
    cycle: int | None,
    by_cycle: bool,
    country: str | None,
    level: str,
    fmt: str | None,
) -> None:
    """Non-compliance rates with the programme's method."""
    from bwcases.analysis.methods import Window

    window = Window.given(first, last)
    fmt = fmt or ("table" if sys.stdout.isatty() else "csv")  # emit's choice
    if fmt != "table" and level != "question":
        # as rows: emit's CSV and JSON without pandas (question rates merge CAT versions in a
        # frame; a table is aligned as pandas aligns it)
        _print_rate_rows(ctx, fmt, method, window, cycle, country, level, by_cycle)
        return
    from bwcases.analysis import queries

    emit(
        queries.rates(
            _store(ctx),
            method,
            window=window,
            cycle=cycle,
            country=country,
            level=level,
            by_cycle=by_cycle,
        ),
        fmt,
    )


def _print_rate_rows(
    ctx: click.Context,
    fmt: str,
    method: str,
    window: Window | None,
    cycle: int | None,
    country: str | None,
    level: str,
    by_cycle: bool,
) -> None:
    """Print rates as emit prints their frame in CSV or JSON, from the store's rows: the rates
    part of the store alone and no pandas are imported, nor SQLAlchemy on an SQLite store (the
    statements compiled ahead, run by sqlite3)."""
    from bwcases.analysis.rate_rows import country_named, rate_query
    from bwcases.core.row_output import rows_csv, rows_json
    from bwcases.store.sqlite_rates import SqliteRates

    db = ctx.ensure_object(dict).get("db")
    source: SqliteRates | RateStore | None = SqliteRates.open(db)  # sqlite3 where it can
    if source is None:
        from bwcases.store.rates import RateStore

        source = RateStore(db)
    try:
        if country is not None:
            country = country_named(source, country, pooled=True)
        query = rate_query(
            method, window=window, cycle=cycle, country=country, level=level, by_cycle=by_cycle
        )
        table = source.rates_table(query)
    finally:
        source.dispose()
    text = (rows_csv if fmt == "csv" else rows_json)(table.columns, table.rows)
    click.echo(for_terminal(text) if sys.stdout.isatty() else text, nl=False)


@main.command()
@db_option
@click.argument("kind", type=click.Choice(["assessments", "factories", "dates", "picc"]))
@click.option(
    "--from", "first", metavar="YYYY-MM", help="count the assessments starting from this month"
)
@click.option("--to", "last", metavar="YYYY-MM", help="and up to this month (included)")
@click.option("--cycle", type=int, help="count the assessments of this cycle only")
@click.option("--country", help=f"{COUNTRY_HELP}; 'all' pools every country")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="picc: members on this day")
@FORMAT
@click.pass_context
@friendly
def counts(
    ctx: click.Context,
    kind: str,
    first: str | None,
    last: str | None,
    cycle: int | None,
    country: str | None,
    as_of: str | None,
    fmt: str | None,
) -> None:
    """Sample sizes: assessments per cycle, factories per cycle (a column each), or the first
    and last assessment dates, per country; or PICC members by side and gender."""
    from bwcases.analysis import queries
    from bwcases.analysis.metrics import Window

    if kind == "picc":
        from bwcases.analysis.synthesis import picc_members

        given = {"--from": first, "--to": last, "--cycle": cycle}
        for option, value in given.items():
            if value is not None:
                raise UsageError(f"{option} does not apply to counts picc (it takes --as-of)")
        day = _day("--as-of", as_of)
        emit(picc_members(_store(ctx), country=country, as_of=day), fmt)
        return
    if as_of is not None:
        raise UsageError(f"--as-of applies to counts picc only, not to counts {kind}")

    frame = queries.counts(
        _store(ctx), kind, window=Window.given(first, last), cycle=cycle, country=country
    )
    for col in ("first_assessment", "last_assessment"):
        if col in frame:  # a day, in JSON too (not midnight of it)
            frame[col] = frame[col].map(lambda day: day.isoformat())
    emit(frame, fmt)


@main.command()
@db_option
@click.option("--factory", "factory_id")
@click.option("--country", help=COUNTRY_HELP)
@click.option("--partner", "partner_id")
@click.option(
    "--as-of", "as_of", metavar="YYYY-MM-DD", help="the day to report on (default: today)"
)
@click.option(
    "--by",
    type=click.Choice(["factory", "country", "partner", "cp-status"]),
    help="one row per factory, country or partner; cp-status: items per CP and status",
)
@FORMAT
@click.pass_context
@friendly
def progress(
    ctx: click.Context,
    factory_id: str | None,
    country: str | None,
    partner_id: str | None,
    as_of: str | None,
    by: str | None,
    fmt: str | None,
) -> None:
    """Remediation progress of Improvement Plans."""
    from bwcases.analysis import queries

    day = _day("--as-of", as_of)
    if by == "cp-status":
        from bwcases.analysis.synthesis import plan_by_cp_status

        chosen = {"factory_id": factory_id, "country": country, "partner_id": partner_id}
        emit(plan_by_cp_status(_store(ctx), as_of=day, **chosen), fmt)
        return
    emit(
        queries.progress(
            _store(ctx),
            factory_id=factory_id,
            country=country,
            partner_id=partner_id,
            as_of=day,
            by=by,
        ),
        fmt,
    )


@main.command()
@db_option
@click.argument("factory_id", required=False)
@click.option("--counts", is_flag=True, help="members by gender and side instead of the list")
@click.option(
    "--as-of", "as_of", metavar="YYYY-MM-DD", help="--counts: members on this day (default: today)"
)
@FORMAT
@click.pass_context
@friendly
def picc(
    ctx: click.Context, factory_id: str | None, counts: bool, as_of: str | None, fmt: str | None
) -> None:
    """The PICC register of a factory (of every factory without one), or its counts."""
    store = _store(ctx)
    ids = None
    if factory_id:
        if not store.known_factories([factory_id]):
            raise NotFoundError("factory", factory_id)
        ids = [factory_id]
    if counts:
        day = _day("--as-of", as_of)
        emit(store.picc_counts(factory_ids=ids, as_of=day), fmt)
        return
    frame = store.picc_register_frame(factory_ids=ids)
    for col in ("since", "until"):  # a day, in JSON too (not midnight of it)
        frame[col] = frame[col].map(lambda day: day.isoformat() if day else "")
    emit(frame.drop(columns=["version"]), fmt)


def _day(option: str, value: str | None) -> dt.date | None:
    """A day given as YYYY-MM-DD, or None."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date written YYYY-MM-DD") from None


@main.command("run")
@db_option
@click.argument("batch_file", type=click.Path(path_type=Path))
@click.option("--workers", type=click.IntRange(1, 256), help="worker processes (default: cores)")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask scheduler")
@click.option("--force", is_flag=True, help="run items whose outputs are already current")
@click.option("--only", metavar="ID,...", help="run only these items")
@click.pass_context
@friendly
def run_batch(
    ctx: click.Context,
    batch_file: Path,
    workers: int | None,
    scheduler: str | None,
    force: bool,
    only: str | None,
) -> None:
    """Run a notebook once per factory, partner or country, as a batch file says."""
    from bwcases.batch.backends import start_early, stop_early
    from bwcases.batch.spec import kernel_of, load_spec, notebook_of

    try:
        notebook = None if scheduler else notebook_of(batch_file)
        if notebook is not None:  # the kernels start and warm up while this process plans
            start_early(str(notebook), workers, kernel_of(notebook))
        from tqdm import tqdm

        from bwcases.batch.light import import_papermill

        import_papermill()
        from bwcases.batch.planning import plan
        from bwcases.batch.run import execute
        from bwcases.store.register import RegisterStore

        spec = load_spec(batch_file)
        only_ids = [i.strip() for i in only.split(",") if i.strip()] if only else None
        # the register's part of the store alone: a plan needs no pandas (a partner batch's aside)
        store = RegisterStore(ctx.ensure_object(dict).get("db"))
        try:
            the_plan = plan(spec, store, force=force, only=only_ids)
        finally:
            store.dispose()
    except KeyboardInterrupt:  # Ctrl-C before any item ran: nothing was written yet
        stop_early()
        click.echo("bwcases: interrupted while planning the batch; nothing was written", err=True)
        sys.exit(130)
    except BaseException:  # a refused batch file or store: no run takes the kernels
        stop_early()
        raise
    total = len(the_plan.tasks) + len(the_plan.current)
    click.echo(
        f"{total} items: {len(the_plan.current)} current, {len(the_plan.tasks)} to run "
        f"-> {spec.output}",
        err=True,
    )
    failed: list[str] = []
    with tqdm(
        total=len(the_plan.tasks), unit="item", dynamic_ncols=True, disable=not the_plan.tasks
    ) as bar:

        def on_result(result: Any) -> None:
            if result.status != "ok":
                failed.append(result.item)
                line = f"bwcases: {result.item} failed: {result.error}"
                bar.write(for_terminal(line), file=sys.stderr)
            bar.set_postfix(failed=len(failed))
            bar.update(1)

        try:
            outcome = execute(the_plan, workers=workers, scheduler=scheduler, on_result=on_result)
        except KeyboardInterrupt:
            bar.close()
            click.echo(
                f"bwcases: interrupted after {bar.n} items; finished outputs are kept and the "
                "same command resumes with the rest",
                err=True,
            )
            sys.exit(130)
    ok = len(outcome.results) - len(outcome.failed)
    click.echo(
        f"{ok} ok, {len(outcome.failed)} failed, {len(outcome.skipped)} current; "
        f"manifest {outcome.manifest}, summary {outcome.summary}",
        err=True,
    )
    for result in outcome.failed:
        line = f"bwcases: failed {result.item}: {result.error} (see {spec.output})"
        click.echo(for_terminal(line), err=True)
    sys.exit(outcome.exit_status)


@main.command()
@db_option
@click.argument("kind", type=click.Choice(["partner", "governance"]))
@click.argument("subject", metavar="PARTNER_ID|COUNTRY")
@click.option("--period", required=True, metavar="YYYY-MM:YYYY-MM", help="the months reported on")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("briefs"),
    show_default=True,
    help="folder for the brief's files",
)
@click.option("--lang", default="en", show_default=True, help="language of the fixed texts")
@click.option("--keep-notebook", is_flag=True, help="keep the executed notebook beside them")
@click.pass_context
@friendly
def brief(
    ctx: click.Context,
    kind: str,
    subject: str,
    period: str,
    out_dir: Path,
    lang: str,
    keep_notebook: bool,
) -> None:
    """A partner's brief or a country brief for its Project Advisory Committee (HTML and PDF)."""
    from bwcases.reports.briefs import brief_kernel, render_brief

    kernel = brief_kernel(kind)  # it starts and warms up while the store opens and checks
    paths = render_brief(
        _store(ctx),
        kind,
        subject,
        period,
        out_dir,
        lang=lang,
        keep_notebook=keep_notebook,
        kernel=kernel,
    )
    for path in paths.values():
        click.echo(path)


@main.command()
@db_option
@click.option("--person", "names", multiple=True, metavar="NAME", help="her digest (repeatable)")
@click.option("--all", "everyone", is_flag=True, help="everyone's digest")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="the day reported on (default: today)")
@click.option("--send", is_flag=True, help="deliver over SMTP (BWCASES_SMTP_URL); else .eml files")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    help="folder for the .eml files (default: digests/YYYY-MM-DD)",
)
@click.option("--base-url", help="the apps' address in the links (default: BWCASES_BASE_URL)")
@click.option("--again", is_flag=True, help="also people whose digest of the day went out")
@click.pass_context
@friendly
def digest(
    ctx: click.Context,
    names: tuple[str, ...],
    everyone: bool,
    as_of: str | None,
    send: bool,
    out_dir: Path | None,
    base_url: str | None,
    again: bool,
) -> None:
    """Reminders: what is overdue, due soon, to review or verify, or sent back, per person."""
    import os

    from bwcases.reports.digest import FAILED, DigestRun, run_digests
    from bwcases.reports.digest import base_url as apps_url

    if everyone == bool(names):
        raise UsageError("name the people with --person NAME, or give --all")
    day = _day("--as-of", as_of) or dt.date.today()
    smtp_url = os.environ.get("BWCASES_SMTP_URL") or None
    out_dir = out_dir or Path("digests") / day.isoformat()
    if send and not smtp_url:
        click.echo(
            f"bwcases: BWCASES_SMTP_URL is not set: writing .eml files to {out_dir}", err=True
        )
    run = DigestRun(day, out_dir, send, smtp_url, apps_url(base_url), again=again)
    outcomes = run_digests(_store(ctx), run, list(names) or None)
    for o in outcomes:
        click.echo(for_terminal(f"{o.person}: {o.outcome} ({o.detail})"))
    if any(o.outcome == FAILED for o in outcomes):
        sys.exit(1)


@main.command()
@db_option
@click.option("--port", default=8866, show_default=True, type=int)
@click.option(
    "--demo",
    "demo_factories",
    type=int,
    default=0,
    help="first fill an empty store with this many demo factories, and sign-ins to try them",
)
@click.option("--cold", is_flag=True, help="no preheated kernels (each page starts its own)")
@click.option(
    "--max-pages",
    type=click.IntRange(1),
    default=MAX_PAGES,
    show_default=True,
    help="open pages the server holds (each page's kernel takes ~130 MB); then it is busy",
)
@click.option(
    "--pages-per-person",
    type=click.IntRange(1),
    default=PAGES_PER_PERSON,
    show_default=True,
    help="open pages one person keeps; opening one more stops her oldest",
)
@click.option(
    "--kernel-grace",
    type=click.FloatRange(min=0.1),
    default=KERNEL_GRACE,
    show_default=True,
    help="minutes after which a kernel whose page is gone (closed offline, never opened) stops",
)
@click.option(
    "--trusted-proxy",
    is_flag=True,
    help="behind a TLS proxy: trust its X-Forwarded-For/-Proto (client address, Secure cookie)",
)
@click.pass_context
@friendly
def serve(
    ctx: click.Context,
    port: int,
    demo_factories: int,
    cold: bool,
    max_pages: int,
    pages_per_person: int,
    kernel_grace: float,
    trusted_proxy: bool,
) -> None:
    """Serve the advisor apps in Voilà (behind sign-in) and print the URL to open."""
    from bwcases.web.limits import Limits
    from bwcases.web.serve import serve as run_server

    store = _store(ctx)
    greeting: list[str] = []
    if demo_factories:
        from bwcases.auth.accounts import demo_users

        if store.factories_frame().empty:
            from bwcases.io.demo import fill_demo

            click.echo(fill_demo(store, factories=demo_factories, seed=1))
        greeting = demo_users(store)
    elif store.users_frame().empty:
        greeting = ["No one can sign in yet: add people with `bwcases users add NAME --role ...`."]
    limits = Limits(pages_per_person, max_pages, kernel_grace, trusted_proxy)
    run_server(store.url, port=port, preheat=not cold, greeting=greeting, limits=limits)


@main.group()
def users() -> None:
    """The people who sign in to the advisor apps."""


@users.command("add")
@db_option
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["advisor", "staff", "readonly", "factory"])
)
@click.option("--country", help="the country of programme staff (and of read-only users)")
@click.option("--factory", help="the factory ID a factory's own person (--role factory) works for")
@click.option("--email", help="where her reminders go (bwcases digest)")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option(
    "--replace", is_flag=True, help="change the role, country, factory, email and password of NAME"
)
@click.pass_context
@friendly
def users_add(
    ctx: click.Context,
    name: str,
    role: str,
    country: str | None,
    factory: str | None,
    email: str | None,
    password_stdin: bool,
    replace: bool,
) -> None:
    """Let NAME sign in (NAME as the factory register spells advisors)."""
    from bwcases.analysis.queries import country_named
    from bwcases.auth.accounts import add_user, new_password

    if country:  # empty: no country, as add_user takes it
        country = country_named(_store(ctx), country)
    printed = False
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password, printed = new_password(), True
    added = add_user(
        _store(ctx),
        name,
        role=role,
        password=password,
        country=country,
        factory=factory,
        email=email,
        actor=_actor(),
        replace=replace,
    )
    click.echo(f"{'changed' if replace else 'added'} {added.name} ({added.role.value})")
    if not (_store(ctx).user(added.name) or {}).get("active", True):
        click.echo(f"{added.name} stays inactive: `bwcases users activate` lets her sign in")
    if printed:
        click.echo(f"password: {password}")


@users.command("deactivate")
@db_option
@click.argument("name")
@click.pass_context
@friendly
def users_deactivate(ctx: click.Context, name: str) -> None:
    """Stop NAME: she can no longer sign in; her sessions end, and a page she has open stops
    at her next click."""
    held, changed = _store(ctx).set_active(name, False, actor=_actor())
    click.echo(f"deactivated {held}" if changed else f"{held} was already inactive")


@users.command("activate")
@db_option
@click.argument("name")
@click.pass_context
@friendly
def users_activate(ctx: click.Context, name: str) -> None:
    """Let a deactivated NAME sign in again (with her password as it was)."""
    held, changed = _store(ctx).set_active(name, True, actor=_actor())
    click.echo(f"activated {held}" if changed else f"{held} was already active")


@users.command("list")
@db_option
@FORMAT
@click.pass_context
@friendly
def users_list(ctx: click.Context, fmt: str | None) -> None:
    """The people who can sign in (never their passwords)."""
    emit(_store(ctx).users_frame(), fmt)


if __name__ == "__main__":
    main()
