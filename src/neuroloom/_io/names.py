"""Every file and folder name neuroloom writes, in one place.

A study directory looks like::

    neuroloom.json          MARKER: kind, format, seed, parameters (store.registry)
    catalog.sqlite          CATALOG: runs, explorations, sessions (study.catalog)
    coordinator.lock        LOCK_FILE: the coordinating process (study.lock)
    .journal/               JOURNAL_DIR: the runs' outcomes before the catalog has them (study.journal)
        coordinator.alive   ALIVE_FILE: held while a coordinator runs
    items/<key>/item.json   ITEMS_DIR, ITEM_FILE: the item store (store.database);
    items/<key>/.v-<id>/    PAYLOAD_PREFIX: one published payload of an item
    runs/<shard>/<run>/     RUNS_DIR: one folder per run (study.run)
        spikes.h5           SPIKES_FILE   (study.recordings)
        report_<name>.h5    REPORT_PREFIX (study.recordings)
        table_<name>.parquet TABLE_PREFIX (study.recordings: run.record_table)
        items.zip           PACK_FILE: the run's small saved values (study.run_pack)
    runs/batches/b-NNNNNN/  BATCHES_DIR: runs stored together by importers (study.batches)
        spikes.parquet, signals.h5, recorded.parquet, table_<name>.parquet
    tables/                 TABLES_DIR: consolidated recordings (datastore.consolidate)
        manifest.json       MANIFEST
        fresh.json          FRESH: what the views last saw (datastore.view)
    network/                NETWORK_DIR: the SONATA network of a study file (studyfile.network)
        network.json        NETWORK_INFO
    report/                 REPORT_DIR: the HTML report (report.html)

Temporary names start with TMP_PREFIX and are renamed into place when complete.
"""

from __future__ import annotations

TMP_PREFIX = ".tmp-"

# the item store (neuroloom.store)
MARKER = "neuroloom.json"
ITEM_FILE = "item.json"
ITEMS_DIR = "items"
PAYLOAD_PREFIX = ".v-"

# a study (neuroloom.study)
CATALOG = "catalog.sqlite"
LOCK_FILE = "coordinator.lock"
JOURNAL_DIR = ".journal"  # dot: not a key of the study database
ALIVE_FILE = "coordinator.alive"
RUNS_DIR = "runs"
SPIKES_FILE = "spikes.h5"
REPORT_PREFIX = "report_"
TABLE_PREFIX = "table_"
PACK_FILE = "items.zip"
BATCHES_DIR = "batches"
BATCH_SPIKES = "spikes.parquet"
BATCH_SIGNALS = "signals.h5"
BATCH_RECORDED = "recorded.parquet"

# the data store (neuroloom.datastore)
TABLES_DIR = "tables"
MANIFEST = "manifest.json"
FRESH = "fresh.json"

# the study file and its report (neuroloom.studyfile, neuroloom.report)
NETWORK_DIR = "network"
NETWORK_INFO = "network.json"
REPORT_DIR = "report"
