"""Where one submission's grading time went, for people: ``check --timings`` and ``make bench``.

The numbers come from ``SubmissionResult.timings`` (see there). The notebook's cells run in the
sandbox's init while the checks of earlier test cells run in their workers, and the checks run in
lanes side by side (``grading.lanes``), so the lines overlap in time and do not add up to the wall
time: each says how long that piece took, not its share.
"""
from netvis.checks import CHECKS_BY_ID, part_of

SLOWEST_CELLS = 3


def breakdown(timings: dict) -> list:
    """[(label, seconds)] in the order a grading goes: self-test, sandbox start, cells, each part's
    checks, the feedback pictures. Pieces the timings do not hold are left out."""
    rows = []
    if timings.get("startup"):
        rows.append(("Python start-up and imports", timings["startup"]))
    if "self-test" in timings:
        how = "remembered from an earlier run" if timings.get("self-test remembered") else "graded the solution"
        rows.append((f"self-test ({how}; beside the grading)", timings["self-test"]))
    if "setup" in timings:
        rows.append(("sandbox start-up (to the isolation report)", timings["setup"]))
    cells = timings.get("cells") or {}
    if cells:
        slowest = sorted(cells.items(), key=lambda item: -item[1])[:SLOWEST_CELLS]
        named = ", ".join(f"cell {number} {seconds:.2f} s" for number, seconds in slowest)
        rows.append((f"notebook: {len(cells)} cells (slowest: {named})", sum(cells.values())))
    for title, seconds in by_part(timings.get("checks") or {}).items():
        rows.append((f"checks: {title}", seconds))
    if timings.get("figures"):
        rows.append(("feedback pictures", timings["figures"]))
    return rows


def by_part(check_seconds: dict) -> dict:
    """{part title: seconds of its checks}, in the parts' order."""
    parts = {}
    for check_id, seconds in check_seconds.items():
        check = CHECKS_BY_ID.get(check_id)
        part = part_of(check.function) if check else None
        title = f"Part {part.number}, {part.short}" + (" (extra credit)" if part.extra_credit else "") \
            if part else check_id
        parts[title] = parts.get(title, 0.0) + seconds
    return parts


def format_breakdown(timings: dict, wall: float = None) -> str:
    """The breakdown as aligned lines, with the wall time last when given."""
    rows = breakdown(timings) + ([("wall time, all included", wall)] if wall is not None else [])
    width = max((len(label) for label, _ in rows), default=0)
    return "\n".join(f"  {label:<{width}}  {seconds:7.2f} s" for label, seconds in rows)
