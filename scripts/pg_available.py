"""Exit 0 if a PostgreSQL server answers at the URL given, 1 otherwise (one line on stderr)."""

import sys
from urllib.parse import urlparse

import psycopg

url = urlparse(sys.argv[1])
try:
    psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
                    password=url.password or None, dbname="postgres", connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001
    print(f"no PostgreSQL at {url.hostname}:{url.port or 5432}: {type(exc).__name__}", file=sys.stderr)
    sys.exit(1)
