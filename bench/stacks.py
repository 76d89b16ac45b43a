"""Read py-spy's raw collapsed stacks (bench/http.py --profile X --profile-format raw): the share
of samples each function is on the stack (inclusive) and at its top (self), heaviest first.

    .venv/bin/python bench/stacks.py var/bench/http-call-….txt [--top 40] [--match khedmat/]
    .venv/bin/python bench/stacks.py FILE --under 'render (django/template'  # only stacks through a frame

Idle workers (waiting in accept/select) are left out of the total, so shares are of busy time.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

IDLE = re.compile(r"\b(select|poll|accept|wait|sleep|epoll)\b.*"
                  r"\((?:selectors|socket|gunicorn/workers/sync|gunicorn/arbiter)")
FRAME = re.compile(r"^(?P<name>.*?) \((?P<where>[^()]*)\)$")


def frames(stack: str) -> list[str]:
    """py-spy writes `process;thread;frame;frame…`, each frame `function (file:line)`: line
    numbers dropped, so one function is one entry."""
    result = []
    for frame in stack.split(";"):
        found = FRAME.match(frame.strip())
        if found:
            where = found["where"].rsplit(":", 1)[0]
            where = re.sub(r".*/site-packages/", "", where)
            where = re.sub(r".*/(khedmat|bench|config)/", r"\1/", where)
            result.append(f"{found['name']} ({where})")
        else:
            result.append(frame.strip())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only functions whose entry contains this")
    parser.add_argument("--under", default="", help="only stacks with a frame containing this")
    args = parser.parse_args(argv)
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in args.file.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isascii() or not count_text.isdigit():
            continue
        count = int(count_text)
        chain = frames(stack)
        if chain and IDLE.search(chain[-1]):
            continue
        if args.under and not any(args.under in frame for frame in chain):
            continue
        total += count
        for frame in set(chain):
            inclusive[frame] += count
        if chain:
            own[chain[-1]] += count
    if not total:
        print("no busy samples", file=sys.stderr)
        return 1
    print(f"{total} busy samples")
    print(f"{'incl %':>7} {'self %':>7}  function")
    shown = 0
    for frame, count in inclusive.most_common():
        if args.match and args.match not in frame:
            continue
        print(f"{100 * count / total:7.1f} {100 * own[frame] / total:7.1f}  {frame[:150]}")
        shown += 1
        if shown >= args.top:
            break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
