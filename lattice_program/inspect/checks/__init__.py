"""The doctor's checks, one module per thing checked; each returns ``CheckResult``s
(``lattice_program/inspect/doctor.py``) and never raises for what it finds."""
