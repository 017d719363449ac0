"""explore: which multiplier in which layer, for how much hardware, within an accuracy budget.

Built on :mod:`pymodel.nn` (the network and its evaluation) and :mod:`pymodel.hw` (synthesis
cost); the report and the CLI sit above it. Modules: :mod:`~pymodel.explore.budget` (the
accuracy budget), :mod:`~pymodel.explore.cost` (hardware cost model),
:mod:`~pymodel.explore.search` (greedy + repair, exhaustive, Pareto front: pure functions),
:mod:`~pymodel.explore.execute` (local process pool or Ray, journal, resume) and
:mod:`~pymodel.explore.run` (the whole exploration and its output files).
"""
