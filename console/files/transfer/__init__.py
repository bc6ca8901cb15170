"""Copies between this machine, hosts and S3: planning, resumable streams, verification, a queue.

    engine.py          the queue and ``awsconsole cp``'s entry (TransferEngine, engine_for)
    copy_job.py        one transfer: resolve the sides, route, plan, copy each file, policies
    spec.py            what is asked for (TransferSpec, Policy, parse_location)
    plan.py            which files go where (FilePlan), names checked on the way
    endpoints/         the sides: this machine, a host over SSH, S3 (one protocol)
    routes.py          which copier (or host job, or refusal) serves a pair of endpoint types
    copiers.py         this machine <-> this machine, this machine <-> S3
    host_copiers.py    this machine <-> a host: pooled connection, or resumable ssh streams
    host_s3_job.py     a host <-> S3: ``aws s3 cp`` as a job on the host
    ssh_streams.py     the streams of a big file: argv, count, ranges, retries, checks
    ssh_file_copy.py   the bytes of a big file over those streams
    resume.py          partial files and their journals, picked up by the next run
    s3.py              boto3's managed transfer, checked with S3's checksums
    remote.py          the helper a host runs (``python3 -c``) and how it is called
    retry.py           the one retry policy (attempts, backoff, passing errors, cancel)
    control.py         cancel, pause and progress shared by every stream of a transfer
    progress.py        bytes, files, rate and ETA of a transfer
    errors.py          TransferError, DiskFullError, TransferCancelled
"""
