"""Writes the Web Fuzzing Commons auth document schemathesis logs in with.

Reads `role client_id client_secret org_id` lines (scripts/lib/service.sh `provision`), asks the
real token endpoint at BASE for each role's access token once, and gives schemathesis each
role's token as a fixed `Authorization` header.

Fixed headers rather than WFC's `loginEndpointAuth`: with a login endpoint, schemathesis fetches
tokens again whenever an answer is 401 (which the fuzzer provokes on purpose), each fetch runs
an argon2id check, and its breaker (three failed fetches, shared by every identity) then fails
every remaining operation of the run as an "Authentication Error" with no request sent; a CI
run on a loaded machine met it once. The tokens live an hour (ORETRACE_TOKEN_TTL_SECONDS),
longer than any fuzzing run; the token endpoint itself is fuzzed like every other operation.

    python3 scripts/fuzz/wfc_auth.py CLIENTS_FILE BASE_URL > auth.json
"""

import json
import sys
import urllib.parse
import urllib.request


def token(base, client_id, secret):
    body = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    ).encode()
    with urllib.request.urlopen(base + "/v1/auth/token", body, timeout=60) as answer:
        return json.load(answer)["access_token"]


clients_file, base = sys.argv[1], sys.argv[2]
entries = []
with open(clients_file, encoding="utf-8") as lines:
    for line in lines:
        role, client_id, secret, _org = line.split()
        entries.append(
            {
                "name": role,
                "fixedHeaders": [
                    {"name": "Authorization", "value": "Bearer " + token(base, client_id, secret)}
                ],
            }
        )
json.dump({"schemaVersion": "0.2.0", "auth": entries}, sys.stdout, indent=2)
