"""Verifies Oretrace's UNTP credentials with libraries of another ecosystem (issue 13, part 5):
joserfc for the JWS signatures (keys from /.well-known/jwks.json), jsonschema for the
vendored UNTP 0.6.1 schemas (tests/fixtures/untp/), and the Bitstring Status List decoded by
hand (gzip, base64url, most significant bit first). Against a fresh demo
(scripts/demo_service.py): a DCC, a DFR, a DTE and the status lists; then the certificate is
suspended through the API with the demo operator's credentials and the bit must be set.

    .venv/bin/python scripts/credentials_check.py   # run by scripts/credentials-check.sh
"""

import base64
import gzip
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

from joserfc import jws
from joserfc.jwk import KeySet
from jsonschema import Draft202012Validator, FormatChecker

import demo_service

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "untp")

# RFC 9864 deprecates the polymorphic `EdDSA` in favour of `Ed25519`; VC-JOSE-COSE and the
# deployed verifiers still use `EdDSA`, so Oretrace signs with it (docs/CREDENTIALS.md).
warnings.filterwarnings("ignore", message="EdDSA is deprecated")


def fail(message: str) -> None:
    raise SystemExit(f"credentials-check: {message}")


def request(method: str, url: str, token: str | None = None, body: Any = None,
            accept: str | None = None, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = None
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if accept:
        headers["Accept"] = accept
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def token(base: str, client: tuple[str, str], scope: str) -> str:
    status, _, body = request("POST", base + "/v1/auth/token", form={
        "grant_type": "client_credentials", "client_id": client[0],
        "client_secret": client[1], "scope": scope})
    if status != 200:
        fail(f"token: {status} {body!r}")
    access: str = json.loads(body)["access_token"]
    return access


def verified(keys: KeySet, base: str, path: str, token_: str | None) -> dict[str, Any]:
    """The credential at `path`, its JWS verified with joserfc against the JWKS."""
    url = path if path.startswith("http") else base + path
    status, headers, body = request("GET", url, token_)
    if status != 200:
        fail(f"GET {url}: {status} {body!r}")
    media = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if media != "application/vc+jwt":
        fail(f"GET {url}: Content-Type {media!r}, not application/vc+jwt")
    compact = body.decode()
    protected = json.loads(base64.urlsafe_b64decode(compact.split(".")[0] + "=="))
    if protected.get("typ") != "vc+jwt" or protected.get("cty") != "vc" or protected.get("alg") != "EdDSA":
        fail(f"GET {url}: header {protected}")
    key = keys.get_by_kid(protected["kid"])
    token_obj = jws.deserialize_compact(compact, key, algorithms=["EdDSA"])
    credential: dict[str, Any] = json.loads(token_obj.payload)
    return credential


def validate(name: str, credential: dict[str, Any]) -> None:
    with open(os.path.join(FIXTURES, f"untp-{name}-schema-0.6.1.json"), encoding="utf-8") as f:
        schema = json.load(f)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(credential), key=lambda e: list(e.path))
    if errors:
        fail(f"{name} does not validate: " + "; ".join(
            f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:10]))


def bit(keys: KeySet, base: str, entry: dict[str, Any]) -> bool:
    """The status bit an entry names, from its list fetched without a token."""
    status_list = verified(keys, base, entry["statusListCredential"], None)
    subject = status_list["credentialSubject"]
    if subject["statusPurpose"] != entry["statusPurpose"]:
        fail(f"list purpose {subject['statusPurpose']} for an entry of {entry['statusPurpose']}")
    encoded: str = subject["encodedList"]
    if not encoded.startswith("u"):
        fail("encodedList is not multibase base64url")
    raw = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    if len(bits) * 8 < 131072:
        fail(f"a list of {len(bits) * 8} bits")
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def entry(credential: dict[str, Any], purpose: str) -> dict[str, Any]:
    for e in credential["credentialStatus"]:
        if e["statusPurpose"] == purpose:
            found: dict[str, Any] = e
            return found
    fail(f"no {purpose} entry")
    raise AssertionError


def main() -> None:
    with demo_service.start("credentials-check-") as demo:
        base = demo.base
        status, _, body = request("GET", base + "/.well-known/jwks.json")
        keys = KeySet.import_key_set(json.loads(body))
        reader = token(base, demo.purchaser, "catalog:read provenance:read")
        operator = token(base, demo.operator, "catalog:read catalog:write")

        # An active certificate of the demo's catalog.
        status, _, body = request("GET", base + "/v1/certifications?effective_status=active&limit=1",
                                  reader)
        if status != 200 or not json.loads(body)["items"]:
            fail(f"no active certificate in the demo: {status} {body!r}")
        cert = json.loads(body)["items"][0]
        dcc = verified(keys, base, f"/v1/certifications/{cert['id']}/credential", reader)
        validate("dcc", dcc)
        print(f"credentials-check: DCC of {cert['scheme']} certificate {cert['id']}: signature and schema ok")

        subject = cert["subject"]
        if subject["type"] == "facility":
            dfr = verified(keys, base, f"/v1/facilities/{subject['id']}/credential", reader)
            validate("dfr", dfr)
            print("credentials-check: DFR of its facility: signature and schema ok")
        else:
            fail("the demo's first active certificate is not of a facility")

        status, _, body = request("GET", base + "/v1/custody-events?limit=1", reader)
        events = json.loads(body)["items"] if status == 200 else []
        if not events:
            fail(f"the demo purchaser has no custody event: {status} {body!r}")
        dte = verified(keys, base, f"/v1/custody-events/{events[0]['id']}/credential", reader)
        validate("dte", dte)
        print(f"credentials-check: DTE of a {events[0]['type']} event: signature and schema ok")

        suspension, revocation = entry(dcc, "suspension"), entry(dcc, "revocation")
        if bit(keys, base, suspension) or bit(keys, base, revocation):
            fail("an active certificate's bits are set")
        status, _, body = request("PATCH", base + f"/v1/certifications/{cert['id']}", operator,
                                  body={"status": "suspended", "reason": "credentials-check"})
        if status != 200:
            fail(f"suspending: {status} {body!r}")
        if not bit(keys, base, suspension):
            fail("the suspension bit is not set after the suspension")
        if bit(keys, base, revocation):
            fail("a suspension set the revocation bit")
        print("credentials-check: suspended through the API: the suspension bit is set, the revocation bit is not")


if __name__ == "__main__":
    sys.exit(main())
