"""``python -m tests.support.lattice_emulator --port P``: serve until killed."""

from __future__ import annotations

import argparse
import threading

from .server import LatticeEmulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.lattice_emulator")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--account-id", default="123456789012")
    parser.add_argument("--region", default="us-west-2")
    parser.add_argument("--seed", type=int, default=None, help="make IDs reproducible")
    args = parser.parse_args(argv)
    emulator = LatticeEmulator(
        args.account_id, args.region, host=args.host, port=args.port, seed=args.seed
    ).start()
    print(emulator.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
