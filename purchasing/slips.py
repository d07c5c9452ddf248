"""Slip signals: evidence that an open PO line will not arrive as promised.

Four signals, each a pure function of the open lines and one kind of evidence:

- ``overdue``: the line is past its promise (or, unconfirmed, its quoted date) + grace and
  not received in full;
- ``re-promised``: a confirmation moved the promise past the date a covered customer was
  promised, or by more than a tolerance;
- ``no-stock``: the supplier reports less available than an unconfirmed line still needs;
- ``blocked``: the supplier's standing is blocked.

Every signal carries a ``key`` that names its evidence (a promise, a stock report, a due
date), so recording the same evidence twice is recognisable as the same slip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from purchasing.errors import InputRejected

Signal = Literal["overdue", "re-promised", "no-stock", "blocked"]
SIGNALS: tuple[Signal, ...] = ("overdue", "re-promised", "no-stock", "blocked")


@dataclass(frozen=True)
class SlipRules:
    """How much lateness is tolerated before a line counts as slipping."""

    overdue_grace_days: int = 2
    repromise_tolerance_days: int = 7
    # An overdue line is looked at again every this many days it stays late: each look is
    # new evidence (a later line), so a line kept yesterday can be rerouted today.
    overdue_recheck_days: int = 3

    def __post_init__(self) -> None:
        if self.overdue_grace_days < 0:
            raise InputRejected(f"overdue grace must not be negative: {self.overdue_grace_days}")
        if self.overdue_recheck_days < 1:
            raise InputRejected(
                f"overdue re-check interval must be at least 1 day: {self.overdue_recheck_days}"
            )
        if self.repromise_tolerance_days < 0:
            raise InputRejected(
                f"re-promise tolerance must not be negative: {self.repromise_tolerance_days}"
            )


@dataclass(frozen=True)
class WatchedLine:
    """An open PO line as slip detection sees it."""

    po_line_id: int
    po_number: str
    line_no: int
    supplier: str
    sku: str
    qty: int
    received_qty: int
    status: str
    promised_date: date | None  # the current promise (a sent line starts at its quoted date)
    quoted_date: date | None  # order date + quoted lead time, for unconfirmed lines
    confirmed: bool
    customer_need_by: date | None = None  # earliest date promised to a covered customer

    @property
    def outstanding(self) -> int:
        return max(0, self.qty - self.received_qty)

    @property
    def due(self) -> date | None:
        """The date the line is expected by: its promise, else its quote."""
        return self.promised_date or self.quoted_date

    @property
    def where(self) -> str:
        return f"{self.po_number} line {self.line_no} (SKU {self.sku}, {self.supplier})"


@dataclass(frozen=True)
class PromiseMove:
    """A confirmation that moved a line's promise."""

    po_line_id: int
    previous_date: date | None
    new_date: date
    change_id: int  # the promise-ledger entry, the evidence's identity
    file_id: int | None = None


@dataclass(frozen=True)
class StockReport:
    """What a supplier last said it can ship of a SKU."""

    supplier: str
    sku: str
    available_qty: int
    reported_on: date
    next_available_date: date | None = None
    report_id: int = 0
    file_id: int | None = None


@dataclass(frozen=True)
class SlipSignal:
    """One slip to record: the line, the signal, the new expected date if known, the evidence."""

    po_line_id: int
    supplier: str
    sku: str
    signal: Signal
    key: str
    new_date: date | None
    reason: str
    evidence: Mapping[str, Any]

    def evidence_json(self) -> dict[str, Any]:
        """The evidence with the key, the reason and the new date, JSON-ready."""
        document = {name: _jsonable(value) for name, value in self.evidence.items()}
        document.update(
            key=self.key,
            reason=self.reason,
            new_date=None if self.new_date is None else self.new_date.isoformat(),
        )
        return document


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _open(line: WatchedLine) -> bool:
    return line.outstanding > 0


def overdue_slips(
    lines: Iterable[WatchedLine], as_of: date, rules: SlipRules | None = None
) -> list[SlipSignal]:
    """Lines past their due date + grace with units still outstanding."""
    rules = rules or SlipRules()
    found = []
    for line in lines:
        due = line.due
        if due is None or not _open(line):
            continue
        deadline = due + timedelta(days=rules.overdue_grace_days)
        if as_of <= deadline:
            continue
        late = (as_of - due).days
        basis = "promise" if line.promised_date is not None else "quoted date"
        # The first look is at the end of the grace; then one per re-check interval.
        first_look = rules.overdue_grace_days + 1
        looked_at = first_look + (late - first_look) // rules.overdue_recheck_days * (
            rules.overdue_recheck_days
        )
        found.append(
            SlipSignal(
                line.po_line_id,
                line.supplier,
                line.sku,
                "overdue",
                f"overdue:{due.isoformat()}:{looked_at}d",
                None,
                f"{line.where} is {late} days past its {basis} of {due.isoformat()} with "
                f"{line.outstanding} of {line.qty} still to come",
                {
                    "due_date": due,
                    "basis": basis,
                    "days_late": late,
                    "grace_days": rules.overdue_grace_days,
                    "recheck_days": rules.overdue_recheck_days,
                    "outstanding_qty": line.outstanding,
                    "as_of": as_of,
                },
            )
        )
    return found


