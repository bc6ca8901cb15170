"""SSH hosts: the pooled paramiko connection, ~/.ssh/config as OpenSSH reads it, known_hosts."""
