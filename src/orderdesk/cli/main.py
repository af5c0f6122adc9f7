"""Entry point of the `orderdesk` command; each command loads the settings once and passes them on."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, TypeVar

import structlog
import typer

import orderdesk
from orderdesk.auth.keys import load_or_create_signing_key
from orderdesk.auth.tokens import (
    NOTIFICATIONS_CREATE_SCOPE,
    TokenKind,
    mint_org_token,
    mint_platform_access_token,
    mint_user_token,
)
from orderdesk.contacts.models import Organization, Person
from orderdesk.contacts.service import import_contacts
from orderdesk.core.clock import wire_time
from orderdesk.core.db import Database
from orderdesk.core.errors import InvalidInput
from orderdesk.core.gc_freeze import freeze_startup_heap
from orderdesk.core.home import HomeRefused, claim_home, require_home
from orderdesk.migrations import runner
from orderdesk.settings import Settings
from orderdesk.settings_check import SettingsInvalid, load_settings, warn_unknown_variables

if TYPE_CHECKING:
    import socket

    from sqlalchemy.ext.asyncio import AsyncConnection

    from orderdesk.console.models import NewPassword, Operator
    from orderdesk.purchases.models import ClientListing

T = TypeVar("T")
_log = structlog.get_logger("orderdesk.cli")

# Markdown: a paragraph of a docstring is wrapped to the terminal as one, not at its source lines.
_HELP_MARKUP: Literal["markdown"] = "markdown"
app = typer.Typer(
    help="orderdesk: place orders for work that happens later and follow their status.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=_HELP_MARKUP,
)
contacts_app = typer.Typer(
    help="The contact register used to find recipients.", no_args_is_help=True, rich_markup_mode=_HELP_MARKUP
)
config_app = typer.Typer(help="Settings.", no_args_is_help=True, rich_markup_mode=_HELP_MARKUP)
catalog_app = typer.Typer(
    help="The data catalogue that data orders choose from.",
    no_args_is_help=True,
    rich_markup_mode=_HELP_MARKUP,
)
clients_app = typer.Typer(
    help="OAuth2 clients of the purchase API.", no_args_is_help=True, rich_markup_mode=_HELP_MARKUP
)
products_app = typer.Typer(
    help="The product catalogue of purchase orders.", no_args_is_help=True, rich_markup_mode=_HELP_MARKUP
)
app.add_typer(contacts_app, name="contacts")
app.add_typer(config_app, name="config")
app.add_typer(catalog_app, name="catalog")
app.add_typer(clients_app, name="clients")
app.add_typer(products_app, name="products")
operators_app = typer.Typer(
    help="People who sign in to the operator console at `/console/`.",
    no_args_is_help=True,
    rich_markup_mode=_HELP_MARKUP,
)
app.add_typer(operators_app, name="operators")


class OperatorRole(StrEnum):
    """An operator's role in the console (`orderdesk operators add EMAIL --role …`)."""

    VIEWER = "viewer"
    ADMIN = "admin"


class DataRole(StrEnum):
    """The role in a data-order user's token (`orderdesk token --user EMAIL --role …`)."""

    REGISTERED_USER = "REGISTERED_USER"
    ADMIN = "ADMIN"
    """Also reads every user's orders (GET of an order, its files, its status): the administrator's view."""


class UserApi(StrEnum):
    """The API a user's token is for (`orderdesk token --user EMAIL --api …`)."""

    DATA_ORDERS = "data-orders"
    PURCHASES = "purchases"


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"orderdesk {orderdesk.__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit."),
    ] = False,
) -> None:
    """orderdesk: place orders for work that happens later and follow their status."""


