#!/bin/sh
# Prepares `docker compose up` (run from anywhere, once; again after an
# upgrade that adds a service):
#   .env                          from deploy/env.example, each change-me
#                                 replaced by a random value (kept if present;
#                                 a change-me variable it lacks is added)
#   deploy/secrets/auth-signing.pem   the Ed25519 key auth signs tokens with
#                                 (kept if present; the folder is ignored by git)
# Needs openssl, or python3 with the cryptography package.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
env_file="$root/.env"
secrets="$root/deploy/secrets"
key="$secrets/auth-signing.pem"

random_value() {
    openssl rand -hex 24 2>/dev/null ||
        python3 -c 'import secrets; print(secrets.token_hex(24))'
}

if [ -e "$env_file" ]; then
    # A secret added since .env was written (a new service's password or key).
    added=""
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
            [A-Z]*=change-me)
                name=${line%%=*}
                if ! grep -q "^$name=" "$env_file"; then
                    if [ -z "$added" ] && [ -n "$(tail -c 1 "$env_file")" ]; then
                        printf '\n' >>"$env_file" # a last line without its newline
                    fi
                    printf '%s=%s\n' "$name" "$(random_value)" >>"$env_file"
                    added="$added $name"
                fi
                ;;
        esac
    done <"$root/deploy/env.example"
    if [ -n "$added" ]; then
        echo "added to $env_file:$added"
    else
        echo "kept $env_file"
    fi
else
    (
        umask 077
        while IFS= read -r line || [ -n "$line" ]; do
            case "$line" in
                [A-Z]*=change-me) printf '%s=%s\n' "${line%%=*}" "$(random_value)" ;;
                *) printf '%s\n' "$line" ;;
            esac
        done <"$root/deploy/env.example" >"$env_file"
    )
    echo "wrote $env_file (the first admin's password is ENTRAIDE_ADMIN_PASSWORD there)"
fi

if [ -e "$key" ]; then
    echo "kept $key"
else
    mkdir -p "$secrets"
    chmod 700 "$secrets"
    if ! openssl genpkey -algorithm ed25519 -out "$key" 2>/dev/null; then
        python3 - "$key" <<'PY'
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

pem = Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
with open(sys.argv[1], "wb") as f:
    f.write(pem)
PY
    fi
    # The auth container's user (uid 10001) reads the mounted file; the 0700
    # folder keeps every other local user away from it.
    chmod 644 "$key"
    echo "wrote $key"
fi
