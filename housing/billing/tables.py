"""Rent invoices: one per firm and month, one line per lease active in the month.

Issued invoices are never edited: staff void one with a reason and run that firm's month
again. The database keeps one *issued* invoice per firm and month (a partial unique index),
so running a month twice, or twice at once, bills nobody twice.
"""

from __future__ import annotations

from piccolo.columns import BigInt, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from housing.leasing.tables import Lease
from housing.register.tables import Firm, Unit


class RentInvoice(Table):
    id: Serial
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=False, index=True)
    month = Varchar(length=7, index=True)  # "2027-04", the park's calendar month
    total_fen = BigInt()
    status = Varchar(length=8, default="issued")  # issued | void
    issued_at = Timestamptz()
    void_reason = Varchar(length=500, default="")
    voided_at = Timestamptz(null=True, default=None)


class RentInvoiceLine(Table):
    id: Serial
    invoice_id = ForeignKey(references=RentInvoice, on_delete=OnDelete.cascade, null=False, index=True)
    lease_id = ForeignKey(references=Lease, on_delete=OnDelete.restrict, null=False, index=True)
    unit_id = ForeignKey(references=Unit, on_delete=OnDelete.restrict, null=False)
    area_centi_m2 = Integer()
    rent_rate_fen_per_m2 = Integer()
    days_leased = Integer()
    days_in_month = Integer()
    amount_fen = BigInt()
