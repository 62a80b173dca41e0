#!/bin/sh
# One database (entraide_<service>) and one role (<service>, its owner) per
# Entraide service. The PostgreSQL image runs this at the first start of an
# empty data volume (docker-entrypoint-initdb.d); it is idempotent, so after
# adding a service, run it again by hand:
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-entraide-databases.sh
#
# ENTRAIDE_SERVICES    the services, separated by spaces
# <SERVICE>_DB_PASSWORD each role's password (AUTH_DB_PASSWORD, ...)
#
# The image may source this file instead of running it: no `exit`, no `set -u`.
set -e

for entraide_service in ${ENTRAIDE_SERVICES:?ENTRAIDE_SERVICES is not set}; do
    case "$entraide_service" in
        *[!a-z0-9_]*) echo "bad service name: $entraide_service" >&2; false ;;
    esac
    entraide_var="$(printf '%s' "$entraide_service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    eval "entraide_password=\${$entraide_var:-}"
    if [ -z "$entraide_password" ]; then
        echo "$entraide_var is not set" >&2
        false
    fi
    # Values travel as psql variables, quoted by psql (:'x' literal, :"x" name).
    psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
        --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
        -v role="$entraide_service" -v db="entraide_$entraide_service" \
        -v password="$entraide_password" <<'SQL'
SELECT format('CREATE ROLE %I', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
-- a service reaches its own database only
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
    echo "entraide: role $entraide_service, database entraide_$entraide_service"
done
unset entraide_service entraide_var entraide_password
