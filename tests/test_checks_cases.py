"""The one parametrised runner of the per-item cases in tests/cases/<year>/<code>.yml.
`pytest -k "2565 and O12"` runs one item."""
import pytest

from checks.engine import check_site
from checks_cases import as_of, build_evidence, load_cases

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case):
    if case.spec.get("known_defect"):
        pytest.xfail(case.spec["known_defect"])
    ev = build_evidence(case.spec)
    report = check_site(ev, case.year, as_of(case.spec), codes={case.code})
    got = next(i for i in report.items if i.code == case.code)
    row = (case.code, got.status, got.reason)
    assert got.status == case.expect, f"{row}: {got.reason_en}"
    if "reason" in case.spec:
        assert got.reason == case.spec["reason"], f"{row}: {got.reason_en}"
    assert got.reason_th and got.reason_en
    if "max_confidence" in case.spec:        # verdicts resting on OCR text are less sure
        assert got.confidence <= case.spec["max_confidence"], f"{row}: confidence {got.confidence}"
    if got.status == "pass":
        assert got.evidence_url and got.problem is None
    else:
        assert got.problem
