"""Uses the Python client generated from openapi/openapi.json (openapi-python-client) against a
freshly started demo: a token, a batch as CSV, NDJSON and JSON, the sourcing mix as CSV (and as
JSON, to compare), a trace, and the organisation's own CMRT downloaded and imported back as a
supplier's declaration. Run by scripts/client-smoke.sh, which generates the client
(package `oretrace_client`) and type-checks it and this program with `mypy --strict` first.

Every call goes through the generated functions only: no hand-written HTTP.
"""

import csv
import io
import json
import os
import shutil
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import demo_service
from demo_service import ROOT
from oretrace_client import AuthenticatedClient, Client
from oretrace_client.api.auth import issue_token
from oretrace_client.api.declarations import get_outgoing_declaration, import_declaration
from oretrace_client.api.provenance import trace_lot
from oretrace_client.api.purchases import (
    create_purchases_batch,
    create_purchases_batch_csv,
    create_purchases_batch_ndjson,
    get_sourcing_mix,
    get_sourcing_mix_csv,
)
from oretrace_client.models import (
    DeclarationImport,
    Mineral,
    MassUnit,
    Problem,
    Provenance,
    PurchaseBatchResult,
    PurchaseInput,
    QuantityInput,
    SourcingMix,
    Template,
    TokenRequest,
    TokenResponse,
)
from oretrace_client.types import File, Response

# Fixed in every demo database (README, "Purchases" and "Supplier provenance").
LIMA_GOLD_EXPORTS = UUID("7b206d83-8e1a-50e9-83d4-c2ad6f97e46d")
MERIDIAN_BARS_LOT = UUID("428584cc-35d4-58a0-925a-e3252f7609c3")

T = TypeVar("T")


def answer(what: str, response: Response[Any], status: int, kind: type[T]) -> T:
    """The parsed answer of `response`, which must have `status` and parse as `kind`."""
    parsed = response.parsed
    if response.status_code != status or not isinstance(parsed, kind):
        raise SystemExit(f"client-smoke: {what}: expected {status} {kind.__name__}, got "
                         f"{int(response.status_code)}: {response.content[:500]!r}")
    print(f"client-smoke: {what}: {int(response.status_code)}")
    return parsed


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"client-smoke: {what}")


def file(text: str, name: str, mime_type: str) -> File:
    return File(payload=io.BytesIO(text.encode()), file_name=name, mime_type=mime_type)


def token(base: str, client_id: str, secret: str) -> TokenResponse:
    request = TokenRequest(grant_type="client_credentials", client_id=client_id,
                           client_secret=secret)
    with Client(base_url=base) as anonymous:
        response = issue_token.sync_detailed(client=anonymous, body=request)
    return answer("POST /v1/auth/token", response, 200, TokenResponse)


def line(external_ref: str, kg: float) -> PurchaseInput:
    return PurchaseInput(external_ref=external_ref, supplier_party_id=LIMA_GOLD_EXPORTS,
                         mineral=Mineral.GOLD, purchased_on=date(2026, 5, 4),
                         quantity=QuantityInput(value=kg, unit=MassUnit.KG))


def batches(api: AuthenticatedClient) -> None:
    with open(os.path.join(ROOT, "examples", "purchases.csv"), encoding="utf-8") as f:
        examples = f.read()
    rows = len(examples.strip().splitlines()) - 1
    sent = create_purchases_batch_csv.sync_detailed(
        client=api, body=file(examples, "purchases.csv", "text/csv"))
    result = answer("POST /v1/purchases/batch.csv", sent, 200, PurchaseBatchResult)
    check((result.rows, result.created) == (rows, rows), f"CSV batch: {result.to_dict()}")
    again = create_purchases_batch_csv.sync_detailed(
        client=api, body=file(examples, "purchases.csv", "text/csv"), idempotency_key="smoke-1")
    result = answer("POST /v1/purchases/batch.csv again", again, 200, PurchaseBatchResult)
    check(result.unchanged == rows, f"CSV batch sent again: {result.to_dict()}")

    bad = examples.replace(",1250,troy_oz,", ",-1250,troy_oz,", 1)
    refused = create_purchases_batch_csv.sync_detailed(
        client=api, body=file(bad, "bad.csv", "text/csv"))
    problem = answer("POST /v1/purchases/batch.csv, a bad row", refused, 422, Problem)
    pointers = [e.pointer for e in problem.errors or []]
    check(pointers == ["/0/quantity_value"], f"the bad row's problem: {problem.to_dict()}")

    lines = [line("SMOKE-1", 1.5), line("SMOKE-2", 2.25)]
    ndjson = "".join(json.dumps(x.to_dict()) + "\n" for x in lines)
    sent = create_purchases_batch_ndjson.sync_detailed(
        client=api, body=file(ndjson, "purchases.ndjson", "application/x-ndjson"))
    result = answer("POST /v1/purchases/batch.ndjson", sent, 200, PurchaseBatchResult)
    check(result.created == 2, f"NDJSON batch: {result.to_dict()}")
    sent_json = create_purchases_batch.sync_detailed(client=api, body=lines)
    result = answer("POST /v1/purchases/batch (JSON)", sent_json, 200, PurchaseBatchResult)
    check(result.unchanged == 2, f"the same lines as JSON: {result.to_dict()}")


