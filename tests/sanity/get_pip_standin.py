"""Stand-in for ansible-test's pip bootstrap script (get-pip.py), which these machines cannot download.

ansible-test runs it as ``python get_pip.py pip==X [--no-setuptools] [--no-wheel]`` inside each sanity
virtual environment. Bootstrap pip from the standard library, then install what was asked for.
"""

import os
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
# ensurepip points PIP_CONFIG_FILE at /dev/null, which would hide the machine's index settings.
os.environ.pop("PIP_CONFIG_FILE", None)
packages = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
if packages:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q"] + packages)
