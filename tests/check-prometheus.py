#!/usr/bin/env python3
"""Validate Prometheus text exposition format (version 0.0.4) on stdin or
the files given: HELP/TYPE lines, metric and label name charsets, label
value escaping, numeric sample values, one TYPE per family before its
samples, no family split apart. Exit 1 with the offending line."""
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(\{(%s=%s(,%s=%s)*,?)?\})? ([^ ]+)( -?[0-9]+)?$'
                    % (NAME, LABEL, VALUE, LABEL, VALUE))
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


def number(s):
    if s in ('NaN', '+Inf', '-Inf'):
        return True
    try:
        float(s)
        return True
    except ValueError:
        return False


def check(text, where):
    typed, helped, seen, closed = {}, set(), [], set()
    for n, line in enumerate(text.split('\n'), 1):
        if line == '':
            continue
        bad = lambda why: sys.exit('%s:%d: %s: %r' % (where, n, why, line))
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                if not re.fullmatch(NAME, parts[2]):
                    bad('bad metric name')
                if parts[1] == 'TYPE':
                    if len(parts) != 4 or parts[3] not in TYPES:
                        bad('bad TYPE')
                    if parts[2] in typed:
                        bad('second TYPE for a family')
                    if parts[2] in seen:
                        bad('TYPE after samples')
                    typed[parts[2]] = parts[3]
                else:
                    if parts[2] in helped:
                        bad('second HELP for a family')
                    helped.add(parts[2])
            continue
        m = SAMPLE.match(line)
        if not m:
            bad('not a sample line')
        name = m.group(1)
        if not number(m.group(5)):
            bad('value is not a number')
        family = name
        if family not in typed:
            bad('sample without a TYPE line')
        if typed[family] == 'counter' and not name.endswith('_total'):
            bad('counter name must end in _total')
        if family in closed:
            bad('family split apart')
        if seen and seen[-1] != family:
            closed.add(seen[-1])
        seen.append(family)
    if not seen:
        sys.exit('%s: no samples' % where)


if __name__ == '__main__':
    if len(sys.argv) > 1:
        for f in sys.argv[1:]:
            with open(f) as fh:
                check(fh.read(), f)
    else:
        check(sys.stdin.read(), '<stdin>')
    print('ok: valid Prometheus text format')
