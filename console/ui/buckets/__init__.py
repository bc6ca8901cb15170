"""The Buckets view: S3 browsing, previews, transfers, presigned URLs."""
