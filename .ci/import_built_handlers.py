"""Imports each function's handler from `sam build` output, as Lambda would.

For every AWS::Serverless::Function in the built template, a fresh interpreter of the Lambda
runtime's Python (isolated mode: no site-packages, no user paths) gets only that function's
build folder on sys.path, imports the handler module and checks the handler is callable.

The Lambda runtime's own packages (boto3, botocore) come from RUNTIME_PROVIDED, a folder with
just those installed for that Python.

Usage: .venv/bin/python .ci/import_built_handlers.py BUILD_DIR LAMBDA_PYTHON RUNTIME_PROVIDED
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cfn_tools import load_yaml

PROBE = """
import sys
# Lambda's order: the function's code first, then what the runtime provides (boto3).
sys.path[:0] = [sys.argv[1], sys.argv[4]]
module_name, attribute = sys.argv[2].rsplit(".", 1)
import importlib
handler = getattr(importlib.import_module(module_name), attribute)
assert callable(handler), sys.argv[2]
# The SQL templates travel inside the package (functions/alb_egress/sql -> athena/).
from alb_egress import sql_render
names = sql_render.template_names()
assert len(names) >= 8 and all(sql_render.template_text(n) for n in names), names
print(f"  ok  {sys.argv[3]}: {sys.argv[2]} ({sys.version.split()[0]})")
"""


def main(build_dir: Path, python: str, runtime_provided: Path) -> int:
    template = load_yaml((build_dir / "template.yaml").read_text())
    defaults = template.get("Globals", {}).get("Function", {})
    failures = 0
    functions = {
        name: {**defaults, **res.get("Properties", {})}
        for name, res in template["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function"
    }
    if not functions:
        print("no functions in the built template", file=sys.stderr)
        return 1
    for name, props in functions.items():
        code_dir = (build_dir / props["CodeUri"]).resolve()
        env = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1"}
        result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [python, "-I", "-c", PROBE, str(code_dir), props["Handler"], name, str(runtime_provided)],
            env=env,
            check=False,
        )
        failures += result.returncode != 0
    print(f"{len(functions) - failures} of {len(functions)} built handlers import")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])))
