"""The ottwatch CDK app: one stack (OttwatchStack) composed of one construct per capability.

Modules here import each other relatively, so the package also works when loaded under another name
(tests/infra is itself a package called ``infra`` when pytest imports it).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"

# The constructs import the table schema and env var names from the functions' own package, so infra and
# code share one definition. The venv has it installed editable; this makes a bare checkout work too.
if str(FUNCTIONS_DIR) not in sys.path:
    sys.path.append(str(FUNCTIONS_DIR))
