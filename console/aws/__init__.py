"""AWS for the console: one boto3 session (``session``), the EC2 and S3 backends (``ec2``,
``s3``), and the translation of every botocore failure into ``console.errors`` (``errors``).

Nothing here imports textual; the UI receives ``console.models`` values only.
"""
