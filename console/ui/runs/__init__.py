"""Training runs: the ledger's runs (``RunsView``) and one run's charts, checkpoints and
predictions (``RunScreen``)."""
