"""Sensitivity analysis, from stored batch results.

A *study* (a YAML file, ``docs/sensitivity.md``; read by ``model.files.study``) names the levers
and parameters to vary, the method, the sample size, the outcomes, the scenario to start from,
replicates and a master seed. ``run_study`` turns it into a batch (``model.experiments.design``),
runs it through the batch machinery (``model.experiments.executors.execute`` into a
``model.experiments.store.BatchStore``: same executors, seeds and resume) and then analyses the
stored results. As in SALib, one module per method:

    morris   screening: SALib's Morris elementary effects (mu*, sigma), ``n`` trajectories.
    sobol    variance decomposition: SALib's Saltelli/Sobol' sampling and estimators (S1, ST
             with bootstrap confidence intervals), ``N = n``.
    oat      one at a time: each name from low to high in ``n`` steps, the others at the
             scenario's value; a tornado chart of the outcome at low vs high.
    lhs      a Latin hypercube of ``n`` points for scenario discovery (PRIM); no module here.

``oat`` holds its design and its analysis; the Morris, Sobol' and Latin-hypercube samples are
batch design kinds (``model.experiments.design``), so ``morris`` and ``sobol`` hold the analysis.
Beside the methods: ``outputs`` (stored runs -> one value per design point and output),
``runner`` (the study's folder, running and analysing it) and ``figures``.

Time-series outcomes (national monthly table) are summarised per year of the horizon and
analysed year by year. Scenario discovery (PRIM) lives in ``model.analysis.discovery``, with ``StudyError``, the error
both raise; the study file itself is read by ``model.files.study``.

Everything here reads stored results only and never imports Mesa; ``run_study`` imports the
runner (which does) only when it runs the model.
"""

from model.analysis.sensitivity.figures import (
    plot_morris,
    plot_over_time,
    plot_sobol,
    plot_tornado,
    study_figures,
)
from model.analysis.sensitivity.morris import morris_indices
from model.analysis.sensitivity.oat import oat_design, oat_effects
from model.analysis.sensitivity.outputs import Output, study_outputs
from model.analysis.sensitivity.runner import (
    STUDY_FILE,
    StudyResult,
    StudyRun,
    analyze_study,
    open_study,
    record_study,
    run_study,
    study_design,
    study_plan,
    summary_text,
)
from model.analysis.sensitivity.sobol import sobol_indices

__all__ = [
    "STUDY_FILE",
    "Output",
    "StudyResult",
    "StudyRun",
    "analyze_study",
    "morris_indices",
    "oat_design",
    "oat_effects",
    "open_study",
    "plot_morris",
    "plot_over_time",
    "plot_sobol",
    "plot_tornado",
    "record_study",
    "run_study",
    "sobol_indices",
    "study_design",
    "study_figures",
    "study_outputs",
    "study_plan",
    "summary_text",
]
