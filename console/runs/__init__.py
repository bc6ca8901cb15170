"""The training workflow: launch, watch, interrupt, recover, fetch the model, predict here.

No Textual, no torch: the trainer always runs as its own process (``python -m trainer …``) in a
job on a host, or for a prediction on this machine. The services reach this package through
``console.services.runs`` (the ``RunsBackend`` contract); the pieces:

- ``ledger``       every launch recorded on this machine (``runs.jsonl``, atomic, 0600/0700)
- ``metrics``      a run's ``metrics.jsonl`` read by byte offset into ``MetricRecord``s; the
                   schema the trainer writes is in its docstring
- ``derive``       ETA, cost so far and projected, the over-confidence flag (pure)
- ``status``       a ledger record brought up to date from its jobs and run folder
- ``checkpoints``  checkpoints of a run folder, an S3 prefix or a local folder, from their
                   JSON sidecars; where a fetched copy goes (containment rule)
- ``trainer_args`` the trainer's options as the console reads and edits them; launch argv
- ``predict``      ``python -m trainer predict … --json`` here, its answer as a Prediction
- ``local_python`` which Python here has torch; the environment jobs here get for the trainer
- ``errors``       RunError and its kinds
"""
