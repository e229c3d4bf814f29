"""The simulated cluster: API server registry, allocation, and (later) control and data plane."""
