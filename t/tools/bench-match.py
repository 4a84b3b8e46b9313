#!/usr/bin/env python3
"""bench-match.py - time from a webhook answer to a later log line about
the same delivery, for scripts/bench-webhook.

  bench-match.py ANSWERS LOG [--prog NAME] [--match REGEX] [--goal SECONDS]

ANSWERS is loadgen's -o file ("delivery status due_us sent_us answered_us",
CLOCK_REALTIME µs).  LOG is a log written by lib/base/log.c, one line per event:
  2026-11-24T01:02:03.456Z LEVEL prog[pid] [context] text
For each answered (2xx) delivery, the first line of program NAME (default
eessi-bot-manager) whose context is that delivery id (and whose text
matches REGEX, if given) is taken as the moment the program started on it.
Prints how many were matched and the answer-to-start time p50/p90/p99/max,
then a machine-readable "MATCH ..." line.  Exit 0 always unless the files
cannot be read (2); the caller judges the figures.
The log has millisecond timestamps: the figures are good to ~1 ms.
Standard library only.
"""

import argparse
import calendar
import re
import sys

LINE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z "
                  r"\S+ ([^\[\s]+)\[\d+\] \[([0-9a-fA-F-]{36})\] ?(.*)$")


def stamp_us(m):
    secs = calendar.timegm(tuple(int(m.group(i)) for i in range(1, 7)))
    frac = (m.group(7) or "0").ljust(6, "0")
    return secs * 1000000 + int(frac)


def pct(v, p):
    if not v:
        return 0.0
    i = max(0, min(len(v) - 1, int(p * len(v) + 0.999999) - 1))
    return v[i]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("answers")
    ap.add_argument("log")
    ap.add_argument("--prog", default="eessi-bot-manager")
    ap.add_argument("--match")
    ap.add_argument("--goal", type=float, default=1.0)
    a = ap.parse_args()
    rx = re.compile(a.match) if a.match else None
    answered = {}
    try:
        with open(a.answers) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                p = line.split()
                if len(p) == 5 and 200 <= int(p[1]) < 300:
                    answered[p[0].lower()] = int(p[4])
        starts = {}
        with open(a.log, errors="replace") as f:
            for line in f:
                m = LINE.match(line.rstrip("\n"))
                if not m or m.group(8) != a.prog:
                    continue
                d = m.group(9).lower()
                if d in answered and d not in starts and (not rx or rx.search(m.group(10))):
                    starts[d] = stamp_us(m)
    except OSError as e:
        sys.stderr.write("bench-match.py: %s\n" % e)
        return 2
    lat = sorted((starts[d] - answered[d]) / 1e6 for d in starts)
    over = sum(1 for x in lat if x > a.goal)
    print("answer -> %s start: %d of %d answered deliveries matched; "
          "s: p50 %.3f p90 %.3f p99 %.3f max %.3f; over %.1f s: %d"
          % (a.prog, len(lat), len(answered), pct(lat, .5), pct(lat, .9),
             pct(lat, .99), lat[-1] if lat else 0.0, a.goal, over))
    print("MATCH answered=%d matched=%d p50=%.3f p90=%.3f p99=%.3f max=%.3f over=%d"
          % (len(answered), len(lat), pct(lat, .5), pct(lat, .9), pct(lat, .99),
             lat[-1] if lat else 0.0, over))
    return 0


if __name__ == "__main__":
    sys.exit(main())
