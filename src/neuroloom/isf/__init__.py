"""Read what in_silico_framework (ISF) users have on disk: databases and simrun folders.

- :func:`open` opens an ``ISFDataBase`` or an older ``ModelDataBase`` in place, read only.
- :mod:`neuroloom.isf.simrun` parses simrun output folders into pandas frames.
- :func:`import_` turns either into a new neuroloom study (``neuroloom import-isf``).
"""

from neuroloom.isf.database import ISFDatabase, open
from neuroloom.isf.dumpers import READABLE_DUMPERS, load_dump
from neuroloom.isf.importer import ISFImportError, import_
from neuroloom.isf.simrun import (
    SimrunError,
    detect_spikes,
    find_simrun_folders,
    parse_trial_id,
    read_cell_activation,
    read_dendritic_vm,
    read_param_files,
    read_soma_vm,
    read_synapse_activation,
    recording_sites,
    trial_ids,
    trial_numbers,
)

__all__ = [
    "READABLE_DUMPERS",
    "ISFDatabase",
    "ISFImportError",
    "SimrunError",
    "detect_spikes",
    "find_simrun_folders",
    "import_",
    "load_dump",
    "open",
    "parse_trial_id",
    "read_cell_activation",
    "read_dendritic_vm",
    "read_param_files",
    "read_soma_vm",
    "read_synapse_activation",
    "recording_sites",
    "trial_ids",
    "trial_numbers",
]
