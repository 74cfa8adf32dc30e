"""What an uploaded table costs the server: parsing the worst files within the limits.

python -m bench.upload

Each case is at most the default limits (1 MiB, 5000 rows): a good table of
5000 rows, 1 MiB of rows (refused after row 5001), 1 MiB of commas on one line,
and one 1 MiB field. Prints the size, the CPU ms of ``engine.userdata.parse`` and
the outcome.
"""

from __future__ import annotations

import time

from engine.userdata import MAX_BYTES, DataError, parse

CASES = {
    "5000 good rows": "x1,x2,label\n"
    + "".join(f"{i * 0.001:.6f},{i * 0.002:.6f},c{i % 6}\n" for i in range(5000)),
    "1 MiB of rows (too many)": ("1.5,2.5,a\n" * 200_000)[: MAX_BYTES - 10],
    "1 MiB of commas, one line": "," * (MAX_BYTES - 10),
    "one 1 MiB field": "1," + "9" * (MAX_BYTES - 20) + ",a\n1,2,b\n",
}


def main() -> None:
    print(f"{'file':<28} {'KiB':>6} {'ms':>8}  outcome")
    for name, text in CASES.items():
        start = time.process_time()
        try:
            outcome = f"{len(parse(text, 'circles').y)} rows"
        except DataError as exc:
            outcome = f"{exc.code} (line {exc.line})"
        ms = 1000 * (time.process_time() - start)
        print(f"{name:<28} {len(text.encode()) / 1024:6.0f} {ms:8.1f}  {outcome}")


if __name__ == "__main__":
    main()
