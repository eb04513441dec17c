"""Audit the pinned runtime dependencies for known vulnerabilities (SECURITY.md I3); offline-safe.

    python scripts/audit_dependencies.py [requirements.txt]

Runs `pip-audit -r requirements.txt --progress-spinner off` (every line is pinned, so `--no-deps
--disable-pip`: nothing is installed, only the advisory service is asked) under a timeout, then:

- a known vulnerability in any pin: prints it and exits 1;
- the advisory service could not be reached (no network, DNS failure, a timeout, or an intranet mirror
  that answers "not found" for every package, so nothing was really audited): prints one line,
  `dependency audit skipped: advisory database unreachable`, and exits 0;
- every pin audited and clean: says so and exits 0;
- pip-audit failing for any other reason: shows its error and exits 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SKIPPED = "dependency audit skipped: advisory database unreachable"
TIMEOUT_SECONDS = int(os.environ.get("TONGZHAN_AUDIT_TIMEOUT", "180"))
# What requests/urllib3 print when the service is not there; anything else is a real failure.
NETWORK_ERRORS = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Max retries exceeded",
    "Name or service not known",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Connection refused",
    "ProxyError",
    "SSLError",
    "timed out",
    "ServiceError",
)


def verdict(returncode: int | None, stdout: str, stderr: str) -> tuple[int, str]:
    """Decide from one pip-audit run (`returncode` None: it timed out) what CI should do and say."""
    if returncode is None:
        return 0, SKIPPED
    try:
        report = json.loads(stdout)
    except ValueError:
        report = None
    if not isinstance(report, dict) or "dependencies" not in report:
        if any(marker in stderr for marker in NETWORK_ERRORS):
            return 0, SKIPPED
        return 2, f"dependency audit failed to run (pip-audit exit {returncode}):\n{stderr.strip()}"
    dependencies = report["dependencies"]
    findings = [
        f"{dep['name']} {dep.get('version', '?')}: {vuln.get('id', '?')}"
        f" (fixed in {', '.join(vuln.get('fix_versions') or []) or 'no release yet'})"
        for dep in dependencies
        for vuln in dep.get("vulns") or []
    ]
    if findings:
        return 1, "dependency audit found known vulnerabilities:\n  " + "\n  ".join(findings)
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    if not audited:
        return 0, SKIPPED
    skipped = len(dependencies) - len(audited)
    note = f" ({skipped} could not be audited)" if skipped else ""
    return 0, f"dependency audit: {len(audited)} pinned packages, no known vulnerabilities{note}"


def main(argv: list[str]) -> int:
    requirements = Path(argv[1] if len(argv) > 1 else "requirements.txt")
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [
        str(pip_audit) if pip_audit.exists() else "pip-audit",
        "-r", str(requirements), "--progress-spinner", "off",
        "--no-deps", "--disable-pip", "--format", "json", "--timeout", "20",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)  # noqa: S603
        code, message = verdict(done.returncode, done.stdout, done.stderr)
    except subprocess.TimeoutExpired:
        code, message = verdict(None, "", "")
    print(message, file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
