"""The README's walkthrough, run as written: its ```` ```bash walkthrough ```` blocks, in order, in one
bash against a live `orderdesk serve` on a fresh home, so the README cannot drift from the product."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from tests.support.console import NEW_PASSWORD, choose, sign_in
from tests.support.processes import orderdesk_executable, serving, wait_until_healthy

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = "```bash walkthrough"
# The address the README's first block exports as ORDERDESK; every other block goes through $ORDERDESK,
# so pointing that one line at the test's server points the whole walkthrough there.
BASE_URL_LINE = re.compile(r"^export ORDERDESK=http://127\.0\.0\.1:8080\b", re.MULTILINE)
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
# Bounded: the blocks' own polling loops give up after 30 s each.
WALKTHROUGH_TIMEOUT_SECONDS = 240
# What the README tells the newcomer to start the server with, so that its webhook receiver on this
# machine may be posted to over plain http.
SERVER_SETTINGS = {"ORDERDESK_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8"}

# What the shell gets before the first block: stop at the first failing command, an unset variable or
# a failing pipe, and make every curl of the walkthrough fail on an HTTP error (a user reads a 4xx
# body as "it did not work"; the README's calls all expect success).
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; }
"""


@dataclass(frozen=True)
class Block:
    line: int
    code: str


def walkthrough_blocks(markdown: str) -> list[Block]:
    """The walkthrough's shell blocks in the order they appear, each with the README line it starts on."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == FENCE:
            start = index + 1
            end = start
            while lines[end].strip() != "```":
                end += 1
            blocks.append(Block(line=start + 1, code="\n".join(lines[start:end])))
            index = end
        index += 1
    return blocks


def walkthrough_script(blocks: list[Block], base_url: str) -> str:
    """One bash script of all blocks (a user's one shell: variables carry over), each announced and
    acknowledged on the output so that a failure names its block."""
    parts = [PRELUDE]
    for number, block in enumerate(blocks, start=1):
        code = BASE_URL_LINE.sub(f"export ORDERDESK={base_url}", block.code)
        parts.append(f"printf '\\n### block {number} (README.md line {block.line})\\n'")
        parts.append(code)
        parts.append(f"printf '\\n### block {number} ok\\n'")
    return "\n".join(parts) + "\n"


def test_readme_walkthrough__blocks__start_by_naming_the_server_once() -> None:
    blocks = walkthrough_blocks(README.read_text(encoding="utf-8"))

    assert len(blocks) >= 10
    assert BASE_URL_LINE.search(blocks[0].code), "the first block exports ORDERDESK"
    everything = "\n".join(block.code for block in blocks)
    assert everything.count(DEFAULT_BASE_URL) == 1, "every other block goes through $ORDERDESK"


def last_block_started(transcript: str) -> str:
    started = re.findall(r"^### (block \d+ \(README\.md line \d+\))$", transcript, re.MULTILINE)
    return f"walkthrough {started[-1]}" if started else "the walkthrough's prelude"


def environment_without_orderdesk_settings() -> dict[str, str]:
    """This process's environment without any ORDERDESK_ variable."""
    return {key: value for key, value in os.environ.items() if not key.startswith("ORDERDESK_")}


def a_clone(root: Path) -> Path:
    """A folder as a fresh clone looks to the walkthrough once `dev.py` made its `.venv`: its
    `orderdesk`, and its `python3` with the dev extra installed (the webhook verification imports
    `standardwebhooks`), and nothing else (the home, `./var`, is made by `orderdesk serve`). A symlink
    to a venv's interpreter would not find the venv's packages: `python3` runs this one by a script."""
    bin_folder = root / ".venv" / "bin"
    bin_folder.mkdir(parents=True)
    (bin_folder / "orderdesk").symlink_to(orderdesk_executable())
    python = bin_folder / "python3"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    return root


def sent_emails(home: Path) -> list[email.message.EmailMessage]:
    files = sorted((home / "outbox" / "email" / "new").glob("*"))
    return [email.message_from_bytes(file.read_bytes(), policy=email.policy.default) for file in files]


def sent_sms(home: Path) -> list[dict[str, str]]:
    lines = (home / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.slow
async def test_readme_walkthrough__fresh_installation__every_block_runs_and_the_messages_are_sent(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    blocks = walkthrough_blocks(README.read_text(encoding="utf-8"))
    clone = a_clone(tmp_path / "clone")
    home = clone / "var"
    with serving(home, {**database_env, **SERVER_SETTINGS}) as server:
        await wait_until_healthy(server)
        # A user's second shell in the clone: no ORDERDESK_HOME, so the home is the default ./var, the
        # one serve was given; the database URL exported, as a user of PostgreSQL would have it.
        env = {**environment_without_orderdesk_settings(), **database_env}
        shell = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            walkthrough_script(blocks, server.base_url),
            cwd=clone,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(shell.communicate(), WALKTHROUGH_TIMEOUT_SECONDS)
        except TimeoutError:
            shell.kill()
            await shell.wait()
            pytest.fail(f"the walkthrough ran longer than {WALKTHROUGH_TIMEOUT_SECONDS} s")
        console_orders = await _orders_in_the_console(clone, env, server.base_url)
    transcript = output.decode("utf-8", "replace")

    assert shell.returncode == 0, f"{last_block_started(transcript)} failed:\n{transcript[-6000:]}"
    acknowledged = re.findall(r"^### block (\d+) ok$", transcript, re.MULTILINE)
    assert acknowledged == [str(number) for number in range(1, len(blocks) + 1)], transcript[-6000:]

    recipients = {str(message["To"]) for message in sent_emails(home)}
    assert {"recipient@example.com", "ola@example.com", "post@example.com"} <= recipients
    texts = [(sms["to"], sms["body"]) for sms in sent_sms(home)]
    assert ("+4799999999", "Hello from orderdesk") in texts
    # The webhook the README's receiver kept verifies with the secret its subscription answered, and
    # the README's five lines said so.
    delivered = _webhook_delivery(clone, transcript)
    assert delivered["type"] == "webhook.ping"
    assert f"webhook.ping {delivered['data']!r}" in transcript
    # The newcomer then adds themselves as an operator and sees the walkthrough's orders in the console.
    for reference in ("demo-1", "demo-later", "invoice-42", "sms-demo-1"):
        assert f">{reference}<" in console_orders, console_orders[-3000:]


def _webhook_delivery(clone: Path, transcript: str) -> dict[str, object]:
    """The payload the walkthrough's receiver kept in `delivery/`, verified with the secret printed in
    the walkthrough's answer to the subscription (raises when it does not verify)."""
    secrets = re.findall(r'"secret":"(whsec_[A-Za-z0-9+/=]+)"', transcript)
    assert len(secrets) == 1, transcript[-6000:]
    headers = json.loads((clone / "delivery" / "headers.json").read_text(encoding="utf-8"))
    body = (clone / "delivery" / "body.json").read_bytes()
    payload: dict[str, object] = Webhook(secrets[0]).verify(body, headers)
    return payload


async def _orders_in_the_console(clone: Path, env: dict[str, str], base_url: str) -> str:
    """`orderdesk operators add` as the README's console section has it, then the printed URL opened,
    signed in with the one-time password, a password chosen: the notification order list's page. The
    server's address is told as a deployment would (the README's user has the default, port 8080)."""
    added = subprocess.run(
        [str(clone / ".venv/bin/orderdesk"), "operators", "add", "you@example.org", "--role", "admin"],
        cwd=clone,
        env={**env, "ORDERDESK_PUBLIC_BASE_URL": base_url},
        capture_output=True,
        text=True,
        check=True,
    )
    printed = json.loads(added.stdout)
    console_url = printed["console_url"]
    async with httpx.AsyncClient(base_url=console_url.removesuffix("/console/")) as http:
        assert (await sign_in(http, "you@example.org", printed["one_time_password"])).status_code == 303
        assert (await choose(http, NEW_PASSWORD)).status_code == 303
        overview = await http.get(console_url)
        assert overview.status_code == 200, overview.text
        orders = await http.get(f"{console_url}orders")
        assert orders.status_code == 200, orders.text
        return orders.text
