"""The decision simulator: a seeded store run day by day under procure's real rules.

``scenario`` holds the knobs, ``world`` the hidden truth (suppliers, offers, demand),
``policies`` the ways of buying being compared, ``store`` one policy's day-by-day run
through the real rules, ``metrics`` the figures, and ``runner`` ties them together.
"""
