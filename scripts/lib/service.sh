# Shared by scripts/fuzz-api.sh, scripts/faults.sh and scripts/soak.sh: a throwaway PostgreSQL
# database, organisations and clients made with the command line, the real service on a free
# port, and tokens from its token endpoint. Source it; it defines functions and nothing else.

PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# create_database NAME: drops NAME if it exists and creates it; prints its URL.
create_database() {
  psql -q "$PG_ADMIN_URL" -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
  psql -q "$PG_ADMIN_URL" -v ON_ERROR_STOP=1 -c "CREATE DATABASE $1" >/dev/null
  printf '%s\n' "${PG_ADMIN_URL%/*}/$1"
}

drop_database() {
  psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 || true
}

# json_field FIELD: reads one JSON object on stdin and prints FIELD.
json_field() {
  python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# provision BIN: with DATABASE_URL set, creates an organisation per role and one client each,
# and writes `role client_id client_secret org_id` lines to stdout.
#   purchaser-a, purchaser-b: purchasers with every purchaser scope
#   steward: an operator organisation with catalog:read catalog:write
#   admin: an operator organisation with admin
provision() {
  local bin=$1 org client
  local purchaser_scopes="catalog:read purchases:read purchases:write provenance:read provenance:write webhooks:manage events:read"
  for spec in "purchaser-a|purchaser|$purchaser_scopes" "purchaser-b|purchaser|$purchaser_scopes" \
              "steward|operator|catalog:read catalog:write" "admin|operator|admin"; do
    IFS='|' read -r role kind scopes <<<"$spec"
    org=$("$bin" orgs create --name "Fuzz $role" --kind "$kind" | json_field id)
    client=$("$bin" clients create --org "$org" --scopes "$scopes")
    printf '%s %s %s %s\n' "$role" "$(json_field client_id <<<"$client")" \
      "$(json_field client_secret <<<"$client")" "$org"
  done
}

# wait_ready BASE [SECONDS] [PID]: waits until /health/ready answers 200 (and PID still runs).
wait_ready() {
  local base=$1 limit=${2:-60} pid=${3:-} i
  for ((i = 0; i < limit * 10; i++)); do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      echo "the service exited before it was ready" >&2
      return 1
    fi
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health/ready")" = 200 ]; then
      return 0
    fi
    sleep 0.1
  done
  echo "the service at $base did not become ready within ${limit}s" >&2
  return 1
}

# token BASE CLIENT_ID SECRET: an access token from the real token endpoint.
token() {
  curl -sf "$1/v1/auth/token" -d grant_type=client_credentials -d "client_id=$2" \
    -d "client_secret=$3" | json_field access_token
}
