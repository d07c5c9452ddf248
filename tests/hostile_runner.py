"""Read one supplier file under a memory cap and print the outcome as one JSON line.

    python -m tests.hostile_runner PATH [--memory-bytes N]

Exit 0 whenever ``read_sheets`` returns or rejects the file; any other exit (a signal, an
unexpected exception) is a failure of the reader.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

DEFAULT_MEMORY_BYTES = 2 * 1024**3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--memory-bytes", type=int, default=DEFAULT_MEMORY_BYTES)
    arguments = parser.parse_args(argv)
    resource.setrlimit(resource.RLIMIT_AS, (arguments.memory_bytes, arguments.memory_bytes))

    from purchasing.errors import FileRejected
    from supplier_feeds.reading import read_sheets

    try:
        sheets = read_sheets(arguments.path)
    except FileRejected as rejection:
        outcome: dict[str, object] = {
            "outcome": "rejected",
            "message": str(rejection),
            "errors": [error.as_dict() for error in rejection.errors[:20]],
        }
    except Exception as error:  # reported, not raised: the test names what went wrong
        outcome = {"outcome": "crashed", "message": f"{type(error).__name__}: {error}"}
        print(json.dumps(outcome))
        return 1
    else:
        outcome = {
            "outcome": "read",
            "sheets": [
                {
                    "name": sheet.name,
                    "rows": len(sheet.rows),
                    "head": [[str(value) for value in row] for row in sheet.rows[:3]],
                }
                for sheet in sheets
            ],
        }
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
