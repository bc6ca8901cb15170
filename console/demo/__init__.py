"""The embedded default (`awsconsole --demo`): a loopback AWS endpoint with a seeded fleet and
dataset, every instance being this machine in a sandbox folder.

Only names live here: importing the demo's endpoint (moto, boto3) is left to the thread that
starts it, so the console's first screen does not wait for it.
"""

#: the region the demo's fleet lives in
DEMO_REGION = "us-east-1"
#: the one profile the demo has (its fake account)
DEMO_PROFILE = "demo"
