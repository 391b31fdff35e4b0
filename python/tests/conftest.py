# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared by the host and guest suites of the Python package."""

import os
import shutil

import pytest

SRCDIR = os.environ.get("abs_top_srcdir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
IN_VM = os.environ.get("CMABUF_VM") == "1"


def tree_has_image_pools():
    """Whether this source tree's library declares the image pools
    (LIBCMABUF_0.3): the library built from it must then export them."""
    with open(os.path.join(SRCDIR, "lib", "libcmabuf.sym")) as f:
        return "cmabuf_image_pool_new;" in f.read()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # The test kernels are built to have every feature: a skip inside the
    # guest means something is broken, so it fails there (as in
    # tests/run-vm-suites for the C suites).
    outcome = yield
    rep = outcome.get_result()
    if IN_VM and rep.skipped:
        rep.outcome = "failed"
        rep.longrepr = f"skipped inside the test VM: {rep.longrepr}"


@pytest.fixture
def board_tree(tmp_path):
    """A copy of a tests/heap-trees board with its udev symlinks."""
    def make(board):
        dst = tmp_path / board
        shutil.copytree(os.path.join(SRCDIR, "tests", "heap-trees", board),
                        dst)
        with open(os.path.join(SRCDIR, "tests", "heap-trees", "links")) as f:
            for line in f:
                parts = line.split()
                if line.startswith("#") or len(parts) != 3 or \
                        parts[0] != board:
                    continue
                os.symlink(parts[2], dst / parts[1])
        return str(dst)
    return make


def open_fds():
    """The descriptors of this process (the listing's own is gone)."""
    return set(os.listdir("/proc/self/fd"))
