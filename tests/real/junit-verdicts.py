"""memboss: the verdict of each test in a CPython regression-test run, from its JUnit XML.

    python3 tests/real/junit-verdicts.py FILE.xml

Prints one line per test case, sorted: `NAME VERDICT`, where VERDICT is `ok`, `failure`,
`error`, `skipped: REASON` (the reason is part of the verdict), or the case's status and
result when the test did not complete. Durations and failure texts are left out: they
differ from run to run. The last line counts them: `total N ok N failed N skipped N`.
"""
import sys
import xml.etree.ElementTree as ET


def verdict(case):
    for child in case:
        if child.tag == "skipped":
            reason = " ".join((child.text or child.get("message") or "").split())
            return "skipped: " + reason
        if child.tag in ("failure", "error"):
            return child.tag
    status, result = case.get("status", "run"), case.get("result", "completed")
    if (status, result) != ("run", "completed"):
        return "%s/%s" % (status, result)
    return "ok"


def main():
    lines = []
    for case in ET.parse(sys.argv[1]).iter("testcase"):
        lines.append("%s %s" % (case.get("name"), verdict(case)))
    lines.sort()
    counts = {"ok": 0, "failed": 0, "skipped": 0}
    for line in lines:
        v = line.split(" ", 1)[1]
        key = "ok" if v == "ok" else "skipped" if v.startswith("skipped") else "failed"
        counts[key] += 1
        print(line)
    print("total %d ok %d failed %d skipped %d"
          % (len(lines), counts["ok"], counts["failed"], counts["skipped"]))


main()
