"""Webhook URLs that could never be sent to (RELIABILITY 40) are refused when the config
loads, with FILE:LINE and a reason that quotes none of the URL (it is a secret); they used
to pass `check` and end in a traceback when a digest was due. URLs that work still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_config import GOOD, problems, write
from tests.test_config_errors import run_cli

CHANNELS, DIGESTS = GOOD["alerts.yaml"].split("digests:")
TOKEN = "T0VEDETTE/B0VEDETTE/xoxWEBHOOKSECRET"
PORT = "its port is not a number from 1 to 65535"


def slack(url: str) -> dict[str, str]:
    return {"alerts.yaml": CHANNELS + f"  ops:\n    type: slack\n    webhook_url: '{url}'\n"
            + "digests:" + DIGESTS}


def apprise(*urls: str) -> dict[str, str]:
    items = "".join(f"      - '{url}'\n" for url in urls)
    return {"alerts.yaml": CHANNELS + f"  chat:\n    type: apprise\n    urls:\n{items}"
            + "digests:" + DIGESTS}


SLACK_CASES = {
    "port past 65535": (f"https://hooks.slack.com:99999/services/{TOKEN}", PORT),
    "port 0": (f"https://hooks.slack.com:0/services/{TOKEN}", PORT),
    "port that is not a number": (f"https://hooks.slack.com:44x/services/{TOKEN}", PORT),
    "unclosed '[' in the host": (
        f"https://[hooks.slack.com/services/{TOKEN}",
        "its host has a '[' without a matching ']' or an invalid address inside"),
    "IPv6 address that is not one": (f"http://[::1::2]:8080/services/{TOKEN}",
                                     "its host has a '[' without a matching ']'"),
    "bad IDN (a symbol IDNA 2008 refuses)": (
        f"https://☃.example.org/services/{TOKEN}",
        "its host is not a valid international domain name (IDNA)"),
    "bad IDN (an invisible soft hyphen)": (
        f"https://hooks.sla\u00adck.com/services/{TOKEN}",
        "its host is not a valid international domain name (IDNA)"),
    "broken punycode label": (
        f"https://xn--a.example.org/services/{TOKEN}",
        "its host has an 'xn--' part that is not a valid international name"),
    "percent sign in the host": (f"https://hooks%2Eslack.com/services/{TOKEN}",
                                 "its host is not a valid host name"),
    "IPv4 address out of range": (f"http://300.0.0.1/services/{TOKEN}",
                                  "its host is not a valid IPv4 address"),
    "no host": (f"https:///services/{TOKEN}", "it has no host name"),
    "a tab inside": (f"https://hooks.slack.com/services/{TOKEN}\tx",
                     "it contains a control character"),
}


@pytest.mark.parametrize("url,reason", SLACK_CASES.values(), ids=SLACK_CASES.keys())
def test_slack_webhook_that_can_never_be_posted_to_is_refused_at_load(
        tmp_path: Path, url: str, reason: str) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, **slack(url)})

    [found] = problems(folder)

    assert found == (f"{folder / 'alerts.yaml'}:7: channels.ops.webhook_url: can never be "
                     f"posted to: {found.split('posted to: ')[-1]}")
    assert reason in found
    assert "xoxWEBHOOKSECRET" not in found and "slack.com" not in found


APPRISE_CASES = {
    "JSON webhook on port 99999": ("json://example.org:99999/hook", "urls[0] (json://)", PORT),
    "form post on port 0": ("forms://example.org:0/hook", "urls[0] (forms://)", PORT),
    "ntfy server on port 70000": ("ntfy://ntfy.example.org:70000/topic", "urls[0] (ntfy://)",
                                  PORT),
    "broken punycode": ("jsons://xn--a.example.org/hook", "urls[0] (jsons://)",
                        "its host has an 'xn--' part that is not a valid international name"),
    "IPv6 host on port 99999": ("xml://[::1]:99999/hook", "urls[0] (xml://)", PORT),
}


@pytest.mark.parametrize("url,label,reason", APPRISE_CASES.values(), ids=APPRISE_CASES.keys())
def test_apprise_url_that_can_never_be_sent_to_is_refused_at_load(
        tmp_path: Path, url: str, label: str, reason: str) -> None:
    folder = write(tmp_path / "cfg", {**GOOD, **apprise(url.replace("/hook", "/SECRETHOOK"))})

    [found] = problems(folder)

    assert found == (f"{folder / 'alerts.yaml'}:7: channels.chat.urls: {label} can never be "
                     f"sent to: {reason}")
    assert "SECRETHOOK" not in found


GOOD_URLS = {  # each of these can be posted to, and loads
    "trailing dot": f"https://hooks.slack.com./services/{TOKEN}",
    "international name": f"https://bücher.example/services/{TOKEN}",
    "its punycode": f"https://xn--bcher-kva.example/{TOKEN}",
    "IPv6 loopback": f"http://[::1]:8080/{TOKEN}",
    "highest port": f"http://127.0.0.1:65535/{TOKEN}",
    "underscore in an internal name": f"http://relay_1.internal/{TOKEN}",
}


def test_check_refuses_only_the_url_that_can_never_be_posted_to_and_never_echoes_it(
        tmp_path: Path) -> None:
    good = "".join(f"  ok{n}:\n    type: slack\n    webhook_url: '{url}'\n"
                   for n, url in enumerate(GOOD_URLS.values()))
    chat = ("  chat:\n    type: apprise\n    urls:\n"
            "      - 'json://user:pw@example.org:8080/hook?+X-Title=Vedette alerts'\n"
            "      - 'tgram://123456789:AAbbCCddEEff/12345'\n")
    folder = write(tmp_path / "cfg", {**GOOD, "alerts.yaml": (
        CHANNELS + "  ops:\n    type: slack\n    webhook_url: ${SLACK_WEBHOOK_URL}\n" + good
        + chat + "digests:" + DIGESTS)})

    result = run_cli(tmp_path, folder, "check", env={
        "SLACK_WEBHOOK_URL": f"https://hooks.slack.com:99999/services/{TOKEN}"})

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {folder / 'alerts.yaml'}:7: channels.ops.webhook_url: can never "
                      f"be posted to: {PORT}"]
    assert "xoxWEBHOOKSECRET" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
