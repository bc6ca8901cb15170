"""The embedded default (`awsconsole --demo`): a loopback AWS endpoint with a seeded fleet and dataset, every instance being this machine in a sandbox folder."""
