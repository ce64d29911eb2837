"""``python -m assay.demo``: build the demo model if needed and print its folder."""

from __future__ import annotations

import sys

from ..errors import AssayError
from . import demo_model_path


def main() -> int:
    try:
        print(demo_model_path(progress=True))
    except AssayError as error:
        print(f"assay: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
