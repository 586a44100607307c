#!/usr/bin/env python3
"""The README's walkthrough runs as written (issue 15): starts the service as the README's first
command does (embedded SQLite, demo data) in a fresh directory, runs the README's shell blocks
that talk to it, in order, in one shell (so each block may use what an earlier one defined), and
checks the key answers the README prints after its commands.

What it checks: every block exits 0; no answer is a 5xx problem; and every `"key":value` pair
the README shows in a comment after a command (`# {"rows":15,"created":15,…}`,
`# → "effective_status":"suspended"`) appears in what that block printed. Values written with
`…` are placeholders and not compared.

Substitutions, the only ones: the demo's client ids and secrets for the README's
`otc_purchaser... ots_purchaser...` and `otc_operator... ots_operator...` placeholders, the
operator's token for `$ADMIN`, and the service's address for `http://127.0.0.1:8080`. The demo
runs with `ORETRACE_WEBHOOK_ALLOW_PRIVATE=true`, as the README's webhook walkthrough starts it. Blocks
that start the service, need Docker or name values only a person can know (`<id>`) are skipped,
each with its reason printed.

    scripts/readme-check.py            # uses target/debug/oretrace (built when missing)

The demo is started by scripts/demo_service.py (shared with scripts/client_smoke.py).
"""

import os
import re
import shutil
import subprocess
import sys

import demo_service
from demo_service import ROOT


def blocks(readme):
    """Each ```sh block of the README: (first line number, text)."""
    found, current, start = [], None, 0
    for number, line in enumerate(readme.splitlines(), 1):
        if current is None and line.strip() == "```sh":
            current, start = [], number + 1
        elif current is not None and line.strip() == "```":
            found.append((start, "\n".join(current)))
            current = None
        elif current is not None:
            current.append(line)
    return found


def skip_reason(text):
    if re.search(r"^\s*(cargo|docker|export DATABASE_URL)", text, re.M):
        return "starts or builds the service"
    if re.search(r"^\s*oretrace ", text, re.M):
        return "the command line, shown with placeholders"
    if "<" in text and re.search(r"<[a-z _]+>", text):
        return "names values only a person can know (<...>)"
    if "client_id=otc_..." in text:
        return "the start-up banner's own example"
    return None


PAIR = re.compile(r'"([A-Za-z_]+)":("(?:[^"\\]|\\.)*"|-?[0-9][0-9.]*|true|false|null)')


def expected_pairs(text):
    """The scalar `"key":value` pairs of the README's comment lines in a block."""
    pairs = []
    for line in text.splitlines():
        # A comment line, or a comment after a command.
        if line.strip().startswith("#"):
            comment = line.strip()[1:]
        else:
            comment = line.partition("  # ")[2]
        for key, value in PAIR.findall(comment):
            if "…" in value:
                continue
            pairs.append((key, value))
    return pairs


def main():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    failures = []
    # As the README's webhook walkthrough says to start it: its receiver is on 127.0.0.1.
    with demo_service.start("readme-check-", {"ORETRACE_WEBHOOK_ALLOW_PRIVATE": "true"}) as demo:
        work, env = demo.work, demo.env
        replacements = [
            ("otc_purchaser... ots_purchaser...", " ".join(demo.purchaser)),
            ("otc_operator... ots_operator...", " ".join(demo.operator)),
            ("http://127.0.0.1:8080", demo.base),
        ]
        script, checked = "", []
        for start, text in blocks(readme):
            reason = skip_reason(text)
            if reason:
                print(f"readme: block at line {start}: skipped ({reason})")
                continue
            body = text
            for placeholder, value in replacements:
                body = body.replace(placeholder, value)
            if "$ADMIN" in body and "ADMIN=" not in script + body:
                body = 'ADMIN="$OPERATOR"\n' + body
            # One shell for all blocks, as a reader pastes them in order into one terminal;
            # each block's output between markers.
            n = len(checked)
            script += f"\necho '@@begin {n}@@'\n{{\n{body}\n}}\necho \"@@end {n} $?@@\"\n"
            checked.append((start, text))
        done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=600)
        for n, (start, text) in enumerate(checked):
            found = re.search(rf"@@begin {n}@@\n(.*?)@@end {n} (\d+)@@", done.stdout, re.S)
            label = f"block at line {start}"
            problems = []
            if not found:
                problems.append("did not finish: " + done.stderr.strip()[-500:])
                output = ""
            else:
                output, code = found.group(1), int(found.group(2))
                if code != 0:
                    problems.append(f"its last command exited {code}")
            if re.search(r'"status":5[0-9][0-9]', output):
                problems.append("a 5xx answer")
            pairs = expected_pairs(text)
            for key, value in pairs:
                if f'"{key}":{value}' not in output:
                    problems.append(f'the README shows "{key}":{value}; the service did not answer it')
            if problems:
                failures.append(label)
                print(f"readme: {label}: FAIL")
                for p in problems:
                    print(f"    {p}")
                print("    output: " + output[:2000].replace("\n", "\n            "))
            else:
                print(f"readme: {label}: ok ({len(pairs)} answers compared)")
        if done.stderr.strip():
            print("readme: the shell said on stderr:\n" + done.stderr.strip()[-1500:])
    if failures:
        print("readme: FAILED: " + ", ".join(failures) + f" (server log: {work}/server.log)")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("readme: PASS")


if __name__ == "__main__":
    main()
