"""The difference between two callgrind runs, per function and per unit of work: JIT code is
named from V8's perf map (--perf-basic-prof). Usage: by-function.py SMALL LARGE UNITS TOP
(SMALL and LARGE are paths without their .cg / .map suffixes)."""

import bisect
import re
import subprocess
import sys


def load(base):
    spans = []
    try:
        with open(base + '.map') as perf_map:
            for line in perf_map:
                start, size, name = line.split(' ', 2)
                spans.append((int(start, 16), int(size, 16), name.strip()))
    except FileNotFoundError:
        pass
    spans.sort()
    starts = [span[0] for span in spans]

    def name_of(address):
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and spans[i][0] <= address < spans[i][0] + spans[i][1]:
            return re.sub(r'file://\S*/', '', spans[i][2])
        return 'JIT code (unnamed)'

    report = subprocess.run(['callgrind_annotate', '--threshold=100', base + '.cg'],
                            capture_output=True, text=True, check=True).stdout
    counts = {}
    for line in report.splitlines():
        match = re.match(r'\s*([\d,]+) \([\s\d.]+%\)\s+(.*)', line)
        if not match or 'PROGRAM TOTALS' in line:
            continue
        key = re.sub(r'^\?\?\?:', '', match.group(2))
        address = re.match(r'0x([0-9a-f]+)', key)
        key = name_of(int(address.group(1), 16)) if address else re.sub(r'(\(.*)?( \[.*\])?$', '', key)
        counts[key] = counts.get(key, 0) + int(match.group(1).replace(',', ''))
    return counts


small, large = load(sys.argv[1]), load(sys.argv[2])
units, top = int(sys.argv[3]), int(sys.argv[4])
rows = sorted(((large.get(k, 0) - small.get(k, 0)) / units, k) for k in set(small) | set(large))
for per_unit, name in reversed(rows[-top:]):
    print(f'    {per_unit:8.0f}  {name[:110]}')
