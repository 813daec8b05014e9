"""The GPU side: pipeline loading (once per process) and running one job."""
