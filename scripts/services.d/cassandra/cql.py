"""Tiny CQL client for scripts/services (readiness probe and `services cql`).

Uses the DataStax Python driver (Debian package python3-cassandra).

    cql.py --host H --port P [--user U --password W] [--tls-ca CA.pem] [--probe] [STATEMENT ...]

--tls-ca: connect over TLS, trusting only the certificates in CA.pem, and
check that the node's certificate names --host (as an IP or DNS name).

--probe: run SELECT release_version FROM system.local, print the version,
exit 0 on success and 1 on any failure (one line on stderr saying why).
Otherwise each STATEMENT (or, with none, the ';'-separated statements read
from stdin) is executed in order and rows are printed tab-separated.
Exit codes: 0 ok, 1 connection/authentication failure, 2 a statement failed.
"""

import argparse
import logging
import sys
import warnings


def split_statements(text):
    """Split on ';' outside quotes (good enough for hand-written CQL)."""
    out, cur, quote = [], [], None
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            cur.append(ch)
        elif ch == ";":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [s.strip() for s in out if s.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9042)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--tls-ca", help="PEM file of trusted certificates: connect over TLS (verified)")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("statements", nargs="*")
    args = ap.parse_args()

    logging.basicConfig(level=logging.CRITICAL)
    warnings.simplefilter("ignore")
    try:
        from cassandra.auth import PlainTextAuthProvider
        from cassandra.cluster import Cluster
        from cassandra.policies import WhiteListRoundRobinPolicy
    except ImportError as e:  # pragma: no cover - environment problem
        print(f"cql.py: DataStax driver missing ({e}); apt-get install python3-cassandra", file=sys.stderr)
        return 1

    auth = None
    if args.user is not None:
        auth = PlainTextAuthProvider(username=args.user, password=args.password or "")
    tls = {}
    if args.tls_ca:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the chain and the host name
        try:
            context.load_verify_locations(cafile=args.tls_ca)
        except (OSError, ssl.SSLError) as e:
            print(f"cql.py: cannot load the TLS CA file {args.tls_ca}: {e}", file=sys.stderr)
            return 1
        tls = {"ssl_context": context, "ssl_options": {"server_hostname": args.host}}
    cluster = Cluster(
        [args.host],
        port=args.port,
        auth_provider=auth,
        load_balancing_policy=WhiteListRoundRobinPolicy([args.host]),
        connect_timeout=args.timeout,
        control_connection_timeout=args.timeout,
        **tls,
    )
    try:
        try:
            session = cluster.connect()
        except Exception as e:  # NoHostAvailable carries the per-host reason
            errors = getattr(e, "errors", None)
            reason = "; ".join(f"{k}: {v}" for k, v in errors.items()) if errors else str(e)
            print(f"cql.py: cannot connect to {args.host}:{args.port}: {reason}", file=sys.stderr)
            return 1
        session.default_timeout = max(args.timeout, 30.0)

        if args.probe:
            row = session.execute("SELECT release_version FROM system.local", timeout=args.timeout).one()
            print(row.release_version)
            return 0

        statements = args.statements or split_statements(sys.stdin.read())
        for stmt in statements:
            try:
                result = session.execute(stmt)
            except Exception as e:
                print(f"cql.py: {stmt!r} failed: {e}", file=sys.stderr)
                return 2
            if result.column_names:
                print("\t".join(result.column_names))
                for row in result:
                    print("\t".join("null" if v is None else str(v) for v in row))
        return 0
    except Exception as e:
        print(f"cql.py: {e}", file=sys.stderr)
        return 1
    finally:
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main())
