"""Pure purchasing rules: scoring, shortages, supplier choice, rerouting and ETAs.

Nothing in this package touches a database, a spreadsheet library, Prefect or the
network. Rules take plain values and an explicit ``as_of`` date and return decisions
that carry their own reason.
"""
