# -*- coding: utf-8 -*-
# Copyright: (c) 2026, impax.cluster_link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files the controller writes while other tasks (and runs) read them: plan slices, their derived values, the
plan cache, the hosts files a rendered-only run leaves."""

from __future__ import annotations

import os
import tempfile


def write_atomically(path, data, mode):
    """Replace ``path`` with ``data`` (bytes) by a rename: a reader sees the old file or the new one, never a
    part of either."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
