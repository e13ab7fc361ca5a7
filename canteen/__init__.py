"""The workers' canteen: prices, per-meal subsidies, meal records, monthly settlement.

A Piccolo app depending on `housing` once its issue lands; nothing lives here yet.
"""
