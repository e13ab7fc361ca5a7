"""The workers' canteen: prices, per-meal subsidies, meal records, monthly settlement.

Its own Piccolo app (`canteen.piccolo_app`), depending on `housing`: it reads housing's
firms, workers and accounts; housing never imports it.
"""
