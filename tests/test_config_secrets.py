"""Secrets belong in the environment: `check` warns about one written into the files, and
no message about a secret key ever repeats its value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.support.site import LocalSite
from tests.test_config import GOOD, write
from tests.test_config_errors import run_cli

CHANNELS, DIGESTS = GOOD["alerts.yaml"].split("digests:")
MAIL = ("  mail:\n    type: email\n    host: smtp.example.org\n    password: {password}\n"
        "    from: v@example.org\n    to: [a@example.org]\n")
SLACK = "  ops:\n    type: slack\n    webhook_url: {webhook}\n"
APPRISE = "  chat:\n    type: apprise\n    urls:\n      - {url}\n      - ${{CHAT_URL}}\n"


def alerts(*channels: str) -> dict[str, str]:
    return {"alerts.yaml": CHANNELS + "".join(channels) + "digests:" + DIGESTS}


def test_literal_secrets_get_a_warning_at_their_line(tmp_path: Path) -> None:
    from_environment = [  # no warning for these: the secret part comes from ${VAR}
        MAIL.format(password="${SMTP_PASSWORD}").replace("mail:", "mail2:"),
        SLACK.format(webhook="https://hooks.slack.com/services/${SLACK_PATH}")
        .replace("ops:", "ops2:"),
        APPRISE.format(url="json://bot:${CHAT_TOKEN}@example.org/hook").replace("chat:", "chat2:"),
    ]
    folder = write(tmp_path / "cfg", {**GOOD, **alerts(
        MAIL.format(password="hunter2-in-the-file"),
        SLACK.format(webhook="https://hooks.slack.com/services/T0/B0/XOXBSECRET"),
        APPRISE.format(url="json://bot:APPRISESECRET@example.org/hook"),
        *from_environment,
    )})
    file = folder / "alerts.yaml"
    env = {"SMTP_PASSWORD": "pw-from-env", "SLACK_PATH": "T0/B0/ENVSECRET",
           "CHAT_TOKEN": "ENVTOKEN", "CHAT_URL": "json://example.org/env"}

    result = run_cli(tmp_path, folder, "check", env=env)

    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {file}:8: channels.mail.password: a secret is written in the file; secrets "
        "belong in the environment: set MAIL_PASSWORD there and write ${MAIL_PASSWORD} here",
        f"warning: {file}:13: channels.ops.webhook_url: a secret is written in the file; "
        "secrets belong in the environment: set OPS_WEBHOOK_URL there and write "
        "${OPS_WEBHOOK_URL} here",
        f"warning: {file}:17: channels.chat.urls[0]: a secret is written in the file; secrets "
        "belong in the environment: set CHAT_URLS_0 there and write ${CHAT_URLS_0} here",
    ]
    output = result.stdout + result.stderr
    for secret in ("hunter2-in-the-file", "XOXBSECRET", "APPRISESECRET", "pw-from-env",
                   "ENVSECRET", "ENVTOKEN"):
        assert secret not in output


def test_a_secret_default_in_the_file_is_a_literal_secret(tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, **alerts(
        MAIL.format(password="${SMTP_PASSWORD:-fallback-secret}"))})

    result = run_cli(tmp_path, folder, "check")

    assert result.returncode == 0, result.stderr
    assert (f"warning: {folder / 'alerts.yaml'}:8: channels.mail.password: the default in "
            "${SMTP_PASSWORD:-…} is a secret written in the file") in result.stderr
    assert "fallback-secret" not in result.stdout + result.stderr


# (secret value as written, a piece of it that must never be printed, what is said instead)
LEAKS = {
    "broken reference after the token": (
        SLACK.format(webhook="https://hooks.slack.com/services/T0/B0/SECRETTAIL${oops"),
        "SECRETTAIL", "alerts.yaml:7:67: channels.ops.webhook_url: a '${' here is not a ${VAR}"),
    "token inside a broken reference": (
        SLACK.format(webhook="https://hooks.slack.com/services/${T0/B0/SECRETINSIDE}"),
        "SECRETINSIDE", "alerts.yaml:7:51: channels.ops.webhook_url: a '${' here is not"),
    "webhook that is not a URL": (
        SLACK.format(webhook="ftp://files.example.org/NOTAURLSECRET"),
        "NOTAURLSECRET", "alerts.yaml:7: channels.ops.webhook_url: is not an http:// or https://"),
    "apprise URL it cannot use": (
        APPRISE.format(url="nosuchservice://UNUSABLESECRET@example.org"),
        "UNUSABLESECRET", "alerts.yaml:7: channels.chat.urls: Apprise cannot use urls[0] "
                          "(nosuchservice://)"),
    "password that is a number": (
        MAIL.format(password="31415926535"), "31415926535",
        "alerts.yaml:8: channels.mail.password: expected text"),
    "YAML broken on the secret's line": (
        MAIL.format(password="abc: BROKENSECRET"), "BROKENSECRET",
        "alerts.yaml:8:18: a ': ' inside an unquoted value"),
    "unclosed quote in a secret": (
        MAIL.format(password='"QUOTEDSECRET'), "QUOTEDSECRET",
        "alerts.yaml:8:15: this quote is never closed"),
    "secret read as an undefined alias": (
        MAIL.format(password="*ALIASSECRET"), "ALIASSECRET",
        "alerts.yaml:8:15: the value is read as a reference to an anchor"),
    "secret list item broken": (
        APPRISE.format(url="'json://ITEMSECRET"), "ITEMSECRET",
        "alerts.yaml:8:9: this quote is not closed on its line, so the value runs on to the "
        "next ' (line 12)"),
    "misaligned item under a secret list": (
        APPRISE.format(url="KEYSECRET: x\n     - y"), "KEYSECRET",
        "alerts.yaml:9:6: bad indentation: this line starts in column 6, which matches nothing "
        "above it (a key starts in column 9 on line 8, the list's '-' in column 7 on line 8, "
        "`urls` starts in column 5 on line 7)"),
    "password given twice": (
        MAIL.format(password="FIRSTSECRET\n    password: SECONDSECRET"), "SECRET",
        "alerts.yaml:9:5: channels.mail.password: duplicate key"),
}


@pytest.mark.parametrize("channel,secret,said", LEAKS.values(), ids=LEAKS.keys())
def test_errors_name_the_key_and_never_echo_a_secret(
        tmp_path: Path, channel: str, secret: str, said: str) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, **alerts(channel)})

    result = run_cli(tmp_path, folder, "check", env={"CHAT_URL": "json://example.org/env"})

    assert result.returncode == 2
    assert said in result.stderr
    assert secret not in result.stdout + result.stderr


def test_other_keys_still_quote_a_broken_reference(tmp_path: Path) -> None:
    folder = write(tmp_path / "cfg", {
        **GOOD, "alerts.yaml": GOOD["alerts.yaml"].replace("outbox", "out${box")})

    result = run_cli(tmp_path, folder, "check")

    assert result.returncode == 2
    assert (f"{folder / 'alerts.yaml'}:4:19: channels.archive.directory: unsupported reference "
            "'${box' (write ${VAR} or ${VAR:-default})") in result.stderr


def test_a_password_in_a_source_url_is_never_printed(workspace: Workspace,
                                                      site: LocalSite) -> None:
    # A source behind HTTP basic auth: the password in its URL is a secret like any other,
    # also in the failing crawl's `error:` line, which quotes the URL.
    url = site.url("/missing.xml").replace("http://", "http://reader:Wh1sper-s3cret@")
    workspace.setup(sources=[{"name": "private", "type": "feed", "url": url}],
                    topics=[{"name": "T", "any": ["drone"]}])

    result = workspace.run("-vv", "crawl")

    assert result.returncode == 1
    assert "source private:" in result.stderr
    assert "Wh1sper-s3cret" not in result.stdout + result.stderr
