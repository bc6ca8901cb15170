"""The Instances view, an instance's detail and the launch wizard."""
