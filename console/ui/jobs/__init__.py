"""The Jobs view, the new-job form and the log viewer."""
