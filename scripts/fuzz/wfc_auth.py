"""Writes the Web Fuzzing Commons auth document schemathesis logs in with.

Reads `role client_id client_secret org_id` lines (scripts/lib/service.sh `provision`) and gives
each role a client-credentials login against POST /v1/auth/token.
"""

import json
import sys
from urllib.parse import urlencode

entries = []
with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        role, client_id, secret, _org = line.split()
        entries.append(
            {
                "name": role,
                "loginEndpointAuth": {
                    "endpoint": "/v1/auth/token",
                    "verb": "POST",
                    "contentType": "application/x-www-form-urlencoded",
                    "payloadRaw": urlencode(
                        {
                            "grant_type": "client_credentials",
                            "client_id": client_id,
                            "client_secret": secret,
                        }
                    ),
                    "token": {
                        "extractFrom": "body",
                        "extractSelector": "/access_token",
                        "sendIn": "header",
                        "sendName": "Authorization",
                        "sendTemplate": "Bearer {token}",
                    },
                },
            }
        )
json.dump({"schemaVersion": "0.2.0", "auth": entries}, sys.stdout, indent=2)