def mix(api: AuthenticatedClient) -> None:
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    response = get_sourcing_mix_csv.sync_detailed(client=api, from_=start, to=end,
                                                  mineral=Mineral.GOLD, group_by="supplier")
    text = answer("GET /v1/sourcing-mix.csv", response, 200, str)
    table = list(csv.reader(io.StringIO(text)))
    header, rows = table[0], table[1:]
    check(header[:4] == ["section", "supplier", "origin_class", "quantity_mg"],
          f"the mix's CSV header: {header}")
    column = {name: i for i, name in enumerate(header)}
    overall = [r for r in rows if r[0] == "overall"]
    check(sorted(r[column["origin_class"]] for r in overall)
          == ["asm", "lsm", "recycled", "unknown"], f"the overall rows: {overall}")
    total_mg = int(overall[0][column["total_mg"]])
    check(sum(int(r[column["quantity_mg"]]) for r in overall) == total_mg > 0,
          f"the overall classes add up to total_mg: {overall}")
    check(any(r[0] == "group" and r[1] == str(LIMA_GOLD_EXPORTS) for r in rows),
          "a group row for Lima Gold Exports")
    response_json = get_sourcing_mix.sync_detailed(client=api, from_=start, to=end,
                                                   mineral=Mineral.GOLD, group_by="supplier")
    as_json = answer("GET /v1/sourcing-mix (JSON)", response_json, 200, SourcingMix)
    check(as_json.overall.total_mg == total_mg,
          f"CSV total_mg {total_mg}, JSON {as_json.overall.total_mg}")


def trace(api: AuthenticatedClient) -> None:
    response = trace_lot.sync_detailed(MERIDIAN_BARS_LOT, client=api)
    provenance = answer("GET /v1/lots/{id}/provenance", response, 200, Provenance)
    check((provenance.quantity_mg, provenance.depth) == (19_000_000, 3),
          f"the trace: {provenance.quantity_mg} mg, depth {provenance.depth}")
    origins = {o.facility_name: o for o in provenance.origins}
    cerro_azul = origins.get("Cerro Azul copper-gold mine (fictional)")
    check(cerro_azul is not None and cerro_azul.quantity_mg == 7_600_000
          and cerro_azul.share.value == "0.400000", f"the origins: {list(origins)}")


ANDES_COPPER = UUID("9bfa1a2c-1a2c-5d39-af52-925b75847793")


def declarations(api: AuthenticatedClient) -> None:
    response = get_outgoing_declaration.sync_detailed(client=api, template=Template.CMRT)
    workbook = answer("GET /v1/declarations/outgoing", response, 200, File)
    content = workbook.payload.read()
    check(content[:2] == b"PK", "the outgoing CMRT is an .xlsx (a zip)")
    sent = import_declaration.sync_detailed(
        client=api, supplier_party_id=ANDES_COPPER, file_name="andes-cmrt.xlsx",
        body=File(payload=io.BytesIO(content), file_name="andes-cmrt.xlsx",
                  mime_type="application/octet-stream"))
    imported = answer("POST /v1/declarations", sent, 201, DeclarationImport)
    check(imported.declaration.template == Template.CMRT
          and imported.declaration.version == "6.5", f"the import: {imported.to_dict()}")


def main() -> None:
    with demo_service.start("client-smoke-") as demo:
        client_id, secret = demo.purchaser
        granted = token(demo.base, client_id, secret)
        check(granted.token_type == "Bearer" and "purchases:write" in granted.scope.split(),
              f"the token: {granted.token_type} {granted.scope}")
        with AuthenticatedClient(base_url=demo.base, token=granted.access_token,
                                 raise_on_unexpected_status=True) as api:
            batches(api)
            mix(api)
            trace(api)
            declarations(api)
    shutil.rmtree(demo.work, ignore_errors=True)
    print("client-smoke: PASS")


if __name__ == "__main__":
    main()
