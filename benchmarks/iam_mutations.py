"""Removing any single statement of any role fails at least one test - checked by doing it.

For each statement of each role of the local stack (built as the tests build it, with KmsKeyArn
so the conditional statements exist), runs the given tests with that one statement removed
(ALBRECON_IAM_DROP_STATEMENT, albrecon/local/iam.py) and reports the statements whose removal
failed nothing. On demand, not in CI: one suite run per statement.

    .venv/bin/python benchmarks/iam_mutations.py [pytest args, default: the fast IAM-heavy files]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

DEFAULT_TESTS = [
    "tests/local/test_iam.py",
    "tests/functions",
    "tests/adapters",
    "tests/e2e/test_pipeline.py",
    "tests/e2e/test_diagnoses.py",
    "tests/cli/test_operate.py",
]
KEY = "arn:aws:kms:us-east-1:123456789012:key/0b7d4a3e-1111-4222-8333-944455556666"
EXEMPT_ROLES = {"DoubleRole", "EchoRole"}  # tests/fixtures/mini's, not the product's


def statements() -> list[str]:
    from albrecon.local import iam
    from albrecon.local.runtime import PLACEHOLDER_PARAMETERS, LocalAws

    with LocalAws(parameters=PLACEHOLDER_PARAMETERS | {"KmsKeyArn": KEY, "LakeFormationGrants": "true"}):
        pass
    return sorted(
        f"{role}:{label}"
        for role, labels in iam.KNOWN_STATEMENTS.items()
        if role not in EXEMPT_ROLES
        for label in labels
    )


def main(argv: list[str]) -> int:
    tests = argv or DEFAULT_TESTS
    unnoticed = []
    for statement in statements():
        began = time.perf_counter()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-x",
                "-n",
                "2",
                "--dist",
                "loadfile",
                "-p",
                "no:cacheprovider",
                *tests,
            ],
            env=os.environ | {"ALBRECON_IAM_DROP_STATEMENT": statement},
            capture_output=True,
            text=True,
        )
        failed = run.returncode != 0
        tail = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
        seconds = time.perf_counter() - began
        print(f"{'noticed  ' if failed else 'UNNOTICED'} {statement}  ({seconds:.0f} s: {tail})", flush=True)
        if not failed:
            unnoticed.append(statement)
    print(f"\n{len(unnoticed)} statement(s) whose removal failed no test: {unnoticed}")
    return 1 if unnoticed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
