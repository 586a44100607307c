#!/usr/bin/env bash
# Regenerates src/db/schema.rs from the PostgreSQL migrations (never edit schema.rs by hand).
# Needs diesel_cli: cargo install diesel_cli --no-default-features --features postgres,sqlite-bundled
set -euo pipefail
cd "$(dirname "$0")/.."
admin="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="oretrace_schema_$$"
url="${admin%/*}/$db"
psql "$admin" -qc "CREATE DATABASE $db"
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
diesel migration run --database-url "$url" --migration-dir migrations/postgres >/dev/null
diesel print-schema --database-url "$url" > src/db/schema.rs
echo "src/db/schema.rs regenerated"
