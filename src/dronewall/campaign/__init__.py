"""Monte Carlo campaigns: many seeded runs of one scenario on Dask, one table and one page.

:func:`dronewall.campaign.runner.run_campaign` runs seeds ``seed0 .. seed0 + N - 1`` of a scenario
through the whole pipeline on a local Dask cluster or an existing scheduler and writes
``campaign.parquet`` (one row per run and threat, :data:`dronewall.campaign.rows.SCHEMA`),
``campaign.html`` (:mod:`dronewall.campaign.report`) and ``failures.json``. The command is
``dronewall campaign`` (:mod:`dronewall.campaign.cli`). See ``docs/campaign.md``.

This package imports nothing on import, so that registering the command keeps ``dronewall``
quick to start; import the modules themselves.
"""
