#!/bin/sh
# The Python package's real-kernel suite (python/tests/test_vm.py), run in
# the QEMU guests by tests/run-vm-suites as tests/test-vm-python (a copy
# made by make check); the guest runs the host's python3 over 9p.
exec "${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/python-suite" vm
