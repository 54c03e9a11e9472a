"""`just bench`: Easel measured for real under load and Telegram's limits (see __main__).

The rig reuses the test harness and stand-ins, which live under tests/.
"""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1] / "tests")
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
