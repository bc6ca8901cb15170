"""S3: buckets, folder-like pages, parallel prefix counts, presigned URLs (boto3)."""
