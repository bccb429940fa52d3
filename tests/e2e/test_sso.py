"""Single sign-on (issue 19) end to end: headless Chromium, the app with ``st.login``
configured, and a real OpenID Connect provider process the test starts on localhost
(node-oidc-provider from ``tests/oidc``, installed by ``make test``): discovery, the
authorization-code flow with PKCE, ID tokens signed with its published keys. Log-in from a
manager's page goes back to it with the mapped role; a reload and a second tab keep the
session; log-out makes the other tab a visitor's; an identity without a mapped role waits
for an administrator. No network beyond localhost."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.i18n import tr
from registry.schema.codes import label
from tests.e2e.harness import (
    ROOT,
    App,
    Watch,
    free_port,
    make_db,
    offline_page,
    shot,
    start_app,
    wait_idle,
    wait_up,
)

OIDC = ROOT / "tests" / "oidc"


def _node() -> str:
    node = shutil.which("node")
    assert node, "Node.js runs the test OpenID provider (make test installs it with apt)"
    assert (OIDC / "node_modules" / "oidc-provider").is_dir(), (
        "the test OpenID provider is not installed: make test runs npm ci in tests/oidc"
    )
    return node


@pytest.fixture(scope="module")
def sso_app(_seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    folder = tmp_path_factory.mktemp("sso")
    app_port, op_port = free_port(), free_port()
    redirect = f"http://127.0.0.1:{app_port}/oauth2callback"
    client_secret = secrets.token_urlsafe(24)
    op_log = (folder / "provider.log").open("wb")
    provider = subprocess.Popen(
        [_node(), str(OIDC / "provider.mjs"), str(op_port), redirect, client_secret],
        stdout=op_log,
        stderr=subprocess.STDOUT,
    )
    app = None
    try:
        discovery = f"http://127.0.0.1:{op_port}/.well-known/openid-configuration"
        wait_up(provider, discovery, folder / "provider.log")
        secrets_file = folder / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "{redirect}"\n'
            f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
            "[auth.corfo]\n"
            'client_id = "iap-registry"\n'
            f'client_secret = "{client_secret}"\n'
            f'server_metadata_url = "{discovery}"\n'
            'client_kwargs = { scope = "openid profile email groups", prompt = "login" }\n'
        )
        app = start_app(
            make_db(_seeded_template, folder),
            folder / "streamlit.log",
            settings={"IAP_REGISTRY_SSO_ROLES": "groups:iap-managers=manager"},
            port=app_port,
            args=(f"--secrets.files={secrets_file}",),
        )
        yield app
    finally:
        for process in (app.process if app else None, provider):
            if process is not None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()


def _sign_in_at_provider(page: Any, name: str) -> None:
    """The provider's own pages: any name and password, then consent."""
    page.locator('input[name="login"]').fill(name)
    page.locator('input[name="password"]').fill("cualquier clave")
    page.locator('button[type="submit"]').click()
    page.get_by_role("button", name="Continue").click()  # consent to the scopes


def _sidebar(page: Any) -> str:
    wait_idle(page)
    return str(page.locator('[data-testid="stSidebar"]').inner_text())


def test_single_sign_on_maps_roles_lasts_and_logs_out(
    sso_app: App, browser: Any, watch: Watch
) -> None:
    manager = label("role", "manager", "es")
    context, page = offline_page(browser, watch)
    try:
        # a manager's page, opened by a visitor: log in with the institution there
        page.goto(f"{sso_app.url}/review?lang=es")
        page.get_by_role("link", name=tr("ui_sso_login", lang="es", provider="Corfo")).click()
        page.locator('input[name="login"]').wait_for()
        assert page.url.startswith("http://127.0.0.1:")  # the provider, on this machine
        _sign_in_at_provider(page, "gestora")
        who = tr("ui_logged_as", lang="es", user="gestora@corfo.example", role=manager)
        page.get_by_text(who).wait_for()
        page.get_by_role("heading", name=tr("ui_page_review", lang="es"), exact=True).wait_for()
        assert "/review" in page.url  # back where the user was going
        shot(page, "sso-back-on-review", full_page=False)
        user = sso_app.registry().store.get_user("gestora@corfo.example")
        assert user["role"] == "manager" and user["identity"].startswith("corfo:")

        page.reload()
        page.get_by_text(who).wait_for()
        second = context.new_page()
        second.set_default_timeout(60_000)
        second.goto(f"{sso_app.url}/stats")
        second.get_by_text(who).wait_for()

        page.goto(f"{sso_app.url}/account")
        page.get_by_role("button", name=tr("ui_logout", lang="es")).click()
        # the provider's own log-out (RP-initiated), then back to the app
        page.get_by_role("button", name="Yes, sign me out").click()
        page.get_by_text(tr("ui_visitor", lang="es")).wait_for()
        second.get_by_role("link", name=tr("ui_page_map", lang="es")).click()
        second.get_by_text(tr("ui_visitor", lang="es")).wait_for()
        assert "gestora" not in _sidebar(second)
    finally:
        context.close()

    # an identity without a mapped role waits for an administrator
    context, page = offline_page(browser, watch)
    try:
        page.goto(f"{sso_app.url}/account?lang=es")
        page.get_by_role("link", name=tr("ui_sso_login", lang="es", provider="Corfo")).click()
        _sign_in_at_provider(page, "pedro")
        page.get_by_text(tr("sso_pending", lang="es", user="pedro@corfo.example")).wait_for()
        assert tr("ui_visitor", lang="es") in _sidebar(page)
        shot(page, "sso-pending", full_page=False)
        page.goto(f"{sso_app.url}/account")  # the way out of the provider's identity
        page.get_by_role("button", name=tr("ui_sso_leave", lang="es")).wait_for()
        reg = sso_app.registry()
        assert reg.store.get_user("pedro@corfo.example")["disabled"]
        reg.update_user("pedro@corfo.example", reg.actor("root"), disabled=False)
        page.reload()
        page.get_by_text(
            tr(
                "ui_logged_as",
                lang="es",
                user="pedro@corfo.example",
                role=label("role", "coordinator", "es"),
            )
        ).wait_for()
    finally:
        context.close()