def repromise_slips(
    lines: Mapping[int, WatchedLine],
    moves: Iterable[PromiseMove],
    rules: SlipRules | None = None,
) -> list[SlipSignal]:
    """Confirmations that moved a promise past the customers' need-by date or the tolerance."""
    rules = rules or SlipRules()
    found = []
    for move in moves:
        line = lines.get(move.po_line_id)
        if line is None or not _open(line):
            continue
        before = move.previous_date or line.quoted_date
        moved = (move.new_date - before).days if before is not None else None
        past_need = line.customer_need_by is not None and move.new_date > line.customer_need_by
        over_tolerance = moved is not None and moved > rules.repromise_tolerance_days
        if not (past_need or over_tolerance):
            continue
        parts = []
        if moved is not None and before is not None:
            parts.append(f"moved {moved} days from {before.isoformat()}")
        if past_need and line.customer_need_by is not None:
            parts.append(f"past the {line.customer_need_by.isoformat()} promised to a customer")
        found.append(
            SlipSignal(
                line.po_line_id,
                line.supplier,
                line.sku,
                "re-promised",
                f"re-promised:{move.change_id}",
                move.new_date,
                f"{line.where} re-promised for {move.new_date.isoformat()}: " + ", ".join(parts),
                {
                    "previous_date": before,
                    "new_date": move.new_date,
                    "days_moved": moved,
                    "tolerance_days": rules.repromise_tolerance_days,
                    "customer_need_by": line.customer_need_by,
                    "promise_change_id": move.change_id,
                    "file_id": move.file_id,
                },
            )
        )
    return found


def no_stock_slips(
    lines: Iterable[WatchedLine], reports: Iterable[StockReport]
) -> list[SlipSignal]:
    """Unconfirmed lines whose supplier reports less stock than the line still needs."""
    latest: dict[tuple[str, str], StockReport] = {}
    for report in reports:
        held = latest.get((report.supplier, report.sku))
        if held is None or (report.reported_on, report.report_id) > (
            held.reported_on,
            held.report_id,
        ):
            latest[(report.supplier, report.sku)] = report
    found = []
    for line in lines:
        if line.confirmed or not _open(line):
            continue
        found_report = latest.get((line.supplier, line.sku))
        if found_report is None or found_report.available_qty >= line.outstanding:
            continue
        report = found_report
        later = report.next_available_date
        when = f"; next available {later.isoformat()}" if later else "; no date given"
        found.append(
            SlipSignal(
                line.po_line_id,
                line.supplier,
                line.sku,
                "no-stock",
                f"no-stock:{report.report_id}",
                later,
                f"{line.where} is unconfirmed and {line.supplier} reports {report.available_qty} "
                f"available on {report.reported_on.isoformat()} against {line.outstanding} "
                f"needed{when}",
                {
                    "available_qty": report.available_qty,
                    "needed_qty": line.outstanding,
                    "reported_on": report.reported_on,
                    "next_available_date": later,
                    "stock_report_id": report.report_id,
                    "file_id": report.file_id,
                },
            )
        )
    return found


def blocked_slips(
    lines: Iterable[WatchedLine], blocked: Mapping[str, str], as_of: date
) -> list[SlipSignal]:
    """Open lines at a supplier whose standing is blocked on ``as_of``."""
    found = []
    for line in lines:
        why = blocked.get(line.supplier)
        if why is None or not _open(line):
            continue
        found.append(
            SlipSignal(
                line.po_line_id,
                line.supplier,
                line.sku,
                "blocked",
                "blocked",
                None,
                f"{line.where}: {line.supplier} is {why}",
                {"standing": "blocked", "why": why, "as_of": as_of},
            )
        )
    return found


def new_slips(
    signals: Sequence[SlipSignal], known: Iterable[tuple[int, str, str]]
) -> list[SlipSignal]:
    """The signals not yet recorded (known = (PO line id, signal, key)), one per identity."""
    seen = set(known)
    fresh = []
    for signal in signals:
        identity = (signal.po_line_id, signal.signal, signal.key)
        if identity in seen:
            continue
        seen.add(identity)
        fresh.append(signal)
    return fresh
