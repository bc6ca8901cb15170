"""The GPU view: live nvidia-smi streams, processes, the host panel and the doctor."""
