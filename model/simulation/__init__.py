"""The simulation: the Mesa model of Iraq after Mosul, its agents, rules, recording, the
parameter registry and the outcome catalogue. Reads no files and writes none.

``StabilizationModel`` (module ``model``) holds the state and the monthly schedule; each
process of the schedule is a module named after its part of docs/ODD.md: ``initialization``
(5), ``levers`` (7.1), ``operations`` (7.2-7.4), ``insurgency`` (7.5), ``population`` (7.6),
``displacement`` (7.7), ``politics`` (7.8) and ``recording`` (7.9); ``rules`` holds their pure
equations and ``months`` the calendar.
"""
