#!/bin/sh
# The Python package's host suite (python/tests/test_host.py): argument
# errors, struct declarations against the C compiler, fixture trees.
exec "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/python-suite" host
