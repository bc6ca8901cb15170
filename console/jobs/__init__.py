"""Jobs: commands in tmux on a host, with their state in ~/.awsconsole/jobs/<id>/ on that host (manager, groups, directory across hosts, the remote runner and lister)."""
