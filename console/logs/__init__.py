"""Following a log file by byte offset, locally or over SSH, without loss or repeats."""