def _invalid(error: InvalidInput) -> NoReturn:
    """Each refused field on a line of its own on stderr, then exit 2."""
    for field, messages in error.errors.items():
        typer.echo(f"{field}: {' '.join(messages)}", err=True)
    raise typer.Exit(2) from error


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, default=_json_value))


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return wire_time(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _loaded() -> Settings:
    """The settings every command starts from, with the logs set up as they say. A bad value ends the
    command with exit code 2 and one line per bad variable, naming it and what it expects."""
    from orderdesk.core.logging import configure_logging

    try:
        settings = load_settings()
    except SettingsInvalid as error:
        for line in error.lines:
            typer.echo(line, err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    warn_unknown_variables()
    return settings


def _settings() -> Settings:
    """The settings of a command that works on the database of an existing home."""
    return _with_home(_loaded(), create=False, database=True)


def _serving_settings() -> Settings:
    """The settings of `serve`, `worker` and `migrate`: the home is created when needed."""
    return _with_home(_loaded(), create=True, database=True)


def _with_home(settings: Settings, *, create: bool, database: bool) -> Settings:
    """`settings` once the home exists (or is made, `create`) and, when the command uses the
    `database`, belongs to it (core.home); else one line on stderr and exit 2. Only the commands that
    run the service may create a home: any other would make one, with a signing key of its own,
    wherever it happens to be run."""
    try:
        if not create:
            require_home(settings.home)
        if database:
            claim_home(settings.home, settings.database_url)
    except HomeRefused as error:
        typer.echo(f"orderdesk: {error}", err=True)
        raise typer.Exit(2) from error
    return settings


async def _migrate(settings: Settings) -> str | None:
    database = Database.from_url(settings.database_url)
    try:
        await runner.upgrade(database)
        return await runner.current_revision(database)
    finally:
        await database.dispose()


def _in_transaction(settings: Settings, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Migrate the database, then run `work` in one transaction (committed when it returns)."""

    async def run() -> T:
        await _migrate(settings)
        database = Database.from_url(settings.database_url)
        try:
            async with database.transaction() as connection:
                return await work(connection)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        typer.echo(f"{file}: not a JSON document: {error}", err=True)
        raise typer.Exit(2) from error


def _refuse(file: Path, error: InvalidInput) -> NoReturn:
    typer.echo(f"{file}: nothing imported, the file has errors:", err=True)
    for field, messages in error.errors.items():
        typer.echo(f"  {field}: {' '.join(messages)}", err=True)
    raise typer.Exit(2) from error


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="API only; run `orderdesk worker` elsewhere.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="Processes serving the port (uvicorn workers); each also runs the worker loops unless"
            " --no-worker. `/metrics` adds up all of them.",
        ),
    ] = 1,
) -> None:
    """Run the API (and the workers) on the configured database, creating and migrating it when needed."""
    settings = _serving_settings()
    _share_metrics(settings)
    import uvicorn

    from orderdesk.app import create_app
    from orderdesk.server import listening_socket, uvicorn_options

    if settings.public_base_url is None:
        settings = _with_public_base_url(settings, f"http://{_url_host(host)}:{port}")
    try:
        listener = listening_socket(host, port, settings.server.backlog)
    except OSError as error:
        typer.echo(
            f"orderdesk: cannot listen on {_url_host(host)}:{port}: {error.strerror or error}", err=True
        )
        raise typer.Exit(2) from error
    asyncio.run(_migrate(settings))
    # A log line, not a print: on stdout a plain-text line broke the JSON lines around it.
    _log.info("serving", home=str(settings.home), database=_redacted(settings.database_url))
    if workers > 1:
        _serve_in_processes(settings, listener, host=host, port=port, processes=workers, no_worker=no_worker)
        return
    application = create_app(settings, run_workers=not no_worker)
    freeze_startup_heap()
    config = uvicorn.Config(
        application, host=host, port=port, log_config=None, **uvicorn_options(settings.server)
    )
    server = uvicorn.Server(config)
    # uvicorn logs no address when handed a socket: say where the service answers (a log line, as
    # "serving" is, so that JSON logs stay JSON).
    _log.info("listening", url=f"http://{_url_host(host)}:{port}")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn has shut down, as uvicorn.run does
        server.run(sockets=[listener])
    if not server.started:
        raise typer.Exit(3)  # uvicorn's own exit status when the app could not start


def _serve_in_processes(
    settings: Settings, listener: socket.socket, *, host: str, port: int, processes: int, no_worker: bool
) -> None:
    """`serve --workers N` once the settings, the home, the socket and the migrations are done."""
    from orderdesk.server_processes import serve_in_processes

    _log.info("listening", url=f"http://{_url_host(host)}:{port}", processes=processes)
    status = serve_in_processes(
        settings, listener, host=host, port=port, processes=processes, run_workers=not no_worker
    )
    if status:
        raise typer.Exit(status)


def _share_metrics(settings: Settings) -> None:
    """Before anything imports prometheus_client: this process's metrics go into the home's shared
    directory, which `GET /metrics` of any API process on the home adds up."""
    from orderdesk.observability.multiprocess import use_directory

    use_directory(settings.home)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _with_public_base_url(settings: Settings, base_url: str) -> Settings:
    """The settings with links built on `base_url` (the address served on, when none is configured)."""
    notifications = settings.notifications.model_copy(update={"public_base_url": base_url})
    return settings.model_copy(update={"public_base_url": base_url, "notifications": notifications})


@app.command()
def worker() -> None:
    """Run the workers only (scheduling, sending, expiry) until interrupted; start as many as you like."""
    settings = _serving_settings()
    _share_metrics(settings)
    from orderdesk.core.clock import utcnow
    from orderdesk.core.wakeup import Wakeups
    from orderdesk.worker_runtime import WorkerRuntime

    async def run() -> None:
        await _migrate(settings)
        database = Database.from_url(
            settings.database_url,
            pool_size=settings.database.pool_size,
            pool_timeout=settings.database.pool_timeout_seconds,
        )
        workers = WorkerRuntime(settings, database, utcnow, Wakeups())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        await workers.start()
        freeze_startup_heap()
        _log.info("worker_started", database=_redacted(settings.database_url))
        try:
            await stop.wait()
        finally:
            await workers.stop()
            await database.dispose()

    asyncio.run(run())


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    settings = _serving_settings()
    revision = asyncio.run(_migrate(settings))
    typer.echo(f"database {_redacted(settings.database_url)} is at revision {revision}")


@app.command()
def token(
    org: Annotated[
        str | None, typer.Option(metavar="ORG", help="Organisation (service owner) short name.")
    ] = None,
    scope: Annotated[
        list[str] | None, typer.Option(metavar="SCOPE", help="Scope to grant; repeat for several.")
    ] = None,
    platform: Annotated[
        bool, typer.Option("--platform", help="Print a Platform Access Token issued by ORG.")
    ] = False,
    user: Annotated[str | None, typer.Option(metavar="EMAIL", help="E-mail of a data-order user.")] = None,
    role: Annotated[
        DataRole,
        typer.Option(
            metavar="ROLE",
            help="With --user: REGISTERED_USER, or ADMIN, who also reads every user's data orders.",
        ),
    ] = DataRole.REGISTERED_USER,
    api: Annotated[
        UserApi,
        typer.Option(help="With --user: the API the token is for (data orders, or purchases' user paths)."),
    ] = UserApi.DATA_ORDERS,
    ttl: Annotated[int | None, typer.Option(metavar="SECONDS", help="Lifetime in seconds.")] = None,
) -> None:
    """Print a token signed with the key in the home, valid against a server on the same home.

    Each token opens one door: --org gives a service owner's token for the notification API (or, with
    the delivery-reports scope, a token for posting delivery reports), --platform a Platform Access
    Token, --user a data-order user's token (--api purchases: a customer's for /capi/v1)."""
    settings = _with_home(_loaded(), create=False, database=False)
    key = load_or_create_signing_key(settings.signing_key_path)
    lifetime = ttl or settings.auth.token_ttl_seconds
    if user:
        kind = TokenKind.PURCHASE_USER if api is UserApi.PURCHASES else TokenKind.DATA_USER
        typer.echo(
            mint_user_token(
                key,
                issuer=settings.auth.local_issuer,
                email=user,
                role=role.value,
                ttl_seconds=lifetime,
                kind=kind,
            )
        )
        return
    if not org:
        raise typer.BadParameter("give --org ORG (or --user EMAIL)", param_hint="--org")
    if platform:
        if org == settings.auth.local_issuer:
            # Refused by the verifier: the local issuer signs bearer tokens, it is no organisation.
            raise typer.BadParameter(f"{org!r} is the local issuer, not an organisation", param_hint="--org")
        typer.echo(mint_platform_access_token(key, org=org, ttl_seconds=lifetime))
        return
    try:
        minted = mint_org_token(
            key,
            issuer=settings.auth.local_issuer,
            org=org,
            scopes=scope or [NOTIFICATIONS_CREATE_SCOPE],
            ttl_seconds=lifetime,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--scope") from error
    typer.echo(minted)


@contacts_app.command("import")
def contacts_import(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="The JSON file.", exists=True, dir_okay=False, readable=True),
    ],
) -> None:
    """Load persons and organisations from a JSON file; entries already known are updated."""
    document = _read_json(file)
    try:
        summary = _in_transaction(_settings(), lambda connection: import_contacts(connection, document))
    except InvalidInput as error:
        _refuse(file, error)
    typer.echo(json.dumps({"persons": summary.persons, "organizations": summary.organizations}))


@contacts_app.command("show")
def contacts_show(
    number: Annotated[
        str,
        typer.Argument(
            metavar="NUMBER", help="National identity number (11 digits) or organization number (9)."
        ),
    ],
) -> None:
    """Print what the register holds for a person or an organisation, as JSON in the import format;
    exit 1 when it holds nothing for the number."""
    from orderdesk.contacts.service import find_contact, register_number

    try:
        register_number(number)  # refused before the home or the database is touched
        contact = _in_transaction(_settings(), lambda connection: find_contact(connection, number))
    except InvalidInput as error:
        _invalid(error)
    if contact is None:
        typer.echo(f"orderdesk: the contact register holds nobody with the number {number.strip()}", err=True)
        raise typer.Exit(1)
    _print_json(_contact_json(contact))


@contacts_app.command("remove")
def contacts_remove(
    number: Annotated[
        str,
        typer.Argument(
            metavar="NUMBER", help="National identity number (11 digits) or organization number (9)."
        ),
    ],
) -> None:
    """Remove a person or an organisation from the register (orders placed already keep the
    addresses they were given); exit 1 when the register holds nobody with the number."""
    from orderdesk.contacts.service import register_number, remove_contact

    try:
        register_number(number)  # refused before the home or the database is touched
        removed = _in_transaction(_settings(), lambda connection: remove_contact(connection, number))
    except InvalidInput as error:
        _invalid(error)
    if not removed:
        typer.echo(f"orderdesk: the contact register holds nobody with the number {number.strip()}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps({"removed": number.strip()}))


def _contact_json(contact: Person | Organization) -> dict[str, Any]:
    if isinstance(contact, Person):
        return {
            "nationalIdentityNumber": contact.national_identity_number,
            "name": contact.name,
            "email": contact.email,
            "mobileNumber": contact.mobile_number,
            "reserved": contact.reserved,
        }
    return {
        "organizationNumber": contact.organization_number,
        "name": contact.name,
        "emails": contact.emails,
        "mobileNumbers": contact.mobile_numbers,
    }


@catalog_app.command("import")
def catalog_import(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="Folder whose files make the dataset.")],
    dataset: Annotated[str, typer.Option(help="Name of the dataset.")],
) -> None:
    """Register the files under DIR as a dataset: each sub-folder is a product, each file directly in
    DIR a product of its own. Running it again updates the dataset to what the folder holds now."""
    from orderdesk.core.clock import utcnow
    from orderdesk.dataorders.service.catalogue import dataset_name, import_dataset, read_folder

    settings = _settings()

    async def run() -> Any:
        dataset_name(dataset)
        entries = await read_folder(folder)
        await _migrate(settings)
        database = Database.from_url(settings.database_url)
        try:
            async with database.transaction() as connection:
                return await import_dataset(connection, dataset, folder, entries, now=utcnow())
        finally:
            await database.dispose()

    try:
        summary = asyncio.run(run())
    except InvalidInput as error:
        _invalid(error)
    typer.echo(json.dumps(dataclasses.asdict(summary)))


@catalog_app.command("list")
def catalog_list() -> None:
    """Print the datasets as JSON: name, folder, when last imported, files and bytes (removed files
    not counted)."""
    from orderdesk.dataorders.service.catalogue import list_datasets

    datasets = _in_transaction(_settings(), list_datasets)
    _print_json([dataclasses.asdict(dataset) for dataset in datasets])


@catalog_app.command("remove")
def catalog_remove(
    dataset: Annotated[str, typer.Argument(metavar="NAME", help="Name of the dataset.")],
) -> None:
    """Take a dataset out of the catalogue: it can be ordered no more, and baskets lose it. Orders
    placed keep their files: those staged already stay downloadable, the others fail as no longer in
    the catalogue. Its folder is left as it is. Exit 1 when there is no such dataset."""
    from orderdesk.dataorders.service.catalogue import remove_dataset

    removed = _in_transaction(_settings(), lambda connection: remove_dataset(connection, dataset))
    if not removed:
        typer.echo(f"orderdesk: the catalogue has no dataset named {dataset.strip()!r}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps({"removed": dataset.strip()}))


@clients_app.command("add")
def clients_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Who the client is (shown to operators).")],
) -> None:
    """Register a client of the purchase API; prints its id, its secret and the `whsec_` secret that
    signs its fulfilment callbacks as JSON (both secrets only now)."""
    from orderdesk.core.clock import utcnow
    from orderdesk.purchases.service.clients import client_name, register_client

    try:
        client_name(name)  # refused before the home or the database is touched
        client = _in_transaction(_settings(), lambda connection: register_client(connection, name, utcnow()))
    except InvalidInput as error:
        _invalid(error)
    typer.echo(
        json.dumps(
            {
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "callback_signing_secret": client.callback_signing_secret,
            }
        )
    )


@clients_app.command("list")
def clients_list() -> None:
    """Print the clients as JSON: id, name, when registered and when revoked (null while active);
    never a secret."""
    from orderdesk.purchases.service.clients import list_clients

    clients = _in_transaction(_settings(), list_clients)
    _print_json([_client_json(client) for client in clients])


@clients_app.command("revoke")
def clients_revoke(
    client: Annotated[str, typer.Argument(metavar="ID_OR_NAME", help="The client's id, or its name.")],
) -> None:
    """Revoke a client: `/oauth/token` gives it no token and its access tokens place no order any
    more (they expire within their lifetime). Prints the client as JSON; revoking again changes
    nothing."""
    from orderdesk.core.clock import utcnow
    from orderdesk.purchases.errors import ClientNotFound
    from orderdesk.purchases.service.clients import revoke_client

    try:
        revoked = _in_transaction(_settings(), lambda connection: revoke_client(connection, client, utcnow()))
    except InvalidInput as error:
        _invalid(error)
    except ClientNotFound as error:
        typer.echo(
            f"orderdesk: no client has the id or name {client!r} (see `orderdesk clients list`)", err=True
        )
        raise typer.Exit(1) from error
    _print_json(_client_json(revoked))


def _client_json(client: ClientListing) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "created_at": client.created_at,
        "revoked_at": client.revoked_at,
    }


@operators_app.command("add")
def operators_add(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The operator's e-mail address.")],
    role: Annotated[OperatorRole, typer.Option(help="viewer sees everything; admin also acts.")],
) -> None:
    """Add an operator; prints as JSON a one-time password (only now) and the console's URL. They
    choose their own password when they first sign in."""
    from orderdesk.console.errors import OperatorExists
    from orderdesk.console.models import Role
    from orderdesk.console.rules import operator_email
    from orderdesk.console.service import add_operator
    from orderdesk.core.clock import utcnow

    try:
        operator_email(email)  # refused before the home or the database is touched
        settings = _settings()
        added = _in_transaction(
            settings, lambda connection: add_operator(connection, email, Role(role.value), utcnow())
        )
    except InvalidInput as error:
        _invalid(error)
    except OperatorExists as error:
        typer.echo(f"orderdesk: an operator {email.strip().lower()} exists already", err=True)
        raise typer.Exit(1) from error
    _print_json(_new_password_json(added, settings))


@operators_app.command("list")
def operators_list() -> None:
    """Print the operators as JSON: e-mail address, role, whether they must still choose a password,
    when added; never a password hash."""
    from orderdesk.console.service import list_operators

    operators = _in_transaction(_settings(), list_operators)
    _print_json([_operator_json(operator) for operator in operators])


@operators_app.command("remove")
def operators_remove(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The operator's e-mail address.")],
) -> None:
    """Remove an operator: their sessions end at once. Prints the removed operator as JSON."""
    from orderdesk.console.service import remove_operator

    removed = _operator_command(lambda connection: remove_operator(connection, email), email)
    _print_json(_operator_json(removed))


@operators_app.command("reset-password")
def operators_reset_password(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The operator's e-mail address.")],
) -> None:
    """Give an operator a new one-time password (printed as JSON, only now): their sessions end, and
    they choose a new password at their next sign-in."""
    from orderdesk.console.service import reset_password

    settings = _settings()
    reset = _operator_command(lambda connection: reset_password(connection, email), email, settings)
    _print_json(_new_password_json(reset, settings))


def _operator_command(
    work: Callable[[AsyncConnection], Awaitable[T]], email: str, settings: Settings | None = None
) -> T:
    """`work` in a transaction; exit 2 for a malformed address, 1 (one line) when nobody has it."""
    from orderdesk.console.errors import OperatorNotFound

    try:
        return _in_transaction(settings or _settings(), work)
    except InvalidInput as error:
        _invalid(error)
    except OperatorNotFound as error:
        typer.echo(f"orderdesk: no operator {email!r} (see `orderdesk operators list`)", err=True)
        raise typer.Exit(1) from error


def _operator_json(operator: Operator) -> dict[str, Any]:
    return {
        "email": operator.email,
        "role": operator.role.value,
        "must_choose_password": operator.must_choose_password,
        "created_at": operator.created_at,
    }


def _new_password_json(new: NewPassword, settings: Settings) -> dict[str, Any]:
    return {
        "email": new.operator.email,
        "role": new.operator.role.value,
        "one_time_password": new.one_time_password,
        "console_url": f"{settings.links_base_url}/console/",
    }


@products_app.command("import")
def products_import(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="The JSON file.", exists=True, dir_okay=False, readable=True),
    ],
) -> None:
    """Load the product catalogue from JSON (`{"products": [...]}`); products already there (same type
    and codes) get the file's price and description. Prints how many products the file holds."""
    from orderdesk.core.clock import utcnow
    from orderdesk.purchases.schemas import parse_products
    from orderdesk.purchases.service.catalog import import_products

    document = _read_json(file)
    try:
        count = _in_transaction(
            _settings(), lambda connection: import_products(connection, parse_products(document), utcnow())
        )
    except InvalidInput as error:
        _refuse(file, error)
    typer.echo(json.dumps({"products": count}))


@config_app.command("show")
def config_show() -> None:
    """Print the effective settings, secrets masked."""
    settings = _loaded()  # only shown: the home need not exist
    data = settings.model_dump(mode="json")
    if settings.database.url:
        data["database"]["url"] = _redacted(settings.database.url)
    data["database_url"] = _redacted(settings.database_url)
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL; hidden, it may hold a password)"


if __name__ == "__main__":
    app()
