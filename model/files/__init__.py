"""What users write: scenario, batch, sensitivity-study and target files.

Each file kind is a pydantic schema (``scenario``, ``batch``, ``design``, ``study_file``,
``targets``) over one located YAML reader (``yaml_reader``); every mistake is a one-line
:class:`~model.files.errors.ConfigError` naming the file, line and key. The loaded objects
(``Scenario``, ``Batch``, ``Study``, ``Target``) are frozen dataclasses. Import each name from
the module that defines it, e.g. ``from model.files.scenario import load_scenario``.
"""
