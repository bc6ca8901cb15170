"""Which AWS profile and region the console talks to."""
