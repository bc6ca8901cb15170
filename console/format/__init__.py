"""How figures and outside text read for people: sizes, durations, money, GPU numbers, control characters made visible. Pure functions, shared by the CLI and the UI."""
