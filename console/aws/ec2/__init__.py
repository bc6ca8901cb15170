"""EC2: instances, their types and prices, quotas, launch and the terminal commands that reach them (boto3)."""
