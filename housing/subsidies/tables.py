"""The rental subsidy's tables: policies, workers' applications (with their contracts), payouts.

What must never happen is the database's job too (constraints made in the migrations, on both
engines): two policies valid on the same day; two live applications (submitted, confirmed or
approved) of one worker; an application paid twice for one month. A policy's money is integer
fen and its share an integer percent, so the amount is exact until it is rounded, once per
payment.
"""

from __future__ import annotations

from enum import StrEnum

from piccolo.columns import JSON, BigInt, Date, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from housing.register.tables import Firm, Worker


class ApplicationStatus(StrEnum):
    """submitted → confirmed (by the worker's HR) → approved | rejected (by park staff);
    the worker may withdraw a submitted, confirmed or approved application."""

    submitted = "submitted"
    confirmed = "confirmed"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


LIVE_STATUSES = (ApplicationStatus.submitted.value, ApplicationStatus.confirmed.value, ApplicationStatus.approved.value)


class RentalSubsidyPolicy(Table):
    """Monthly subsidy = min(rent × `share_percent` %, `cap_fen`), for the park days
    `valid_from` … `valid_to` (inclusive; null: until further notice)."""

    id: Serial
    name = Varchar(length=100)
    share_percent = Integer()
    cap_fen = BigInt()
    valid_from = Date()
    valid_to = Date(null=True, default=None)
    created_at = Timestamptz()


class RentalSubsidyApplication(Table):
    """A worker's application for the subsidy of one rented flat, with its lease dates and the
    uploaded contract (a file under the upload folder, named by `contract_token`)."""

    id: Serial
    worker_id = ForeignKey(references=Worker, on_delete=OnDelete.restrict, null=False, index=True)
    address = Varchar(length=200)
    landlord = Varchar(length=100)
    monthly_rent_fen = BigInt()
    lease_start = Date()
    lease_end = Date()
    status = Varchar(length=10, default=ApplicationStatus.submitted.value, index=True)
    submitted_at = Timestamptz()
    submitted_on = Date()  # the park day of submission: payouts count days from here
    confirmed_at = Timestamptz(null=True, default=None)
    confirmed_by = Varchar(length=100, default="")
    decided_at = Timestamptz(null=True, default=None)
    decided_by = Varchar(length=100, default="")
    reject_reason = Varchar(length=500, default="")
    withdrawn_on = Date(null=True, default=None)  # the park day withdrawn; an approved one is paid through it
    contract_token = Varchar(length=64, null=True, default=None)
    contract_media_type = Varchar(length=32, default="")
    contract_size = Integer(null=True, default=None)
    contract_sha256 = Varchar(length=64, default="")
    contract_uploaded_at = Timestamptz(null=True, default=None)


class RentalSubsidyPayout(Table):
    """One payment of one approved application for one month: the eligible days, the amount
    (rounded once), and how it was made (`segments`: per policy in force, its days and its
    exact monthly amount). The firm is the worker's firm when paid."""

    id: Serial
    application_id = ForeignKey(
        references=RentalSubsidyApplication, on_delete=OnDelete.restrict, null=False, index=True
    )
    worker_id = ForeignKey(references=Worker, on_delete=OnDelete.restrict, null=False, index=True)
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=False, index=True)
    month = Varchar(length=7, index=True)
    days = Integer()
    days_in_month = Integer()
    monthly_rent_fen = BigInt()
    amount_fen = BigInt()
    segments = JSON()
    paid_at = Timestamptz()
